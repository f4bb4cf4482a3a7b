"""The push-support steps people take, as service functions: accept, decide, request, correct.

Every step a person takes in a city after screening — a manager's 確定, each department's
secondary screening, the three-department conference, the approach start, the school-path
decision, the city's request of school and SSW sheets, and a manager's corrections (void an event,
send a form back) — is one function here, taking the signed-in principal. Each runs as one
:func:`~kodomo_dash.services.unit_of_work.unit_of_work`: the authorisation matrix is checked, the
rows are limited to the principal's scope, and the save and one audit row per child commit together
in one transaction (a refusal on any child of a bulk action saves nothing). Screens, the ``kodomo list`` command and the scenario
simulation call these same functions; none of them writes casework another way. The command's
own reads (which programme a run belongs to, the register of lists) are here too, so it holds no SQL.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any, NamedTuple

import duckdb
import pandas as pd

from kodomo_dash.casework import form_store, vocabulary, workflow
from kodomo_dash.casework.store import CaseworkError, NotFoundError
from kodomo_dash.config.cities import programmes_for_run
from kodomo_dash.config.messages import Message, msg
from kodomo_dash.security.principal import Principal
from kodomo_dash.services.unit_of_work import Work, casework, unit_of_work

PAGE = "support_record"
CORRECTION = "casework_correction"  # matrix operation: void an event, send a form back
SHEET_TYPES = ("school_screening_sheet", "ssw_hearing_sheet")
MAX_BULK = 1000

# The queues a screen offers: which children are waiting for which step (wf_child_state, 050).
QUEUES: dict[str, str] = {
    "secondary": "conference_decision is null and not secondary_excluded",
    "conference": "secondary_passed and conference_decision is null",
    "approach": "conference_approach and approach_decision is null",
    "school_decision": "ssw_hearing_done and school_decision is null",
    "all": "true",
}


_QUEUE_SELECT = (
    "select s.resident_id, s.ward_code, s.school_code, s.rank, s.score, s.selection_reason,"
    " s.current_stage, s.departments_passed, s.assigned_staff, s.ssw_risk, m.state_version"
    " from wf_child_state as s join wf_list_member as m using (list_id, resident_id)"
)
_QUEUE_FILTER = (
    " and (?::varchar[] is null or list_contains(?::varchar[], s.ward_code))"
    " and (?::varchar[] is null or list_contains(?::varchar[], s.school_code))"
    " and (?::varchar is null or not exists (select 1 from wf_event_current as e"
    "      where e.list_id = s.list_id and e.resident_id = s.resident_id"
    "        and e.stage = 'secondary' and e.department = ?))"
    " order by s.rank nulls last, s.resident_id"
)


# ---------------------------------------------------------------------------------------------
# Lists
# ---------------------------------------------------------------------------------------------


def accept_run(principal: Principal, run_id: str, *, fy: int, programme: str,
               accepted_on: date | None = None) -> str:  # fmt: skip
    """A manager's 確定 of a screening run: the run is accepted and the year's list created, together."""
    with unit_of_work(principal, "screening", "save") as w:
        return workflow.accept_screening_run(
            w.con, run_id, fy=fy, programme=programme, actor=principal, role=principal.role,
            accepted_on=accepted_on, audit=w.audit,
        )  # fmt: skip


def run_programmes(run_id: str) -> list[str]:
    """Programme keys (config/cities) a screening run can be accepted under, for a 確定 that names none.

    The programmes of the run's method, narrowed to those of its cohort when there are any (a
    manager may screen a programme's method over another cohort). NotFoundError for an unknown run.
    """
    with casework() as con:
        row = con.execute("select method, cohort from screening_run where run_id = ?", [run_id]).fetchone()
    if row is None:
        raise NotFoundError(msg("sv.run_not_found", run_id=run_id))
    method, cohort = row
    found = [p for p in programmes_for_run(method, cohort) if p.cohort == cohort] or programmes_for_run(method, cohort)
    return [p.key for p in found]


class ListEntry(NamedTuple):
    """One accepted list as the register shows it (no child rows)."""

    list_id: str
    fy: int
    programme: str
    path: str
    list_size: int
    accepted_on: date
    accepted_by: str


def list_register() -> list[ListEntry]:
    """Every accepted list, by year then acceptance: the shell's overview (`kodomo list show`).

    Sizes and who accepted, never a child; the screens read :func:`lists` with the viewer's rights.
    """
    with casework() as con:
        rows = con.execute(
            "select list_id, fy, programme, path, list_size, accepted_on, accepted_by from wf_list"
            " order by fy, accepted_at"
        ).fetchall()
    return [ListEntry(*r) for r in rows]


def list_size(list_id: str) -> int:
    """How many children a list holds (what a 確定 reports back); NotFoundError for an unknown list."""
    with casework() as con:
        row = con.execute("select list_size from wf_list where list_id = ?", [list_id]).fetchone()
    if row is None:
        raise NotFoundError(msg("sv.list_not_found", list_id=list_id))
    return int(row[0])


def lists(principal: Principal, path: str | None = None) -> pd.DataFrame:
    """Accepted lists (no child rows): list_id, fy, programme, path, list_size, accepted_on, accepted_by."""
    with unit_of_work(principal, PAGE, "view") as w:
        return w.con.execute(
            "select list_id, fy, programme, method, path, screening_sheet_required, cohort_label_ja, list_size,"
            " accepted_on, accepted_by from wf_list where (?::varchar is null or path = ?)"
            " order by fy desc, accepted_at desc",
            [path, path],
        ).df()


def queue(principal: Principal, list_id: str, step: str, department: str | None = None) -> pd.DataFrame:
    """Children of one list waiting for `step`, within the principal's scope (never cached).

    For secondary screening, a department sees the children it has not checked yet.
    """
    if step not in QUEUES:
        raise CaseworkError(msg("sv.no_queue", step=step))
    with unit_of_work(principal, PAGE, "view") as w:
        scope = w.require_persons()
        where = QUEUES[step]  # a fixed clause from QUEUES, never user text
        sql = f"{_QUEUE_SELECT} where s.list_id = ? and ({where}) {_QUEUE_FILTER}"  # noqa: S608
        return w.con.execute(
            sql, [list_id, scope.wards, scope.wards, scope.schools, scope.schools, department, department]
        ).df()


# ---------------------------------------------------------------------------------------------
# Stage records (bulk where staff do many at once)
# ---------------------------------------------------------------------------------------------


def _ids(resident_ids: Iterable[str]) -> list[str]:
    ids = [str(r) for r in resident_ids]
    if not ids:
        raise CaseworkError(msg("sv.choose_children"), field_errors={"children": msg("sv.choose_children_field")})
    if len(ids) > MAX_BULK:
        raise CaseworkError(msg("sv.too_many", max=MAX_BULK, n=len(ids)))
    if len(set(ids)) != len(ids):
        raise CaseworkError(msg("sv.chosen_twice"))
    return ids


def _check_versions(w: Work, list_id: str, versions: Mapping[str, int] | None) -> None:
    """Refuse when a child changed since the screen was drawn (another person recorded meanwhile)."""
    if not versions:
        return
    rows = dict(w.con.execute(
        "select resident_id, state_version from wf_list_member where list_id = ? and list_contains(?, resident_id)",
        [list_id, list(versions)],
    ).fetchall())  # fmt: skip
    stale = [rid for rid, v in versions.items() if rid in rows and rows[rid] != int(v)]
    if stale:
        shown = ", ".join(stale[:3]) + (" …" if len(stale) > 3 else "")
        raise CaseworkError(msg("sv.changed_meanwhile", n=len(stale), ids=shown))


def _field_checks(stage: str, *, event_date: date | None, decision: str | None, reason: str | None,
                  note: str | None, assignee: str | None, today: date) -> None:  # fmt: skip
    """Messages next to the fields a person can fix, before any child is touched."""
    errors: dict[str, Message] = {}
    if event_date is None:
        errors["event_date"] = msg("sv.date_required")
    elif event_date > today:
        errors["event_date"] = msg("sv.future_date", date=event_date)
    if not decision:
        errors["decision"] = msg("sv.decision_required")
    needs_reason = {("secondary", "exclude"), ("conference", "no_approach"), ("approach", "not_needed"),
                    ("school_decision", "no_support")}  # fmt: skip
    if (stage, decision) in needs_reason:
        if not reason:
            errors["reason"] = msg("sv.reason_required")
        elif reason == "other" and not (note or "").strip():
            errors["note"] = msg("sv.other_needs_note")
    if (stage, decision) in {("conference", "approach"), ("approach", "start")} and not (assignee or "").strip():
        errors["assignee"] = msg("sv.assignee_required")
    if errors:
        raise CaseworkError(next(iter(errors.values())), field_errors=errors)


def _record_many(
    w: Work, list_id: str, resident_ids: Sequence[str], stage: str, *,
    versions: Mapping[str, int] | None, today: date | None, **fields: Any,
) -> list[int]:  # fmt: skip
    """One stage event per child in the caller's unit of work; the first refusal names the child and saves nothing.

    The fields are checked before casework is opened, so a form with a mistake costs no connection.
    """
    ids = _ids(resident_ids)
    today = today or date.today()
    _field_checks(stage, event_date=fields.get("event_date"), decision=fields.get("decision"),
                  reason=fields.get("reason"), note=fields.get("note"), assignee=fields.get("assignee"),
                  today=today)  # fmt: skip
    saved: list[int] = []
    _check_versions(w, list_id, versions)
    for rid in ids:
        try:
            w.check_child(list_id, rid)
            ev = workflow.record_event(w.con, list_id, rid, stage, actor=w.principal, audit=w.audit,
                                       today=today, **fields)  # fmt: skip
        except CaseworkError as exc:
            refusal = exc.message if len(ids) == 1 else msg("sv.for_child", rid=rid, message=exc.message)
            raise CaseworkError(msg("sv.nothing_saved", message=refusal), field_errors=exc.field_errors) from exc
        saved.append(int(ev.event_id))
    return saved


def record_secondary(principal: Principal, list_id: str, resident_ids: Sequence[str], *, department: str,
                     decision: str, event_date: date, reason: str | None = None, note: str | None = None,
                     versions: Mapping[str, int] | None = None, today: date | None = None) -> list[int]:  # fmt: skip
    """One department's secondary screening for many children (e.g. 30 marked 支援中 with one reason)."""
    with unit_of_work(principal, PAGE, "save") as w:
        if department not in vocabulary.DEPARTMENTS:
            raise CaseworkError(msg("sv.department_required"), field_errors={"department": msg("sv.department_required_field")})
        return _record_many(w, list_id, resident_ids, "secondary", versions=versions, today=today,
                            department=department, decision=decision, event_date=event_date,
                            reason=reason if decision == "exclude" else None, note=note)  # fmt: skip


def record_conference(principal: Principal, list_id: str, resident_ids: Sequence[str], *, decision: str,
                      event_date: date, assignee: str | None = None, department: str | None = None,
                      reason: str | None = None, note: str | None = None,
                      versions: Mapping[str, int] | None = None, today: date | None = None) -> list[int]:  # fmt: skip
    """The three-department conference's decision (approach, with the staff assigned; or not, and why)."""
    approach = decision == "approach"
    with unit_of_work(principal, PAGE, "save") as w:
        return _record_many(w, list_id, resident_ids, "conference", versions=versions, today=today,
                            decision=decision, event_date=event_date, assignee=assignee if approach else None,
                            department=department if approach else None,
                            reason=None if approach else reason, note=note)  # fmt: skip


def record_approach(principal: Principal, list_id: str, resident_ids: Sequence[str], *, decision: str,
                    event_date: date, assignee: str | None = None, how: str | None = None,
                    reason: str | None = None, note: str | None = None,
                    versions: Mapping[str, int] | None = None, today: date | None = None) -> list[int]:  # fmt: skip
    """Start the approach (who, when, how: home visit or phone), or record it is not needed (転出 etc.)."""
    start = decision == "start"
    with unit_of_work(principal, PAGE, "save") as w:
        if start and how is not None and how not in vocabulary.CONTACT_METHODS:
            raise CaseworkError(msg("sv.method_required"), field_errors={"how": msg("sv.method_required")})
        return _record_many(w, list_id, resident_ids, "approach", versions=versions, today=today,
                            decision=decision, event_date=event_date, assignee=assignee if start else None,
                            method=how if start else None, reason=None if start else reason, note=note)  # fmt: skip


def record_school_decision(principal: Principal, list_id: str, resident_ids: Sequence[str], *, decision: str,
                           event_date: date, reason: str | None = None, note: str | None = None,
                           versions: Mapping[str, int] | None = None, today: date | None = None) -> list[int]:  # fmt: skip
    """The school path's decision after the SSW hearing (Izumi: 要対協 case meeting or watch at school)."""
    with unit_of_work(principal, PAGE, "save") as w:
        return _record_many(w, list_id, resident_ids, "school_decision", versions=versions, today=today,
                            decision=decision, event_date=event_date,
                            reason=reason if decision == "no_support" else None, note=note)  # fmt: skip


def request_sheets(principal: Principal, list_id: str, form_type: str, *,
                   assignee_for: Mapping[str, str] | None = None, due_date: date | None = None) -> int:  # fmt: skip
    """The city asks schools (screening sheets) or SSWs (hearing sheets) to fill one sheet per listed child.

    assignee_for maps a school code to the username who fills its sheets. Returns how many sheets
    were newly requested; asking again keeps the ones that exist.
    """
    if form_type not in SHEET_TYPES:
        raise CaseworkError(msg("sv.sheet_types"))
    with unit_of_work(principal, PAGE, "save") as w:
        row = w.con.execute("select path from wf_list where list_id = ?", [list_id]).fetchone()
        if row is None:
            raise CaseworkError(msg("sv.list_not_found", list_id=list_id))
        if row[0] != "school":
            raise CaseworkError(msg("sv.sheets_school_only"))
        return form_store.request_forms_for_list(
            w.con, form_type, list_id, actor=principal, assignee_for=dict(assignee_for or {}),
            due_date=due_date, audit=w.audit,
        )  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Correction and history
# ---------------------------------------------------------------------------------------------


def void_event(principal: Principal, event_id: int, *, note: str, today: date | None = None) -> int:
    """A manager cancels a wrong record with a reason; the record stays in the trail, marked cancelled."""
    if not (note or "").strip():
        raise CaseworkError(msg("sv.void_reason_required"), field_errors={"note": msg("sv.reason_field")})
    with unit_of_work(principal, CORRECTION, "save") as w:
        target = workflow.get_event(w.con, int(event_id))
        w.check_child(target.list_id, target.resident_id)
        void = workflow.void_event(
            w.con, int(event_id), actor=principal, note=note, audit=w.audit, today=today
        )
        return int(void.event_id)


def send_back_form(principal: Principal, form_id: str, *, expected_version: int, note: str,
                   today: date | None = None) -> form_store.SaveResult:  # fmt: skip
    """A manager sends a submitted form back to draft (差し戻し) with a reason; its events are voided."""
    if not (note or "").strip():
        raise CaseworkError(msg("sv.back_reason_required"), field_errors={"note": msg("sv.reason_field")})
    with unit_of_work(principal, CORRECTION, "save") as w:
        rec = form_store.get_form(w.con, form_id)
        if rec.list_id and rec.resident_id:
            w.check_child(rec.list_id, rec.resident_id)
        return form_store.reopen_form(w.con, form_id, expected_version=expected_version, actor=principal,
                                      note=note, audit=w.audit, today=today)  # fmt: skip


def child_history(principal: Principal, list_id: str, resident_id: str) -> pd.DataFrame:
    """Every stage record of one child as kept (voids included), with labels, for the history table."""
    with unit_of_work(principal, PAGE, "view") as w:
        return _history_rows(w.check_child(list_id, resident_id).timeline)


HISTORY_COLUMNS = ["event_id", "list_id", "stage", "stage_label", "event_date", "what", "recorded_by", "recorded_at",
                   "form_id", "voided", "void_reason", "note"]  # fmt: skip


def history_frame(con: duckdb.DuckDBPyConnection, list_id: str, resident_id: str) -> pd.DataFrame:
    """One child's trail on one list in words (no access check: callers check the child first)."""
    return _history_rows(workflow.child_timeline(con, list_id, resident_id))


def _history_rows(timeline: Sequence[workflow.StageEvent]) -> pd.DataFrame:
    voided = {e.supersedes: e for e in timeline if e.supersedes is not None}
    rows = []
    for e in timeline:
        v = voided.get(e.event_id)
        rows.append({
            "event_id": e.event_id, "list_id": e.list_id, "stage": e.stage, "stage_label": e.label_ja,
            "event_date": e.event_date, "what": _describe(e), "recorded_by": e.recorded_by,
            "recorded_at": e.recorded_at, "form_id": e.form_id, "voided": v is not None,
            "void_reason": v.note if v else None, "note": e.note,
        })  # fmt: skip
    return pd.DataFrame(rows, columns=HISTORY_COLUMNS)


def _describe(e: workflow.StageEvent) -> str:
    """The record in words: department, decision, reason (labels from the one vocabulary)."""
    domains = {"secondary": "secondary_decision", "conference": "conference_decision", "approach": "approach_decision",
               "contact_attempt": "attempt_result", "contact": "needs", "support_act": "support_kind",
               "outcome": "outcome", "school_decision": "school_decision"}  # fmt: skip
    reasons = {"secondary": "secondary_reason", "conference": "conference_reason", "approach": "approach_reason",
               "school_decision": "school_reason"}  # fmt: skip
    parts = []
    if e.department and e.stage == "secondary":
        parts.append(vocabulary.DEPARTMENTS.get(e.department, e.department))
    if e.method:
        parts.append(vocabulary.CONTACT_METHODS.get(e.method, e.method))
    if e.decision and e.stage in domains:
        parts.append(vocabulary.CODE_DOMAINS[domains[e.stage]].get(e.decision, e.decision))
    if e.category and e.decision in vocabulary.SUPPORT_CATEGORIES:
        parts.append(vocabulary.SUPPORT_CATEGORIES[e.decision].get(e.category, e.category))
    if e.reason and e.stage in reasons:
        parts.append(f"理由：{vocabulary.CODE_DOMAINS[reasons[e.stage]].get(e.reason, e.reason)}")
    if e.assignee:
        parts.append(f"担当：{e.assignee}")
    if e.stage == "void":
        parts.append(f"取消：記録番号 {e.supersedes}")
    return "・".join(parts)


def submitted_forms(principal: Principal, list_id: str, resident_id: str) -> list[form_store.FormRecord]:
    """The child's forms (any status) for the correction tab; scope checked like the history."""
    with unit_of_work(principal, PAGE, "view") as w:
        w.check_child(list_id, resident_id)
        ids = [r[0] for r in w.con.execute(
            "select form_id from form_record where list_id = ? and resident_id = ? order by created_at",
            [list_id, resident_id],
        ).fetchall()]  # fmt: skip
        return [form_store.get_form(w.con, i) for i in ids]
