"""Recording and voiding: whole or nothing, with the audit row, and one winner when two staff race."""

from __future__ import annotations

import threading
from datetime import date

import duckdb
import pytest

from kodomo_dash.casework import workflow
from kodomo_dash.casework.store import ConcurrentChangeError
from kodomo_dash.casework.workflow import TransitionError
from kodomo_dash.infra.migrate import migrate
from tests.casework.workflow.steps import CHILD, TODAY, to_approach, ward_list


def test_the_full_ward_path_in_order(con):
    lid = ward_list(con)
    to_approach(con, lid, CHILD)
    workflow.record_contact_attempt(con, lid, CHILD, method="home_visit", result="absent",
                                    event_date=date(2025, 9, 12), actor="nurse1", today=TODAY)  # fmt: skip
    workflow.record_contact_attempt(con, lid, CHILD, method="phone", result="contacted",
                                    event_date=date(2025, 9, 20), actor="nurse1", today=TODAY)  # fmt: skip
    workflow.record_contact(
        con, lid, CHILD, needs="yes", event_date=date(2025, 9, 20), actor="nurse1", today=TODAY
    )
    workflow.record_support_act(con, lid, CHILD, kind="advice", category="enrolment", event_date=date(2025, 9, 20),
                                actor="nurse1", today=TODAY)  # fmt: skip
    workflow.record_outcome(con, lid, CHILD, outcome="enrolled", event_date=date(2025, 10, 1), actor="nurse1",
                            today=TODAY)  # fmt: skip
    state = con.execute(
        "select current_stage, contacted, needs_yes, attempts, support_acts from wf_child_state where resident_id = ?",
        [CHILD],
    ).fetchone()
    assert state == ("outcome", True, True, 2, 1)


def test_void_refused_while_later_records_depend_on_it(con):
    lid = ward_list(con)
    to_approach(con, lid, CHILD)
    conf = next(e for e in workflow.current_events(con, lid, CHILD) if e.stage == "conference")
    with pytest.raises(TransitionError) as err:
        workflow.void_event(con, conf.event_id, actor="k", note="誤り", today=TODAY)
    assert "アプローチの判断" in err.value.message_ja
    with pytest.raises(TransitionError):
        workflow.void_event(con, conf.event_id, actor="k", note="", today=TODAY)


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
            workflow.record_secondary(cur, "L1", CHILD, department="health", decision="pass",
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


def test_a_failed_step_inside_a_batch_cancels_the_whole_batch(con):
    """DuckDB has no savepoints: a caught failure inside a batch must not commit half of it."""
    from kodomo_dash.casework.store import CaseworkError, transaction

    lid = ward_list(con)
    with pytest.raises(CaseworkError) as err:
        with transaction(con):
            workflow.record_secondary(con, lid, CHILD, department="health", decision="pass",
                                      event_date=date(2025, 8, 25), actor="a", today=TODAY)  # fmt: skip
            try:
                workflow.record_contact_attempt(con, lid, CHILD, method="phone", result="absent",
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
    workflow.record_secondary(con, lid, CHILD, department="health", decision="pass", event_date=date(2025, 8, 25),
                              actor="a", today=TODAY, audit=seen.append)  # fmt: skip
    assert seen[0]["action"] == "form_save" and seen[0]["detail"]["stage"] == "secondary"
    assert seen[0]["resident_id"] == CHILD and seen[0]["actor"] == "a"
    before = con.execute("select count(*), max(state_version) from wf_event, wf_list_member").fetchone()

    def broken(event):
        raise RuntimeError("audit store down")

    with pytest.raises(AuditNotWritten) as err:
        workflow.record_secondary(con, lid, CHILD, department="childcare_support", decision="pass",
                                  event_date=date(2025, 8, 25), actor="a", today=TODAY, audit=broken)  # fmt: skip
    assert "保存しませんでした" in err.value.message_ja
    assert len(workflow.current_events(con, lid, CHILD)) == 1  # the save went with its audit row
    assert con.execute("select count(*), max(state_version) from wf_event, wf_list_member").fetchone() == before
