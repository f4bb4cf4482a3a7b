"""The child card's timeline (issue 14, point 2): the facts the builds brought, the screening runs that
listed the child and every casework step, in one chronological list, within the card's right and
column groups, and audited with the card."""

from __future__ import annotations

import shutil
from datetime import date

import duckdb
import pandas as pd
import pytest

from kodomo_dash.security.principal import Principal
from kodomo_dash.services import children, support
from tests.casework_people import draft_listing, empty_casework, rows

MANAGER = Principal("mgr", "manager")
NURSE = Principal("nurse_higashi", "ward_staff", ward_codes=("40131",))


@pytest.fixture
def city(built_warehouse, tmp_path, monkeypatch):
    """The fixture city's build in a folder of this test's own, with empty casework beside it, and the
    child of 東区 with the most facts of more than one kind."""
    shutil.copy(built_warehouse / "kodomo.duckdb", tmp_path / "kodomo.duckdb")
    empty_casework(tmp_path, monkeypatch)
    con = duckdb.connect(str(tmp_path / "kodomo.duckdb"), read_only=True)
    try:
        rid, school = con.execute(
            "select e.resident_id, any_value(f.school_code) from core.child_event e join core.child c using (resident_id)"
            " left join features.child_features f using (resident_id)"
            " where c.ward_code = '40131' and c.age_years between 3 and 6"
            " group by 1 having count(distinct e.source) >= 2 order by count(*) desc, 1 limit 1").fetchone()
        facts = con.execute("select source, count(*) from core.child_event where resident_id = ? group by 1",
                            [rid]).fetchall()  # fmt: skip
    finally:
        con.close()
    return tmp_path, rid, school, dict(facts)


def _screen_and_record(folder, rid: str) -> str:
    """A manager accepts a run that lists the child; ward staff record the health division's check."""
    run_id = draft_listing(folder, [rid], ["40131"], reasons=("4か月健診未受診",))
    list_id = support.accept_run(MANAGER, run_id, fy=2025, programme="fukuoka-unenrolled", accepted_on=date(2025, 8, 20))
    support.record_secondary(NURSE, list_id, [rid], department="health", decision="pass", event_date=date(2025, 8, 25))
    return run_id


def test_one_list_holds_the_facts_the_screening_and_the_support_in_date_order(city):
    folder, rid, _school, facts = city
    run_id = _screen_and_record(folder, rid)
    card = children.child_card(NURSE, rid)
    tl = card.timeline
    assert list(tl.columns) == children.TIMELINE_COLUMNS
    assert (tl["kind"] == "data").sum() == sum(facts.values())  # ward staff hold every group but tax
    screening = tl[tl["kind"] == "screening"]
    assert len(screening) == 1 and run_id in screening["detail"].iloc[0] and "1.000" in screening["detail"].iloc[0]
    casework = tl[tl["kind"] == "casework"]
    assert len(casework) == 1 and casework["date"].iloc[0] == pd.Timestamp("2025-08-25")
    dated = tl["date"].dropna()
    assert dated.is_monotonic_increasing  # one chronological list; undated states last
    assert rows(folder, "select count(*) from audit_log where action = 'view_child' and resident_id = ?"
                        " and username = 'nurse_higashi'", [rid]) == [(1,)]  # fmt: skip


def test_another_wards_staff_get_no_timeline_and_the_refusal_is_audited(city):
    folder, rid, _school, _facts = city
    hakata = Principal("nurse_hakata", "ward_staff", ward_codes=("40132",))
    assert children.child_card(hakata, rid) is None
    assert rows(folder, "select count(*) from audit_log where action = 'access_denied' and username = 'nurse_hakata'"
                        " and resident_id = ?", [rid]) == [(1,)]  # fmt: skip
    assert rows(folder, "select count(*) from audit_log where action = 'view_child' and username = 'nurse_hakata'") == [
        (0,)]


def test_a_new_number_and_a_new_household_show_on_the_childs_timeline(tmp_path, monkeypatch):
    """The registry renumbered a child and another left with a parent: each card says so, dated by the
    build that found it, with the old number or the new household (decision 069)."""
    from tests.warehouse.test_ingest import GOOD
    from tests.warehouse.test_refresh import child, deliver

    empty_casework(tmp_path, monkeypatch)
    kids = [child(i) for i in range(30)]
    deliver(tmp_path / "m1", [GOOD[0], *kids], [], [], "2025-08-01", tmp_path)
    kids2 = [list(k) for k in kids]
    kids2[5][0] = "0000009105"
    kids2[6][1], kids2[6][10] = "1000000077", "4013100020002"
    deliver(tmp_path / "m2", [GOOD[0], *kids2], [], [], "2025-09-01", tmp_path)

    renumbered = children.child_card(MANAGER, "0000009105").timeline
    assert any(d == "宛名番号の変更：0000000105" for d in renumbered["detail"])
    moved = children.child_card(MANAGER, "0000000106").timeline
    row = moved[moved["detail"] == "世帯の変更：1000000077"]
    assert len(row) == 1 and row["date"].iloc[0] == pd.Timestamp("2025-09-01")
