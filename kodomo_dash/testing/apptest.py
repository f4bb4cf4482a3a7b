"""Open the real app.py under Streamlit's AppTest as a signed-in user of a given role.

Why this is in the library and not in tests/: the page tests and ``kodomo bench`` (which times
every page) must go through the same gate in the same way, so there is one copy. Nothing here
is reachable from the running app: it is only imported by tests and by the bench.

The principal goes where app.py's login flow puts it (kodomo_dash.ui.current), for a user
that exists in a throw-away users file (demo users, one per role, username = role, written
with cheap bcrypt rounds), so page runs go through the same gate as production: app.py
re-reads that user from the file and the session epoch on every run and drops the principal
if the user is gone, inactive or revoked. ``TEST_PRINCIPAL_FLAG`` marks the principal as
planted deliberately (server-side session state only; a browser cannot set it).

KODOMO_USERS is set in this process (AppTest runs the script in-process) to the users file;
each distinct (role, wards, schools) set gets its own file, made once per process in a
temporary folder removed at exit.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from dataclasses import replace
from pathlib import Path

from streamlit.testing.v1 import AppTest

from kodomo_dash.infra.db import REPO_ROOT
from kodomo_dash.security import users as users_mod
from kodomo_dash.security.principal import Principal
from kodomo_dash.ui.current import PRINCIPAL_KEY
from kodomo_dash.ui.gate import TEST_PRINCIPAL_FLAG

APP = str(REPO_ROOT / "app.py")
COOKIE_KEY = "kodomo-test-cookie-key-4b7f0c2e9a1d46e8b3f5"
DEFAULT_WARDS = ("40131",)
DEFAULT_SCHOOLS = ("401001", "401002")

_dir: Path | None = None
_files: dict[tuple, Path] = {}


def _users_dir() -> Path:
    global _dir
    if _dir is None:
        _dir = Path(tempfile.mkdtemp(prefix="kodomo-users-"))
        atexit.register(shutil.rmtree, _dir, True)
    return _dir


def users_file(ward_codes=(), school_codes=()) -> Path:
    """A demo users file (one user per role) whose ward/school users have these scopes."""
    key = (tuple(ward_codes), tuple(school_codes))
    if key not in _files or not _files[key].exists():
        path = _users_dir() / f"users-{len(_files)}.yaml"
        users_mod.create_demo_users(path, rounds=4, force=True)
        recs = dict(users_mod.load_users(path))
        if ward_codes:
            recs["ward_staff"] = replace(recs["ward_staff"], ward_codes=tuple(ward_codes))
        if school_codes:
            for r in ("school", "ssw"):
                recs[r] = replace(recs[r], school_codes=tuple(school_codes))
        users_mod.save_users(recs, path, demo=True)
        _files[key] = path
    return _files[key]


def principal_for(role: str, ward_codes=(), school_codes=()) -> Principal:
    """The principal the demo user of ``role`` signs in as (default scopes as in the demo users)."""
    wards = tuple(ward_codes) or (DEFAULT_WARDS if role == "ward_staff" else ())
    schools = tuple(school_codes) or (DEFAULT_SCHOOLS[:1] if role == "school" else DEFAULT_SCHOOLS if role == "ssw" else ())
    return Principal(username=role, role=role, ward_codes=wards, school_codes=schools, display_name=f"テスト {role}")


def new_app(timeout: float = 60) -> AppTest:
    """An AppTest of app.py with a cookie key in its secrets (not signed in)."""
    at = AppTest.from_file(APP, default_timeout=timeout)
    at.secrets["auth"] = {"cookie_key": COOKIE_KEY}
    return at


def app_as(role: str, ward_codes=(), school_codes=(), page: str | None = None, timeout: float = 60) -> AppTest:
    """An AppTest of app.py signed in as `role`; `page` (e.g. "funnel") is switched to first."""
    os.environ["KODOMO_USERS"] = str(users_file(ward_codes, school_codes))
    at = new_app(timeout)
    at.session_state[PRINCIPAL_KEY] = principal_for(role, ward_codes, school_codes)
    at.session_state[TEST_PRINCIPAL_FLAG] = True
    if page is not None:
        at.switch_page(f"screens/{page}.py")
    return at
