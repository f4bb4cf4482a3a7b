"""Alerts for watched children (issue 14, point 4; decision 067), from what people do: a manager
accepts a list, staff check and assign, next month's build brings a move-out and a consultation.
The alert reaches the assigned nurse's worklist and nowhere else outside its scope; the manager
sees the counts per ward; a city's own rule makes an old alert show as expired."""

from __future__ import annotations

from datetime import date

import pytest

from kodomo_dash.config.alerts import AlertConfigError, alert_rules
from kodomo_dash.security.matrix import AccessDenied
from kodomo_dash.security.principal import Principal
from kodomo_dash.services import alerts, support
from kodomo_dash.warehouse.ingest.build import build_warehouse
from tests.casework_people import draft_listing, empty_casework
from tests.warehouse.test_ingest import GOOD, REGISTRY_HEADER, write_csv
from tests.warehouse.test_refresh import CONSULTATION, child, consultation

MANAGER = Principal("mgr", "manager")
NURSE_A = Principal("nurse_a", "ward_staff", ward_codes=("40131",))
NURSE_C = Principal("nurse_c", "ward_staff", ward_codes=("40131",))
NURSE_B = Principal("nurse_b", "ward_staff", ward_codes=("40132",))
A, B, C = "0000000101", "0000000150", "0000000102"


def hakata(i: int) -> list[str]:
    row = child(i)
    row[10], row[11] = "4013200020003", "40132"
    return row


def month(folder, wh, as_of: str, moved_out_a: bool, consult_b: bool) -> None:
    folder.mkdir()
    kids = [child(i, moved_out="2025-09-10" if (moved_out_a and i == 1) else "") for i in range(30)]
    write_csv(folder / "resident_registry.csv", REGISTRY_HEADER, [GOOD[0], *kids, *[hakata(i) for i in range(50, 80)]])
    write_csv(folder / "child_consultation.csv", CONSULTATION,
              [consultation("C9", B, "2025-09-12", "false")] if consult_b else [])  # fmt: skip
    report = build_warehouse(folder, as_of=as_of, target=wh / "kodomo.duckdb", log=lambda _m: None)
    assert report.swapped, report.summary()


def accept_and_assign(folder, nurse_a: str = "nurse_a") -> str:
    run_id = draft_listing(folder, [A, C, B], ["40131", "40131", "40132"], reasons=("未就園",))
    list_id = support.accept_run(MANAGER, run_id, fy=2025, programme="fukuoka-unenrolled", accepted_on=date(2025, 8, 20))
    for dept in ("childcare_support", "community_health_welfare", "health"):
        support.record_secondary(MANAGER, list_id, [A, C], department=dept, decision="pass",
                                 event_date=date(2025, 8, 25))  # fmt: skip
    support.record_conference(MANAGER, list_id, [A], decision="approach", assignee=nurse_a,
                              event_date=date(2025, 8, 27))  # fmt: skip
    support.record_conference(MANAGER, list_id, [C], decision="approach", assignee="nurse_c",
                              event_date=date(2025, 8, 27))  # fmt: skip
    return list_id


@pytest.fixture
def city(tmp_path, monkeypatch):
    folder = empty_casework(tmp_path, monkeypatch)
    month(tmp_path / "m1", tmp_path, "2025-09-01", moved_out_a=False, consult_b=False)
    accept_and_assign(tmp_path)
    month(tmp_path / "m2", tmp_path, "2025-10-01", moved_out_a=True, consult_b=True)
    return folder


def test_a_move_out_reaches_the_assigned_nurse_and_nowhere_else(city):
    mine = alerts.watched_alerts(NURSE_A, only_mine=True)
    assert list(zip(mine["resident_id"], mine["kind"], mine["status"], strict=True)) == [(A, "moved_out", "current")]
    assert alerts.watched_alerts(NURSE_C, only_mine=True).empty  # same ward, another child: nothing of A's
    other_ward = alerts.watched_alerts(NURSE_B)
    assert list(zip(other_ward["resident_id"], other_ward["kind"], strict=True)) == [(B, "consultation")]
    assert A not in set(other_ward["resident_id"])


def test_the_manager_sees_the_counts_per_ward(city):
    counts = alerts.counts_by_ward(MANAGER).set_index("ward_code")
    assert counts.loc["40131", "current"] == 1 and counts.loc["40132", "current"] == 1
    assert counts["expired"].sum() == 0
    with pytest.raises(AccessDenied):
        alerts.counts_by_ward(Principal("eval", "evaluator"))


def test_an_alert_past_its_rule_shows_as_expired(city, tmp_path, monkeypatch):
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "alerts.yaml").write_text("rules:\n  moved_out: {label_ja: 転出, expires_days: 20}\n", encoding="utf-8")
    monkeypatch.setenv("KODOMO_CITIES", str(rules))
    assert alert_rules()["consultation"].expires_days == 90  # the other rules stay as shipped
    month(tmp_path / "m3", tmp_path, "2025-11-01", moved_out_a=True, consult_b=True)
    mine = alerts.watched_alerts(NURSE_A, only_mine=True)
    assert list(zip(mine["kind"], mine["status"], strict=True)) == [("moved_out", "expired")]
    assert list(alerts.watched_alerts(NURSE_B)["status"]) == ["current"]  # 31 days old, its rule says 90


def test_a_broken_rule_is_refused_in_japanese(tmp_path, monkeypatch):
    (tmp_path / "alerts.yaml").write_text("rules:\n  moved_out: {label_ja: 転出}\n", encoding="utf-8")
    monkeypatch.setenv("KODOMO_CITIES", str(tmp_path))
    with pytest.raises(AlertConfigError, match="expires_days"):
        alert_rules()


def test_the_child_who_moved_out_keeps_a_card_with_the_move_in_its_timeline(city):
    from kodomo_dash.services import children

    card = children.child_card(NURSE_A, A)
    assert card is not None and not bool(card.basic["is_resident"])
    data = card.timeline[card.timeline["kind"] == "data"]
    assert "転出" in " ".join(data["detail"])
    assert (card.timeline["kind"] == "casework").sum() == 4  # three divisions' checks and the conference
    from kodomo_dash.services import household

    view = household.household_view(NURSE_A, A)  # the household the child left, the child marked in it
    assert view is not None and A in set(view.members["resident_id"]) and "0000000001" in set(view.members["resident_id"])


def test_the_card_shows_the_childs_alert_and_its_screening_flag_current_then_expired(city, tmp_path, monkeypatch):
    """The card (not only the worklist) says what arrived, and a screening result past the city's
    screening_flag period is shown as expired, in its table and in the timeline."""
    from kodomo_dash.services import children

    card = children.child_card(NURSE_A, A)
    assert list(zip(card.alerts["kind"], card.alerts["status"], strict=True)) == [("moved_out", "current")]
    assert list(card.screening["status"]) == ["current"]  # scored 2025-08-20, served build 2025-10-01
    assert "期限切れ" not in " ".join(card.timeline["detail"])

    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "alerts.yaml").write_text("rules:\n  moved_out: {label_ja: 転出, expires_days: 20}\n"
                                       "screening_flag: {expires_days: 30}\n", encoding="utf-8")  # fmt: skip
    monkeypatch.setenv("KODOMO_CITIES", str(rules))
    month(tmp_path / "m3", tmp_path, "2025-11-01", moved_out_a=True, consult_b=True)
    card = children.child_card(NURSE_A, A)
    assert list(card.alerts["status"]) == ["expired"]
    assert list(card.screening["status"]) == ["expired"]
    assert card.screening["expires_on"].iloc[0] == date(2025, 9, 19)  # 30 days after 2025-08-20
    screening_rows = card.timeline[card.timeline["kind"] == "screening"]
    assert len(screening_rows) == 1 and "期限切れ" in screening_rows["detail"].iloc[0]


def test_a_broken_screening_flag_period_is_refused_in_japanese(tmp_path, monkeypatch):
    from kodomo_dash.config.alerts import screening_flag_days

    (tmp_path / "alerts.yaml").write_text("screening_flag: {expires_days: 0}\n", encoding="utf-8")
    monkeypatch.setenv("KODOMO_CITIES", str(tmp_path))
    with pytest.raises(AlertConfigError, match="screening_flag"):
        screening_flag_days()
