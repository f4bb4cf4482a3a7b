"""The support-record screen under AppTest: ward staff record a step for many children, a manager corrects.

The casework starts empty and a manager accepts a draft run through the same service as the
screening page; everything after is done on the screen, as the signed-in role would.
"""

from __future__ import annotations

from datetime import date

import pytest

from kodomo_dash.services import support, workflow
from kodomo_dash.ui.i18n import SESSION_KEY
from tests.casework_people import LISTED, draft, empty_casework, rows
from tests.services.test_support import MANAGER
from tests.signin import app_as


@pytest.fixture
def ward_list(tmp_path, monkeypatch):
    empty_casework(tmp_path, monkeypatch)
    list_id = support.accept_run(MANAGER, draft(tmp_path), fy=2025, programme="fukuoka-unenrolled", accepted_on=LISTED)
    return tmp_path, list_id


def open_page(role: str, **kw):
    at = app_as(role, page="support_record", **kw)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_ward_staff_mark_children_in_support_in_one_go(ward_list):
    folder, _list_id = ward_list
    at = open_page("ward_staff", ward_codes=("40131",))
    assert [t.value for t in at.title] == ["支援の記録"]
    assert "この段階を待っているこども：35人" in [c.value for c in at.caption]
    chosen = [f"R{i:07d}" for i in range(30)]
    at.multiselect(key="sr_secondary_children").set_value(chosen)
    at.date_input(key="sr_secondary_date").set_value(date(2025, 8, 25))
    at.selectbox(key="sr_secondary_decision").set_value("exclude")
    at.button(key="sr_secondary_save").click().run()
    # no reason: the message stands next to the field and nothing is saved
    assert "理由を選んでください。" in [e.value for e in at.error]
    assert rows(folder, "select count(*) from wf_event") == [(0,)]

    at.selectbox(key="sr_secondary_reason").set_value("in_support")
    at.button(key="sr_secondary_save").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert "30人の記録を保存しました。" in [s.value for s in at.success], [e.value for e in at.error]
    assert rows(folder, "select count(*), count(distinct resident_id) from wf_event where reason = 'in_support'") == [
        (30, 30)]
    assert rows(folder, "select count(*) from audit_log where page = 'support_record' and username = 'ward_staff'") == [
        (30,)]
    assert "この段階を待っているこども：5人" in [c.value for c in at.caption]


def test_a_manager_voids_a_record_from_the_history_tab(ward_list):
    folder, list_id = ward_list
    support.record_secondary(MANAGER, list_id, ["R0000000"], department="health", decision="exclude",
                             reason="enrolled", event_date=date(2025, 8, 25))  # fmt: skip
    event_id = rows(folder, "select event_id from wf_event")[0][0]
    staff = open_page("ward_staff", ward_codes=("40131",))
    assert not [b for b in staff.button if b.key == "sr_void_save"]  # staff cannot correct
    at = open_page("manager")
    at.selectbox(key="sr_hist_child").set_value("R0000000").run()
    at.selectbox(key="sr_void_event").set_value(event_id)
    at.button(key="sr_void_save").click().run()
    assert "理由を入力してください。" in [e.value for e in at.error]
    at.text_input(key="sr_void_note").set_value("別の子と取り違え")
    at.button(key="sr_void_save").click().run()
    assert any("取り消しました" in s.value for s in at.success), [e.value for e in at.error]
    assert rows(folder, "select stage, supersedes, note from wf_event where stage = 'void'") == [
        ("void", event_id, "別の子と取り違え")]


def test_evaluators_cannot_open_it_and_yotaikyo_only_reads(ward_list):
    at = open_page("evaluator")
    assert not [t.value for t in at.title if t.value == "支援の記録"]
    at = open_page("yotaikyo")
    assert "この画面では閲覧だけができます。" in [i.value for i in at.info]
    assert not [b for b in at.button if b.key == "sr_secondary_save"]


def test_the_city_requests_sheets_and_records_the_school_decision_on_the_screen(tmp_path, monkeypatch):
    """Izumi's path on the screen: request both sheets for the list, then decide after the hearing."""
    from kodomo_dash.casework import form_store
    from kodomo_dash.security.principal import Principal

    empty_casework(tmp_path, monkeypatch)
    run_id = draft(tmp_path, method="edu_welfare", path="school", n=3)
    list_id = support.accept_run(MANAGER, run_id, fy=2025, programme="izumi-abuse-school", accepted_on=LISTED)
    at = open_page("manager")
    at.text_area(key="sr_sheets_assignees").set_value("27219000=teacher_a\nこれは間違い")
    at.button(key="sr_sheets_save").click().run()
    assert any("2行目" in e.value for e in at.error), [e.value for e in at.error]
    assert rows(tmp_path, "select count(*) from form_record") == [(0,)]
    at.text_area(key="sr_sheets_assignees").set_value("27219000=teacher_a")
    at.button(key="sr_sheets_save").click().run()
    assert "3人分のシートを新たに依頼しました（依頼済みの分はそのままです）。" in [s.value for s in at.success]
    at.selectbox(key="sr_sheets_type").set_value("ssw_hearing_sheet")
    at.button(key="sr_sheets_save").click().run()
    assert rows(tmp_path, "select form_type, count(*), count(assignee) from form_record group by 1 order by 1") == [
        ("school_screening_sheet", 3, 1), ("ssw_hearing_sheet", 3, 1)]
    # the teacher and the SSW fill their sheets for one child (their own screens, tested elsewhere)
    child = "R0000000"
    teacher = Principal("teacher_a", "school", school_codes=("27219000",))
    ssw = Principal("ssw_1", "ssw", school_codes=("27219000",))
    for who, form_type, page, data in (
        (teacher, "school_screening_sheet", "forms_school_sheet",
         {"observed_on": "2025-09-05", "attendance": "some", "appearance": "concern", "emotional": "concern",
          "injury_signs": "none", "concern_level": "high", "ssw_hearing_requested": True}),
        (ssw, "ssw_hearing_sheet", "forms_ssw_sheet",
         {"heard_on": "2025-09-20", "heard_from": ["homeroom_teacher"], "school_life": "聞き取り", "abuse_risk": "high",
          "recommended_path": "yotaikyo_case_meeting"}),
    ):  # fmt: skip
        form_id = form_store.form_id_for(form_type, list_id, child)
        rec = workflow.load_form(form_id, who, page)
        workflow.save_form(form_id, data, expected_version=rec.version, principal=who, page=page, submit=True)
    at = open_page("manager")
    assert "この段階を待っているこども：1人" in [c.value for c in at.caption]
    at.multiselect(key="sr_school_decision_children").set_value([child])
    at.date_input(key="sr_school_decision_date").set_value(date(2025, 10, 1))
    at.selectbox(key="sr_school_decision_decision").set_value("yotaikyo_case_meeting")
    at.button(key="sr_school_decision_save").click().run()
    assert "1人の記録を保存しました。" in [s.value for s in at.success], [e.value for e in at.error]
    assert rows(tmp_path, "select school_decision from wf_child_state where school_decision is not null") == [
        ("yotaikyo_case_meeting",)]


def test_a_workflow_refusal_reads_in_the_viewers_language(ward_list):
    """The refusal is raised as a code with parameters (decision 065): the English screen shows it in
    English, stage and dates included; the Japanese screen shows the same refusal in Japanese."""
    folder, _list_id = ward_list
    for lang, expected, foreign in (
        ("en", "Secondary screening (2025-08-01) is before the list was accepted (2025-08-20)", "対象者リストの確定日"),
        ("ja", "二次スクリーニングの日付（2025年8月1日）が対象者リストの確定日（2025年8月20日）より前です", "before the list"),
    ):
        at = app_as("ward_staff", page="support_record", ward_codes=("40131",))
        at.session_state[SESSION_KEY] = lang  # as the language toggle leaves it
        at.run()
        at.multiselect(key="sr_secondary_children").set_value(["R0000000"])
        at.date_input(key="sr_secondary_date").set_value(date(2025, 8, 1))  # before the list was accepted
        at.selectbox(key="sr_secondary_decision").set_value("pass")
        at.button(key="sr_secondary_save").click().run()
        errors = [e.value for e in at.error]
        assert any(expected in e for e in errors), errors
        assert not any(foreign in e for e in errors), errors
    assert rows(folder, "select count(*) from wf_event") == [(0,)]
