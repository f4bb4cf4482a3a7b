"""Writing a child's trail: recording an event and voiding one, each checked by the rules.

Every write bumps the child's state_version inside the same transaction, so two sessions deciding
on one child conflict instead of both winning; the audit row is written inside that transaction
too, so there is no save without its audit row. A void is a new event, never an update.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import duckdb

from kodomo_dash.casework.store import (
    AuditFn,
    actor_name,
    as_date,
    call_audit,
    canonical_json,
    no_audit,
    transaction,
    utcnow,
)
from kodomo_dash.casework.workflow.events import ChildState, StageEvent, get_event, load_child
from kodomo_dash.casework.workflow.rules import CORRECTION_PLACE, TransitionError, check_new, requirements
from kodomo_dash.config.messages import msg


def _touch_member(con: duckdb.DuckDBPyConnection, list_id: str, resident_id: str) -> None:
    """Bump the child's state_version so two sessions deciding on one child conflict, not both win."""
    con.execute(
        "update wf_list_member set state_version = state_version + 1 where list_id = ? and resident_id = ?",
        [list_id, resident_id],
    )


def _insert_event(con: duckdb.DuckDBPyConnection, ev: StageEvent, actor: str) -> StageEvent:
    now = utcnow()
    event_id = con.execute(
        "insert into wf_event (list_id, resident_id, stage, event_date, department, method, decision,"
        " category, reason, note, assignee, due_date, form_id, supersedes, detail, recorded_at, recorded_by)"
        " values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) returning event_id",
        [ev.list_id, ev.resident_id, ev.stage, ev.event_date, ev.department, ev.method, ev.decision,
         ev.category, ev.reason, ev.note, ev.assignee, ev.due_date, ev.form_id, ev.supersedes,
         canonical_json(dict(ev.detail)), now, actor],
    ).fetchone()[0]  # fmt: skip
    return StageEvent(**{**ev.__dict__, "event_id": event_id, "recorded_at": now, "recorded_by": actor})


def _event_audit(ev: StageEvent, op: str) -> dict[str, Any]:
    detail: dict[str, Any] = {"op": op, "record": "wf_event", "stage": ev.stage}
    for key in ("decision", "department", "category", "reason"):
        value = getattr(ev, key)
        if value is not None:
            detail[key] = value
    return {
        "action": "form_save",
        "actor": ev.recorded_by,
        "resident_id": ev.resident_id,
        "target": f"wf_event:{ev.event_id}",
        "n_children": 1,
        "detail": detail,
    }


def record_event_in_tx(
    con: duckdb.DuckDBPyConnection, ev: StageEvent, *, actor: str, today: date,
    child: ChildState | None = None,
) -> StageEvent:  # fmt: skip
    """Validate and insert one event inside the caller's transaction (forms pass their ChildState)."""
    child = child or load_child(con, ev.list_id, ev.resident_id)
    check_new(child.member, child.current, ev, today)
    if not child.touched:
        _touch_member(con, ev.list_id, ev.resident_id)
        child.touched = True
    saved = _insert_event(con, ev, actor)
    child.timeline.append(saved)
    return saved


def record_event(
    con: duckdb.DuckDBPyConnection,
    list_id: str,
    resident_id: str,
    stage: str,
    *,
    event_date: date | str,
    actor: Any,
    department: str | None = None,
    method: str | None = None,
    decision: str | None = None,
    category: str | None = None,
    reason: str | None = None,
    note: str | None = None,
    assignee: str | None = None,
    due_date: date | str | None = None,
    detail: Mapping[str, Any] | None = None,
    audit: AuditFn | None = no_audit,
    today: date | None = None,
) -> StageEvent:
    """Record one stage event after checking the workflow allows it; returns it after COMMIT."""
    who = actor_name(actor)
    ev = StageEvent(
        event_id=None, list_id=list_id, resident_id=resident_id, stage=stage, event_date=as_date(event_date),
        department=department, method=method, decision=decision, category=category, reason=reason,
        note=note, assignee=assignee, due_date=None if due_date is None else as_date(due_date),
        detail=dict(detail or {}),
    )  # fmt: skip
    with transaction(con):
        saved = record_event_in_tx(con, ev, actor=who, today=today or date.today())
        call_audit(audit, _event_audit(saved, "record"), con=con)
    return saved


def record_secondary(con, list_id, resident_id, *, department: str, decision: str, event_date, actor,
                     reason: str | None = None, note: str | None = None, **kw) -> StageEvent:  # fmt: skip
    """One ward department's check: pass, or exclude as 支援中 / 所属あり / その他."""
    return record_event(con, list_id, resident_id, "secondary", department=department, decision=decision,
                        reason=reason, note=note, event_date=event_date, actor=actor, **kw)  # fmt: skip


def record_conference(con, list_id, resident_id, *, decision: str, event_date, actor,
                      assigned_staff: str | None = None, assigned_department: str | None = None,
                      reason: str | None = None, note: str | None = None,
                      assessment: Mapping[str, Any] | None = None, **kw) -> StageEvent:  # fmt: skip
    """Three-department conference outcome without a sheet (the sheet path is forms.submit)."""
    return record_event(con, list_id, resident_id, "conference", decision=decision, reason=reason,
                        note=note, assignee=assigned_staff, department=assigned_department,
                        detail=assessment, event_date=event_date, actor=actor, **kw)  # fmt: skip


def record_approach(con, list_id, resident_id, *, decision: str, event_date, actor,
                    reason: str | None = None, note: str | None = None, assignee: str | None = None,
                    **kw) -> StageEvent:  # fmt: skip
    """Start the approach, or record that it is not needed (moved out etc.)."""
    return record_event(con, list_id, resident_id, "approach", decision=decision, reason=reason, note=note,
                        assignee=assignee, event_date=event_date, actor=actor, **kw)  # fmt: skip


def record_contact_attempt(con, list_id, resident_id, *, method: str, result: str, event_date, actor,
                           note: str | None = None, **kw) -> StageEvent:  # fmt: skip
    return record_event(con, list_id, resident_id, "contact_attempt", method=method, decision=result,
                        note=note, event_date=event_date, actor=actor, **kw)  # fmt: skip


def record_contact(con, list_id, resident_id, *, needs: str, event_date, actor, note: str | None = None,
                   **kw) -> StageEvent:  # fmt: skip
    return record_event(con, list_id, resident_id, "contact", decision=needs, note=note,
                        event_date=event_date, actor=actor, **kw)  # fmt: skip


def record_support_act(con, list_id, resident_id, *, kind: str, category: str, event_date, actor,
                       note: str | None = None, **kw) -> StageEvent:  # fmt: skip
    return record_event(con, list_id, resident_id, "support_act", decision=kind, category=category,
                        note=note, event_date=event_date, actor=actor, **kw)  # fmt: skip


def record_outcome(con, list_id, resident_id, *, outcome: str, event_date, actor, note: str | None = None,
                   **kw) -> StageEvent:  # fmt: skip
    return record_event(con, list_id, resident_id, "outcome", decision=outcome, note=note,
                        event_date=event_date, actor=actor, **kw)  # fmt: skip


def record_follow_up(con, list_id, resident_id, *, event_date, due_date, actor, assignee: str | None = None,
                     note: str | None = None, **kw) -> StageEvent:  # fmt: skip
    return record_event(con, list_id, resident_id, "follow_up", due_date=due_date, note=note,
                        assignee=assignee or actor_name(actor), event_date=event_date, actor=actor, **kw)  # fmt: skip


def record_school_decision(con, list_id, resident_id, *, decision: str, event_date, actor,
                           reason: str | None = None, note: str | None = None, **kw) -> StageEvent:  # fmt: skip
    """Izumi: 要対協 case meeting if abuse risk, else watch at school; Beppu: support-staff meeting."""
    return record_event(con, list_id, resident_id, "school_decision", decision=decision, reason=reason,
                        note=note, event_date=event_date, actor=actor, **kw)  # fmt: skip


def void_events_in_tx(
    con: duckdb.DuckDBPyConnection, targets: Sequence[StageEvent], *, actor: str, note: str, today: date,
    allow_form: bool = False, child: ChildState | None = None,
) -> list[StageEvent]:  # fmt: skip
    """Void `targets` (all of one child) after checking no remaining event still depends on them."""
    if not targets:
        return []
    first = targets[0]
    child = child or load_child(con, first.list_id, first.resident_id)
    member, current = child.member, child.current
    if not child.touched:
        _touch_member(con, first.list_id, first.resident_id)
        child.touched = True
    ids = {t.event_id for t in targets}
    for t in targets:
        if t.event_id not in {e.event_id for e in current}:
            raise TransitionError(msg("wf.already_voided", record=t.describe()))
        if t.form_id and not allow_form:
            raise TransitionError(msg("wf.void_from_form", record=t.describe(), place=CORRECTION_PLACE))
    remaining = [e for e in current if e.event_id not in ids]
    for e in remaining:
        others = [o for o in remaining if o.event_id != e.event_id]
        if requirements(member, others, e):
            raise TransitionError(msg("wf.void_breaks_later", record=e.describe()))
    voids = []
    for t in targets:
        void = StageEvent(
            event_id=None, list_id=t.list_id, resident_id=t.resident_id, stage="void", event_date=today,
            supersedes=t.event_id, note=note, detail={"voided_stage": t.stage},
        )  # fmt: skip
        voids.append(_insert_event(con, void, actor))
    child.timeline.extend(voids)
    return voids


def void_event(
    con: duckdb.DuckDBPyConnection, event_id: int, *, actor: Any, note: str,
    audit: AuditFn | None = no_audit, today: date | None = None,
) -> StageEvent:  # fmt: skip
    """Cancel a mistaken record; the original stays in the trail and a 'void' event names it."""
    who = actor_name(actor)
    if not (note or "").strip():
        raise TransitionError(msg("wf.void_reason_required"), field_errors={"note": msg("wf.void_reason_required")})
    with transaction(con):
        target = get_event(con, event_id)
        if target.stage == "void":
            raise TransitionError(msg("wf.void_of_void"))
        (void,) = void_events_in_tx(con, [target], actor=who, note=note, today=today or date.today())
        call_audit(audit, _event_audit(void, "void"), con=con)
    return void
