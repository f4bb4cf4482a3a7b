"""Names of the units a list is split by (wards, or a city worked as one unit), from the city files.

One place for them, so an account's scope, a funnel row and a report name a unit the same way;
the names themselves are data in ``kodomo_dash/config/cities/*.yaml``.
"""

from __future__ import annotations

from kodomo_dash.config.cities import cities, unit_names

FUKUOKA_WARDS: dict[str, str] = next(c.units for c in cities() if c.key == "fukuoka")
CITY_UNITS: dict[str, str] = {code: c.name_ja for c in cities() if c.key != "fukuoka" for code in c.units}


def unit_name(code: str) -> str:
    """A ward's or city's name; the code itself when it is not known."""
    code = str(code)
    return unit_names().get(code, code)
