"""core and features SQL on a hand-built city whose answers are known by heart."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from kodomo_dash.infra.db import open_read_only
from kodomo_dash.warehouse.contracts import get
from kodomo_dash.warehouse.ingest.build import build_warehouse


def _write(src: Path, contract: str, rows: list[dict]) -> None:
    cols = get(contract).column_names
    with (src / f"{contract}.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=cols)
        w.writeheader()
        for r in rows:
            w.writerow({c: r.get(c, "") for c in cols})


def person(rid, hh, rel, name, kana, born, sex, ward="40131", addr="4013100010001", **kw):
    return dict(resident_id=rid, household_id=hh, relationship=rel, name_kanji=name, name_kana=kana,
                birth_date=born, sex=sex, nationality=kw.get("nationality", "JP"), address_text="福岡市",
                address_code=addr, ward_code=ward, moved_out_date=kw.get("moved_out_date", ""))


@pytest.fixture(scope="module")
def wh(tmp_path_factory):
    src = tmp_path_factory.mktemp("src")
    target = tmp_path_factory.mktemp("wh") / "kodomo.duckdb"
    _write(src, "resident_registry", [
        # household A: single mother, two children (twins aged 4), on child-rearing allowance
        person("0000000001", "1000000001", "1", "田中 由美", "タナカ ユミ", "2004-03-10", "2"),
        person("0000000002", "1000000001", "3", "田中 蓮", "タナカ レン", "2021-05-20", "1"),
        person("0000000003", "1000000001", "3", "田中 葵", "タナカ アオイ", "2021-05-20", "2"),
        # household B: grandparents head; mother and father are 子 of the head; child is 孫
        person("0000000011", "1000000002", "1", "佐藤 一郎", "サトウ イチロウ", "1960-01-01", "1", ward="40132"),
        person("0000000012", "1000000002", "3", "佐藤 健", "サトウ ケン", "1990-01-01", "1", ward="40132"),
        person("0000000013", "1000000002", "3", "佐藤 真央", "サトウ マオ", "1991-01-01", "2", ward="40132"),
        person("0000000014", "1000000002", "7", "佐藤 湊", "サトウ ミナト", "2019-04-01", "1", ward="40132"),
        # household C: a child who moved out before the as-of date
        person("0000000021", "1000000003", "3", "鈴木 陽", "スズキ ヒナタ", "2020-07-07", "1",
               moved_out_date="2025-06-30"),
    ])
    _write(src, "child_rearing_allowance", [
        dict(recipient_resident_id="0000000001", child_resident_id="0000000002", payment_class="1",
             start_date="2023-01-01"),
    ])
    _write(src, "nursery_enrolment", [
        # unlicensed nursery: still enrolment
        dict(resident_id="0000000003", facility_code="F1", facility_type="21", licensed="2", start_date="2024-04-01"),
        # enrolment that ended before as-of: not enrolled now
        dict(resident_id="0000000002", facility_code="F2", facility_type="11", licensed="1", start_date="2023-04-01",
             end_date="2024-03-31"),
    ])
    _write(src, "pregnancy_notification", [
        dict(notification_id="N1", mother_resident_id="0000000001", child_resident_id="0000000002",
             notification_date="2020-12-01", weeks_at_notification="24", mother_age="16", due_date="2021-06-01"),
    ])
    _write(src, "child_consultation", [
        dict(case_no="C1", resident_id="0000000014", office="1", main_complaint="11", opened_date="2023-02-01",
             closed_date="2023-06-01", temporary_protection="1"),
        dict(case_no="C2", resident_id="0000000002", office="1", main_complaint="50", opened_date="2025-08-01"),
    ])
    _write(src, "nurse_contact", [
        dict(contact_id="K1", resident_id="0000000002", contact_date="2021-07-01", contact_type="1"),
        dict(contact_id="K2", resident_id="0000000002", contact_date="2021-08-01", contact_type="2"),
    ])
    build_warehouse(src, as_of="2025-09-01", target=target, log=lambda _m: None)
    con = open_read_only(target)
    yield con
    con.close()


def features(con, rid):
    df = con.execute("select * from features.child_features where resident_id = ?", [rid]).df()
    assert len(df) == 1, rid
    return df.iloc[0]


def test_children_are_residents_under_18(wh):
    ids = {r[0] for r in wh.execute("select resident_id from core.child").fetchall()}
    assert ids == {"0000000002", "0000000003", "0000000014"}  # mover and adults excluded


def test_school_year_class_age(wh):
    ages = dict(wh.execute("select resident_id, class_age from core.child").fetchall())
    assert ages["0000000002"] == 3  # born 2021-05: aged 3 on 1 April 2025, so 3歳児クラス
    assert ages["0000000014"] == 6  # born 1 April 2019: first grade in FY2025 (早生まれ)


def test_single_parent_by_household_composition(wh):
    sp = dict(wh.execute("select household_id, single_parent from core.household").fetchall())
    assert sp["1000000001"] == 1
    assert sp["1000000002"] == 0  # two parents under a grandparent head


def test_participant_flags_completed_with_zero(wh):
    f2, f3 = features(wh, "0000000002"), features(wh, "0000000003")
    assert (f2.child_rearing_allowance, f3.child_rearing_allowance) == (1, 0)
    assert f3.enrolled_any == 1 and f3.enrolled_licensed == 0  # unlicensed counts as enrolled
    assert f2.enrolled_any == 0  # ended enrolment


def test_fukuoka_factors(wh):
    f = features(wh, "0000000002")
    assert f.mother_age_at_notification == 16
    assert f.days_notification_to_due == 182
    assert (f.nurse_contacts, f.nurse_visits, f.nurse_calls) == (2, 1, 1)
    assert f.n_children_household == 2 and f.multiple_birth == 1
    assert f.open_consultation == 1 and f.past_support_case == 0


def test_past_support_case_label(wh):
    f = features(wh, "0000000014")
    assert f.past_support_case == 1 and f.past_temporary_protection == 1 and f.open_consultation == 0


def test_each_warehouse_sql_file_makes_one_table_or_view_and_says_so_first():
    """One table a file (decision 059): each numbered file creates one table or view, and its first
    line is a header comment naming the file, so the folder reads as the list of what a build makes."""
    import re

    from kodomo_dash.infra.db import sql_files

    files = sql_files()
    assert len(files) >= 15
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert text.startswith(f"-- {path.stem}: "), path.name
        made = re.findall(r"create or replace (?:table|view) ([a-z_]+\.[a-z_0-9]+)", text, flags=re.IGNORECASE)
        assert len(made) == 1, (path.name, made)


def test_the_tables_read_one_person_at_a_time_carry_their_lookup_indexes(wh):
    """Decision 069: the card, the household view and the summary sheet look people up by key; without
    these indexes each lookup scans the whole table (a benchmark figure, not asserted here)."""
    have = {(t, c) for t, c in wh.execute(
        "select table_name, unnest(regexp_extract_all(sql, '\\(([a-z_]+)\\)', 1)) from duckdb_indexes()"
        " where database_name = current_database()").fetchall()}  # fmt: skip
    assert {("person", "resident_id"), ("person", "household_id"), ("person", "address_code"),
            ("household_member", "address_code"), ("programme_flags", "resident_id"),
            ("child_features", "resident_id"), ("quarantine_person", "resident_id")} <= have

