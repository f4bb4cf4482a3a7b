"""The real streamlit-authenticator 0.4.2 login widget under AppTest, with our gaps closed.

Drives: password -> TOTP -> signed in; TOTP replay; lockout on the form, expiry after 30
minutes; idle timeout; password change (epoch) ending a session; over-long passwords; and the
re-login cookie path (lockout and epoch honoured, TOTP still required). Time is injected through
KD_FAKE_NOW, the cookie through KD_FAKE_COOKIE (the widget's own get_cookie is replaced).
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta

import duckdb
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest
from streamlit_authenticator.controllers.cookie_controller import CookieController

from kodomo_dash.infra.migrate import migrate
from kodomo_dash.security import audit, sessions, totp, users

T0 = datetime(2026, 4, 1, 9, 0, 0)
COOKIE_KEY = "test-cookie-key-0123456789-abcdefghijklmnop"


def _app(users_path: str, db_path: str, cookie_key: str) -> None:
    import os
    from contextlib import contextmanager
    from datetime import datetime as _dt
    from pathlib import Path

    import duckdb as _duckdb
    import streamlit as st

    from kodomo_dash.ui.signin import AuthConfig, LoginFlow

    @contextmanager
    def conn():
        c = _duckdb.connect(db_path)
        try:
            yield c
        finally:
            c.close()

    def now():
        return _dt.fromisoformat(os.environ["KD_FAKE_NOW"])

    flow = LoginFlow(AuthConfig(cookie_key=cookie_key, users_path=Path(users_path), login_sleep=0), conn, now)
    p = flow.principal()
    if p is None:
        st.stop()
    st.markdown(f"SIGNED_IN {p.username} {p.role} {','.join(p.ward_codes)} epoch={p.session_epoch}")
    flow.logout_button("main")


@pytest.fixture()
def env(tmp_path, monkeypatch):
    upath = tmp_path / "users.yaml"
    creds = {c.username: c for c in users.create_demo_users(upath, rounds=4)}
    db = tmp_path / "casework.duckdb"
    c = duckdb.connect(str(db))
    migrate(c)
    c.close()
    monkeypatch.setenv("KD_FAKE_NOW", T0.isoformat())
    monkeypatch.delenv("KD_FAKE_COOKIE", raising=False)
    real_get_cookie = CookieController.get_cookie

    def get_cookie(self):
        """The browser's cookie, from KD_FAKE_COOKIE; like the real one, none after a logout."""
        fake = os.environ.get("KD_FAKE_COOKIE")
        if not fake:
            return real_get_cookie(self)
        return None if st.session_state.get("logout") else json.loads(fake)

    monkeypatch.setattr(CookieController, "get_cookie", get_cookie)
    return {"users": upath, "db": db, "creds": creds, "mp": monkeypatch}


def set_now(env, t: datetime) -> None:
    env["mp"].setenv("KD_FAKE_NOW", t.isoformat())


def app(env) -> AppTest:
    at = AppTest.from_function(_app, args=(str(env["users"]), str(env["db"]), COOKIE_KEY), default_timeout=30)
    return run(at)


def run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def field(at: AppTest, label: str):
    return next(t for t in at.text_input if t.label == label)


def click(at: AppTest, label: str) -> AppTest:
    next(b for b in at.button if b.label == label).click()
    return run(at)


def submit_password(at: AppTest, username: str, password: str) -> AppTest:
    field(at, "ユーザー名").input(username)
    field(at, "パスワード").input(password)
    return click(at, "ログイン")


def submit_code(at: AppTest, code: str) -> AppTest:
    field(at, "確認コード（6桁）").input(code)
    return click(at, "確認")


def texts(at: AppTest) -> str:
    return " ".join(
        [m.value for m in at.markdown]
        + [e.value for e in at.error]
        + [i.value for i in at.info]
        + [s.value for s in at.subheader]
    )


def signed_in(at: AppTest) -> bool:
    return any(m.value.startswith("SIGNED_IN") for m in at.markdown)


def login(env, username="ward_staff", at_time=T0) -> AppTest:
    set_now(env, at_time)
    c = env["creds"][username]
    at = submit_password(app(env), c.username, c.password)
    assert "確認コード" in texts(at) and not signed_in(at)
    return submit_code(at, totp.current_code(c.totp_secret, at_time))


def audit_rows(env, **kw):
    c = duckdb.connect(str(env["db"]))
    try:
        return audit.query(c, **kw)[::-1]
    finally:
        c.close()


def test_password_then_totp_signs_in_with_scope(env):
    at = login(env)
    assert signed_in(at)
    assert "SIGNED_IN ward_staff ward_staff 40131 epoch=0" in texts(at)
    rows = audit_rows(env, action="login")
    assert [(r["username"], r["role"]) for r in rows] == [("ward_staff", "ward_staff")]
    # Logging out ends the session and is audited.
    at = click(at, "ログアウト")
    assert not signed_in(at) and "ログアウトしました" in texts(at)
    assert audit_rows(env, action="logout")[-1]["username"] == "ward_staff"


def test_wrong_password_is_generic_and_audited_without_the_typed_text(env):
    at = submit_password(app(env), "ward_staff", "wrong-password-123")
    assert "ユーザー名またはパスワードが正しくありません" in texts(at) and not signed_in(at)
    at = submit_password(at, "my-secret-typed-in-user-box", "whatever-else-123")
    rows = audit_rows(env, action="login_failed")
    assert [r["username"] for r in rows] == ["ward_staff", "unknown"]
    assert "my-secret" not in str(rows)


def test_totp_code_cannot_be_replayed(env):
    assert signed_in(login(env))
    c = env["creds"]["ward_staff"]
    at = submit_password(app(env), c.username, c.password)  # a second browser, same 30 s window
    at = submit_code(at, totp.current_code(c.totp_secret, T0))
    assert not signed_in(at) and "既に使用" in texts(at)
    assert audit_rows(env, action="login_failed")[-1]["username"] == "ward_staff"


def test_wrong_totp_codes_count_towards_lockout(env):
    c = env["creds"]["manager"]
    at = submit_password(app(env), c.username, c.password)
    good = totp.current_code(c.totp_secret, T0)
    bad = f"{(int(good) + 1) % 1_000_000:06d}"
    for _ in range(5):
        at = submit_code(at, bad)
        assert not signed_in(at)
    at = submit_code(at, bad)  # the sixth failure locks and returns to the login form
    assert "ロック" in texts(at) and not signed_in(at)
    at = submit_password(at, c.username, c.password)
    assert "ロック" in texts(at) and "確認コード（6桁）" not in [t.label for t in at.text_input]


def test_lockout_after_six_failures_and_unlock_after_thirty_minutes(env):
    c = env["creds"]["ward_staff"]
    at = app(env)
    for i in range(6):
        at = submit_password(at, c.username, f"wrong-password-{i:03d}")
    assert "ロック" in texts(at)
    at = submit_password(at, c.username, c.password)  # right password, still locked
    assert "ロック" in texts(at) and "確認コード" not in texts(at)
    assert audit_rows(env, action="login_failed")[-1]["detail"] == '{"method":"password","reason":"locked"}'
    set_now(env, T0 + timedelta(minutes=29))
    at = submit_password(app(env), c.username, c.password)
    assert "ロック" in texts(at)
    at = login(env, at_time=T0 + timedelta(minutes=31))
    assert signed_in(at)


def test_password_over_72_bytes_is_a_counted_failure_not_an_error(env):
    at = submit_password(app(env), "ward_staff", "長" * 30)
    assert "正しくありません" in texts(at)
    assert audit_rows(env, action="login_failed")[-1]["username"] == "ward_staff"


def test_idle_timeout_logs_out(env):
    at = login(env)
    set_now(env, T0 + timedelta(minutes=20))
    assert signed_in(run(at))
    set_now(env, T0 + timedelta(minutes=51))
    at = run(at)
    assert not signed_in(at) and "操作がなかった" in texts(at)
    assert audit_rows(env, action="logout")[-1]["detail"] == '{"reason":"idle"}'


def test_password_change_elsewhere_ends_the_session_at_once(env):
    at = login(env)
    c = duckdb.connect(str(env["db"]))
    users.set_password(c, "ward_staff", "a-brand-new-passphrase", "admin", path=env["users"], rounds=4)
    c.close()
    set_now(env, T0 + timedelta(minutes=1))
    at = run(at)
    assert not signed_in(at) and "パスワードの変更" in texts(at)


def test_revoked_role_change_applies_on_next_rerun(env):
    at = login(env)
    import yaml

    raw = yaml.safe_load(env["users"].read_text())
    raw["users"]["ward_staff"]["ward_codes"] = ["40132"]
    env["users"].write_text(yaml.safe_dump(raw, allow_unicode=True) + "# scope changed\n")
    assert "SIGNED_IN ward_staff ward_staff 40132" in texts(run(at))


def _cookie(env, username: str, issued: datetime) -> None:
    exp = (issued + timedelta(days=0.5)).replace(tzinfo=UTC).timestamp()
    env["mp"].setenv("KD_FAKE_COOKIE", json.dumps({"username": username, "exp_date": exp}))


def test_cookie_relogin_still_needs_totp(env):
    c = env["creds"]["yotaikyo"]
    _cookie(env, "yotaikyo", T0 - timedelta(hours=1))
    at = app(env)
    assert not signed_in(at) and "確認コード（6桁）" in [t.label for t in at.text_input]
    at = submit_code(at, totp.current_code(c.totp_secret, T0))
    assert signed_in(at)
    assert audit_rows(env, action="login")[-1]["detail"] == '{"method":"cookie"}'
    # The absolute limit counts from the cookie's issue, not from the re-login.
    set_now(env, T0 + timedelta(hours=11, minutes=1))
    assert not signed_in(run(at))


def test_cookie_from_before_a_password_change_is_refused(env):
    c = duckdb.connect(str(env["db"]))
    sessions.bump_epoch(c, "yotaikyo", "password_change", T0 - timedelta(minutes=30))
    c.close()
    _cookie(env, "yotaikyo", T0 - timedelta(hours=1))
    at = app(env)
    assert "確認コード（6桁）" not in [t.label for t in at.text_input]
    assert "ユーザー名" in [t.label for t in at.text_input]
    assert (
        audit_rows(env, action="login_failed")[-1]["detail"] == '{"method":"cookie","reason":"stale_cookie"}'
    )


def test_cookie_does_not_skip_the_lockout(env):
    at = app(env)
    for i in range(6):
        at = submit_password(at, "yotaikyo", f"wrong-password-{i:03d}")
    _cookie(env, "yotaikyo", T0 - timedelta(minutes=10))
    at = app(env)
    assert "確認コード（6桁）" not in [t.label for t in at.text_input]
    assert audit_rows(env, action="login_failed")[-1]["detail"] == '{"method":"cookie","reason":"locked"}'


def _page(role: str, page: str) -> None:
    import streamlit as st

    from kodomo_dash.security.principal import Principal
    from kodomo_dash.ui.signin import require_page

    require_page(Principal("someone", role, ward_codes=("40131",), school_codes=("401001",)), page)
    st.markdown("PAGE CONTENT")


@pytest.mark.parametrize(
    "role, page, shown",
    [
        ("school", "audit_log", False),
        ("school", "child_card", False),
        ("admin", "audit_log", True),
        ("ward_staff", "child_card", True),
    ],
)
def test_page_opened_without_the_right_refuses(role, page, shown):
    at = run(AppTest.from_function(_page, args=(role, page), default_timeout=30))
    assert any(m.value == "PAGE CONTENT" for m in at.markdown) is shown
    if not shown:
        assert "権限がありません" in at.error[0].value
