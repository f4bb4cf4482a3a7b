"""The push-support steps as people take them, through the service functions the screens call.

Every test starts from what a person does — a manager accepts a draft screening run, ward staff
record checks, a manager corrects — on an empty casework file; none starts from a simulated year.
"""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

from kodomo_dash.casework import form_store, vocabulary
from kodomo_dash.casework.store import CaseworkError
from kodomo_dash.security.matrix import AccessDenied
from kodomo_dash.security.principal import Principal
from kodomo_dash.services import support, workflow
from kodomo_dash.services.workflow import OutOfScope
from tests.casework_people import LISTED, N, draft, empty_casework, rid, rows

TODAY = date(2026, 3, 31)
MANAGER = Principal("mgr", "manager")
STAFF = Principal("staff_higashi", "ward_staff", ward_codes=("40131",))
OTHER_WARD = Principal("staff_hakata", "ward_staff", ward_codes=("40132",))


@pytest.fixture
def casework_dir(tmp_path, monkeypatch):
    return empty_casework(tmp_path, monkeypatch)


@pytest.fixture
def ward_list(casework_dir) -> str:
    run_id = draft(casework_dir)
    return support.accept_run(MANAGER, run_id, fy=2025, programme="fukuoka-unenrolled", accepted_on=LISTED)


def test_accepting_creates_the_list_with_its_programme_and_one_audit_row(casework_dir):
    run_id = draft(casework_dir)
    with pytest.raises(AccessDenied):  # ward staff may view screening, not accept
        support.accept_run(STAFF, run_id, fy=2025, programme="fukuoka-unenrolled")
    list_id = support.accept_run(MANAGER, run_id, fy=2025, programme="fukuoka-unenrolled", accepted_on=LISTED)
    assert rows(casework_dir, "select status from screening_run") == [("accepted",)]
    assert rows(casework_dir, "select fy, programme, path, list_size, cohort_size, accepted_by from wf_list") == [
        (2025, "fukuoka-unenrolled", "ward", N, N * 6, "mgr")]
    assert rows(casework_dir, "select action, username, page, target, n_children from audit_log"
                " where action <> 'access_denied'") == [
        ("form_save", "mgr", "screening", f"wf_list:{list_id}", N)]


def test_a_department_marks_thirty_children_in_support_in_one_go_each_audited(casework_dir, ward_list):
    chosen = [rid(i) for i in range(30)]
    ids = support.record_secondary(STAFF, ward_list, chosen, department="childcare_support", decision="exclude",
                                   reason="in_support", event_date=date(2025, 8, 25), today=TODAY)  # fmt: skip
    assert len(ids) == 30
    assert rows(casework_dir, "select count(*), count(distinct resident_id) from wf_event_current"
                " where stage = 'secondary' and reason = 'in_support'") == [(30, 30)]  # fmt: skip
    audited = rows(casework_dir, "select resident_id, username, page from audit_log where page = 'support_record'")
    assert sorted(a[0] for a in audited) == sorted(chosen) and {a[1:] for a in audited} == {
        ("staff_higashi", "support_record")}
    # those 30 leave the department's queue; the 5 others of the ward remain (博多区 is not theirs)
    waiting = support.queue(STAFF, ward_list, "secondary", department="childcare_support")
    assert sorted(waiting["resident_id"]) == [rid(i) for i in range(30, 35)]


def test_one_bad_child_in_a_bulk_save_saves_nothing_and_is_named(casework_dir, ward_list):
    support.record_secondary(STAFF, ward_list, [rid(3)], department="health", decision="pass",
                             event_date=date(2025, 8, 25), today=TODAY)  # fmt: skip
    before = rows(casework_dir, "select count(*) from wf_event"), rows(casework_dir, "select count(*) from audit_log")
    with pytest.raises(CaseworkError) as err:
        support.record_secondary(STAFF, ward_list, [rid(1), rid(2), rid(3), rid(4)], department="health",
                                 decision="pass", event_date=date(2025, 8, 26), today=TODAY)  # fmt: skip
    assert "R0000003" in err.value.message_ja and "記録済み" in err.value.message_ja
    assert "何も保存していません" in err.value.message_ja
    after = rows(casework_dir, "select count(*) from wf_event"), rows(casework_dir, "select count(*) from audit_log")
    assert after == before


@pytest.mark.parametrize(
    ("kwargs", "field", "words"),
    [
        ({"decision": "exclude", "reason": None}, "reason", "理由を選んで"),
        ({"decision": "exclude", "reason": "other", "note": " "}, "note", "備考"),
        ({"decision": None}, "decision", "結果を選んで"),
        ({"decision": "pass", "event_date": date(2026, 4, 2)}, "event_date", "未来の日付"),
        ({"decision": "pass", "event_date": None}, "event_date", "日付を入力"),
    ],
)
def test_bad_input_gets_a_message_next_to_its_field_and_saves_nothing(casework_dir, ward_list, kwargs, field, words):
    args = {"department": "health", "event_date": date(2025, 8, 25), **kwargs}
    with pytest.raises(CaseworkError) as err:
        support.record_secondary(STAFF, ward_list, [rid(1)], today=TODAY, **args)
    assert words in str(err.value.field_errors[field])
    assert rows(casework_dir, "select count(*) from wf_event") == [(0,)]


def test_a_date_before_the_list_a_child_not_on_it_and_another_ward_are_refused(casework_dir, ward_list):
    with pytest.raises(CaseworkError) as err:
        support.record_secondary(STAFF, ward_list, [rid(1)], department="health", decision="pass",
                                 event_date=date(2025, 8, 1), today=TODAY)  # fmt: skip
    assert "確定日" in err.value.message_ja
    with pytest.raises(CaseworkError) as err:
        support.record_secondary(STAFF, ward_list, ["R9999999"], department="health", decision="pass",
                                 event_date=date(2025, 8, 25), today=TODAY)  # fmt: skip
    assert "含まれていません" in err.value.message_ja
    with pytest.raises(OutOfScope):
        support.record_secondary(OTHER_WARD, ward_list, [rid(1)], department="health", decision="pass",
                                 event_date=date(2025, 8, 25), today=TODAY)  # fmt: skip
    assert rows(casework_dir, "select count(*) from wf_event") == [(0,)]


def test_a_stale_screen_is_refused(casework_dir, ward_list):
    waiting = support.queue(STAFF, ward_list, "secondary", department="health")
    versions = dict(zip(waiting["resident_id"], waiting["state_version"], strict=True))
    support.record_secondary(STAFF, ward_list, [rid(1)], department="childcare_support", decision="pass",
                             event_date=date(2025, 8, 25), today=TODAY)  # another department meanwhile
    with pytest.raises(CaseworkError) as err:
        support.record_secondary(STAFF, ward_list, [rid(1), rid(2)], department="health", decision="pass",
                                 event_date=date(2025, 8, 25), versions={r: versions[r] for r in (rid(1), rid(2))},
                                 today=TODAY)  # fmt: skip
    assert "読み込み直して" in err.value.message_ja and "R0000001" in err.value.message_ja
    assert rows(casework_dir, "select count(*) from wf_event where department = 'health'") == [(0,)]


def walk_to_visit(list_id: str, child: str) -> None:
    """Secondary (three departments), conference (approach), approach start: what staff do first."""
    for dept in vocabulary.DEPARTMENTS:
        support.record_secondary(STAFF, list_id, [child], department=dept, decision="pass",
                                 event_date=date(2025, 8, 27), today=TODAY)  # fmt: skip
    assert list(support.queue(STAFF, list_id, "conference")["resident_id"]) == [child]
    with pytest.raises(CaseworkError) as err:  # approach needs an assigned person
        support.record_conference(STAFF, list_id, [child], decision="approach", event_date=date(2025, 9, 1),
                                  today=TODAY)  # fmt: skip
    assert "assignee" in err.value.field_errors
    support.record_conference(STAFF, list_id, [child], decision="approach", assignee="nurse_a",
                              department="health", event_date=date(2025, 9, 1), today=TODAY)  # fmt: skip
    support.record_approach(STAFF, list_id, [child], decision="start", assignee="nurse_a", how="home_visit",
                            event_date=date(2025, 9, 3), today=TODAY)  # fmt: skip


def test_one_child_from_list_to_outcome_through_the_services(casework_dir, ward_list):
    child = rid(7)
    walk_to_visit(ward_list, child)
    nurse = Principal("nurse_a", "ward_staff", ward_codes=("40131",))
    rec = workflow.start_form("home_visit_record", ward_list, child, nurse, "forms_home_visit", client_token="t1")
    result = workflow.save_form(
        rec.form_id,
        {"attempted_on": "2025-09-10", "method": "home_visit", "result": "contacted", "needs": "yes",
         "advice": ["enrolment"], "information": ["consultation_desk"], "outcomes": ["enrolled"]},
        expected_version=rec.version, principal=nurse, page="forms_home_visit", submit=True, today=TODAY,
    )  # fmt: skip
    assert len(result.event_ids) == 5  # attempt, contact, two acts, outcome
    state = rows(casework_dir, "select current_stage, needs, outcome_codes from wf_child_state where resident_id = ?",
                 [child])  # fmt: skip
    assert state[0][1] == "yes" and "enrolled" in state[0][2]
    history = support.child_history(STAFF, ward_list, child)
    assert list(history["stage"]) == ["secondary"] * 3 + ["conference", "approach", "contact_attempt", "contact",
                                                           "support_act", "support_act", "outcome"]  # fmt: skip


def test_a_manager_voids_a_wrong_record_and_sends_a_form_back_both_kept_and_audited(casework_dir, ward_list):
    child = rid(8)
    support.record_secondary(STAFF, ward_list, [child], department="health", decision="exclude",
                             reason="enrolled", event_date=date(2025, 8, 25), today=TODAY)  # fmt: skip
    wrong = int(support.child_history(STAFF, ward_list, child)["event_id"].iloc[0])
    with pytest.raises(AccessDenied):  # staff ask; a manager corrects
        support.void_event(STAFF, wrong, note="誤入力")
    with pytest.raises(CaseworkError) as err:
        support.void_event(MANAGER, wrong, note=" ")
    assert "note" in err.value.field_errors
    support.void_event(MANAGER, wrong, note="別の子と取り違え", today=TODAY)
    history = support.child_history(MANAGER, ward_list, child)
    assert history.loc[history["event_id"] == wrong, "voided"].item()
    assert history.loc[history["event_id"] == wrong, "void_reason"].item() == "別の子と取り違え"
    assert list(support.queue(STAFF, ward_list, "secondary", department="health")["resident_id"]).count(child) == 1
    from kodomo_dash.services.children import _casework  # what the child card's support tab shows

    con = duckdb.connect(str(casework_dir / "casework.duckdb"))
    try:
        card_history = _casework(con, child)[3]
    finally:
        con.close()
    assert card_history.loc[card_history["event_id"] == wrong, "void_reason"].item() == "別の子と取り違え"

    walk_to_visit(ward_list, child)
    nurse = Principal("nurse_a", "ward_staff", ward_codes=("40131",))
    rec = workflow.start_form("home_visit_record", ward_list, child, nurse, "forms_home_visit", client_token="v1")
    saved = workflow.save_form(rec.form_id, {"attempted_on": "2025-09-10", "method": "phone", "result": "absent"},
                               expected_version=rec.version, principal=nurse, page="forms_home_visit", submit=True,
                               today=TODAY)  # fmt: skip
    with pytest.raises(CaseworkError):  # an event made by a form goes back with its form, not alone
        support.void_event(MANAGER, saved.event_ids[0], note="訂正")
    back = support.send_back_form(MANAGER, rec.form_id, expected_version=saved.version, note="日付の誤り",
                                  today=TODAY)  # fmt: skip
    assert back.status == "draft" and back.version == saved.version + 1
    revisions = rows(casework_dir, "select version, status, op, note from form_revision where form_id = ? order by version",
                     [rec.form_id])  # fmt: skip
    assert [r[2] for r in revisions] == ["request", "submit", "reopen"] and revisions[-1][3] == "日付の誤り"
    history = support.child_history(MANAGER, ward_list, child)
    assert history.loc[history["stage"] == "contact_attempt", "voided"].all()
    audited = rows(casework_dir, "select username, detail->>'op' from audit_log where username = 'mgr'")
    assert ("mgr", "void") in audited and ("mgr", "reopen") in audited


def test_the_city_requests_school_sheets_and_records_the_school_decision(casework_dir):
    run_id = draft(casework_dir, method="edu_welfare", path="school", n=6)
    list_id = support.accept_run(MANAGER, run_id, fy=2025, programme="izumi-abuse-school", accepted_on=LISTED)
    assert rows(casework_dir, "select path, screening_sheet_required from wf_list") == [("school", True)]
    n = support.request_sheets(MANAGER, list_id, "school_screening_sheet",
                               assignee_for={"27219000": "teacher_a", "27219001": "teacher_b"})  # fmt: skip
    assert n == 6 and support.request_sheets(MANAGER, list_id, "school_screening_sheet") == 0
    support.request_sheets(MANAGER, list_id, "ssw_hearing_sheet")
    teacher = Principal("teacher_a", "school", school_codes=("27219000",))
    mine = workflow.forms_in_scope("school_screening_sheet", teacher, mine_only=True)
    assert len(mine) == 2 and {f.assignee for f in mine} == {"teacher_a"}
    child = mine[0].resident_id
    workflow.save_form(mine[0].form_id, {"observed_on": "2025-09-05", "attendance": "some", "appearance": "concern",
                                         "emotional": "concern", "injury_signs": "none", "concern_level": "high",
                                         "ssw_hearing_requested": True},
                       expected_version=mine[0].version, principal=teacher, page="forms_school_sheet", submit=True,
                       today=TODAY)  # fmt: skip
    ssw = Principal("ssw_1", "ssw", school_codes=("27219000",))
    sheet = form_store.form_id_for("ssw_hearing_sheet", list_id, child)
    rec = workflow.load_form(sheet, ssw, "forms_ssw_sheet")
    workflow.save_form(sheet, {"heard_on": "2025-09-20", "heard_from": ["homeroom_teacher"], "school_life": "聞き取り",
                               "abuse_risk": "high", "recommended_path": "yotaikyo_case_meeting"},
                       expected_version=rec.version, principal=ssw, page="forms_ssw_sheet", submit=True, today=TODAY)  # fmt: skip
    assert list(support.queue(MANAGER, list_id, "school_decision")["resident_id"]) == [child]
    with pytest.raises(CaseworkError) as err:
        support.record_school_decision(MANAGER, list_id, [child], decision="no_support", event_date=date(2025, 10, 1),
                                       today=TODAY)  # fmt: skip
    assert "reason" in err.value.field_errors
    support.record_school_decision(MANAGER, list_id, [child], decision="yotaikyo_case_meeting",
                                   event_date=date(2025, 10, 1), today=TODAY)  # fmt: skip
    assert rows(casework_dir, "select school_decision from wf_child_state where resident_id = ?", [child]) == [
        ("yotaikyo_case_meeting",)]
    with pytest.raises(CaseworkError):  # sheets belong to the school path only
        ward = support.accept_run(MANAGER, draft(casework_dir), fy=2025, programme="fukuoka-unenrolled",
                                  accepted_on=LISTED)  # fmt: skip
        support.request_sheets(MANAGER, ward, "school_screening_sheet")


def test_the_simulated_year_is_played_by_signed_in_roles(casework_dir):
    """The scenario year goes through the services: every step has its person's audit row."""
    from kodomo_dash.demo.simulate import simulate_scenario

    con = duckdb.connect(str(casework_dir / "casework.duckdb"))
    try:
        simulate_scenario(con, "fukuoka-fy2025", seed=3, scale=0.1)
        by_page = dict(con.execute(
            "select page, count(distinct role) from audit_log group by page").fetchall())  # fmt: skip
        roles = {r for (r,) in con.execute("select distinct role from audit_log").fetchall()}
        events = con.execute("select count(*) from wf_event").fetchone()[0]
        audited_events = con.execute(
            "select count(*) from audit_log where target like 'wf_event:%' or target like 'form:%'").fetchone()[0]
    finally:
        con.close()
    assert roles == {"manager", "ward_staff"}
    assert {"screening", "support_record", "forms_conference", "forms_home_visit"} <= set(by_page)
    assert audited_events > 0 and events > 0


def test_the_bench_times_acceptance_and_a_bulk_save_of_200_through_the_services(monkeypatch, tmp_path):
    from kodomo_dash.bench.forms import workflow_step_s

    monkeypatch.setenv("KODOMO_WAREHOUSE", str(tmp_path))
    figures = workflow_step_s(200)
    assert figures["list_accept_children"] == 200 and figures["list_accept_s"] > 0
    assert figures["bulk_secondary_200_s"] > 0
    assert str(tmp_path) == __import__("os").environ["KODOMO_WAREHOUSE"]  # restored after its private folder


def test_new_sheets_are_offered_once_per_conference_child_and_again_for_home_visits(casework_dir, ward_list):
    """The 「新規作成」 choices: a conference sheet once per child and list; home-visit records for every
    approached child however many the child has; another ward's children never."""
    walk_to_visit(ward_list, rid(7))
    nurse = Principal("nurse_a", "ward_staff", ward_codes=("40131",))
    before = list(workflow.candidates_for_new_form("home_visit_record", nurse)["resident_id"])
    assert before == [rid(7)]
    workflow.start_form("home_visit_record", ward_list, rid(7), nurse, "forms_home_visit", client_token="h1")
    assert list(workflow.candidates_for_new_form("home_visit_record", nurse)["resident_id"]) == before

    child, other = rid(3), rid(4)
    for c in (child, other):
        for dept in vocabulary.DEPARTMENTS:
            support.record_secondary(STAFF, ward_list, [c], department=dept, decision="pass",
                                     event_date=date(2025, 8, 27), today=TODAY)  # fmt: skip
    conference = set(workflow.candidates_for_new_form("conference_sheet", STAFF)["resident_id"])
    assert {child, other} <= conference
    workflow.start_form("conference_sheet", ward_list, child, STAFF, "forms_conference", client_token="c1")
    conference = set(workflow.candidates_for_new_form("conference_sheet", STAFF)["resident_id"])
    assert child not in conference and other in conference
    assert workflow.candidates_for_new_form("conference_sheet", OTHER_WARD).empty
