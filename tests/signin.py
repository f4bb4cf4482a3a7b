"""Open the real app.py under AppTest as a signed-in user of a given role.

The principal goes where app.py's login flow puts it (kodomo_dash.auth.current), for a user
that exists in a throw-away users file, so page tests exercise the same gate as production.
"""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from kodomo_dash.auth.current import PRINCIPAL_KEY
from kodomo_dash.auth.principal import Principal

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def principal_for(role: str, ward_codes=(), school_codes=()) -> Principal:
    return Principal(username=role, role=role, ward_codes=tuple(ward_codes), school_codes=tuple(school_codes),
                     display_name=f"テスト {role}")


def app_as(role: str, ward_codes=(), school_codes=(), page: str | None = None, timeout: float = 60) -> AppTest:
    """An AppTest of app.py signed in as `role`; `page` (e.g. "funnel") is switched to first."""
    at = AppTest.from_file(APP, default_timeout=timeout)
    at.session_state[PRINCIPAL_KEY] = principal_for(role, ward_codes, school_codes)
    if page is not None:
        at.switch_page(f"pages/{page}.py")
    return at
