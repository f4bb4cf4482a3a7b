"""The administration screens under AppTest through the real app.py: audit log, privacy checklist, users."""

from __future__ import annotations

from datetime import timedelta

import duckdb
import pytest

from kodomo_dash.auth import audit
from kodomo_dash.auth.principal import Principal
from kodomo_dash.auth.totp import utcnow
from kodomo_dash.casework.migrate import migrate
from kodomo_dash.db import casework_connection
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
