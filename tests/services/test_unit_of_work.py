"""The one frame of a service call (issue 13): matrix first, scope from the matrix, one transaction.

Each test opens a unit of work directly, as a service does, on an empty casework file: a refusal
writes nothing, a save and its audit row commit or roll back together, the scope is the matrix's,
and a unit that never touches casework never opens it.
"""

from __future__ import annotations

import pytest

from kodomo_dash.security.matrix import AccessDenied
from kodomo_dash.security.principal import Principal
from kodomo_dash.services import support
from kodomo_dash.services.unit_of_work import Scope, unit_of_work
from tests.casework_people import LISTED, draft, empty_casework, rows

MANAGER = Principal("mgr", "manager")
STAFF = Principal("staff_higashi", "ward_staff", ward_codes=("40131",))
TEACHER = Principal("teacher_a", "school", school_codes=("27219000",))
EVALUATOR = Principal("eval", "evaluator")


@pytest.fixture
def casework_dir(tmp_path, monkeypatch):
    return empty_casework(tmp_path, monkeypatch)


def _setting(con, key: str) -> None:
    con.execute("insert into app_setting (key, value, updated_by) values (?, 'x', 'mgr')", [key])


def _state(folder) -> tuple[list[tuple], list[tuple]]:
    """Casework as the tests look at it: the settings written, and every audit row but refusals."""
    return (rows(folder, "select key from app_setting order by key"),
            rows(folder, "select username, action, page, target from audit_log where action <> 'access_denied'"
                 " order by seq"))  # fmt: skip


def test_a_refused_principal_gets_access_denied_and_nothing_of_the_work_is_written(casework_dir):
    before = _state(casework_dir)
    ran = []
    for who, page, action in ((STAFF, "privacy_checklist", "save"), (EVALUATOR, "support_record", "view"),
                              (TEACHER, "screening", "save"), (None, "home", "view")):  # fmt: skip
        with pytest.raises(AccessDenied), unit_of_work(who, page, action) as w:
            ran.append(page)
            _setting(w.con, f"{page}.refused")
            w.record("setting_change", target="refused")
    assert ran == []  # the body never runs
    assert _state(casework_dir) == before
    # a service refuses the same way: ward staff may view screening, not accept a run
    run_id = draft(casework_dir)
    with pytest.raises(AccessDenied):
        support.accept_run(STAFF, run_id, fy=2025, programme="fukuoka-unenrolled", accepted_on=LISTED)
    assert rows(casework_dir, "select count(*) from wf_list") == [(0,)]
    assert _state(casework_dir) == before


def test_a_save_and_its_audit_row_commit_together(casework_dir):
    with unit_of_work(MANAGER, "privacy_checklist", "save") as w:
        _setting(w.con, "kept")
        event = w.record("setting_change", target="kept")
        assert event.page == "privacy_checklist"  # the unit's page unless told otherwise
    assert _state(casework_dir) == ([("kept",)], [("mgr", "setting_change", "privacy_checklist", "kept")])


def test_a_body_that_raises_rolls_back_the_save_and_its_audit_row(casework_dir):
    with pytest.raises(RuntimeError), unit_of_work(MANAGER, "privacy_checklist", "save") as w:
        _setting(w.con, "lost")
        w.record("setting_change", target="lost")
        raise RuntimeError("after the save, before the commit")
    assert _state(casework_dir) == ([], [])


def test_a_service_called_inside_a_unit_joins_its_transaction(casework_dir):
    run_id = draft(casework_dir)
    with pytest.raises(RuntimeError), unit_of_work(MANAGER, "screening", "save") as w:
        _setting(w.con, "outer")
        support.accept_run(MANAGER, run_id, fy=2025, programme="fukuoka-unenrolled", accepted_on=LISTED)
        raise RuntimeError("the outer work fails after the acceptance")
    assert rows(casework_dir, "select count(*) from wf_list") == [(0,)]
    assert rows(casework_dir, "select status from screening_run") == [("draft",)]
    assert _state(casework_dir) == ([], [])


@pytest.mark.parametrize(
    ("who", "page", "scope", "predicate"),
    [
        (STAFF, "support_record", Scope(("40131",), None, True), ('"ward_code" IN (?)', ["40131"])),
        (TEACHER, "progress", Scope(None, ("27219000",), True), ('"school_code" IN (?)', ["27219000"])),
        (MANAGER, "support_record", Scope(None, None, True), ("TRUE", [])),
        (EVALUATOR, "funnel", Scope((), (), False), ("FALSE", [])),
    ],
    ids=["ward_staff", "school", "manager", "evaluator"],
)
def test_the_scope_comes_from_the_matrix(casework_dir, who, page, scope, predicate):
    with unit_of_work(who, page, "view") as w:
        assert w.scope == scope
        assert w.predicate(ward_col="ward_code", school_col="school_code") == predicate


def test_a_ward_user_reads_only_its_ward_through_a_service(casework_dir):
    list_id = support.accept_run(MANAGER, draft(casework_dir), fy=2025, programme="fukuoka-unenrolled",
                                 accepted_on=LISTED)  # fmt: skip
    everyone = support.queue(MANAGER, list_id, "all")
    assert set(everyone["ward_code"]) == {"40131", "40132"}
    mine = support.queue(STAFF, list_id, "all")
    assert len(mine) and set(mine["ward_code"]) == {"40131"}


def test_a_unit_that_never_touches_casework_never_opens_it(tmp_path, monkeypatch):
    monkeypatch.setenv("KODOMO_WAREHOUSE", str(tmp_path))
    with unit_of_work(STAFF, "home", "view") as w:
        assert w.scope.ward_codes == ("40131",)
    assert not (tmp_path / "casework.duckdb").exists()
