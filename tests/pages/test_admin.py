"""The administration screens under AppTest through the real app.py: audit log, privacy checklist, users."""

from __future__ import annotations

from datetime import timedelta

import duckdb
import pytest

from kodomo_dash.infra.db import casework_connection
from kodomo_dash.infra.migrate import migrate
from kodomo_dash.security import audit
from kodomo_dash.security.principal import Principal
from kodomo_dash.security.totp import utcnow
from tests.signin import app_as

NASTY = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "' or 1=1 --", "=HYPERLINK(\"x\")"]


@pytest.fixture()
def private_casework(tmp_path, monkeypatch):
    """A warehouse folder of this test's own (casework only): tamper and fill it freely."""
    monkeypatch.setenv("KODOMO_WAREHOUSE", str(tmp_path))
    con = duckdb.connect(str(tmp_path / "casework.duckdb"))
    migrate(con)
    con.close()
    return tmp_path


def _errors(at) -> list[str]:
    return [e.value for e in at.error]


def _table(at, column: str):
    """The first dataframe shown with this column (AppTest does not expose dataframe keys)."""
    for el in at.dataframe:
        if column in el.value.columns:
            return el.value
    raise KeyError(column)


def _rows(sql: str, params=()) -> list[tuple]:
    with casework_connection() as con:
        return con.execute(sql, list(params)).fetchall()


# --------------------------------------------------------------------------- audit log


def test_audit_log_shows_an_intact_chain_and_filters(private_casework):
    ward = Principal("ward_staff", "ward_staff", ward_codes=("40131",))
    with casework_connection() as con:
        for i in range(5):
            audit.record(con, ward, "view_child", page="child_card", resident_id=f"{i:010d}")
        audit.record(con, "manager", "login")
    at = app_as("admin", page="audit_log").run()
    assert not at.exception, [e.value for e in at.exception]
    assert [t.value for t in at.title] == ["操作履歴"]
    assert any("改ざんは検出されませんでした" in s.value for s in at.success)
    table = _table(at, "seq")
    assert {"ward_staff", "manager"} <= set(table["username"])
    at.text_input(key="alog_rid").set_value("0000000003")
    at.selectbox(key="alog_action").set_value("view_child")
    at.button(key="FormSubmitter:alog_filter-絞り込む").click().run()
    assert not at.exception
    table = _table(at, "seq")
    assert list(table["resident_id"]) == ["0000000003"]
    assert list(table["action"]) == ["こどもカード閲覧"]
    # The look-up itself is audited, by which fields were used, not their values.
    last = _rows("select action, page, detail from audit_log where username = 'admin' and action = 'search'")
    assert last and last[-1][1] == "audit_log" and "0000000003" not in last[-1][2]


def test_audit_log_filter_by_user_and_dates(private_casework):
    now = utcnow()
    with casework_connection() as con:
        audit.record(con, "manager", "login", now=now - timedelta(days=40))
        audit.record(con, "manager", "logout", now=now - timedelta(days=1))
        audit.record(con, "yotaikyo", "login", now=now)
    at = app_as("admin", page="audit_log").run()
    at.selectbox(key="alog_user").set_value("manager")
    at.date_input(key="alog_since").set_value(now.date() - timedelta(days=10))
    at.button(key="FormSubmitter:alog_filter-絞り込む").click().run()
    assert not at.exception
    assert list(_table(at, "seq")["action"]) == ["ログアウト"]
    at.date_input(key="alog_until").set_value(now.date() - timedelta(days=20))
    at.button(key="FormSubmitter:alog_filter-絞り込む").click().run()
    assert any("開始日が終了日より後" in w.value for w in at.warning)


@pytest.mark.parametrize("text", NASTY, ids=range(len(NASTY)))
def test_audit_log_nasty_resident_id_is_refused_as_text(private_casework, text):
    at = app_as("admin", page="audit_log").run()
    at.text_input(key="alog_rid").set_value(text[:32])
    at.button(key="FormSubmitter:alog_filter-絞り込む").click().run()
    assert not at.exception
    assert any("宛名番号は英数字" in w.value for w in at.warning)
    assert not any("<script>" in m.value or "onerror" in m.value for m in at.markdown)


def test_audit_log_reports_tampering(private_casework):
    with casework_connection() as con:
        for _ in range(4):
            audit.record(con, "manager", "login")
        con.execute("update audit_log set username = 'intruder' where seq = 2")
    at = app_as("admin", page="audit_log").run()
    assert not at.exception
    assert any("改ざん・削除を検出しました" in e for e in _errors(at))
    assert any("row 2" in t.value for t in at.text)


def test_audit_log_checks_new_rows_on_open_and_every_row_on_request(private_casework):
    with casework_connection() as con:
        for _ in range(4):
            audit.record(con, "manager", "login")
    at = app_as("admin", page="audit_log").run()
    assert any("改ざんは検出されませんでした" in s.value for s in at.success)
    with casework_connection() as con:
        audit.record(con, "manager", "login")
        con.execute("update audit_log set username = 'intruder' where seq = 2")  # an old row
    at = app_as("admin", page="audit_log").run()
    assert not at.exception
    resumed = [s.value for s in at.success if "以降の" in s.value]
    assert resumed, [s.value for s in at.success]  # only the rows added since were walked
    at.button(key="alog_verify_full").click().run()
    assert any("改ざん・削除を検出しました" in e for e in _errors(at)), [s.value for s in at.success]
    assert any("row 2" in t.value for t in at.text)


def test_audit_log_shows_mass_download_alerts(private_casework):
    ward = Principal("ward_staff", "ward_staff", ward_codes=("40131",))
    with casework_connection() as con:
        con.execute("insert into app_setting (key, value) values ('audit.mass_download_threshold', '3')")
        for i in range(5):
            audit.record(con, ward, "view_child", page="child_card", resident_id=f"{i:010d}")
    at = app_as("admin", page="audit_log").run()
    assert not at.exception
    alerts = _table(at, "threshold")
    assert list(alerts["username"]) == ["ward_staff"]
    assert int(alerts["n_children"].iloc[0]) == 4 and int(alerts["threshold"].iloc[0]) == 3
    assert any("3人を超える" in c.value for c in at.caption)


def test_audit_log_csv_export_is_audited(private_casework):
    with casework_connection() as con:
        audit.record(con, "manager", "login")
    at = app_as("admin", page="audit_log").run()
    at.button(key="alog_make_csv").click().run()
    assert not at.exception
    assert at.get("download_button")
    exports = _rows("select username, page from audit_log where action = 'export'")
    assert exports == [("admin", "audit_log")]


@pytest.mark.parametrize("role", ["manager", "yotaikyo", "ward_staff", "school", "ssw", "evaluator"])
def test_audit_log_is_admin_only(private_casework, role):
    at = app_as(role, page="audit_log").run()
    assert not at.exception
    assert any("権限がありません" in e for e in _errors(at))
    assert not at.dataframe
    denied = _rows("select page from audit_log where action = 'access_denied' and username = ?", [role])
    assert ("audit_log",) in denied


# --------------------------------------------------------------------------- privacy checklist


def _fill_item(at, fy: int, n: int, person: str, evidence: str, done=None):
    import datetime as dt

    prefix = f"pc_{fy}_{n}"
    at.date_input(key=f"{prefix}_done").set_value(done or dt.date.today())
    at.text_input(key=f"{prefix}_person").set_value(person)
    at.text_area(key=f"{prefix}_evidence").set_value(evidence)
    at.button(key=f"FormSubmitter:pc_form_{fy}_{n}-保存").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_privacy_checklist_has_the_eight_fukuoka_items(private_casework):
    from kodomo_dash.casework.privacy import fiscal_year

    at = app_as("admin", page="privacy_checklist").run()
    assert not at.exception, [e.value for e in at.exception]
    text = " ".join(m.value for m in at.markdown)
    for needle in ("ガイドラインや通知等", "事業目的は適切・明確か", "利用目的を特定", "法的根拠",
                   "必要最低限", "管理体制", "差別や偏見につながらない", "安全管理措置"):
        assert needle in text
    assert sum(1 for m in at.markdown if m.value.startswith("**項目")) == 8
    assert at.selectbox(key="pc_fy").value == fiscal_year()


def test_privacy_checklist_save_is_kept_audited_and_shown_as_text(private_casework):
    from kodomo_dash.casework.privacy import fiscal_year

    fy = fiscal_year()
    at = app_as("manager", page="privacy_checklist").run()
    _fill_item(at, fy, 7, "<b>山田</b>", "<script>alert(1)</script> 研修記録 R7-3")
    assert any("保存しました" in s.value for s in at.success)
    stored = _rows("select fy, item_no, person, evidence, saved_by from privacy_check_current")
    assert stored == [(fy, 7, "<b>山田</b>", "<script>alert(1)</script> 研修記録 R7-3", "manager")]
    assert at.text_area(key=f"pc_{fy}_7_evidence").value.startswith("<script>")
    assert not any("<script>" in m.value or "<b>" in m.value for m in at.markdown)
    assert any("<b>山田</b>" in t.value for t in at.text)
    saves = _rows("select target, detail from audit_log where action = 'form_save' and username = 'manager'")
    assert saves == [(f"privacy_check:{fy}:7", '{"fy":' + str(fy) + ',"item":7}')]
    assert "1 / 8" in at.get("progress")[0].proto.text


@pytest.mark.parametrize("field,length,message", [
    ("person", 51, "担当者が長すぎます"),
    ("evidence", 2001, "根拠資料・確認内容が長すぎます"),
])
def test_privacy_checklist_over_long_input_gets_a_japanese_message(private_casework, field, length, message):
    from kodomo_dash.casework.privacy import fiscal_year

    fy = fiscal_year()
    at = app_as("admin", page="privacy_checklist").run()
    person, evidence = ("あ" * length, "ok") if field == "person" else ("担当", "い" * length)
    _fill_item(at, fy, 1, person, evidence)
    assert any(message in e for e in _errors(at))
    assert _rows("select count(*) from privacy_check_entry") == [(0,)]


def test_privacy_checklist_missing_person_is_refused(private_casework):
    from kodomo_dash.casework.privacy import fiscal_year

    at = app_as("admin", page="privacy_checklist").run()
    _fill_item(at, fiscal_year(), 2, "   ", "evidence")
    assert any("実施日と担当者を入力してください" in e for e in _errors(at))


def test_privacy_checklist_earlier_years_are_read_only(private_casework):
    import datetime as dt

    from kodomo_dash.casework.privacy import fiscal_year

    past = fiscal_year() - 1
    with casework_connection() as con:
        con.execute("insert into privacy_check_entry values (1, ?, 3, ?, '佐藤', '要綱第5条で明文化', 'admin', ?)",
                    [past, dt.date(past, 6, 1), dt.datetime(past, 6, 1, 10)])
    at = app_as("admin", page="privacy_checklist").run()
    from kodomo_dash.casework.privacy import fy_label

    assert fy_label(past) in at.selectbox(key="pc_fy").options
    at.selectbox(key="pc_fy").set_value(past).run()
    assert not at.exception
    assert any("閲覧のみ" in i.value for i in at.info)
    assert not at.text_area and not at.text_input
    assert any("要綱第5条で明文化" in t.value for t in at.text)
    assert any("未記録" in t.value for t in at.text)
    from kodomo_dash.services import privacy as q
    from tests.signin import principal_for

    with pytest.raises(q.ChecklistError, match="過去の年度"):
        q.save_answer(principal_for("admin"), past, 3, dt.date.today(), "x", "y")


@pytest.mark.parametrize("role", ["yotaikyo", "ward_staff", "school", "ssw", "evaluator"])
def test_privacy_checklist_refused_to_other_roles(private_casework, role):
    at = app_as(role, page="privacy_checklist").run()
    assert not at.exception
    assert any("権限がありません" in e for e in _errors(at))


# --------------------------------------------------------------------------- user administration


@pytest.fixture()
def private_users(private_casework, tmp_path, monkeypatch):
    """A users file of this test's own (demo users, one per role): deactivate freely."""
    from kodomo_dash.security import users as users_mod

    path = tmp_path / "users.yaml"
    users_mod.create_demo_users(path, rounds=4)

    def as_role(role: str, page: str | None = None):
        at = app_as(role, page=page)
        monkeypatch.setenv("KODOMO_USERS", str(path))  # app_as points at the shared file; use ours
        return at

    return as_role


def _act(at, user: str, button: str):
    at.selectbox(key="ua_user").set_value(user).run()
    at.button(key=button).click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_admin_users_lists_every_account_with_role_and_scope(private_users):
    at = private_users("admin", "admin_users").run()
    assert not at.exception, [e.value for e in at.exception]
    table = _table(at, "username")
    assert set(table["username"]) == {"admin", "manager", "yotaikyo", "ward_staff", "school", "ssw", "evaluator"}
    ward = table.set_index("username").loc["ward_staff"]
    assert ward["role"] == "区職員" and ward["ward_codes"] == "40131 東区"
    assert "password_hash" not in table.columns and "totp_secret" not in table.columns


def test_a_deactivated_users_next_rerun_is_refused(private_users):
    ward = private_users("ward_staff").run()
    assert [t.value for t in ward.title] == ["こどもデータ連携ダッシュボード"]
    admin = private_users("admin", "admin_users").run()
    _act(admin, "ward_staff", "ua_deactivate")
    assert any("ward_staff の権限を取り消しました" in s.value for s in admin.success)
    assert not _table(admin, "username").set_index("username").loc["ward_staff", "active"]
    ward.run()
    assert not ward.exception
    assert not ward.title, "a revoked user must not see any page"
    assert [t.label for t in ward.text_input][:1] == ["ユーザー名"]
    changes = _rows("select target, detail from audit_log where action = 'setting_change' and username = 'admin'")
    assert changes and changes[-1][0] == "ward_staff" and '"setting":"revoke"' in changes[-1][1]
    # Reactivating lets the user sign in again, but the old session stays ended (epoch moved).
    _act(admin, "ward_staff", "ua_reactivate")
    assert any("再び有効" in s.value for s in admin.success)
    assert _table(admin, "username").set_index("username").loc["ward_staff", "active"]


def test_ending_sessions_signs_the_user_out_but_keeps_the_account(private_users):
    manager = private_users("manager").run()
    assert manager.title
    admin = private_users("admin", "admin_users").run()
    _act(admin, "manager", "ua_end_sessions")
    manager.run()
    assert not manager.title
    row = _table(admin, "username").set_index("username").loc["manager"]
    assert row["active"] and row["epoch"] == 1


def test_the_admin_sees_open_sessions_and_ends_one_of_them(private_users):
    manager = private_users("manager").run()
    school = private_users("school").run()
    assert manager.title and school.title
    admin = private_users("admin", "admin_users").run()
    sessions = _table(admin, "short_id")
    assert {"manager", "school", "admin"} <= set(sessions["username"])
    assert "session_id" not in sessions.columns  # the full id is never shown
    target = manager.session_state["kd_auth_session"].short_id
    admin.selectbox(key="ua_session_pick").set_value(target).run()
    admin.button(key="ua_session_end").click().run()
    assert not admin.exception, [e.value for e in admin.exception]
    assert any(target in s.value for s in admin.success)
    manager.run()
    assert not manager.title and [t.label for t in manager.text_input][:1] == ["ユーザー名"]
    school.run()
    assert school.title  # only the chosen session ended
    ended = _rows("select target, detail from audit_log where action = 'logout' and username = 'admin'")
    assert ended and ended[-1][0] == "manager" and target in ended[-1][1]


def test_unlock_a_locked_account(private_users):
    from kodomo_dash.security import lockout

    with casework_connection() as con:
        for _ in range(lockout.MAX_FAILURES):
            lockout.record_failure(con, "school")
    admin = private_users("admin", "admin_users").run()
    assert _table(admin, "username").set_index("username").loc["school", "locked"]
    _act(admin, "school", "ua_unlock")
    assert any("school のロックを解除しました" in s.value for s in admin.success)
    assert not _table(admin, "username").set_index("username").loc["school", "locked"]
    with casework_connection() as con:
        assert not lockout.status(con, "school").locked
    assert ("school", '{"setting":"unlock"}') in _rows(
        "select target, detail from audit_log where action = 'setting_change'")


def test_an_admin_cannot_revoke_themselves(private_users):
    from kodomo_dash.services import users as q
    from tests.signin import principal_for

    admin = private_users("admin", "admin_users").run()
    admin.selectbox(key="ua_user").set_value("admin").run()
    assert admin.button(key="ua_deactivate").disabled
    assert any("自分自身" in c.value for c in admin.caption)
    with pytest.raises(q.UserActionRefused):
        q.revoke_user(principal_for("admin"), "admin")


@pytest.mark.parametrize("role", ["manager", "yotaikyo", "ward_staff", "school", "ssw", "evaluator"])
def test_admin_users_refused_to_other_roles(private_users, role):
    at = private_users(role, "admin_users").run()
    assert not at.exception
    assert any("権限がありません" in e for e in _errors(at))
    assert not at.dataframe
