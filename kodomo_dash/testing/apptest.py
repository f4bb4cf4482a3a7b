"""Open the real app.py under Streamlit's AppTest as a signed-in user of a given role.

Why this is in the library and not in tests/: the page tests and ``kodomo bench`` (which times
every page) must go through the same gate in the same way, so there is one copy. Nothing here
is reachable from the running app: it is only imported by tests and by the bench.

Signing in skips only the typing: a real session row is opened in the casework of the current
warehouse with the same ``security.sessions.start`` the code step calls after password and TOTP,
and its id is put where the code step puts it. The gate then validates it like any other session
(row not ended, user active, epoch, timeouts) and builds the principal from the users file: there
is no test-only path in the gate (decision 060). The user exists in a throw-away users file (demo
users, one per role, username = role, written with cheap bcrypt rounds).

KODOMO_USERS is set in this process (AppTest runs the script in-process) to the users file;
each distinct (role, wards, schools) set gets its own file, made once per process in a
temporary folder removed at exit. Set KODOMO_WAREHOUSE before calling ``app_as``: the session
row lives in that warehouse's casework.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from dataclasses import replace
from pathlib import Path

from streamlit.testing.v1 import AppTest

from kodomo_dash.infra.db import REPO_ROOT, casework_connection
from kodomo_dash.infra.encryption import KeyMissing
from kodomo_dash.infra.migrate import ensure_casework
from kodomo_dash.security import sessions
from kodomo_dash.security import users as users_mod
from kodomo_dash.security.principal import Principal
from kodomo_dash.security.sessions import SessionInfo
from kodomo_dash.ui.signin import K_SESSION

APP = str(REPO_ROOT / "app.py")
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
    """An AppTest of app.py (not signed in)."""
    return AppTest.from_file(APP, default_timeout=timeout)


def open_session(username: str) -> SessionInfo | None:
    """A real session of `username` in the current casework, as the code step opens one.

    None when casework cannot be opened (no database key): the gate refuses before sign-in then.
    """
    try:
        ensure_casework()
        with casework_connection() as con:
            return sessions.start(con, username, sessions.get_epoch(con, username), method="test")
    except KeyMissing:
        return None


def app_as(role: str, ward_codes=(), school_codes=(), page: str | None = None, timeout: float = 60) -> AppTest:
    """An AppTest of app.py signed in as `role`; `page` (e.g. "funnel") is switched to first."""
    os.environ["KODOMO_USERS"] = str(users_file(ward_codes, school_codes))
    at = new_app(timeout)
    info = open_session(role)
    if info is not None:
        at.session_state[K_SESSION] = info
    if page is not None:
        at.switch_page(f"screens/{page}.py")
    return at
