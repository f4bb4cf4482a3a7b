"""A child's trail keeps who, when and why of every event, and an unknown child is told, not crashed."""

from __future__ import annotations

from datetime import date

import pytest

from kodomo_dash.casework import workflow
from kodomo_dash.casework.store import NotFoundError
from tests.casework.workflow.steps import CHILD, TODAY, ward_list


def test_every_event_keeps_who_when_and_why(con):
    lid = ward_list(con)
    ev = workflow.record_secondary(con, lid, CHILD, department="childcare_support", decision="exclude",
                                   reason="in_support", event_date=date(2025, 8, 22), actor="staff_a", today=TODAY)  # fmt: skip
    assert ev.event_id is not None
    assert (ev.recorded_by, ev.event_date, ev.reason) == ("staff_a", date(2025, 8, 22), "in_support")
    assert ev.recorded_at is not None
    (stored,) = workflow.child_timeline(con, lid, CHILD)
    assert stored.department == "childcare_support" and stored.decision == "exclude"


def test_unknown_child_is_told_not_crashed(con):
    ward_list(con)
    with pytest.raises(NotFoundError) as err:
        workflow.record_secondary(con, "L1", "NOBODY", department="health", decision="pass",
                                  event_date=date(2025, 8, 25), actor="a", today=TODAY)  # fmt: skip
    assert "含まれていません" in err.value.message_ja
