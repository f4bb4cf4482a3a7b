"""Stage transitions of push support: who, when, why — and what the workflow refuses, in Japanese."""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path

import duckdb
import pytest

from kodomo_dash.casework import stages, vocabulary
from kodomo_dash.casework.stages import TransitionError
from kodomo_dash.casework.store import ConcurrentChangeError
from kodomo_dash.infra.migrate import migrate

LISTED = date(2025, 8, 20)
TODAY = date(2026, 1, 31)
CHILD = "R0000001"


@pytest.fixture
def con(tmp_path: Path):
    c = duckdb.connect(str(tmp_path / "casework.duckdb"))
    migrate(c)
    yield c
    c.close()


def ward_list(con, n: int = 3, list_id: str = "L1", path: str = "ward") -> str:
    members = [
        {
            "resident_id": f"R{i + 1:07d}",
            "ward_code": "40131",
            "school_code": "S01" if path == "school" else None,
        }
        for i in range(n)
    ]
    return stages.accept_list(
        con, fy=2025, run_id="run-1", method="similarity", path=path, members=members, actor="manager1",
        accepted_on=LISTED, cohort_size=100, list_id=list_id,
    )  # fmt: skip


def pass_secondary(con, list_id: str, rid: str, on: date = date(2025, 8, 25)) -> None:
    for dept in vocabulary.DEPARTMENTS:
        stages.record_secondary(con, list_id, rid, department=dept, decision="pass", event_date=on,
                                actor=f"staff_{dept}", today=TODAY)  # fmt: skip


def to_approach(con, list_id: str, rid: str) -> None:
    pass_secondary(con, list_id, rid)
    stages.record_conference(con, list_id, rid, decision="approach", assigned_staff="nurse1",
                             event_date=date(2025, 9, 5), actor="kosodate1", today=TODAY)  # fmt: skip
    stages.record_approach(con, list_id, rid, decision="start", event_date=date(2025, 9, 8), actor="nurse1",
                           today=TODAY)  # fmt: skip


def test_every_event_keeps_who_when_and_why(con):
    lid = ward_list(con)
    ev = stages.record_secondary(con, lid, CHILD, department="childcare_support", decision="exclude",
                                 reason="in_support", event_date=date(2025, 8, 22), actor="staff_a", today=TODAY)  # fmt: skip
    assert ev.event_id is not None
    assert (ev.recorded_by, ev.event_date, ev.reason) == ("staff_a", date(2025, 8, 22), "in_support")
    assert ev.recorded_at is not None
    (stored,) = stages.child_timeline(con, lid, CHILD)
    assert stored.department == "childcare_support" and stored.decision == "exclude"


def test_the_full_ward_path_in_order(con):
    lid = ward_list(con)
    to_approach(con, lid, CHILD)
    stages.record_contact_attempt(con, lid, CHILD, method="home_visit", result="absent",
                                  event_date=date(2025, 9, 12), actor="nurse1", today=TODAY)  # fmt: skip
    stages.record_contact_attempt(con, lid, CHILD, method="phone", result="contacted",
                                  event_date=date(2025, 9, 20), actor="nurse1", today=TODAY)  # fmt: skip
    stages.record_contact(
        con, lid, CHILD, needs="yes", event_date=date(2025, 9, 20), actor="nurse1", today=TODAY
    )
    stages.record_support_act(con, lid, CHILD, kind="advice", category="enrolment", event_date=date(2025, 9, 20),
                              actor="nurse1", today=TODAY)  # fmt: skip
    stages.record_outcome(con, lid, CHILD, outcome="enrolled", event_date=date(2025, 10, 1), actor="nurse1",
                          today=TODAY)  # fmt: skip
    state = con.execute(
        "select current_stage, contacted, needs_yes, attempts, support_acts from wf_child_state where resident_id = ?",
        [CHILD],
    ).fetchone()
    assert state == ("outcome", True, True, 2, 1)


def test_no_contact_before_an_approach_decision(con):
    lid = ward_list(con)
    pass_secondary(con, lid, CHILD)
    with pytest.raises(TransitionError) as err:
        stages.record_contact_attempt(con, lid, CHILD, method="home_visit", result="absent",
                                      event_date=date(2025, 9, 12), actor="nurse1", today=TODAY)  # fmt: skip
    assert "アプローチの開始が記録されていない" in err.value.message_ja
    assert stages.current_events(con, lid, CHILD)[-1].stage == "secondary"  # nothing was written


def test_conference_needs_all_three_departments(con):
    lid = ward_list(con)
    stages.record_secondary(con, lid, CHILD, department="childcare_support", decision="pass",
                            event_date=date(2025, 8, 22), actor="a", today=TODAY)  # fmt: skip
    with pytest.raises(TransitionError) as err:
        stages.record_conference(con, lid, CHILD, decision="approach", assigned_staff="n1",
                                 event_date=date(2025, 9, 5), actor="k", today=TODAY)  # fmt: skip
    assert "地域保健福祉課・健康課" in err.value.message_ja


def test_excluded_child_cannot_go_to_conference(con):
    lid = ward_list(con)
    stages.record_secondary(con, lid, CHILD, department="childcare_support", decision="exclude",
                            reason="enrolled", event_date=date(2025, 8, 22), actor="a", today=TODAY)  # fmt: skip
    with pytest.raises(TransitionError) as err:
        stages.record_conference(con, lid, CHILD, decision="approach", assigned_staff="n1",
                                 event_date=date(2025, 9, 5), actor="k", today=TODAY)  # fmt: skip
    assert "所属あり" in err.value.message_ja


def test_negative_decisions_need_a_reason(con):
    lid = ward_list(con)
    with pytest.raises(TransitionError) as err:
        stages.record_secondary(con, lid, CHILD, department="health", decision="exclude",
                                event_date=date(2025, 8, 22), actor="a", today=TODAY)  # fmt: skip
    assert "対象外の理由を選んでください" in err.value.message_ja
    with pytest.raises(TransitionError) as err:
        stages.record_secondary(con, lid, CHILD, department="health", decision="exclude", reason="other",
                                event_date=date(2025, 8, 22), actor="a", today=TODAY)  # fmt: skip
    assert "備考" in err.value.message_ja
    to_approach(con, "L1", "R0000002")
    with pytest.raises(TransitionError) as err:
        stages.record_approach(con, lid, "R0000003", decision="not_needed", event_date=date(2025, 9, 8),
                               actor="n", today=TODAY)  # fmt: skip
    assert "理由" in err.value.message_ja


def test_a_visit_before_the_list_existed_is_refused(con):
    lid = ward_list(con)
    with pytest.raises(TransitionError) as err:
        stages.record_secondary(con, lid, CHILD, department="health", decision="pass",
                                event_date=date(2025, 8, 1), actor="a", today=TODAY)  # fmt: skip
    assert "対象者リストの確定日（2025年8月20日）より前" in err.value.message_ja


def test_future_dates_and_stage_order_dates_are_refused(con):
    lid = ward_list(con)
    with pytest.raises(TransitionError) as err:
        stages.record_secondary(con, lid, CHILD, department="health", decision="pass",
                                event_date=date(2026, 3, 1), actor="a", today=TODAY)  # fmt: skip
    assert "未来の日付" in err.value.message_ja
    to_approach(con, lid, CHILD)
    with pytest.raises(TransitionError) as err:
        stages.record_contact_attempt(con, lid, CHILD, method="phone", result="absent",
                                      event_date=date(2025, 9, 1), actor="n", today=TODAY)  # fmt: skip
    assert "アプローチの判断の日付" in err.value.message_ja


def test_stages_recorded_once_and_changes_need_a_void(con):
    lid = ward_list(con)
    pass_secondary(con, lid, CHILD)
    with pytest.raises(TransitionError) as err:
        stages.record_secondary(con, lid, CHILD, department="health", decision="exclude", reason="in_support",
                                event_date=date(2025, 8, 26), actor="b", today=TODAY)  # fmt: skip
    assert "記録済み" in err.value.message_ja and "取り消して" in err.value.message_ja
    health = next(e for e in stages.current_events(con, lid, CHILD) if e.department == "health")
    stages.void_event(con, health.event_id, actor="b", note="入力誤り", today=TODAY)
    stages.record_secondary(con, lid, CHILD, department="health", decision="exclude", reason="in_support",
                            event_date=date(2025, 8, 26), actor="b", today=TODAY)  # fmt: skip
    timeline = stages.child_timeline(con, lid, CHILD)
    assert [e.stage for e in timeline].count("void") == 1  # the mistake stays in the trail
    assert con.execute(
        "select secondary_excluded from wf_child_state where resident_id = ?", [CHILD]
    ).fetchone()[0]


def test_void_refused_while_later_records_depend_on_it(con):
    lid = ward_list(con)
    to_approach(con, lid, CHILD)
    conf = next(e for e in stages.current_events(con, lid, CHILD) if e.stage == "conference")
    with pytest.raises(TransitionError) as err:
        stages.void_event(con, conf.event_id, actor="k", note="誤り", today=TODAY)
    assert "アプローチの判断" in err.value.message_ja
    with pytest.raises(TransitionError):
        stages.void_event(con, conf.event_id, actor="k", note="", today=TODAY)


def test_school_path_sheet_then_hearing_then_decision(con):
    lid = ward_list(con, path="school", list_id="IZ")
    with pytest.raises(TransitionError) as err:
        stages.record_event(con, lid, CHILD, "ssw_hearing", decision="high", event_date=date(2025, 9, 10),
                            actor="ssw1", today=TODAY)  # fmt: skip
    assert "スクリーニングシート" in err.value.message_ja
    stages.record_event(con, lid, CHILD, "screening_sheet", decision="high", event_date=date(2025, 9, 5),
                        actor="teacher1", today=TODAY)  # fmt: skip
    stages.record_event(con, lid, CHILD, "ssw_hearing", decision="high", event_date=date(2025, 9, 10),
                        actor="ssw1", today=TODAY)  # fmt: skip
    stages.record_school_decision(con, lid, CHILD, decision="yotaikyo_case_meeting", event_date=date(2025, 9, 20),
                                  actor="office", today=TODAY)  # fmt: skip
    with pytest.raises(TransitionError) as err:
        stages.record_secondary(con, lid, CHILD, department="health", decision="pass",
                                event_date=date(2025, 9, 20), actor="x", today=TODAY)  # fmt: skip
    assert "区の三課" in err.value.message_ja
    row = con.execute(
        "select school_supported, school_yotaikyo from wf_child_state where list_id = ?", [lid]
    ).fetchone()
    assert row == (True, True)


def test_accept_list_keeps_cohort_and_refuses_a_second_acceptance(con):
    lid = ward_list(con, n=5)
    assert con.execute("select cohort_size, list_size, accepted_by from wf_list").fetchone() == (
        100,
        5,
        "manager1",
    )
    with pytest.raises(stages.CaseworkError):
        ward_list(con, n=5)
    with pytest.raises(stages.CaseworkError):
        stages.accept_list(con, fy=2025, run_id="r", method="m", path="ward", members=[{"resident_id": "A"}] * 2,
                           actor="m", accepted_on=LISTED, cohort_size=10, list_id="L2")  # fmt: skip
    assert lid == "L1"


def test_unknown_child_is_told_not_crashed(con):
    ward_list(con)
    with pytest.raises(stages.NotFoundError) as err:
        stages.record_secondary(con, "L1", "NOBODY", department="health", decision="pass",
                                event_date=date(2025, 8, 25), actor="a", today=TODAY)  # fmt: skip
    assert "含まれていません" in err.value.message_ja


def test_two_sessions_deciding_on_one_child_one_wins(tmp_path):
    """Two staff record the same department's check at once: one is stored, the other is told."""
    path = tmp_path / "casework.duckdb"
    base = duckdb.connect(str(path))
    migrate(base)
    ward_list(base)
    a, b = base.cursor(), base.cursor()
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def record(cur, who):
        barrier.wait()
        try:
            stages.record_secondary(cur, "L1", CHILD, department="health", decision="pass",
                                    event_date=date(2025, 8, 25), actor=who, today=TODAY)  # fmt: skip
            outcomes.append("saved")
        except (TransitionError, ConcurrentChangeError) as exc:
            assert exc.message_ja
            outcomes.append("told")

    threads = [threading.Thread(target=record, args=(c, w)) for c, w in ((a, "staff_a"), (b, "staff_b"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["saved", "told"]
    assert base.execute("select count(*) from wf_event where department = 'health'").fetchone()[0] == 1


def test_labels_in_sql_match_the_python_vocabulary(con):
    from kodomo_dash.casework.funnel import DURATIONS, FUNNEL_STAGES

    sql = {
        (d, c): lab
        for d, c, lab in con.execute("select domain, code, label_ja from wf_code_label").fetchall()
    }
    py = {(d, c): lab for d, vocab in vocabulary.CODE_DOMAINS.items() for c, lab in vocab.items()}
    assert sql == py
    stored = con.execute(
        "select path, stage, sort_no, kind, parent_stage, label_ja, report_ref from wf_funnel_stage order by path, sort_no"
    ).fetchall()
    assert sorted(stored) == sorted(FUNNEL_STAGES)
    assert sorted(con.execute("select * from wf_duration_label").fetchall()) == sorted(DURATIONS)


def test_a_failed_step_inside_a_batch_cancels_the_whole_batch(con):
    """DuckDB has no savepoints: a caught failure inside a batch must not commit half of it."""
    from kodomo_dash.casework.store import CaseworkError, transaction

    lid = ward_list(con)
    with pytest.raises(CaseworkError) as err:
        with transaction(con):
            stages.record_secondary(con, lid, CHILD, department="health", decision="pass",
                                    event_date=date(2025, 8, 25), actor="a", today=TODAY)  # fmt: skip
            try:
                stages.record_contact_attempt(con, lid, CHILD, method="phone", result="absent",
                                              event_date=date(2025, 9, 1), actor="n", today=TODAY)  # fmt: skip
            except TransitionError:
                pass
    assert "すべて取り消しました" in err.value.message_ja
    assert con.execute("select count(*) from wf_event").fetchone()[0] == 0


def test_audit_callback_sees_every_record_and_a_failing_audit_rolls_the_save_back(con):
    """The audit row is part of the save's transaction: no audit row, no save (issue 12, point 4)."""
    from kodomo_dash.casework.store import AuditNotWritten

    seen = []
    lid = ward_list(con)
    stages.record_secondary(con, lid, CHILD, department="health", decision="pass", event_date=date(2025, 8, 25),
                            actor="a", today=TODAY, audit=seen.append)  # fmt: skip
    assert seen[0]["action"] == "form_save" and seen[0]["detail"]["stage"] == "secondary"
    assert seen[0]["resident_id"] == CHILD and seen[0]["actor"] == "a"
    before = con.execute("select count(*), max(state_version) from wf_event, wf_list_member").fetchone()

    def broken(event):
        raise RuntimeError("audit store down")

    with pytest.raises(AuditNotWritten) as err:
        stages.record_secondary(con, lid, CHILD, department="childcare_support", decision="pass",
                                event_date=date(2025, 8, 25), actor="a", today=TODAY, audit=broken)  # fmt: skip
    assert "保存しませんでした" in err.value.message_ja
    assert len(stages.current_events(con, lid, CHILD)) == 1  # the save went with its audit row
    assert con.execute("select count(*), max(state_version) from wf_event, wf_list_member").fetchone() == before


def test_accepting_a_run_creates_the_workflow_list_in_the_same_transaction(con):
    """The 確定 marks the run accepted and creates the year's list together (issue 12, point 1)."""
    con.execute(
        "insert into screening_run (run_id, method, method_label_ja, params_json, cohort, cohort_params_json,"
        " exclusions_json, ward_cohort_json, cohort_size, excluded_count, scored_count, list_size, status,"
        " created_by, decided_by, decided_at) values (?, 'similarity', '類似度', '{}', 'fukuoka_unenrolled_3_6', '{}',"
        " '[]', '{\"40131\": 60, \"40132\": 40}', 100, 10, 90, 2, 'draft', 'analyst', null, null)",
        ["run-9"],
    )
    con.execute("insert into screening_run select * replace ('run-10' as run_id) from screening_run")
    for run in ("run-9", "run-10"):
        for rank, rid in enumerate(("R0000001", "R0000002"), 1):
            con.execute(
                "insert into screening_list values (?, ?, '40131', null, ?, 0.9, '[\"母の年齢\", \"ひとり親\"]', '{}')",
                [run, rid, rank],
            )
    with pytest.raises(stages.CaseworkError) as err:  # a programme of another method
        stages.accept_screening_run(con, "run-9", fy=2025, programme="izumi-abuse-school", actor="manager1",
                                    accepted_on=LISTED)  # fmt: skip
    assert "方法" in err.value.message_ja
    assert con.execute("select status from screening_run where run_id = 'run-9'").fetchone()[0] == "draft"
    lid = stages.accept_screening_run(con, "run-9", fy=2025, programme="fukuoka-unenrolled", actor="manager1",
                                      accepted_on=LISTED)  # fmt: skip
    assert con.execute("select status, decided_by from screening_run where run_id = 'run-9'").fetchone() == (
        "accepted", "manager1")
    assert con.execute(
        "select cohort_size, eligible_size, list_size, programme, path from wf_list where list_id = ?", [lid]
    ).fetchone() == (100, 90, 2, "fukuoka-unenrolled", "ward")
    assert con.execute("select sum(cohort_size) from wf_list_ward").fetchone()[0] == 100
    assert (
        con.execute("select selection_reason from wf_list_member where rank = 1").fetchone()[0]
        == "母の年齢、ひとり親"
    )
    with pytest.raises(stages.CaseworkError) as err:  # the same run again
        stages.accept_screening_run(con, "run-9", fy=2025, programme="fukuoka-unenrolled", actor="manager1")
    assert "確定済み" in err.value.message_ja
    with pytest.raises(stages.CaseworkError) as err:  # another run, same programme and year
        stages.accept_screening_run(con, "run-10", fy=2025, programme="fukuoka-unenrolled", actor="manager1")
    assert "2025年度のこのプログラム" in err.value.message_ja
    # refused whole: run-10 is still a draft and has no list
    assert con.execute("select status from screening_run where run_id = 'run-10'").fetchone()[0] == "draft"
    assert con.execute("select count(*) from wf_list").fetchone()[0] == 1
