"""What the workflow refuses, and that it says so in Japanese a member of staff can act on."""

from __future__ import annotations

from datetime import date

import pytest

from kodomo_dash.casework import workflow
from kodomo_dash.casework.workflow import TransitionError
from tests.casework.workflow.steps import CHILD, TODAY, pass_secondary, to_approach, ward_list


def test_no_contact_before_an_approach_decision(con):
    lid = ward_list(con)
    pass_secondary(con, lid, CHILD)
    with pytest.raises(TransitionError) as err:
        workflow.record_contact_attempt(con, lid, CHILD, method="home_visit", result="absent",
                                        event_date=date(2025, 9, 12), actor="nurse1", today=TODAY)  # fmt: skip
    assert "アプローチの開始が記録されていない" in err.value.message_ja
    assert workflow.current_events(con, lid, CHILD)[-1].stage == "secondary"  # nothing was written


def test_conference_needs_all_three_departments(con):
    lid = ward_list(con)
    workflow.record_secondary(con, lid, CHILD, department="childcare_support", decision="pass",
                              event_date=date(2025, 8, 22), actor="a", today=TODAY)  # fmt: skip
    with pytest.raises(TransitionError) as err:
        workflow.record_conference(con, lid, CHILD, decision="approach", assigned_staff="n1",
                                   event_date=date(2025, 9, 5), actor="k", today=TODAY)  # fmt: skip
    assert "地域保健福祉課・健康課" in err.value.message_ja


def test_excluded_child_cannot_go_to_conference(con):
    lid = ward_list(con)
    workflow.record_secondary(con, lid, CHILD, department="childcare_support", decision="exclude",
                              reason="enrolled", event_date=date(2025, 8, 22), actor="a", today=TODAY)  # fmt: skip
    with pytest.raises(TransitionError) as err:
        workflow.record_conference(con, lid, CHILD, decision="approach", assigned_staff="n1",
                                   event_date=date(2025, 9, 5), actor="k", today=TODAY)  # fmt: skip
    assert "所属あり" in err.value.message_ja


def test_negative_decisions_need_a_reason(con):
    lid = ward_list(con)
    with pytest.raises(TransitionError) as err:
        workflow.record_secondary(con, lid, CHILD, department="health", decision="exclude",
                                  event_date=date(2025, 8, 22), actor="a", today=TODAY)  # fmt: skip
    assert "対象外の理由を選んでください" in err.value.message_ja
    with pytest.raises(TransitionError) as err:
        workflow.record_secondary(con, lid, CHILD, department="health", decision="exclude", reason="other",
                                  event_date=date(2025, 8, 22), actor="a", today=TODAY)  # fmt: skip
    assert "備考" in err.value.message_ja
    to_approach(con, "L1", "R0000002")
    with pytest.raises(TransitionError) as err:
        workflow.record_approach(con, lid, "R0000003", decision="not_needed", event_date=date(2025, 9, 8),
                                 actor="n", today=TODAY)  # fmt: skip
    assert "理由" in err.value.message_ja


def test_a_visit_before_the_list_existed_is_refused(con):
    lid = ward_list(con)
    with pytest.raises(TransitionError) as err:
        workflow.record_secondary(con, lid, CHILD, department="health", decision="pass",
                                  event_date=date(2025, 8, 1), actor="a", today=TODAY)  # fmt: skip
    assert "対象者リストの確定日（2025年8月20日）より前" in err.value.message_ja


def test_future_dates_and_stage_order_dates_are_refused(con):
    lid = ward_list(con)
    with pytest.raises(TransitionError) as err:
        workflow.record_secondary(con, lid, CHILD, department="health", decision="pass",
                                  event_date=date(2026, 3, 1), actor="a", today=TODAY)  # fmt: skip
    assert "未来の日付" in err.value.message_ja
    to_approach(con, lid, CHILD)
    with pytest.raises(TransitionError) as err:
        workflow.record_contact_attempt(con, lid, CHILD, method="phone", result="absent",
                                        event_date=date(2025, 9, 1), actor="n", today=TODAY)  # fmt: skip
    assert "アプローチの判断の日付" in err.value.message_ja


def test_stages_recorded_once_and_changes_need_a_void(con):
    lid = ward_list(con)
    pass_secondary(con, lid, CHILD)
    with pytest.raises(TransitionError) as err:
        workflow.record_secondary(con, lid, CHILD, department="health", decision="exclude", reason="in_support",
                                  event_date=date(2025, 8, 26), actor="b", today=TODAY)  # fmt: skip
    assert "記録済み" in err.value.message_ja and "取り消して" in err.value.message_ja
    health = next(e for e in workflow.current_events(con, lid, CHILD) if e.department == "health")
    workflow.void_event(con, health.event_id, actor="b", note="入力誤り", today=TODAY)
    workflow.record_secondary(con, lid, CHILD, department="health", decision="exclude", reason="in_support",
                              event_date=date(2025, 8, 26), actor="b", today=TODAY)  # fmt: skip
    timeline = workflow.child_timeline(con, lid, CHILD)
    assert [e.stage for e in timeline].count("void") == 1  # the mistake stays in the trail
    assert con.execute(
        "select secondary_excluded from wf_child_state where resident_id = ?", [CHILD]
    ).fetchone()[0]


def test_school_path_sheet_then_hearing_then_decision(con):
    lid = ward_list(con, path="school", list_id="IZ")
    with pytest.raises(TransitionError) as err:
        workflow.record_event(con, lid, CHILD, "ssw_hearing", decision="high", event_date=date(2025, 9, 10),
                              actor="ssw1", today=TODAY)  # fmt: skip
    assert "スクリーニングシート" in err.value.message_ja
    workflow.record_event(con, lid, CHILD, "screening_sheet", decision="high", event_date=date(2025, 9, 5),
                          actor="teacher1", today=TODAY)  # fmt: skip
    workflow.record_event(con, lid, CHILD, "ssw_hearing", decision="high", event_date=date(2025, 9, 10),
                          actor="ssw1", today=TODAY)  # fmt: skip
    workflow.record_school_decision(con, lid, CHILD, decision="yotaikyo_case_meeting", event_date=date(2025, 9, 20),
                                    actor="office", today=TODAY)  # fmt: skip
    with pytest.raises(TransitionError) as err:
        workflow.record_secondary(con, lid, CHILD, department="health", decision="pass",
                                  event_date=date(2025, 9, 20), actor="x", today=TODAY)  # fmt: skip
    assert "区の三課" in err.value.message_ja
    row = con.execute(
        "select school_supported, school_yotaikyo from wf_child_state where list_id = ?", [lid]
    ).fetchone()
    assert row == (True, True)
