"""The screening services that need no warehouse, directly: saved runs and their lists within the
principal's scope (viewing audited), the difference of two runs, acceptance through the one path,
and rule-set versions saved with their audit row under the rules page's right."""

from __future__ import annotations

import pandas as pd
import pytest

from kodomo_dash.security.matrix import AccessDenied
from kodomo_dash.security.principal import Principal
from kodomo_dash.services import screening
from tests.casework_people import draft, empty_casework, rows

MANAGER = Principal("mgr", "manager")
HIGASHI = Principal("staff_higashi", "ward_staff", ward_codes=("40131",))
HAKATA = Principal("staff_hakata", "ward_staff", ward_codes=("40132",))


@pytest.fixture
def folder(tmp_path, monkeypatch):
    return empty_casework(tmp_path, monkeypatch)


def test_a_saved_list_shows_each_ward_its_own_children_and_the_viewing_is_audited(folder):
    run_id = draft(folder)
    assert list(screening.run_history(MANAGER)["run_id"]) == [run_id]
    assert len(screening.saved_list(MANAGER, run_id)) == 40
    assert set(screening.saved_list(HIGASHI, run_id)["ward_code"]) == {"40131"}
    assert len(screening.saved_list(HAKATA, run_id)) == 5
    assert rows(folder, "select username, n_children from audit_log where action = 'search' order by seq") == [
        ("mgr", 40), ("staff_higashi", 35), ("staff_hakata", 5)]


def test_the_difference_of_two_runs_is_scoped_too(folder):
    before, after = draft(folder, n=30), draft(folder, n=40)
    def entered(who: Principal) -> set[str]:
        diff = screening.run_diff(who, before, after)
        return set(diff.loc[diff["change"] == "entered", "resident_id"])

    assert entered(MANAGER) == {f"R{i:07d}" for i in range(30, 40)}
    assert entered(HIGASHI) == {f"R{i:07d}" for i in range(30, 35)}  # 博多区's five are not hers to see
    assert len(screening.run_diff(HAKATA, before, after)) == 5


def test_accepting_goes_through_the_support_service_and_ward_staff_cannot(folder):
    run_id = draft(folder)
    with pytest.raises(AccessDenied):
        screening.accept(HIGASHI, run_id, fy=2025, programme="fukuoka-unenrolled")
    list_id = screening.accept(MANAGER, run_id, fy=2025, programme="fukuoka-unenrolled")
    assert rows(folder, "select list_id, list_size from wf_list") == [(list_id, 40)]


def test_a_rule_set_edit_is_a_new_version_with_its_audit_row(folder):
    version, rule_set = screening.latest_rule_set(MANAGER, "amagasaki")
    assert version.version == 1  # the shipped preset, on first use
    items = pd.DataFrame([{"key": i.key, "points": i.points, "enabled": i.enabled} for i in rule_set.items])
    items.loc[0, "points"] = float(items.loc[0, "points"]) + 1
    params = pd.DataFrame([{"key": k, "value": p.value} for k, p in rule_set.params.items()], columns=["key", "value"])
    edited = screening.edited_rule_set(rule_set, items, params)
    assert len(screening.rule_set_changes(rule_set, edited)) == 1
    with pytest.raises(AccessDenied):
        screening.save_rule_set(HIGASHI, edited, version.rule_set_id, "try")
    saved = screening.save_rule_set(MANAGER, edited, version.rule_set_id, "one more point")
    assert saved.version == 2
    assert rows(folder, "select username, target from audit_log where action = 'setting_change'") == [
        ("mgr", f"rule_set:{saved.rule_set_id}")]
