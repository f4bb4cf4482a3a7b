"""Accepting a list: the run's counts kept with it, and never a second list for the same year."""

from __future__ import annotations

import pytest

from kodomo_dash.casework import workflow
from kodomo_dash.casework.store import CaseworkError
from tests.casework.workflow.steps import LISTED, ward_list


def test_accept_list_keeps_cohort_and_refuses_a_second_acceptance(con):
    lid = ward_list(con, n=5)
    assert con.execute("select cohort_size, list_size, accepted_by from wf_list").fetchone() == (
        100,
        5,
        "manager1",
    )
    with pytest.raises(CaseworkError):
        ward_list(con, n=5)
    with pytest.raises(CaseworkError):
        workflow.accept_list(con, fy=2025, run_id="r", method="m", path="ward", members=[{"resident_id": "A"}] * 2,
                             actor="m", accepted_on=LISTED, cohort_size=10, list_id="L2")  # fmt: skip
    assert lid == "L1"


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
    with pytest.raises(CaseworkError) as err:  # a programme of another method
        workflow.accept_screening_run(con, "run-9", fy=2025, programme="izumi-abuse-school", actor="manager1",
                                      accepted_on=LISTED)  # fmt: skip
    assert "方法" in err.value.message_ja
    assert con.execute("select status from screening_run where run_id = 'run-9'").fetchone()[0] == "draft"
    lid = workflow.accept_screening_run(con, "run-9", fy=2025, programme="fukuoka-unenrolled", actor="manager1",
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
    with pytest.raises(CaseworkError) as err:  # the same run again
        workflow.accept_screening_run(con, "run-9", fy=2025, programme="fukuoka-unenrolled", actor="manager1")
    assert "確定済み" in err.value.message_ja
    with pytest.raises(CaseworkError) as err:  # another run, same programme and year
        workflow.accept_screening_run(con, "run-10", fy=2025, programme="fukuoka-unenrolled", actor="manager1")
    assert "2025年度のこのプログラム" in err.value.message_ja
    # refused whole: run-10 is still a draft and has no list
    assert con.execute("select status from screening_run where run_id = 'run-10'").fetchone()[0] == "draft"
    assert con.execute("select count(*) from wf_list").fetchone()[0] == 1
