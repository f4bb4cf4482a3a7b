"""The sign-in flow under AppTest: password -> TOTP -> a session the server can end.

Drives: TOTP replay; lockout on the form, expiry after 30 minutes; idle and absolute timeouts;
password change (epoch) ending a session; sign-out ending the session row; a session ended on
the server refused at the next click; over-long passwords; and input typed into a form kept across
an expiry for the same person only. Time is injected through KD_FAKE_NOW.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from kodomo_dash.infra.migrate import migrate
from kodomo_dash.security import audit, sessions, totp, users

T0 = datetime(2026, 4, 1, 9, 0, 0)


def _app(users_path: str, db_path: str) -> None:
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

    def address(policy):  # the seam: where this run's request comes from (KD_FAKE_ADDRESS in a test)
        from kodomo_dash.ui.signin import client_address

        return os.environ.get("KD_FAKE_ADDRESS") or client_address(policy)

    flow = LoginFlow(AuthConfig(users_path=Path(users_path)), conn, now, address)
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
    return {"users": upath, "db": db, "creds": creds, "mp": monkeypatch}


def set_now(env, t: datetime) -> None:
    env["mp"].setenv("KD_FAKE_NOW", t.isoformat())


def app(env) -> AppTest:
    at = AppTest.from_function(_app, args=(str(env["users"]), str(env["db"])), default_timeout=30)
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
    assert audit_rows(env, action="logout")[-1]["detail"].startswith('{"reason":"idle","session":')


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


def session_rows(env) -> list[tuple]:
    c = duckdb.connect(str(env["db"]))
    try:
        return c.execute("select username, method, ended_at is not null, end_reason from auth_session"
                         " order by started_at").fetchall()  # fmt: skip
    finally:
        c.close()


def test_signing_in_opens_a_session_row_and_signing_out_ends_it(env):
    at = login(env)
    assert session_rows(env) == [("ward_staff", "password", False, None)]
    info = at.session_state["kd_auth_session"]
    assert info.short_id in audit_rows(env, action="login")[-1]["detail"]
    at = click(at, "ログアウト")
    assert not signed_in(at)
    assert session_rows(env) == [("ward_staff", "password", True, "user")]


def test_a_session_ended_on_the_server_is_refused_and_audited(env):
    at = login(env)
    info = at.session_state["kd_auth_session"]
    c = duckdb.connect(str(env["db"]))
    assert sessions.end(c, info.session_id, "admin", by="admin")
    c.close()
    at = run(at)
    assert not signed_in(at) and "終了しています" in texts(at)
    assert "stale_session" in audit_rows(env, action="login_failed")[-1]["detail"]
    # the held id is worthless now: putting it back does not sign anyone in
    at.session_state["kd_auth_session"] = info
    assert not signed_in(run(at))


def test_a_session_used_from_another_address_is_ended_and_audited(env):
    """A copy of the tab's server-session id used from another machine: the next run is refused."""
    env["mp"].setenv("KD_FAKE_ADDRESS", "10.20.30.40")
    at = login(env)
    assert signed_in(at)
    assert signed_in(run(at))  # the same address: still signed in
    info = at.session_state["kd_auth_session"]
    c = duckdb.connect(str(env["db"]))
    stored = c.execute("select client_address_hash from auth_session").fetchone()[0]
    c.close()
    assert stored == sessions.address_hash("10.20.30.40") and "10.20.30.40" not in stored

    env["mp"].setenv("KD_FAKE_ADDRESS", "10.20.30.99")
    at = run(at)
    assert not signed_in(at) and "ユーザー名" in [t.label for t in at.text_input]
    assert "異なる接続元" in texts(at)
    assert session_rows(env) == [("ward_staff", "password", True, "address_changed")]
    refused = audit_rows(env, action="login_failed")[-1]
    assert refused["username"] == "ward_staff"
    assert '"address_changed"' in refused["detail"] and info.short_id in refused["detail"]
    assert "10.20.30" not in str(audit_rows(env))  # the trail keeps no address
    # Back at the first address the id is worthless too: the row has ended.
    env["mp"].setenv("KD_FAKE_ADDRESS", "10.20.30.40")
    at.session_state["kd_auth_session"] = info
    assert not signed_in(run(at))


def test_the_address_is_read_from_the_connection_and_from_a_trusted_proxy_only(monkeypatch):
    """client_address reads st.context: the websocket's peer, or the proxy's last X-Forwarded-For."""
    import streamlit.runtime.context as st_context

    from kodomo_dash.ui.signin import client_address

    class Client:  # what Streamlit's websocket handler gives st.context
        def __init__(self, ip, headers):
            self.remote_ip, self.headers, self.cookies = ip, headers, {}

    forwarded = [("X-Forwarded-For", "6.6.6.6, 10.1.2.3")]  # the client wrote the first, the proxy the last
    monkeypatch.setattr(st_context, "_get_client_context", lambda: Client("10.9.9.9", forwarded))
    assert client_address(sessions.SessionPolicy()) == "10.9.9.9"
    monkeypatch.setattr(st_context, "_get_client_context", lambda: Client("127.0.0.1", forwarded))
    assert client_address(sessions.SessionPolicy()) == sessions.LOCAL
    assert client_address(sessions.SessionPolicy(trusted_proxy=True)) == "10.1.2.3"
    monkeypatch.setattr(st_context, "_get_client_context", lambda: None)  # no connection at all
    assert client_address(sessions.SessionPolicy(trusted_proxy=True)) == sessions.LOCAL


def test_the_absolute_timeout_ends_a_busy_session(env):
    at = login(env)
    for minutes in range(20, 12 * 60, 20):
        set_now(env, T0 + timedelta(minutes=minutes))
        assert signed_in(run(at)), minutes
    set_now(env, T0 + timedelta(hours=12, minutes=1))
    at = run(at)
    assert not signed_in(at) and "長時間" in texts(at)
    assert session_rows(env)[-1][2:] == (True, "absolute")


def test_an_open_session_is_listed_until_it_ends(env):
    at = login(env)
    c = duckdb.connect(str(env["db"]))
    try:
        listed = sessions.open_sessions(c, now=T0 + timedelta(minutes=1))
        assert list(listed["username"]) == ["ward_staff"]
        assert list(listed["short_id"]) == [at.session_state["kd_auth_session"].short_id]
        assert sessions.open_sessions(c, now=T0 + timedelta(minutes=40)).empty  # idle past the policy
    finally:
        c.close()


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


def _app_with_note(users_path: str, db_path: str) -> None:
    import os
    from contextlib import contextmanager
    from datetime import datetime as _dt
    from pathlib import Path

    import duckdb as _duckdb
    import streamlit as st

    from kodomo_dash.ui import kept_input
    from kodomo_dash.ui.signin import AuthConfig, LoginFlow

    @contextmanager
    def conn():
        c = _duckdb.connect(db_path)
        try:
            yield c
        finally:
            c.close()

    flow = LoginFlow(AuthConfig(users_path=Path(users_path)), conn, lambda: _dt.fromisoformat(os.environ["KD_FAKE_NOW"]))
    p = flow.principal()
    if p is None:
        st.stop()
    st.markdown(f"SIGNED_IN {p.username}")
    st.text_area("訪問メモ", value=kept_input.take(p.username, "kdf_visit_1_note", ""), key="kdf_visit_1_note")


def _note_app(env) -> AppTest:
    return run(AppTest.from_function(_app_with_note, args=(str(env["users"]), str(env["db"])), default_timeout=30))


def _sign_in(at: AppTest, env, username: str, when: datetime) -> AppTest:
    set_now(env, when)
    c = env["creds"][username]
    at = submit_password(at, c.username, c.password)
    return submit_code(at, totp.current_code(c.totp_secret, when))


def test_what_was_typed_when_the_session_expired_comes_back_for_the_same_person_only(env):
    at = _sign_in(_note_app(env), env, "ward_staff", T0)
    assert signed_in(at)
    at.text_area(key="kdf_visit_1_note").input("母親と面談。次回は10月。")
    set_now(env, T0 + timedelta(minutes=31))  # the click that sends the note finds the session expired
    at = run(at)
    assert not signed_in(at) and "再度ログイン" in texts(at)
    at = _sign_in(at, env, "ward_staff", T0 + timedelta(minutes=32))
    assert signed_in(at) and at.text_area(key="kdf_visit_1_note").value == "母親と面談。次回は10月。"

    other = _sign_in(_note_app(env), env, "ward_staff", T0 + timedelta(minutes=40))
    other.text_area(key="kdf_visit_1_note").input("別の下書き")
    set_now(env, T0 + timedelta(minutes=71))
    other = run(other)
    other = _sign_in(other, env, "manager", T0 + timedelta(minutes=72))
    assert signed_in(other) and other.text_area(key="kdf_visit_1_note").value == ""  # not someone else's


def test_a_city_may_shorten_the_timeouts_but_not_lengthen_them(tmp_path, monkeypatch):
    monkeypatch.setenv("KODOMO_CITIES", str(tmp_path))
    assert sessions.configured_policy() == sessions.SessionPolicy()
    (tmp_path / "sessions.yaml").write_text("idle_minutes: 15\n", encoding="utf-8")
    assert sessions.configured_policy().idle == timedelta(minutes=15)
    assert sessions.configured_policy().absolute == timedelta(hours=12)
    (tmp_path / "sessions.yaml").write_text("idle_minutes: 90\n", encoding="utf-8")
    with pytest.raises(ValueError, match="30分以内"):
        sessions.configured_policy()


def _app_with_save(users_path: str, db_path: str) -> None:
    import os
    from contextlib import contextmanager
    from datetime import datetime as _dt
    from pathlib import Path

    import duckdb as _duckdb
    import streamlit as st

    from kodomo_dash.ui.signin import AuthConfig, LoginFlow, guarded

    @contextmanager
    def conn():
        c = _duckdb.connect(db_path)
        try:
            yield c
        finally:
            c.close()

    flow = LoginFlow(AuthConfig(users_path=Path(users_path)), conn, lambda: _dt.fromisoformat(os.environ["KD_FAKE_NOW"]))
    p = flow.principal()
    if p is None:
        st.stop()
    st.markdown(f"SIGNED_IN {p.username}")

    def save() -> None:
        with conn() as c:
            c.execute("create table if not exists saved (who varchar)")
            c.execute("insert into saved values (?)", [p.username])

    st.button("保存", on_click=guarded(save))


def test_a_click_in_a_tab_whose_session_ended_saves_nothing(env, monkeypatch):
    """Streamlit runs a callback before the gate: the guard stops a save with a dead session."""
    monkeypatch.setenv("KODOMO_WAREHOUSE", str(env["db"].parent))  # guarded() reads this casework
    monkeypatch.setenv("KD_FAKE_NOW", datetime.utcnow().replace(microsecond=0).isoformat())
    now = datetime.fromisoformat(__import__("os").environ["KD_FAKE_NOW"])
    at = run(AppTest.from_function(_app_with_save, args=(str(env["users"]), str(env["db"])), default_timeout=30))
    at = _sign_in(at, env, "ward_staff", now)
    at = click(at, "保存")
    c = duckdb.connect(str(env["db"]))
    try:
        assert c.execute("select count(*) from saved").fetchone()[0] == 1
        assert sessions.end(c, at.session_state["kd_auth_session"].session_id, "admin", by="admin")
    finally:
        c.close()
    at = click(at, "保存")
    assert not signed_in(at)
    c = duckdb.connect(str(env["db"]))
    try:
        assert c.execute("select count(*) from saved").fetchone()[0] == 1  # the second click did nothing
    finally:
        c.close()


def test_the_sign_in_page_in_english_refuses_a_wrong_password_in_english(env):
    """The language toggle is on the sign-in page too: its form, its refusals and its code step follow it."""
    at = AppTest.from_function(_app, args=(str(env["users"]), str(env["db"])), default_timeout=30)
    at.session_state["lang"] = "en"  # as the toggle leaves it, before the first run
    at = run(at)
    field(at, "User name").input("ward_staff")
    field(at, "Password").input("wrong-password-123")
    at = click(at, "Sign in")
    assert [e.value for e in at.error] == ["The user name or password is not correct."] and not signed_in(at)
    assert "ユーザー名またはパスワード" not in texts(at)
    c = env["creds"]["ward_staff"]
    field(at, "User name").input(c.username)
    field(at, "Password").input(c.password)
    at = click(at, "Sign in")
    assert "Confirmation code" in [s.value for s in at.subheader] and not at.error
    field(at, "Confirmation code (6 digits)").input("000000" if totp.current_code(c.totp_secret, T0) != "000000" else "111111")
    at = click(at, "Confirm")
    assert [e.value for e in at.error] == ["The confirmation code is not correct or has already been used. "
                                           "Wait for the next code."]  # fmt: skip
