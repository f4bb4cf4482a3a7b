"""The gate app.py runs first on every rerun: database keys, sign-in, re-validation, page list.

What it guarantees, in order, before any page runs:

1. Both database keys are there; without them the app says where to put them and stops.
2. Casework is migrated (sign-in state and the audit trail live there) and refusals are
   audited (matrix.set_denial_recorder).
3. The signed-in principal is rebuilt on every rerun from the users file, the session's row in
   casework and the user's session epoch (ui/signin.py, security/sessions.py): sign-out, an
   administrator ending the session, a password change, deactivation, a changed role or scope
   and the idle and absolute timeouts take effect on the next click. There is no other way in:
   a test signs in by opening a real session row (kodomo_dash.testing), as the code step does.
4. ``allowed_pages`` filters the screens by the authorisation matrix; every other screen
   that exists is registered hidden as a refusal stub, so a URL typed by hand shows a
   refusal (audited) instead of silently landing on the home page, and never runs the
   page file for a role that may not open it.

Nothing here is cached in st.cache_*: users and epochs are per-user data.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import streamlit as st

from kodomo_dash.infra.db import casework_connection, casework_path, database_key
from kodomo_dash.infra.encryption import KeyMissing
from kodomo_dash.security import audit, matrix, sessions
from kodomo_dash.security.principal import Principal
from kodomo_dash.security.users import UserFileError
from kodomo_dash.ui.current import principal as current_principal
from kodomo_dash.ui.current import set_principal
from kodomo_dash.ui.i18n import error_text
from kodomo_dash.ui.signin import (
    K_MESSAGE,
    AuthConfig,
    LoginFlow,
    ui_text,
)

FLOW_KEY = "_kodomo_login_flow"
AFTER_SIGN_IN = "_kodomo_after_sign_in"
HOME_PAGE = "home"

_migrated: set[str] = set()
_migrate_lock = threading.Lock()


def ensure_casework_once() -> None:
    """Apply casework migrations once per process per file (cheap check afterwards)."""
    from kodomo_dash.infra.migrate import ensure_casework

    path = str(casework_path())
    if path in _migrated:
        return
    with _migrate_lock:
        if path not in _migrated:
            ensure_casework()
            _migrated.add(path)


def database_keys_or_stop() -> None:
    """Both files are encrypted at rest; without their keys the app shows where to put them and stops."""
    try:
        for which in ("casework", "analytics"):
            database_key(which)
    except KeyMissing as e:
        st.error(error_text(e), icon=":material/key_off:")
        st.stop()


def _migrated_casework():
    from kodomo_dash.services.unit_of_work import casework

    return casework()


def sign_in(users_path: Path | None = None) -> tuple[Principal, Callable[[], None]]:
    """Run the sign-in step due for this session; return (principal, logout) or stop the run."""
    database_keys_or_stop()
    ensure_casework_once()
    # The casework of the current warehouse, migrated once per file: a refusal is audited wherever
    # the process is pointed now (the CLI and other callers of the library share the recorder).
    matrix.set_denial_recorder(audit.denial_recorder(_migrated_casework))
    try:
        flow = LoginFlow(AuthConfig(users_path=users_path), casework_connection)
        p = flow.principal()
    except (UserFileError, ValueError) as e:  # a broken users file, or session timeouts set too long
        st.error(error_text(e))
        st.stop()
    set_principal(p)
    if p is None:
        remember_destination()
        st.stop()

    def logout() -> None:
        flow.logout("user")
        set_principal(None)

    return p, logout


def requested_page() -> str | None:
    """The url path of the page the browser asked for in this run ('' for the app's root).

    Streamlit's pages manager holds the intended page's name when the request carried one;
    otherwise the page is the last part of the browser's URL, which `st.context.url` still
    carries before `st.navigation` has registered any page (it trims known page paths only).
    None when neither is available (not under a script run).
    """
    from urllib.parse import urlparse

    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    name = getattr(getattr(ctx, "pages_manager", None), "intended_page_name", None)
    if isinstance(name, str) and name.strip("/"):
        return name.strip("/")
    url = st.context.url
    if not url:
        return None
    return urlparse(url).path.rstrip("/").rsplit("/", 1)[-1]


def remember_destination() -> None:
    """Keep the page and query (a shared ?rid= card link) a signed-out visitor asked for.

    The sign-in steps rerun the app without `st.navigation`, which forgets both; after sign-in
    `go_to_destination` sends the user where the link pointed. Only the first request of a
    signed-out session counts, so a rerun of the sign-in form cannot overwrite it.
    """
    ss = st.session_state
    if AFTER_SIGN_IN not in ss:
        ss[AFTER_SIGN_IN] = (requested_page() or "", st.query_params.to_dict())


def go_to_destination(pages: dict[str, st.Page], current: st.Page) -> None:
    """Once signed in, open the page and query remembered by `remember_destination` (once).

    Pages the role may not open are in `pages` as hidden refusal stubs, so a link to one is
    refused and audited exactly as a typed URL is.
    """
    target, query = st.session_state.pop(AFTER_SIGN_IN, ("", {}))
    page = pages.get(target)
    if page is None or (page.url_path == current.url_path and st.query_params.to_dict() == query):
        return
    st.query_params.clear()
    st.switch_page(page, query_params=query)


def idle_warning() -> None:
    """Warn in the sidebar before the idle timeout ends the session (checked each minute).

    The check runs as a fragment, which is not activity: only what the person does keeps the
    session alive. It never signs anyone out itself, so a form being typed stays in the browser
    until the next click, whose values are kept across the sign-in (ui/kept_input.py).
    """
    from datetime import timedelta

    from kodomo_dash.security.totp import utcnow
    from kodomo_dash.ui.i18n import t
    from kodomo_dash.ui.signin import K_SESSION

    @st.fragment(run_every=timedelta(seconds=60))
    def warn() -> None:
        info = st.session_state.get(K_SESSION)
        if info is None:
            return
        left = sessions.idle_left(info, utcnow(), sessions.configured_policy())
        if left <= sessions.WARN_BEFORE:
            st.warning(t("auth.idle_warning", minutes=max(0, int(left.total_seconds() // 60))),
                       icon=":material/timer:")  # fmt: skip

    with st.sidebar:
        warn()


def logout_button(logout: Callable[[], None]) -> None:
    from kodomo_dash.ui.i18n import t

    if st.sidebar.button(t("auth.logout"), key="kd_logout_btn", icon=":material/logout:"):
        logout()
        st.session_state[K_MESSAGE] = ui_text("auth.logged_out")
        # The next person to sign in at this browser starts at home, not on the last card shown.
        st.session_state[AFTER_SIGN_IN] = (HOME_PAGE, {})
        st.query_params.clear()
        st.rerun()


def user_badge(p: Principal) -> None:
    from kodomo_dash.ui.i18n import t

    scope = ""
    if p.ward_codes:
        scope = t("auth.scope.ward", codes=", ".join(p.ward_codes))
    elif p.school_codes:
        scope = t("auth.scope.school", codes=", ".join(p.school_codes))
    # st.caption renders markdown: user-controlled text goes through plain text elements.
    st.sidebar.text(f"{p.display_name or p.username}（{p.username}）")
    st.sidebar.caption(t(f"auth.role.{p.role}") + (f" / {scope}" if scope else ""))


def allowed_pages(specs, p: Principal | None) -> list:
    """The screens this principal may open: navigation specs filtered by the matrix."""
    return [s for s in specs if matrix.can(p, s.key, "view")]


def refusal_page(key: str) -> Callable[[], None]:
    """A hidden stand-in for a screen the role may not open: refuse (audited) and stop."""

    def refuse() -> None:
        from kodomo_dash.ui.signin import require_page

        require_page(current_principal(), key, "view")

    refuse.__name__ = f"refused_{key}"
    return refuse
