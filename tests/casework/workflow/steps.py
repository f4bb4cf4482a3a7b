"""People's steps up to a stage, so each test starts where its rule begins."""

from __future__ import annotations

from datetime import date

from kodomo_dash.casework import vocabulary, workflow

LISTED = date(2025, 8, 20)
TODAY = date(2026, 1, 31)
CHILD = "R0000001"


def ward_list(con, n: int = 3, list_id: str = "L1", path: str = "ward") -> str:
    members = [
        {
            "resident_id": f"R{i + 1:07d}",
            "ward_code": "40131",
            "school_code": "S01" if path == "school" else None,
        }
        for i in range(n)
    ]
    return workflow.accept_list(
        con, fy=2025, run_id="run-1", method="similarity", path=path, members=members, actor="manager1",
        accepted_on=LISTED, cohort_size=100, list_id=list_id,
    )  # fmt: skip


def pass_secondary(con, list_id: str, rid: str, on: date = date(2025, 8, 25)) -> None:
    for dept in vocabulary.DEPARTMENTS:
        workflow.record_secondary(con, list_id, rid, department=dept, decision="pass", event_date=on,
                                  actor=f"staff_{dept}", today=TODAY)  # fmt: skip


def to_approach(con, list_id: str, rid: str) -> None:
    pass_secondary(con, list_id, rid)
    workflow.record_conference(con, list_id, rid, decision="approach", assigned_staff="nurse1",
                               event_date=date(2025, 9, 5), actor="kosodate1", today=TODAY)  # fmt: skip
    workflow.record_approach(con, list_id, rid, decision="start", event_date=date(2025, 9, 8), actor="nurse1",
                             today=TODAY)  # fmt: skip
