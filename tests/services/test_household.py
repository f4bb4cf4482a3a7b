"""The household and siblings view (issue 14 point 3) on a small hand-built warehouse.

One household in 東区 (40131): a mother receiving 児童扶養手当 and 生活保護, three children (one at
nursery, one on an accepted list with an assignee), a grandfather registered in 博多区 (40132) — a
ward user sees him only as a count. A neighbour household at the same address code, and a
stranger elsewhere who must never appear.
"""

from __future__ import annotations

from datetime import datetime

import duckdb
import pytest

from kodomo_dash.security.matrix import AccessDenied
from kodomo_dash.security.principal import Principal
from kodomo_dash.services import household as hh
from tests.casework_people import empty_casework, rows

ADMIN = Principal("admin_a", "admin")
MANAGER = Principal("mgr", "manager")
YOTAIKYO = Principal("yota", "yotaikyo")
NURSE = Principal("nurse_higashi", "ward_staff", ward_codes=("40131",))
HAKATA = Principal("nurse_hakata", "ward_staff", ward_codes=("40132",))
SCHOOL = Principal("teacher", "school", school_codes=("401001",))

ADDR, OTHER_ADDR = "4013100000001", "4013100000999"
# resident_id, household, relationship, name, age, sex, ward, address
PEOPLE = [
    ("R0000001", "H1", "1", "福岡 花子", 34, "2", "40131", ADDR),  # mother, head of household
    ("R0000002", "H1", "3", "福岡 太郎", 9, "1", "40131", ADDR),  # the child whose card is open
    ("R0000003", "H1", "3", "福岡 次郎", 5, "1", "40131", ADDR),  # sibling at nursery, on a list
    ("R0000004", "H1", "3", "福岡 三子", 2, "2", "40131", ADDR),  # sibling, missed the 18m check-up
    ("R0000005", "H1", "4", "福岡 一郎", 66, "1", "40132", ADDR),  # grandfather, registered in 博多区
    ("R0000006", "H2", "1", "博多 隣人", 40, "1", "40131", ADDR),  # another household, same address code
    ("R0000007", "H3", "3", "遠く 他人", 8, "2", "40131", OTHER_ADDR),  # elsewhere: never shown
    ("R0000008", "H2", "2", "博多 配偶", 39, "2", "40132", ADDR),  # the neighbour's spouse, registered in 博多区
]
CHILD = "R0000002"


def _build(path) -> None:
    con = duckdb.connect(str(path))
    try:
        for s in ("core", "features", "stg", "meta"):
            con.execute(f"create schema {s}")
        con.execute("create table meta.build_info as select date '2025-10-01' as as_of")
        con.execute(
            "create table core.person (resident_id varchar, household_id varchar, relationship varchar,"
            " name_kanji varchar, name_kana varchar, birth_date date, sex varchar, address_code varchar,"
            " ward_code varchar, ward_name varchar, age_years integer, is_resident boolean)")
        con.executemany(
            "insert into core.person values (?, ?, ?, ?, ?, null, ?, ?, ?, ?, ?, true)",
            [(r, h, rel, name, "フクオカ", sex, addr, ward, {"40131": "東区", "40132": "博多区"}[ward], age)
             for r, h, rel, name, age, sex, ward, addr in PEOPLE])  # fmt: skip
        con.execute("create table core.child as select * from core.person where age_years < 18")
        con.execute(
            "create table features.programme_flags as select resident_id, 0 as public_assistance,"
            " (resident_id in ('R0000002', 'R0000003', 'R0000004'))::int as child_rearing_allowance,"
            " 0 as special_child_allowance, 0 as single_parent_loan, 0 as medical_subsidy_single_parent,"
            " 0 as disability_handbook, 0 as child_disability_service,"
            " (resident_id = 'R0000003')::int as enrolled_any, 0 as school_expense_aid, 1 as newborn_visit_done"
            " from core.child")
        con.execute(
            "create table features.child_features as select resident_id, 0 as yotaikyo_open,"
            " 0 as missed_checkup_4m, (resident_id = 'R0000004')::int as missed_checkup_18m,"
            " 0 as missed_checkup_3y from core.child")
        con.execute("create table stg.public_assistance as select 'R0000001' as resident_id,"
                    " date '2024-04-01' as start_date, cast(null as date) as end_date")
        con.execute("create table stg.child_rearing_allowance as select 'R0000001' as recipient_resident_id,"
                    " 'R0000002' as child_resident_id, '1' as payment_class")
        con.execute("create table stg.single_parent_loan (borrower_resident_id varchar)")
        con.execute("create table stg.disability_handbook as select 'R0000005' as resident_id")
        con.execute("create table stg.medical_subsidy (resident_id varchar, subsidy_type varchar)")
        con.execute("create table stg.resident_tax as select * from (values ('H1', 2024, true, 'A'),"
                    " ('H1', 2025, true, 'B'), ('H2', 2025, false, 'D'))"
                    " as t(household_id, fiscal_year, tax_exempt, income_band)")
    finally:
        con.close()


def _list_sibling(folder) -> None:
    """R0000003 on an accepted ward list: passed the three departments, conference chose an approach."""
    con = duckdb.connect(str(folder / "casework.duckdb"))
    try:
        con.execute("insert into wf_list (list_id, fy, run_id, method, path, list_size, accepted_on, accepted_at,"
                    " accepted_by) values ('L1', 2025, 'run1', 'similarity', 'ward', 1, date '2025-08-20',"
                    " timestamp '2025-08-20 10:00', 'mgr')")
        con.execute("insert into wf_list_member (list_id, resident_id, ward_code, rank, score)"
                    " values ('L1', 'R0000003', '40131', 1, 0.9)")
        events = [("secondary", d, "pass", None) for d in ("childcare_support", "community_health_welfare", "health")]
        for stage, dept, decision, assignee in [*events, ("conference", None, "approach", "nurse_higashi")]:
            con.execute("insert into wf_event (list_id, resident_id, stage, event_date, department, decision,"
                        " assignee, recorded_at, recorded_by) values ('L1', 'R0000003', ?, date '2025-09-01',"
                        " ?, ?, ?, ?, 'mgr')", [stage, dept, decision, assignee, datetime(2025, 9, 1, 10)])
    finally:
        con.close()


@pytest.fixture
def folder(tmp_path, monkeypatch):
    folder = empty_casework(tmp_path, monkeypatch)
    _build(folder / "kodomo.duckdb")
    _list_sibling(folder)
    return folder


def _by_name(frame) -> dict[str, dict]:
    return {r["name_kanji"]: r for r in frame.to_dict("records")}


def test_the_household_shows_parent_and_siblings_with_relationship_programmes_and_support(folder):
    view = hh.household_view(NURSE, CHILD)
    members = _by_name(view.members)
    assert set(members) == {"福岡 花子", "福岡 太郎", "福岡 次郎", "福岡 三子"}
    assert list(view.members["name_kanji"])[0] == "福岡 花子"  # oldest first
    mother, sibling, baby = members["福岡 花子"], members["福岡 次郎"], members["福岡 三子"]
    assert (mother["relationship"], mother["age_years"]) == ("世帯主", 34)
    assert (sibling["relationship"], sibling["age_years"]) == ("子", 5)
    assert members["福岡 太郎"]["is_self"] and not sibling["is_self"]
    # The mother's own programmes (recipient of the allowance, assistance for the household).
    assert set(mother["programmes"]) == {"public_assistance", "child_rearing_allowance"}
    assert "enrolled_any" in sibling["programmes"] and "missed_checkup_18m" in baby["programmes"]
    assert "public_assistance" in sibling["programmes"]  # a household-level programme
    # Support status from casework: the sibling's list, stage and assignee; the others are on no list.
    assert (sibling["support_fy"], sibling["support_stage"], sibling["support_open"], sibling["assignee"]) == (
        2025, "conference", True, "nurse_higashi")
    assert mother["support_stage"] is None and mother["assignee"] is None
    # The neighbour household at the same address code, apart; nobody from elsewhere.
    assert list(view.same_address["name_kanji"]) == ["博多 隣人"]
    assert "R0000007" not in set(view.members["resident_id"]) | set(view.same_address["resident_id"])


def test_a_member_in_another_ward_is_only_counted_for_a_ward_user_and_shown_to_a_manager(folder):
    ward = hh.household_view(NURSE, CHILD)
    assert ward.hidden_members == 1 and ward.hidden_same_address == 1
    shown = set(ward.members["resident_id"]) | set(ward.same_address["resident_id"])
    assert not {"R0000005", "R0000008"} & shown
    assert "一郎" not in ward.members.to_string() and "配偶" not in ward.same_address.to_string()
    managed = hh.household_view(MANAGER, CHILD)
    assert managed.hidden_members == 0 and managed.hidden_same_address == 0
    assert list(managed.same_address["name_kanji"]) == ["博多 隣人", "博多 配偶"]
    grandpa = _by_name(managed.members)["福岡 一郎"]
    assert (grandpa["relationship"], grandpa["ward_name"], grandpa["programmes"]) == (
        "父母", "博多区", ("public_assistance", "disability_handbook"))


def test_tax_columns_only_for_admin_and_yotaikyo(folder):
    for who in (ADMIN, YOTAIKYO):
        view = hh.household_view(who, CHILD)
        assert view.tax
        mother = _by_name(view.members)["福岡 花子"]
        assert (mother["tax_fiscal_year"], mother["tax_exempt"], mother["income_band"]) == (2025, True, "B")
        assert _by_name(view.same_address)["博多 隣人"]["income_band"] == "D"
    for who in (MANAGER, NURSE):
        view = hh.household_view(who, CHILD)
        assert not view.tax
        for frame in (view.members, view.same_address):
            assert not set(hh.TAX_COLUMNS) & set(frame.columns), who.role


def test_each_view_is_audited_naming_the_child_and_how_many_were_shown(folder):
    hh.household_view(NURSE, CHILD)
    (row,) = rows(folder, "select username, action, page, resident_id, target, n_children, detail from audit_log"
                          " where target = 'household'")
    assert row[:6] == ("nurse_higashi", "view_child", "child_card", CHILD, "household", 5)
    assert '"in_household":4' in row[6] and '"out_of_scope":2' in row[6] and '"same_location":1' in row[6]
    assert "福岡" not in row[6]


def test_a_child_outside_the_scope_is_refused_like_a_missing_one_and_audited(folder):
    assert hh.household_view(HAKATA, CHILD) is None
    assert rows(folder, "select action, resident_id from audit_log where username = 'nurse_hakata'") == [
        ("access_denied", CHILD)]
    assert hh.household_view(NURSE, "R9999999") is None
    with pytest.raises(AccessDenied):
        hh.household_view(SCHOOL, CHILD)
    assert rows(folder, "select count(*) from audit_log where action = 'view_child'") == [(0,)]


def test_relationship_labels_keep_an_unknown_code_visible():
    assert hh.relationship_label("1") == "世帯主"
    assert hh.relationship_label("X") == "⚠X"
    assert hh.relationship_label(None) is None


def test_flags_are_grouped_as_the_matrix_groups_their_sources():
    from kodomo_dash.security import matrix
    from kodomo_dash.services.children import FEATURE_GROUPS

    # As the card groups its indicators, or (a flag the card does not show) as its source is grouped.
    expected = {c: FEATURE_GROUPS.get(c) or matrix.column_group("any", c) for c in hh.PROGRAMME_GROUPS}
    assert hh.PROGRAMME_GROUPS == expected
