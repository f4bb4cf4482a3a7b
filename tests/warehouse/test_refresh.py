"""Monthly refresh (issue 14, point 1; decision 066): two consecutive builds of one city, written here
as a city's systems would deliver them. The changes per child are exactly what changed in the
extracts; a third build of the same extracts finds none; casework is untouched by any of them."""

from __future__ import annotations

import hashlib

import duckdb

from kodomo_dash.warehouse.contracts import get
from kodomo_dash.warehouse.ingest.build import build_warehouse
from tests.warehouse.test_ingest import GOOD, REGISTRY_HEADER, query, write_csv

CHECKUP = get("infant_checkup").column_names
CONSULTATION = get("child_consultation").column_names


def child(i: int, moved_out: str = "") -> list[str]:
    return [f"00000001{i:02d}", "1000000001", "3", f"山田 子{i}", f"ヤマダ コ{i}", f"2020-0{1 + i % 9}-15", "1", "JP", "",
            "福岡市東区箱崎1丁目1-1", "4013100010001", "40131", "", moved_out]  # fmt: skip


def checkup(rid: str, kind: str, day: str) -> list[str]:
    row = dict.fromkeys(CHECKUP, "")
    row.update(resident_id=rid, checkup_type=kind, checkup_date=day)
    return [row[c] for c in CHECKUP]


def consultation(case: str, rid: str, day: str, protection: str) -> list[str]:
    row = dict.fromkeys(CONSULTATION, "")
    row.update(case_no=case, resident_id=rid, office="1", opened_date=day, temporary_protection=protection)
    return [row[c] for c in CONSULTATION]


def deliver(folder, registry, checkups, consultations, as_of, wh):
    folder.mkdir()
    write_csv(folder / "resident_registry.csv", REGISTRY_HEADER, registry)
    write_csv(folder / "infant_checkup.csv", CHECKUP, checkups)
    write_csv(folder / "child_consultation.csv", CONSULTATION, consultations)
    report = build_warehouse(folder, as_of=as_of, target=wh / "kodomo.duckdb", log=lambda _m: None)
    assert report.swapped, report.summary()
    return report


def changes(wh) -> set[tuple]:
    return set(query(wh, "select resident_id, kind, event_date::varchar, code from core.child_change"))


def test_two_monthly_builds_know_exactly_what_changed_per_child(tmp_path):
    wh = tmp_path / "wh"
    wh.mkdir()
    kids = [child(i) for i in range(30)]  # enough that two leaving stay under the gate's 10%
    casework = wh / "casework.duckdb"
    con = duckdb.connect(str(casework))
    con.execute("create table link_decision as select 'S1' as student_no, '0000000101' as resident_id")
    con.close()
    before = hashlib.sha256(casework.read_bytes()).hexdigest()

    first = deliver(tmp_path / "m1", [GOOD[0], *kids], [checkup("0000000101", "4m", "2025-07-10")], [],
                    "2025-08-01", wh)  # fmt: skip
    assert first.changes == 0  # nothing to compare with
    assert query(wh, "select count(*) from core.child_change_log") == [(0,)]

    # next month: child 2 moved out, child 3's registry row is gone, child 1 had another check-up,
    # child 4 came to the consultation office and was taken into temporary protection
    kids2 = [child(i, moved_out="2025-08-20" if i == 2 else "") for i in range(30) if i != 3]
    second = deliver(tmp_path / "m2", [GOOD[0], *kids2],
                     [checkup("0000000101", "4m", "2025-07-10"), checkup("0000000101", "18m", "2025-08-25")],
                     [consultation("C1", "0000000104", "2025-08-28", "true")], "2025-09-01", wh)  # fmt: skip
    expected = {
        ("0000000102", "moved_out", "2025-08-20", None),
        ("0000000103", "left_registry", None, None),
        ("0000000101", "checkup", "2025-08-25", "18m"),
        ("0000000104", "consultation", "2025-08-28", "1"),
        ("0000000104", "temporary_protection", "2025-08-28", "1"),
    }
    assert changes(wh) == expected
    assert second.changes == len(expected)
    (prev_id,) = query(wh, "select distinct previous_build_id from core.child_change")[0]
    assert query(wh, "select build_id, changes from meta.build_chain order by built_at")[0][0] == prev_id
    assert [r[1] for r in query(wh, "select build_id, changes from meta.build_chain order by built_at")] == [0, 5]
    # the child who moved out is still a person of the city's records, shown as 転出, not dropped
    assert query(wh, "select is_resident from core.person where resident_id = '0000000102'") == [(False,)]

    # the same extracts again: nothing is new, the log keeps what the second build found
    third = deliver(tmp_path / "m3", [GOOD[0], *kids2],
                    [checkup("0000000101", "4m", "2025-07-10"), checkup("0000000101", "18m", "2025-08-25")],
                    [consultation("C1", "0000000104", "2025-08-28", "true")], "2025-09-01", wh)  # fmt: skip
    assert third.changes == 0 and changes(wh) == set()
    assert query(wh, "select count(*) from core.child_change_log") == [(len(expected),)]
    assert len(query(wh, "select * from meta.build_chain")) == 3
    assert hashlib.sha256(casework.read_bytes()).hexdigest() == before  # no build touches casework


def test_another_city_is_not_compared_with_the_one_served(tmp_path):
    wh = tmp_path / "wh"
    wh.mkdir()
    deliver(tmp_path / "a", [GOOD[0], *[child(i) for i in range(30)]], [], [], "2025-08-01", wh)
    folder = tmp_path / "b"
    folder.mkdir()
    write_csv(folder / "resident_registry.csv", REGISTRY_HEADER, GOOD)
    report = build_warehouse(folder, as_of="2025-09-01", target=wh / "kodomo.duckdb", log=lambda _m: None,
                             compare_with_served=False)  # fmt: skip
    assert report.swapped and report.changes == 0
    assert len(query(wh, "select * from meta.build_chain")) == 1


def test_a_check_up_that_becomes_overdue_is_a_change_of_the_month_it_did(tmp_path):
    """Born 15 Feb 2022: 41 months old on 1 Aug 2025, 42 on 1 Sep — the 3-year check-up is now missed."""
    wh = tmp_path / "wh"
    wh.mkdir()
    ageing = child(99)
    ageing[5] = "2022-02-15"
    registry = [GOOD[0], *[child(i) for i in range(30)], ageing]
    deliver(tmp_path / "m1", registry, [], [], "2025-08-01", wh)
    deliver(tmp_path / "m2", registry, [], [], "2025-09-01", wh)
    assert changes(wh) == {("0000000199", "missed_checkup", None, "3y")}
    assert query(wh, "select as_of::varchar from core.child_change_log") == [("2025-09-01",)]


# --------------------------------------------------------------------------- the bad months


def test_last_months_extracts_after_this_months_are_refused_and_nothing_changes(tmp_path):
    wh = tmp_path / "wh"
    wh.mkdir()
    kids = [child(i) for i in range(30)]
    deliver(tmp_path / "m2", [GOOD[0], *kids], [], [], "2025-09-01", wh)
    served = hashlib.sha256((wh / "kodomo.duckdb").read_bytes()).hexdigest()
    old = tmp_path / "m1"
    old.mkdir()
    write_csv(old / "resident_registry.csv", REGISTRY_HEADER, [GOOD[0], *kids])
    report = build_warehouse(old, as_of="2025-08-01", target=wh / "kodomo.duckdb", log=lambda _m: None)
    assert not report.swapped
    (refusal,) = report.refusals
    assert refusal.name == "as_of" and "古い月の抽出" in refusal.message_ja and "2025-09-01" in refusal.message_ja
    assert "--accept-drop as_of" in refusal.message_ja  # how to take it on purpose (a correction)
    assert hashlib.sha256((wh / "kodomo.duckdb").read_bytes()).hexdigest() == served
    again = build_warehouse(old, as_of="2025-08-01", target=wh / "kodomo.duckdb", log=lambda _m: None,
                            accept_drop={"as_of"})  # fmt: skip
    assert again.swapped and [r.name for r in again.accepted] == ["as_of"]


def test_a_new_number_and_a_split_household_are_recorded_changes(tmp_path):
    wh = tmp_path / "wh"
    wh.mkdir()
    kids = [child(i) for i in range(30)]
    deliver(tmp_path / "m1", [GOOD[0], *kids], [], [], "2025-08-01", wh)
    kids2 = [list(k) for k in kids]
    kids2[5][0] = "0000009105"  # the registry gave child 5 a new 宛名番号
    kids2[6][1], kids2[6][10] = "1000000077", "4013100020002"  # child 6 left with a parent: a household of its own
    deliver(tmp_path / "m2", [GOOD[0], *kids2], [], [], "2025-09-01", wh)
    assert changes(wh) == {
        ("0000009105", "renumbered", None, "0000000105"),
        ("0000000105", "renumbered", None, "0000009105"),
        ("0000000105", "left_registry", None, None),
        ("0000000106", "household_changed", None, "1000000077"),
    }
