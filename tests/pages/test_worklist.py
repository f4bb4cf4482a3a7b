"""The worklist through app.py (issue 14, "How it is shown"): next month's build brought a move-out for
a child the ward nurse is assigned; her worklist shows the alert and the badge on the child's row,
the other ward's nurse sees nothing of it, and the manager sees the counts per ward."""

from __future__ import annotations

from tests.casework_people import empty_casework
from tests.services.test_alerts import A, accept_and_assign, month
from tests.signin import app_as


def _table(at, column: str):
    """The table that has ``column`` (AppTest finds dataframes by position, not by key)."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def _open(role: str, **kw):
    at = app_as(role, page="worklist", **kw)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_the_assigned_nurse_sees_the_alert_badge_and_the_manager_the_counts(tmp_path, monkeypatch):
    empty_casework(tmp_path, monkeypatch)
    month(tmp_path / "m1", tmp_path, "2025-09-01", moved_out_a=False, consult_b=False)
    accept_and_assign(tmp_path, nurse_a="ward_staff")  # the username app_as signs in with
    month(tmp_path / "m2", tmp_path, "2025-10-01", moved_out_a=True, consult_b=True)

    nurse = _open("ward_staff", ward_codes=("40131",))
    assert "1" == next(m.value for m in nurse.metric if m.label == "新しい知らせ（担当のこども）")
    alerts = _table(nurse, "assignees")
    assert list(zip(alerts["resident_id"], alerts["label"], alerts["status"], strict=True)) == [(A, "転出", "現在")]
    rows = _table(nurse, "days_waiting")
    assert rows.loc[rows["resident_id"] == A, "alerts"].tolist() == ["🔔 1"]

    other = _open("ward_staff", ward_codes=("40132",))
    assert A not in set(_table(other, "assignees")["resident_id"])

    manager = _open("manager")
    by_ward = _table(manager, "children").set_index("ward_code")
    assert by_ward.loc["40131", "current"] == 1 and by_ward.loc["40132", "current"] == 1

    # she opens the child's card from the worklist: the alert on top, the move in the timeline, the
    # household the child left
    card = app_as("ward_staff", page="child_card", ward_codes=("40131",))
    card.query_params["rid"] = A
    card.run()
    assert not card.exception, [e.value for e in card.exception]
    assert any("新しいお知らせ：転出" in w.value for w in card.warning)
    assert "転出" in " ".join(_table(card, "first_seen")["detail"])
    household = _table(card, "relationship")
    assert household["me"].astype(bool).sum() == 1 and len(household) >= 2  # the child, marked, and its household
    assert list(_table(card, "expires_on")["status"]) == ["有効"]  # the screening flag, still current
