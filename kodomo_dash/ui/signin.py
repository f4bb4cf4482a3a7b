"""The sign-in flow: streamlit-authenticator's login widget, with its gaps closed.

streamlit-authenticator 0.4.2 renders the login form, checks the bcrypt hash and keeps a
re-login cookie (a JWT of username + expiry, signed with the cookie key). Its gaps, and
what this module does about each:

* Permanent lockout (max_login_attempts) -> never passed; our time-based lockout is
  checked *before* the password is compared, on every path (form, cookie, TOTP step).
* The cookie re-login skips the failure counter -> a locked account cannot use a cookie,
  and a cookie re-login still needs a fresh TOTP code (counted like a password guess).
* The cookie survives a password change / revoke -> a cookie issued before the user's
  last epoch bump is refused and deleted; sessions carry the epoch and end when it moves.
* Its own 2FA e-mails 4-digit codes via a remote service -> not used; pyotp TOTP instead.
* bcrypt 5 raises on > 72-byte passwords, which the widget swallows without counting a
  failure -> we count it and never hand such input to bcrypt.
* Idle and absolute timeouts do not exist -> checked on every rerun (sessions.py).

How it hooks in: the widget calls `authenticator.authentication_controller.login(...)`
for both the form and the cookie; we replace that bound method on the instance with a
guard that runs our checks and then calls the original. The pinned version (0.4.2) is
covered by tests/ui/test_signin.py, which drives the real widget under AppTest.

Use from app.py, first thing on every rerun:

    flow = LoginFlow(AuthConfig(cookie_key=load_cookie_key(st.secrets)), handle.connection)
    principal = flow.principal()
    if principal is None:
        st.stop()

Only the returned Principal means "signed in": st.session_state["authentication_status"]
is already True between the password and the TOTP step.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import bcrypt
import duckdb
import streamlit as st

from kodomo_dash.security import audit, lockout, passwords, sessions, totp
from kodomo_dash.security.lockout import LockoutPolicy
from kodomo_dash.security.principal import Principal
from kodomo_dash.security.sessions import SessionPolicy
from kodomo_dash.security.users import UserRecord, authenticator_credentials, load_users

K_SESSION = "kd_auth_session"
K_PENDING = "kd_auth_pending"
K_MESSAGE = "kd_auth_message"
K_ERROR = "kd_auth_error"
PENDING_MAX = timedelta(minutes=5)
MIN_COOKIE_KEY = 32
_PLACEHOLDERS = ("change", "example", "replace", "xxxx", "secret-key", "some_key")

LOGIN_FIELDS_JA = {
    "Form name": "ログイン",
    "Username": "ユーザー名",
    "Password": "パスワード",
    "Login": "ログイン",
}
GENERIC_FAILURE_JA = "ユーザー名またはパスワードが正しくありません。"
TOTP_FAILURE_JA = "確認コードが正しくないか、既に使用されています。次のコードをお待ちください。"


class CookieKeyMissing(RuntimeError):
    """The app must not start without a cookie key from secrets."""


def load_cookie_key(secrets: Mapping[str, Any]) -> str:
    """secrets.toml [auth] cookie_key: at least 32 characters, not a placeholder.

    The cookie key signs the re-login cookie; a default or example key would let anyone
    forge a cookie for any username, so the app refuses to start instead.
    """
    try:
        section = secrets.get("auth") or {}
        key = section.get("cookie_key")
    except Exception:  # st.secrets raises if no secrets.toml exists at all
        key = None
    if not key or not isinstance(key, str):
        raise CookieKeyMissing(
            "secrets.toml の [auth] cookie_key が設定されていないため起動できません。"
            " python -c 'import secrets; print(secrets.token_urlsafe(32))' で生成して設定してください。"
            " / [auth] cookie_key is missing from .streamlit/secrets.toml."
        )
    if len(key) < MIN_COOKIE_KEY or any(p in key.lower() for p in _PLACEHOLDERS):
        raise CookieKeyMissing(
            f"[auth] cookie_key は{MIN_COOKIE_KEY}文字以上のランダムな値にしてください（例の値は使えません）。"
            f" / [auth] cookie_key must be >= {MIN_COOKIE_KEY} random characters, not the example value."
        )
    return key


@dataclass(frozen=True)
class AuthConfig:
    cookie_key: str
    cookie_name: str = "kodomo_dash_auth"
    cookie_expiry_days: float = 0.5  # = the 12 h absolute limit
    users_path: Path | None = None
    lockout: LockoutPolicy = field(default_factory=LockoutPolicy)
    session: SessionPolicy = field(default_factory=SessionPolicy)
    login_sleep: float = 0.7  # streamlit-authenticator's pause before showing the form


Connection = Callable[[], AbstractContextManager[duckdb.DuckDBPyConnection]]


class LoginFlow:
    """Sign-in state machine per browser session: form -> TOTP -> signed in -> out."""

    def __init__(self, config: AuthConfig, connection: Connection, now: Callable[[], datetime] = totp.utcnow):
        self.config = config
        self.connection = connection
        self.now = now
        self._authenticator = None

    # ----------------------------------------------------------------- public

    def principal(self) -> Principal | None:
        """Render whatever sign-in step is due; return the Principal once fully signed in."""
        ss = st.session_state
        now = self.now()
        users = load_users(self.config.users_path)
        auth = self._make_authenticator(users)
        info: sessions.SessionInfo | None = ss.get(K_SESSION)
        if info is not None:
            with self.connection() as con:
                epoch = sessions.get_epoch(con, info.username)
            user = users.get(info.username)
            check = sessions.check(info, epoch, now, self.config.session, active=bool(user and user.active))
            if check.ok:
                ss[K_SESSION] = sessions.touch(info, now)
                return user.principal(epoch)
            self._end(auth, info.username, check.reason)
            ss[K_MESSAGE] = check.message_ja()

        pending = ss.get(K_PENDING)
        if pending and (not ss.get("authentication_status") or now - pending["at"] > PENDING_MAX):
            self._end(auth, None, "pending_expired")
            pending = None
        if pending is None:
            if ss.get(K_MESSAGE):
                st.info(ss[K_MESSAGE])
            auth.login(location="main", fields=LOGIN_FIELDS_JA, key="kd_login")
            pending = ss.get(K_PENDING)
            if pending is None:
                if ss.get(K_ERROR):
                    st.error(ss.pop(K_ERROR))
                return None
        return self._totp_step(auth, users, pending, now)

    def logout(self, reason: str = "user") -> None:
        info = st.session_state.get(K_SESSION)
        self._end(self._authenticator, info.username if info else None, reason)

    def logout_button(self, location: str = "sidebar") -> None:
        target = st.sidebar if location == "sidebar" else st
        if target.button("ログアウト", key="kd_logout"):
            self.logout("user")
            st.session_state[K_MESSAGE] = "ログアウトしました。"
            st.rerun()

    # ----------------------------------------------------------------- internals

    def _make_authenticator(self, users: dict[str, UserRecord]):
        import streamlit_authenticator as stauth

        auth = stauth.Authenticate(
            authenticator_credentials(users),
            cookie_name=self.config.cookie_name,
            cookie_key=self.config.cookie_key,
            cookie_expiry_days=self.config.cookie_expiry_days,
            auto_hash=False,
            login_sleep_time=self.config.login_sleep,
        )
        controller = auth.authentication_controller
        original = controller.login
        controller.login = self._guard(auth, users, original)
        self._authenticator = auth
        return auth

    def _guard(self, auth, users: dict[str, UserRecord], original: Callable[..., Any]) -> Callable[..., Any]:
        cfg = self.config

        def guarded(
            username=None,
            password=None,
            max_concurrent_users=None,
            max_login_attempts=None,
            token=None,
            single_session=False,
            callback=None,
            captcha=False,
            entered_captcha=None,
        ):
            ss = st.session_state
            now = self.now()
            if username:
                name = lockout.normalise_username(username)
                known = name if name in users else "unknown"
                with self.connection() as con:
                    status = lockout.status(con, name, now, cfg.lockout)
                    if status.locked:
                        audit.record(
                            con,
                            known,
                            "login_failed",
                            detail={"reason": "locked", "method": "password"},
                            now=now,
                        )
                        ss[K_ERROR] = status.message_ja()
                        return False
                    pw = passwords.normalise(password or "")
                    ok = False
                    if not (name in users and users[name].active):
                        # Same bcrypt work as for a real account: response time must not tell.
                        passwords.verify_password(pw, _dummy_hash())
                    elif len(pw.encode("utf-8")) <= passwords.MAX_BYTES:
                        ok = bool(
                            original(
                                name,
                                pw,
                                None,
                                None,
                                single_session=False,
                                callback=None,
                                captcha=captcha,
                                entered_captcha=entered_captcha,
                            )
                        )
                    if ok:
                        ss[K_PENDING] = {
                            "username": name,
                            "method": "password",
                            "authenticated_at": now,
                            "at": now,
                        }
                        return True
                    status = lockout.record_failure(con, name, now, cfg.lockout)
                    audit.record(
                        con,
                        known,
                        "login_failed",
                        detail={"reason": "password", "method": "password", "locked": status.locked},
                        now=now,
                    )
                ss["authentication_status"] = False
                ss[K_ERROR] = status.message_ja() if status.locked else GENERIC_FAILURE_JA
                return False
            if token:
                name = lockout.normalise_username(token.get("username"))
                user = users.get(name)
                with self.connection() as con:
                    reason = None
                    if user is None or not user.active:
                        reason = "inactive"
                    elif lockout.status(con, name, now, cfg.lockout).locked:
                        reason = "locked"
                    else:
                        issued = sessions.cookie_issued_at(
                            float(token.get("exp_date", 0)), cfg.cookie_expiry_days
                        )
                        if not sessions.cookie_acceptable(
                            issued, sessions.epoch_changed_at(con, name), now, cfg.session
                        ):
                            reason = "stale_cookie"
                    if reason:
                        audit.record(
                            con,
                            name if user else "unknown",
                            "login_failed",
                            detail={"reason": reason, "method": "cookie"},
                            now=now,
                        )
                        _delete_cookie(auth)
                        return None
                original(token=token)
                if ss.get("authentication_status"):
                    ss[K_PENDING] = {
                        "username": name,
                        "method": "cookie",
                        "authenticated_at": issued,
                        "at": now,
                    }
                return None
            return None

        return guarded

    def _totp_step(
        self, auth, users: dict[str, UserRecord], pending: dict, now: datetime
    ) -> Principal | None:
        ss = st.session_state
        user = users.get(pending["username"])
        st.subheader("確認コード")
        st.caption("認証アプリに表示されている6桁の確認コードを入力してください（30秒ごとに変わります）。")
        with st.form("kd_totp", clear_on_submit=True):
            code = st.text_input("確認コード（6桁）", max_chars=12, autocomplete="one-time-code")
            submitted = st.form_submit_button("確認")
        if st.button("ログイン画面に戻る", key="kd_totp_cancel"):
            self._end(auth, None, "cancelled")
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
                audit.record(
                    con, user.principal(epoch), "login", detail={"method": pending["method"]}, now=now
                )
                ss[K_SESSION] = sessions.start(
                    user.username, epoch, now, pending["authenticated_at"], pending["method"]
                )
                ss.pop(K_PENDING, None)
                ss.pop(K_MESSAGE, None)
                st.rerun()
            if not status.locked:
                status = lockout.record_failure(con, pending["username"], now, self.config.lockout)
            audit.record(
                con,
                pending["username"],
                "login_failed",
                detail={"reason": "locked" if status.locked else "totp", "method": pending["method"]},
                now=now,
            )
        if status.locked:
            self._end(auth, None, "locked")
            ss[K_MESSAGE] = status.message_ja()
            st.rerun()
        st.error(TOTP_FAILURE_JA)
        return None

    def _end(self, auth, username: str | None, reason: str) -> None:
        """Forget every sign-in trace of this browser session and delete the re-login cookie."""
        ss = st.session_state
        if username:
            with self.connection() as con:
                audit.record(con, username, "logout", detail={"reason": reason}, now=self.now())
        if auth is not None:
            auth.authentication_controller.logout()
            _delete_cookie(auth)
        for k in (K_SESSION, K_PENDING):
            ss.pop(k, None)


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
        st.error(str(e))
        st.stop()


def _delete_cookie(auth) -> None:
    """Delete the re-login cookie at most once per run (its component has a fixed key)."""
    if getattr(auth, "_kd_cookie_deleted", False):
        return
    auth._kd_cookie_deleted = True
    auth.cookie_controller.delete_cookie()
