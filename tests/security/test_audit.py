"""The audit trail: hash chain, tamper detection, retention, mass-download alert, concurrency."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import duckdb
import pytest

from kodomo_dash.infra.migrate import migrate
from kodomo_dash.security import audit
from kodomo_dash.security.principal import Principal

T0 = datetime(2026, 4, 1, 9, 0, 0)
WARD = Principal("ward1", "ward_staff", ward_codes=("40131",))
ADMIN = Principal("admin", "admin")


@pytest.fixture()
def con():
    c = duckdb.connect(":memory:")
    migrate(c)
    yield c
    c.close()


def fill(con, n=10, start=T0, step=timedelta(minutes=1)):
    for i in range(n):
        audit.record(
            con, WARD, "view_child", page="child_card", resident_id=f"{i:010d}", now=start + i * step
        )


def test_rows_chain_and_verify(con):
    audit.record(con, "unknown", "login_failed", detail={"reason": "password"}, now=T0)
    e = audit.record(con, WARD, "login", detail={"method": "password"}, now=T0 + timedelta(seconds=1))
    fill(con, 5, start=T0 + timedelta(minutes=1))
    assert e.seq == 2 and e.prev_hash != audit.GENESIS
    first = con.execute("select prev_hash from audit_log where seq = 1").fetchone()[0]
    assert first == audit.GENESIS
    result = audit.verify(con)
    assert result.ok, result.problems
    assert result.checked == 7 and (result.head_seq, result.head_hash) == audit.head(con)


def test_edit_is_detected(con):
    fill(con)
    con.execute("update audit_log set resident_id = '9999999999' where seq = 4")
    r = audit.verify(con)
    assert not r.ok and r.first_bad_seq == 4
    assert any("row 4" in p and "edited" in p for p in r.problems)


def test_edit_with_recomputed_row_hash_breaks_the_next_link(con):
    fill(con)
    row = audit.query(con, limit=100)[-4]  # seq 4
    row["username"] = "someone_else"
    con.execute(
        "update audit_log set username = ?, row_hash = ? where seq = 4",
        [row["username"], audit.row_hash(row, row["prev_hash"])],
    )
    r = audit.verify(con)
    assert not r.ok and any("row 5: prev_hash" in p for p in r.problems)


@pytest.mark.parametrize("seq", [1, 5, 10])
def test_delete_is_detected(con, seq):
    fill(con)
    con.execute("delete from audit_log where seq = ?", [seq])
    r = audit.verify(con)
    assert not r.ok, f"deleting row {seq} went unnoticed"


def test_deleting_the_newest_rows_is_detected(con):
    fill(con)
    con.execute("delete from audit_log where seq > 7")
    r = audit.verify(con)
    assert not r.ok and any("newest rows deleted" in p for p in r.problems)


def test_deleting_everything_is_detected(con):
    fill(con, 3)
    con.execute("delete from audit_log")
    assert not audit.verify(con).ok


def test_exported_anchor_detects_a_rewritten_chain(con):
    fill(con, 5)
    anchor = audit.head(con)
    # Rewrite the whole chain consistently (what someone with the key and time could do).
    rows = audit.query(con, limit=100)[::-1]
    prev = audit.GENESIS
    for r in rows:
        if r["seq"] == 3:
            r["resident_id"] = "1111111111"
        h = audit.row_hash(r, prev)
        con.execute(
            "update audit_log set resident_id = ?, prev_hash = ?, row_hash = ? where seq = ?",
            [r["resident_id"], prev, h, r["seq"]],
        )
        prev = h
    con.execute("update audit_head set row_hash = ? where id = 1", [prev])
    assert audit.verify(con).ok  # a consistent rewrite passes without an anchor ...
    r = audit.verify(con, anchor=anchor)  # ... and is caught with one
    assert not r.ok and any("anchor" in p for p in r.problems)


def test_retention_prunes_and_chain_still_verifies(con):
    fill(con, 10, start=T0, step=timedelta(days=200))  # spans ~5 years
    now = T0 + timedelta(days=2000)
    res = audit.prune(con, ADMIN, now=now, retention_days=3 * 365)
    assert res.pruned > 0
    remaining = audit.query(con, limit=100)
    assert all(
        r["occurred_at"] >= now - timedelta(days=3 * 365) for r in remaining if r["action"] != "retention"
    )
    assert remaining[0]["action"] == "retention"
    assert audit.verify(con).ok
    # Appending after a prune keeps working, and a second prune too.
    fill(con, 2, start=now)
    audit.prune(con, ADMIN, now=now + timedelta(days=5 * 365), retention_days=365)
    r = audit.verify(con)
    assert r.ok, r.problems


def test_prune_default_retention_is_three_years(con):
    fill(con, 3, start=T0)
    assert audit.load_config(con).retention_days == 3 * 365
    assert audit.prune(con, ADMIN, now=T0 + timedelta(days=3 * 365 - 1)).pruned == 0
    assert audit.prune(con, ADMIN, now=T0 + timedelta(days=3 * 365 + 1)).pruned == 3


def test_prune_refuses_a_tampered_chain(con):
    fill(con)
    con.execute("delete from audit_log where seq = 2")
    with pytest.raises(audit.AuditTampered):
        audit.prune(con, ADMIN, now=T0 + timedelta(days=5000))
    assert con.execute("select count(*) from audit_log").fetchone()[0] == 9


def test_forged_checkpoint_is_detected(con):
    fill(con)
    h3 = con.execute("select row_hash from audit_log where seq = 3").fetchone()[0]
    con.execute("insert into audit_checkpoint values (3, ?, 3, ?, 'mallory')", [h3, T0])
    con.execute("delete from audit_log where seq <= 3")
    r = audit.verify(con)
    assert not r.ok and any("forged" in p for p in r.problems)


def test_no_names_or_free_text_in_the_log(con):
    for detail in (
        {"name_kana": "ヤマダ"},
        {"query": "山田"},
        {"address": "x"},
        {"income_band": "3"},
        {"search_text": "山田"},
        {"x": "a" * 500},
        {"x": {"nested": 1}},
    ):
        with pytest.raises(audit.AuditError):
            audit.record(con, WARD, "search", detail=detail, now=T0)
    with pytest.raises(audit.AuditError):
        audit.record(con, WARD, "view_child", resident_id="山田 太郎", now=T0)
    with pytest.raises(audit.AuditError):
        audit.record(con, WARD, "peek", now=T0)
    ok = audit.record(
        con,
        WARD,
        "search",
        page="child_search",
        n_children=3,
        detail={"fields": ["name_kana", "birth_date"], "partial": True},
        now=T0,
    )
    assert ok.detail == {"fields": ["name_kana", "birth_date"], "partial": True}
    assert con.execute("select count(*) from audit_log").fetchone()[0] == 1


def test_who_viewed_this_child(con):
    audit.record(con, WARD, "view_child", page="child_card", resident_id="0000000042", now=T0)
    audit.record(
        con,
        ADMIN,
        "export",
        page="child_card",
        resident_id="0000000042",
        n_children=1,
        now=T0 + timedelta(minutes=1),
    )
    audit.record(con, ADMIN, "view_child", page="child_card", resident_id="0000000043", now=T0)
    seen = audit.who_viewed(con, "0000000042")
    assert [(s["username"], s["action"]) for s in seen] == [("admin", "export"), ("ward1", "view_child")]
    assert set(seen[0]) == {"occurred_at", "username", "role", "action", "page"}


def test_admin_filter(con):
    fill(con, 5)
    audit.record(con, ADMIN, "setting_change", target="audit.retention_days", now=T0 + timedelta(hours=1))
    assert len(audit.query(con, username="ward1")) == 5
    assert len(audit.query(con, action="setting_change")) == 1
    assert len(audit.query(con, since=T0 + timedelta(minutes=2), until=T0 + timedelta(minutes=4))) == 2
    assert audit.query(con, username="x' or '1'='1") == []


def test_mass_download_alert(con):
    cfg = audit.AuditConfig(alert_threshold=5, alert_window_minutes=10)
    alerts = []
    for i in range(8):
        e = audit.record(
            con, WARD, "view_child", resident_id=f"{i:010d}", now=T0 + timedelta(minutes=i), config=cfg
        )
        alerts.append(e.alert)
    assert alerts[:5] == [None] * 5 and all(alerts[5:])
    assert "6人分" in alerts[5].message_ja()
    # One alert row per user and window, not one per view.
    rows = audit.query(con, action="alert")
    assert len(rows) == 1 and rows[0]["username"] == "ward1" and rows[0]["n_children"] == 6
    # The same child viewed again does not count twice; other users are separate.
    assert audit.record(con, ADMIN, "view_child", resident_id="0000000001", now=T0, config=cfg).alert is None
    # Exports count their children; the window slides.
    late = T0 + timedelta(hours=3)
    assert audit.record(con, WARD, "export", n_children=5, now=late, config=cfg).alert is None
    assert audit.record(con, WARD, "export", n_children=1, now=late, config=cfg).alert is not None
    assert audit.verify(con).ok


def test_alert_settings_come_from_app_setting(con):
    con.execute(
        "insert into app_setting (key, value) values ('audit.mass_download_threshold', '2'),"
        " ('audit.mass_download_window_minutes', '5'), ('audit.retention_days', '400')"
    )
    cfg = audit.load_config(con)
    assert (cfg.alert_threshold, cfg.alert_window_minutes, cfg.retention_days) == (2, 5, 400)
    for i in range(3):
        e = audit.record(con, WARD, "view_child", resident_id=f"{i:010d}", now=T0)
    assert e.alert is not None


def test_concurrent_sessions_keep_the_chain(tmp_path):
    db = duckdb.connect(str(tmp_path / "casework.duckdb"))
    migrate(db)
    errors = []

    def session(n):
        cur = db.cursor()
        try:
            for i in range(25):
                audit.record(
                    cur, Principal(f"user{n}", "manager"), "view_child", resident_id=f"{n:05d}{i:05d}"
                )
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)
        finally:
            cur.close()

    threads = [threading.Thread(target=session, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    r = audit.verify(db)
    assert r.ok and r.checked >= 100, r.problems
    assert db.execute("select count(*) from audit_log where action = 'view_child'").fetchone()[0] == 100
    db.close()


def test_anchor_text_round_trip(con):
    fill(con, 2)
    a = audit.head(con)
    assert audit.parse_anchor(audit.format_anchor(a)) == a
    assert audit.verify(con, anchor=audit.parse_anchor(audit.format_anchor(a))).ok
    with pytest.raises(ValueError):
        audit.parse_anchor("2:nothex")


def test_resumed_verify_walks_only_new_rows_and_still_catches_their_tampering(con):
    fill(con, 10)
    first = audit.verify(con)
    assert first.ok and first.resumed_after is None and first.checked == 10
    point = (first.head_seq, first.head_hash)
    fill(con, 3, start=T0 + timedelta(hours=1))
    r = audit.verify(con, resume=point)
    assert r.ok and r.resumed_after == 10 and r.checked == 3 and (r.head_seq, r.head_hash) == audit.head(con)
    # A new row edited, or the newest rows deleted: found by the resumed walk too.
    con.execute("update audit_log set resident_id = '9999999999' where seq = 12")
    r = audit.verify(con, resume=point)
    assert not r.ok and r.first_bad_seq == 12
    con.execute("update audit_log set resident_id = '0000000001' where seq = 12")  # as it was
    assert audit.verify(con, resume=point).ok
    con.execute("delete from audit_log where seq = 13")
    assert not audit.verify(con, resume=point).ok


def test_a_resume_point_that_no_longer_holds_means_a_full_walk(con):
    fill(con, 10)
    point = (audit.verify(con).head_seq, audit.verify(con).head_hash)
    # An old row edited is not seen by a resumed walk (that is what the full check is for) ...
    con.execute("update audit_log set resident_id = '9999999999' where seq = 3")
    assert audit.verify(con, resume=point).ok
    assert not audit.verify(con).ok
    # ... but the resume point itself edited, or pruned by retention, sends it back to the start.
    con.execute("update audit_log set row_hash = repeat('0', 64) where seq = 10")
    r = audit.verify(con, resume=point)
    assert r.resumed_after is None and not r.ok


def test_retention_and_the_resume_point(con):
    fill(con, 10, start=T0, step=timedelta(days=200))
    point = (audit.verify(con).head_seq, audit.verify(con).head_hash)
    # Pruning rows older than the resume point: the walk resumes and checks the retention row.
    audit.prune(con, ADMIN, now=T0 + timedelta(days=2000), retention_days=3 * 365)
    r = audit.verify(con, resume=point)
    assert r.ok and r.resumed_after == 10 and r.checked == 1
    # Pruning the resume point itself: the whole (remaining) chain is walked again.
    audit.prune(con, ADMIN, now=T0 + timedelta(days=9000), retention_days=30)
    r = audit.verify(con, resume=point)
    assert r.ok and r.resumed_after is None
