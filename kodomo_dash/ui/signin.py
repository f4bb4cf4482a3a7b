"""Sign-in: a password, then a TOTP code, then a session the server can end (decision 060).

The form, the lockout, the code step and the session row are all ours; nothing that signs a user
in is kept in the browser. Earlier the sign-in widget of streamlit-authenticator kept a re-login
cookie that page scripts could read, that outlived ログアウト and that the server could not
revoke; Streamlit cannot set an HttpOnly cookie from Python, so the cookie went and a reload asks
for the password and code again. What is checked, and where:

* Time-based lockout (lockout.py) before the password is compared, on the form and the code step;
  a wrong code counts like a wrong password.
* Unknown and inactive names cost the same bcrypt work as real ones (no timing oracle); input
  over bcrypt's 72 bytes is a counted failure, never an error.
* Only the returned Principal means "signed in": between the password and the code nothing of the
  product is shown.
* Every rerun validates the session row (sessions.validate): sign-out, an administrator, a
  password change or deactivation, and the idle and absolute timeouts end it at once; so does a
  rerun from another client address than sign-in came from (``client_address``; behind the city's
  proxy, its X-Forwarded-For when sessions.yaml says ``trusted_proxy: true``).
* Where a city has configured its identity provider (an ``[auth]`` section in Streamlit's
  secrets), a button 「自治体の認証基盤でログイン」 beside the form signs in through it with st.login
  (decision 064): the identity Streamlit reads from its HttpOnly cookie is matched to the user
  list and bound to the provider sign-in (security/oidc.py), so a copy of that cookie taken before
  ログアウト is refused after it. Sign-out also calls st.logout, which clears the cookie.

Use from the gate, first thing on every rerun:

    flow = LoginFlow(AuthConfig(), casework_connection)
    principal = flow.principal()
    if principal is None:
        st.stop()
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import bcrypt
import duckdb
import streamlit as st

from kodomo_dash.config.messages import Joined, Localized, msg
from kodomo_dash.security import audit, lockout, oidc, passwords, sessions, totp
from kodomo_dash.security.lockout import LockoutPolicy
from kodomo_dash.security.principal import Principal
from kodomo_dash.security.sessions import SessionPolicy
from kodomo_dash.security.users import UserRecord, load_users
from kodomo_dash.ui import kept_input
from kodomo_dash.ui.i18n import error_text, t

K_SESSION = "kd_auth_session"
K_PENDING = "kd_auth_pending"
K_MESSAGE = "kd_auth_message"
K_ERROR = "kd_auth_error"
K_OIDC_TRIED = "kd_auth_oidc_tried"  # the identity this browser session already presented (once)
K_OIDC_ERROR = "kd_auth_oidc_error"
PENDING_MAX = timedelta(minutes=5)

# What the sign-in page says is kept as a Message (K_MESSAGE, K_ERROR, K_OIDC_ERROR hold one) and worded
# when shown, in the language the viewer has chosen by then (the toggle is on this page too).
GENERIC_FAILURE = msg("signin.failed")
TOTP_FAILURE = msg("signin.totp_failed")


def ui_text(key: str) -> Localized:
    """A UI text (``ui/messages``) in both languages, to keep in session state until it is shown."""
    return Localized(t(key, "ja"), t(key, "en"))


@dataclass(frozen=True)
class AuthConfig:
    users_path: Path | None = None
    lockout: LockoutPolicy = field(default_factory=LockoutPolicy)
    session: SessionPolicy = field(default_factory=sessions.configured_policy)


Connection = Callable[[], AbstractContextManager[duckdb.DuckDBPyConnection]]


class LoginFlow:
    """Sign-in state machine per browser session: form -> TOTP -> signed in -> out."""

    def __init__(self, config: AuthConfig, connection: Connection, now: Callable[[], datetime] = totp.utcnow,
                 address: Callable[[SessionPolicy], str] | None = None):
        self.config = config
        self.connection = connection
        self.now = now
        self._address = address

    def address(self) -> str:
        """Where this run's request comes from (``client_address`` unless a test gives its own)."""
        return (self._address or client_address)(self.config.session)

    # ----------------------------------------------------------------- public

    def principal(self) -> Principal | None:
        """Render whatever sign-in step is due; return the Principal once fully signed in."""
        ss = st.session_state
        now = self.now()
        users = load_users(self.config.users_path)
        info: sessions.SessionInfo | None = ss.get(K_SESSION)
        if info is not None:
            user = users.get(info.username)
            with self.connection() as con:
                check, epoch = sessions.validate(con, info, now, self.config.session,
                                                 active=bool(user and user.active), address=self.address())  # fmt: skip
                if check.ok:
                    ss[K_SESSION] = sessions.touch(con, info, now, self.config.session)
                    return user.principal(epoch)
            if check.reason in ("idle", "absolute") and kept_input.keep(info.username):
                ss[K_MESSAGE] = Joined((check.message(), msg("signin.kept_input")))
            else:
                ss[K_MESSAGE] = check.message()
            if check.reason == "address_changed":
                self._refuse_moved(info)
            else:
                self._end(info, check.reason, already_ended=check.reason in ("ended", "unknown"))

        provider = oidc_provider()
        if provider is not None and ss.get(K_PENDING) is None:
            signed_in = self._oidc_step(users, now)
            if signed_in is not None:
                return signed_in

        pending = ss.get(K_PENDING)
        if pending and now - pending["at"] > PENDING_MAX:
            self._end(None, "pending_expired")
            pending = None
        if pending is None:
            if ss.get(K_MESSAGE):
                st.info(error_text(ss[K_MESSAGE]))
            self._password_step(users, now)
            pending = ss.get(K_PENDING)
            if pending is None:
                if ss.get(K_ERROR):
                    st.error(error_text(ss.pop(K_ERROR)))
                if provider is not None:
                    self._oidc_button(provider)
                return None
        return self._totp_step(users, pending, now)

    def logout(self, reason: str = "user") -> None:
        info: sessions.SessionInfo | None = st.session_state.get(K_SESSION)
        self._end(info, reason)
        if info is not None and info.method == oidc.METHOD and _oidc_user():
            # Streamlit's identity cookie goes too (and the provider's session, where it offers
            # RP-initiated logout); the browser is sent through the provider and back to the form.
            st.logout()

    def logout_button(self, location: str = "sidebar") -> None:
        target = st.sidebar if location == "sidebar" else st
        if target.button(t("auth.logout"), key="kd_logout"):
            self.logout("user")
            st.session_state[K_MESSAGE] = ui_text("auth.logged_out")
            st.rerun()

    # ----------------------------------------------------------------- internals

    def _password_step(self, users: dict[str, UserRecord], now: datetime) -> None:
        with st.form("kd_login", clear_on_submit=True, enter_to_submit=True):
            st.subheader(t("auth.form.title"))
            username = st.text_input(t("auth.form.username"), key="kd_login_username", autocomplete="username")
            password = st.text_input(t("auth.form.password"), type="password", key="kd_login_password",
                                     autocomplete="current-password")  # fmt: skip
            submitted = st.form_submit_button(t("auth.form.submit"))
        if submitted and username:
            self._check_password(users, username, password or "", now)

    def _oidc_step(self, users: dict[str, UserRecord], now: datetime) -> Principal | None:
        """Sign in the identity Streamlit holds (st.user), once per identity and browser session."""
        ss = st.session_state
        claims = _oidc_user()
        if not claims:
            return None
        seen = (claims.get("iss"), claims.get("sub"), claims.get("iat"), claims.get("nonce"))
        if ss.get(K_OIDC_TRIED) == seen:
            return None  # refused before in this browser session: audited once, not on every rerun
        ss[K_OIDC_TRIED] = seen
        with self.connection() as con:
            out = oidc.sign_in(con, users, claims, now, self.config.session, address=self.address())
        if not out.ok:
            ss[K_OIDC_ERROR] = out.message()
            return None
        ss[K_SESSION] = out.session
        kept_input.signed_in(out.username)
        ss.pop(K_MESSAGE, None)
        ss.pop(K_OIDC_ERROR, None)
        return users[out.username].principal(out.session.epoch)

    def _oidc_button(self, provider: str) -> None:
        ss = st.session_state
        if ss.get(K_OIDC_ERROR):
            st.error(error_text(ss[K_OIDC_ERROR]), icon=":material/no_accounts:")
        st.caption(t("auth.oidc.or"))
        if st.button(t("auth.oidc.button"), key="kd_login_oidc", icon=":material/account_balance:"):
            ss.pop(K_OIDC_ERROR, None)
            st.login(provider)

    def _check_password(self, users: dict[str, UserRecord], username: str, password: str, now: datetime) -> None:
        ss = st.session_state
        name = lockout.normalise_username(username)
        known = name if name in users else "unknown"
        with self.connection() as con:
            status = lockout.status(con, name, now, self.config.lockout)
            if status.locked:
                audit.record(con, known, "login_failed", detail={"reason": "locked", "method": "password"}, now=now)
                ss[K_ERROR] = status.message()
                return
        # bcrypt (~0.3 s at the production cost) runs outside any unit of work: casework is not held
        # while it works, so other people's clicks do not queue behind a sign-in (decision 068).
        pw = passwords.normalise(password)
        ok = False
        if not (name in users and users[name].active):
            # Same bcrypt work as for a real account: response time must not tell.
            passwords.verify_password(pw, _dummy_hash())
        elif len(pw.encode("utf-8")) <= passwords.MAX_BYTES:
            ok = passwords.verify_password(pw, users[name].password_hash)
        if ok:
            ss[K_PENDING] = {"username": name, "method": "password", "authenticated_at": now, "at": now}
            ss.pop(K_ERROR, None)
            return
        with self.connection() as con:
            status = lockout.record_failure(con, name, now, self.config.lockout)
            audit.record(con, known, "login_failed",
                         detail={"reason": "password", "method": "password", "locked": status.locked}, now=now)  # fmt: skip
        ss[K_ERROR] = status.message() if status.locked else GENERIC_FAILURE

    def _totp_step(self, users: dict[str, UserRecord], pending: dict, now: datetime) -> Principal | None:
        ss = st.session_state
        user = users.get(pending["username"])
        st.subheader(t("auth.totp.title"))
        st.caption(t("auth.totp.help"))
        with st.form("kd_totp", clear_on_submit=True):
            code = st.text_input(t("auth.totp.code"), max_chars=12, autocomplete="one-time-code")
            submitted = st.form_submit_button(t("auth.totp.submit"))
        if st.button(t("auth.totp.back"), key="kd_totp_cancel"):
            self._end(None, "cancelled")
            st.rerun()
        if not submitted:
            return None
        with self.connection() as con:
            status = lockout.status(con, pending["username"], now, self.config.lockout)
            ok = (
                not status.locked
                and user is not None
                and user.active
                and totp.verify_and_consume(con, user.username, user.totp_secret, code, now)
            )
            if ok:
                lockout.record_success(con, user.username)
                epoch = sessions.get_epoch(con, user.username)
                info = sessions.start(con, user.username, epoch, now, pending["authenticated_at"], pending["method"],
                                      address=self.address())
                audit.record(con, user.principal(epoch), "login",
                             detail={"method": pending["method"], "session": info.short_id}, now=now)  # fmt: skip
                ss[K_SESSION] = info
                kept_input.signed_in(user.username)
                ss.pop(K_PENDING, None)
                ss.pop(K_MESSAGE, None)
                st.rerun()
            if not status.locked:
                status = lockout.record_failure(con, pending["username"], now, self.config.lockout)
            audit.record(con, pending["username"], "login_failed",
                         detail={"reason": "locked" if status.locked else "totp", "method": pending["method"]},
                         now=now)  # fmt: skip
        if status.locked:
            self._end(None, "locked")
            ss[K_MESSAGE] = status.message()
            st.rerun()
        st.error(error_text(TOTP_FAILURE))
        return None

    def _refuse_moved(self, info: sessions.SessionInfo) -> None:
        """The session's id came back from another address (a copied id): end it and audit a refusal.

        Its provider sign-in ends too: whoever holds the id may also hold the identity cookie.
        Nothing typed is kept for the person at this browser, who may not be the session's user.
        """
        now = self.now()
        with self.connection() as con:
            sessions.end(con, info.session_id, "address_changed", by="system", now=now)
            if info.method == oidc.METHOD:
                oidc.end_for_session(con, info.session_id, "address_changed", by="system", now=now)
            audit.record(con, info.username, "login_failed",
                         detail={"reason": "address_changed", "session": info.short_id}, now=now)  # fmt: skip
        self._end(None, "address_changed")

    def _end(self, info: sessions.SessionInfo | None, reason: str, already_ended: bool = False) -> None:
        """Forget every sign-in trace of this browser session; end its row and audit why."""
        ss = st.session_state
        if info is not None:
            with self.connection() as con:
                if already_ended:  # a session ended elsewhere (sign-out, an administrator): refused, audited
                    audit.record(con, info.username, "login_failed",
                                 detail={"reason": "stale_session", "session": info.short_id}, now=self.now())  # fmt: skip
                else:
                    sessions.end(con, info.session_id, reason, by=info.username, now=self.now())
                    if info.method == oidc.METHOD:  # the provider sign-in ends with it (decision 064)
                        oidc.end_for_session(con, info.session_id, reason, by=info.username, now=self.now())
                    audit.record(con, info.username, "logout", detail={"reason": reason, "session": info.short_id},
                                 now=self.now())  # fmt: skip
        for k in (K_SESSION, K_PENDING):
            ss.pop(k, None)
        kept_input.forget_forms()


def session_alive(connection: Connection | None = None) -> bool:
    """Is this tab's session still valid on the server right now (without counting as activity)?"""
    info: sessions.SessionInfo | None = st.session_state.get(K_SESSION)
    if info is None:
        return False
    if connection is None:
        from kodomo_dash.infra.db import casework_connection as connection
    policy = sessions.configured_policy()
    with connection() as con:
        check, _epoch = sessions.validate(con, info, totp.utcnow(), policy, address=client_address(policy))
    return check.ok


def guarded(callback: Callable[..., Any]) -> Callable[..., Any]:
    """A widget callback that runs only while the session is alive.

    Streamlit runs a button's callback before the script, so before the gate: without this a click
    in a tab whose session had ended (sign-out elsewhere, an administrator, a timeout) would still
    save with the principal the last run captured. When the session has ended the click does
    nothing here, and the gate signs the tab out in the run that follows.
    """

    @functools.wraps(callback)
    def run(*args: Any, **kwargs: Any) -> Any:
        if not session_alive():
            return None
        return callback(*args, **kwargs)

    return run


def client_address(policy: SessionPolicy) -> str:
    """The address this run's request comes from, as sessions are bound to it (sessions.client_address).

    The peer of the browser's websocket (``st.context.ip_address``; Streamlit reports this machine
    as none), or, when the city's sessions.yaml says ``trusted_proxy: true``, the last entry of the
    X-Forwarded-For header the proxy sent with it.
    """
    try:
        peer = st.context.ip_address
        forwarded = st.context.headers.get_all("X-Forwarded-For") if policy.trusted_proxy else []
    except Exception:  # noqa: BLE001 - no script run context (bare mode): this machine
        peer, forwarded = None, []
    return sessions.client_address(peer, list(forwarded), policy.trusted_proxy)


def oidc_provider() -> str | None:
    """The provider st.login should use, when this deployment's secrets configure one; else None.

    ``[auth]`` with client_id, client_secret and server_metadata_url is Streamlit's default
    provider; ``[auth.<name>]`` sections are named ones (the first is used). Both need the shared
    redirect_uri and cookie_secret. Without any, the page shows only the password sign-in.
    """
    try:
        if not st.secrets.load_if_toml_exists():
            return None
        auth = st.secrets.get("auth")
    except Exception:  # noqa: BLE001 - a broken secrets file: the password sign-in still works
        return None
    if not auth or "redirect_uri" not in auth or "cookie_secret" not in auth:
        return None
    needed = {"client_id", "client_secret", "server_metadata_url"}
    if needed <= set(auth.keys()):
        return "default"
    named = [k for k, v in auth.items() if hasattr(v, "keys") and needed <= set(v.keys())]
    return named[0] if named else None


def _oidc_user() -> dict[str, Any]:
    """The identity token claims Streamlit holds for this browser session ({} when none)."""
    try:
        info = st.user.to_dict()
    except Exception:  # noqa: BLE001 - no script run context (bare mode): no identity
        return {}
    return info if info.get("is_logged_in") else {}


@cache
def _dummy_hash() -> str:
    return bcrypt.hashpw(b"kodomo-dash timing equaliser", bcrypt.gensalt(passwords.BCRYPT_ROUNDS)).decode()


def require_page(principal: Principal | None, page: str, action: str = "view") -> None:
    """First line of every page: a page opened by URL without the right shows a refusal and stops.

    The refusal is audited by matrix.require (through the recorder app.py registers).
    """
    from kodomo_dash.security.matrix import AccessDenied, require

    try:
        require(principal, page, action)
    except AccessDenied as e:
        st.error(error_text(e))
        st.stop()
