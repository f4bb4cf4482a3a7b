"""Names of the units a list is split by: Fukuoka's seven wards, and the cities worked as one unit.

One place for them, so an account's scope, a funnel row and a report name a unit the same way.
"""

from __future__ import annotations

FUKUOKA_WARDS = {
    "40131": "東区",
    "40132": "博多区",
    "40133": "中央区",
    "40134": "南区",
    "40135": "西区",
    "40136": "城南区",
    "40137": "早良区",
}
CITY_UNITS = {"27219": "和泉市", "44202": "別府市"}  # cities without wards: the city is the unit


def unit_name(code: str) -> str:
    """A ward's or city's name; the code itself when it is not known."""
    code = str(code)
    return FUKUOKA_WARDS.get(code, CITY_UNITS.get(code, code))
