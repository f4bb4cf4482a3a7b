"""The 名寄せ review page under AppTest: the queue side by side, a decision saved, audited and gone."""

from __future__ import annotations

import shutil
import time

import duckdb
import pytest

from tests.pages.test_quality import demo_users, signed_in  # noqa: F401 - fixture

pytestmark = pytest.mark.usefixtures("demo_users")


@pytest.fixture
def private_warehouse(built_warehouse, tmp_path, monkeypatch):
    """A copy of the fixture city with its own casework: decisions must not leak between tests."""
    shutil.copy(built_warehouse / "kodomo.duckdb", tmp_path / "kodomo.duckdb")
    monkeypatch.setenv("KODOMO_WAREHOUSE", str(tmp_path))
    return tmp_path


def queue_rows(warehouse) -> list[tuple]:
    con = duckdb.connect(str(warehouse / "kodomo.duckdb"), read_only=True)
    try:
        return con.execute("select student_no, resident_id, review_id from link.review_queue"
                           " order by student_no, candidate_rank").fetchall()
    finally:
        con.close()


def open_page(role: str = "manager"):
    started = time.perf_counter()
    at = signed_in(role, "linkage_review").run()
    at.render_seconds = time.perf_counter() - started
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_manager_sees_every_pair_side_by_side(private_warehouse):
    rows = queue_rows(private_warehouse)
    assert rows, "the fixture city has at least one pair to review"
    at = open_page()
    assert [t.value for t in at.title] == ["名寄せ確認"]
    shown = {m.label: m.value for m in at.metric}
    assert shown["候補の組"] == f"{len(rows):,}"
    table = at.dataframe[0].value
    assert list(table.index[:4]) == ["氏名", "カナ", "性別", "生年月日"]
    assert table.columns[0] == "学校の記録" and len(table.columns) >= 2
    assert "氏名:" in table.iloc[:, 1]["一致した比較"]
    assert "次回のデータ構築" in " ".join(i.value for i in at.info)
    assert at.render_seconds < 30


def test_linking_a_pair_saves_audits_and_removes_it(private_warehouse):
    student_no, resident_id, review_id = queue_rows(private_warehouse)[0]
    at = open_page()
    at.button(key=f"lk_link_{review_id}").click().run()
    assert not at.exception
    assert any(student_no in s.value and "同一人物" in s.value for s in at.success)
    assert not any(b.key == f"lk_link_{review_id}" for b in at.button)

    con = duckdb.connect(str(private_warehouse / "casework.duckdb"))
    try:
        decisions = con.execute("select student_no, resident_id, decision, decided_by from link_decision").fetchall()
        audited = con.execute("select action, page, resident_id from audit_log where page = 'linkage_review'"
                              " order by seq").fetchall()
    finally:
        con.close()
    assert decisions == [(student_no, resident_id, "link", "manager")]
    assert ("form_save", "linkage_review", resident_id) in audited
    assert any(a[0] == "search" for a in audited), "showing the queue is audited"

    from kodomo_dash.warehouse.linkage.decisions import decisions_for_build

    assert [(d.student_no, d.resident_id, d.decision) for d in decisions_for_build()] == [
        (student_no, resident_id, "link")
    ], "the next build reads the decision back"


def test_later_keeps_the_pair_marked(private_warehouse):
    student_no, _, review_id = queue_rows(private_warehouse)[0]
    at = open_page()
    at.button(key=f"lk_later_{review_id}").click().run()
    assert not at.exception
    assert any(b.key == f"lk_link_{review_id}" for b in at.button)
    assert any("保留中" in s.value for s in at.subheader)


def test_ward_staff_is_refused(private_warehouse):
    at = signed_in("ward_staff", "linkage_review").run()
    assert any("権限がありません" in e.value for e in at.error)
    assert not at.dataframe
