"""Saving forms: drafts, submit, optimistic concurrency, idempotent double submit, reopen.

Why this shape:

* **Optimistic concurrency.** Every form row has a version. A save names the version the person
  started from; if the row has moved on, the save is refused with who changed it and when, and
  nothing is overwritten. Two sessions racing inside DuckDB end the same way: the second writer's
  transaction conflicts and is rolled back.
* **Whole or nothing.** The row update, a full copy in form_revision and any stage events the submit
  produces are one transaction. A result (and so the page's 「保存しました」) exists only after COMMIT
  returned; a killed process leaves the previous version, never half of a new one.
* **Double submit.** A second submit of the same content (same token or same data) returns the first
  result marked ``replayed``; a different content on a submitted form is refused clearly.
* **Submit feeds the funnel.** A submitted conference sheet becomes the conference event, a home-visit
  record becomes a contact attempt (+ contact, support acts, outcomes, follow-up), and so on; the
  funnel views count those events, so a figure never exists without the record behind it.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import duckdb

from kodomo_dash.casework import workflow
from kodomo_dash.casework.forms import FormDefinition, FormValidationError, get_definition, validate
from kodomo_dash.casework.store import (
    AuditFn,
    CaseworkError,
    ConcurrentChangeError,
    NotFoundError,
    actor_name,
    as_date,
    call_audit,
    canonical_json,
    fmt_date_ja,
    no_audit,
    transaction,
    utcnow,
)
from kodomo_dash.casework.workflow import StageEvent, TransitionError
from kodomo_dash.casework.workflow.rules import CORRECTION_PLACE
from kodomo_dash.config.messages import msg

STATUS_LABELS: dict[str, str] = {
    "requested": "未着手（依頼済み）",
    "draft": "下書き",
    "submitted": "提出済み",
}


class StaleVersionError(CaseworkError):
    """The save was made on an old version; `current` is the form as it is now."""

    def __init__(self, current: FormRecord, expected_version: int, *, raced: bool = False) -> None:
        when = current.updated_at.strftime("%Y-%m-%d %H:%M") if current.updated_at else ""
        lead = msg("form.raced") if raced else msg("form.updated_since", by=current.updated_by, when=when,
                                                    version=current.version)  # fmt: skip
        super().__init__(msg("form.stale", lead=lead))
        self.current = current
        self.expected_version = expected_version


class AlreadySubmittedError(CaseworkError):
    pass


@dataclass(frozen=True)
class FormRecord:
    form_id: str
    form_type: str
    def_version: str
    list_id: str | None
    resident_id: str | None
    school_code: str | None
    ward_code: str | None
    status: str
    version: int
    data: dict[str, Any]
    data_sha256: str
    assignee: str | None
    due_date: date | None
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str
    submitted_at: datetime | None
    submitted_by: str | None
    submit_token: str | None

    @property
    def status_label_ja(self) -> str:
        return STATUS_LABELS[self.status]


@dataclass(frozen=True)
class SaveResult:
    """What the page may show after a save: only ever built after COMMIT returned."""

    form_id: str
    version: int
    status: str
    saved_at: datetime
    saved_by: str
    replayed: bool = False
    event_ids: tuple[int, ...] = ()

    @property
    def message_ja(self) -> str:
        if self.replayed:
            return "この内容は既に保存されています（二重送信のため、新たな保存は行っていません）。"
        what = {"draft": "下書きを保存しました", "submitted": "提出しました"}.get(self.status, "保存しました")
        return f"{what}（版 {self.version}、{self.saved_at:%Y-%m-%d %H:%M}）。"


_SELECT = (
    "select form_id, form_type, def_version, list_id, resident_id, school_code, ward_code, status, version,"
    " data, data_sha256, assignee, due_date, created_at, created_by, updated_at, updated_by, submitted_at,"
    " submitted_by, submit_token from form_record"
)


def _record(row: Sequence[Any]) -> FormRecord:
    values = list(row)
    values[9] = json.loads(values[9])
    return FormRecord(*values)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def get_form(con: duckdb.DuckDBPyConnection, form_id: str) -> FormRecord:
    row = con.execute(_SELECT + " where form_id = ?", [form_id]).fetchone()
    if row is None:
        raise NotFoundError(msg("form.not_found"))
    return _record(row)


def list_forms(
    con: duckdb.DuckDBPyConnection,
    *,
    form_type: str | None = None,
    list_id: str | None = None,
    resident_id: str | None = None,
    status: str | None = None,
    assignee: str | None = None,
    school_codes: Sequence[str] | None = None,
    ward_codes: Sequence[str] | None = None,
) -> list[FormRecord]:
    """Forms matching every given filter; school_codes / ward_codes are the viewer's row scope."""
    rows = con.execute(
        _SELECT + " where (? is null or form_type = ?) and (? is null or list_id = ?)"
        " and (? is null or resident_id = ?) and (? is null or status = ?) and (? is null or assignee = ?)"
        " and (?::varchar[] is null or list_contains(?::varchar[], school_code))"
        " and (?::varchar[] is null or list_contains(?::varchar[], ward_code))"
        " order by school_code, ward_code, resident_id, created_at",
        [form_type, form_type, list_id, list_id, resident_id, resident_id, status, status, assignee, assignee,
         _opt_list(school_codes), _opt_list(school_codes), _opt_list(ward_codes), _opt_list(ward_codes)],
    ).fetchall()  # fmt: skip
    return [_record(r) for r in rows]


def _opt_list(values: Sequence[str] | None) -> list[str] | None:
    return None if values is None else [str(v) for v in values]


def form_revisions(con: duckdb.DuckDBPyConnection, form_id: str) -> list[dict[str, Any]]:
    """Every saved version of a form, oldest first (who saved what, when)."""
    cur = con.execute(
        "select version, status, op, data, data_sha256, saved_at, saved_by, note from form_revision"
        " where form_id = ? order by version",
        [form_id],
    )
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r, strict=True)) | {"data": json.loads(r[3])} for r in cur.fetchall()]


def form_id_for(form_type: str, list_id: str, resident_id: str, client_token: str | None = None) -> str:
    """Deterministic ids make a repeated request (or a double-clicked 「新規作成」) the same form."""
    key = "|".join([form_type, list_id, resident_id] + ([client_token] if client_token else []))
    return "F" + hashlib.sha256(key.encode()).hexdigest()[:24]


# ---------------------------------------------------------------------------------------------
# Requesting
# ---------------------------------------------------------------------------------------------


def request_form(
    con: duckdb.DuckDBPyConnection,
    form_type: str,
    list_id: str,
    resident_id: str,
    *,
    actor: Any,
    assignee: str | None = None,
    due_date: date | str | None = None,
    client_token: str | None = None,
    audit: AuditFn | None = no_audit,
) -> FormRecord:
    """Ask someone to fill a form for a child on a list; asking again returns the same form.

    One-per-child forms (sheets) get one id per child; others (home-visit records) get a new form per
    call unless the page passes a client_token, which makes a double-clicked 「新規作成」 idempotent.
    """
    who = actor_name(actor)
    defn = get_definition(form_type)
    if defn.one_per_child:
        form_id = form_id_for(form_type, list_id, resident_id)
    else:
        form_id = form_id_for(form_type, list_id, resident_id, client_token or uuid.uuid4().hex)
    with transaction(con):
        found = con.execute(
            "select (select count(*) from form_record where form_id = ?), m.list_id, m.resident_id, m.ward_code,"
            " m.school_code, l.fy, l.path, l.method, l.accepted_on, l.screening_sheet_required"
            " from wf_list_member as m join wf_list as l on l.list_id = m.list_id"
            " where m.list_id = ? and m.resident_id = ?",
            [form_id, list_id, resident_id],
        ).fetchone()  # one round trip: does the form exist, and is the child on the list
        if found is None:
            raise NotFoundError(msg("form.child_not_on_list"))
        if found[0]:
            return get_form(con, form_id)
        member = workflow.ListMember(*found[1:])
        rec = _insert_requested(con, defn, form_id, member, who, assignee, due_date)
        call_audit(audit, _audit_event(rec, "request"), con=con)
    return rec


def _insert_requested(con, defn: FormDefinition, form_id: str, member: workflow.ListMember, who: str,
                      assignee: str | None, due_date: date | str | None) -> FormRecord:  # fmt: skip
    now = utcnow()
    data = canonical_json({})
    sha = _sha(data)
    due = None if due_date is None else as_date(due_date)
    con.execute(
        "insert into form_record (form_id, form_type, def_version, list_id, resident_id, school_code, ward_code,"
        " status, version, data, data_sha256, assignee, due_date, created_at, created_by, updated_at, updated_by)"
        " values (?, ?, ?, ?, ?, ?, ?, 'requested', 1, ?, ?, ?, ?, ?, ?, ?, ?)",
        [form_id, defn.form_type, defn.def_version, member.list_id, member.resident_id, member.school_code,
         member.ward_code, data, sha, assignee, due, now, who, now, who],
    )  # fmt: skip
    con.execute(
        "insert into form_revision (form_id, version, status, op, data, data_sha256, saved_at, saved_by)"
        " values (?, 1, 'requested', 'request', ?, ?, ?, ?)",
        [form_id, data, sha, now, who],
    )
    return FormRecord(form_id, defn.form_type, defn.def_version, member.list_id, member.resident_id,
                      member.school_code, member.ward_code, "requested", 1, {}, sha, assignee, due, now, who,
                      now, who, None, None, None)  # fmt: skip


def request_forms_for_list(
    con: duckdb.DuckDBPyConnection,
    form_type: str,
    list_id: str,
    *,
    actor: Any,
    assignee_for: Callable[[Mapping[str, Any]], str | None] | Mapping[str, str] | None = None,
    due_date: date | str | None = None,
    audit: AuditFn | None = no_audit,
) -> int:
    """Request a one-per-child form for every child on a list (e.g. screening sheets per school).

    assignee_for maps a member (dict with school_code, ward_code, resident_id) to a username, or is a
    dict school_code → username. Returns how many forms were newly requested; existing ones are kept.
    """
    who = actor_name(actor)
    defn = get_definition(form_type)
    if not defn.one_per_child:
        raise CaseworkError(msg("form.not_bulk", title=defn.title_ja))
    created = 0
    with transaction(con):
        members = con.execute(
            "select resident_id, school_code, ward_code from wf_list_member where list_id = ? order by resident_id",
            [list_id],
        ).fetchall()
        existing = {
            r[0] for r in con.execute(
                "select resident_id from form_record where list_id = ? and form_type = ?", [list_id, form_type]
            ).fetchall()
        }  # fmt: skip
        for resident_id, school_code, ward_code in members:
            if resident_id in existing:
                continue
            m = {"resident_id": resident_id, "school_code": school_code, "ward_code": ward_code}
            if callable(assignee_for):
                assignee = assignee_for(m)
            elif assignee_for is not None:
                assignee = assignee_for.get(school_code or ward_code or "")
            else:
                assignee = None
            member = workflow.get_member(con, list_id, resident_id)
            _insert_requested(
                con, defn, form_id_for(form_type, list_id, resident_id), member, who, assignee, due_date
            )
            created += 1
        call_audit(
            audit,
            {"action": "form_save", "actor": who, "resident_id": None, "target": f"wf_list:{list_id}",
             "n_children": created, "detail": {"op": "request_bulk", "form_type": form_type}},
            con=con,
        )  # fmt: skip
    return created


# ---------------------------------------------------------------------------------------------
# Saving
# ---------------------------------------------------------------------------------------------


def form_context(
    con: duckdb.DuckDBPyConnection, rec: FormRecord, today: date, child: workflow.ChildState | None = None
) -> dict[str, date]:
    """Dates the form's rules compare against: today, when the list existed, when the approach began."""
    ctx: dict[str, date] = {"today": today}
    if rec.list_id is None or rec.resident_id is None:
        return ctx
    child = child or workflow.load_child(con, rec.list_id, rec.resident_id)
    ctx["list_accepted"] = child.member.listed_on
    events = child.current
    secondary = [e.event_date for e in events if e.stage == "secondary"]
    if secondary:
        ctx["secondary_done"] = max(secondary)
    for e in events:
        if e.stage == "approach" and e.decision == "start":
            ctx["approach_started"] = e.event_date
        if e.stage == "screening_sheet":
            ctx["screening_sheet_submitted"] = e.event_date
    return ctx


def save_draft(
    con: duckdb.DuckDBPyConnection,
    form_id: str,
    data: Mapping[str, Any],
    *,
    expected_version: int,
    actor: Any,
    audit: AuditFn | None = no_audit,
) -> SaveResult:
    """Keep unfinished work: types and lengths are checked, required fields are not."""
    return _save(con, form_id, data, expected_version=expected_version, actor=actor, op="draft",
                 submit_token=None, audit=audit, today=None)  # fmt: skip


def submit_form(
    con: duckdb.DuckDBPyConnection,
    form_id: str,
    data: Mapping[str, Any],
    *,
    expected_version: int,
    actor: Any,
    submit_token: str | None = None,
    audit: AuditFn | None = no_audit,
    today: date | None = None,
) -> SaveResult:
    """Validate fully, record the stage events the form stands for, and mark it submitted."""
    return _save(con, form_id, data, expected_version=expected_version, actor=actor, op="submit",
                 submit_token=submit_token, audit=audit, today=today)  # fmt: skip


def _save(con, form_id, data, *, expected_version, actor, op, submit_token, audit, today) -> SaveResult:
    who = actor_name(actor)
    today = today or date.today()
    try:
        with transaction(con):
            rec, result = _save_in_tx(con, form_id, data, expected_version, who, op, submit_token, today)
            op_done = f"{op}_replayed" if result.replayed else op
            call_audit(audit, _audit_event_result(rec, result, op_done), con=con)
    except ConcurrentChangeError as exc:
        current = get_form(con, form_id)
        _audit_refusal(con, audit, current, who, op, "concurrent_change")
        raise StaleVersionError(current, expected_version, raced=True) from exc
    except (StaleVersionError, AlreadySubmittedError) as exc:
        current = exc.current if isinstance(exc, StaleVersionError) else get_form(con, form_id)
        why = "stale_version" if isinstance(exc, StaleVersionError) else "already_submitted"
        _audit_refusal(con, audit, current, who, op, why)
        raise
    return result


def _save_in_tx(
    con, form_id, data, expected_version, who, op, submit_token, today
) -> tuple[FormRecord, SaveResult]:
    rec = get_form(con, form_id)
    defn = get_definition(rec.form_type)
    loose = validate(defn, data, mode="draft")  # types/lengths: also what a replay is compared on
    text = canonical_json(loose)
    sha = _sha(text)
    if rec.status == "submitted":
        if op == "submit" and ((submit_token and submit_token == rec.submit_token) or sha == rec.data_sha256):
            return rec, _replayed(rec)
        when = rec.submitted_at.strftime("%Y-%m-%d %H:%M") if rec.submitted_at else ""
        raise AlreadySubmittedError(msg("form.already_submitted", when=when, by=rec.submitted_by, place=CORRECTION_PLACE))
    if rec.version != expected_version:
        if rec.data_sha256 == sha and rec.updated_by == who and rec.status == "draft" and op == "draft":
            return rec, _replayed(rec)  # the same draft clicked twice
        raise StaleVersionError(rec, expected_version)
    event_ids: tuple[int, ...] = ()
    if op == "submit":
        child = workflow.load_child(con, rec.list_id, rec.resident_id) if rec.list_id else None
        context = form_context(con, rec, today, child)
        stored = validate(defn, data, mode="submit", context=context)
        text = canonical_json(stored)
        sha = _sha(text)
        event_ids = tuple(_emit_events(con, defn, rec, stored, who, today, child))
    status = "submitted" if op == "submit" else "draft"
    now = utcnow()
    submitting = op == "submit"
    changed = con.execute(
        "update form_record set status = ?, version = version + 1, data = ?, data_sha256 = ?,"
        " def_version = ?, updated_at = ?, updated_by = ?,"
        " submitted_at = case when ? then ? else submitted_at end,"
        " submitted_by = case when ? then ? else submitted_by end,"
        " submit_token = case when ? then ? else submit_token end"
        " where form_id = ? and version = ?",
        [status, text, sha, defn.def_version, now, who, submitting, now, submitting, who, submitting,
         submit_token, form_id, expected_version],
    ).fetchone()[0]  # fmt: skip
    if changed != 1:
        raise StaleVersionError(get_form(con, form_id), expected_version, raced=True)
    version = expected_version + 1
    con.execute(
        "insert into form_revision (form_id, version, status, op, data, data_sha256, saved_at, saved_by)"
        " values (?, ?, ?, ?, ?, ?, ?, ?)",
        [form_id, version, status, op, text, sha, now, who],
    )
    return rec, SaveResult(form_id, version, status, now, who, False, event_ids)


def _replayed(rec: FormRecord) -> SaveResult:
    return SaveResult(rec.form_id, rec.version, rec.status, rec.updated_at, rec.updated_by, True)


def reopen_form(
    con: duckdb.DuckDBPyConnection,
    form_id: str,
    *,
    expected_version: int,
    actor: Any,
    note: str,
    audit: AuditFn | None = no_audit,
    today: date | None = None,
) -> SaveResult:
    """Send a submitted form back to draft (a manager's correction); its stage events are voided.

    Refused while later records depend on them (e.g. a conference sheet once an approach exists), so
    a correction never leaves the funnel with a child counted at a stage whose premise is gone.
    """
    who = actor_name(actor)
    if not (note or "").strip():
        raise CaseworkError(msg("sv.back_reason_required"), field_errors={"note": msg("sv.back_reason_required")})
    try:
        with transaction(con):
            rec = get_form(con, form_id)
            if rec.status != "submitted":
                raise CaseworkError(msg("form.back_not_submitted"))
            if rec.version != expected_version:
                raise StaleVersionError(rec, expected_version)
            if rec.list_id and rec.resident_id:
                child = workflow.load_child(con, rec.list_id, rec.resident_id)
                mine = [e for e in child.current if e.form_id == form_id]
                workflow.void_events_in_tx(con, mine, actor=who, note=note, today=today or date.today(),
                                           allow_form=True, child=child)  # fmt: skip
            now = utcnow()
            changed = con.execute(
                "update form_record set status = 'draft', version = version + 1, updated_at = ?, updated_by = ?,"
                " submit_token = null where form_id = ? and version = ?",
                [now, who, form_id, expected_version],
            ).fetchone()[0]
            if changed != 1:
                raise StaleVersionError(get_form(con, form_id), expected_version, raced=True)
            con.execute(
                "insert into form_revision (form_id, version, status, op, data, data_sha256, saved_at, saved_by, note)"
                " values (?, ?, 'draft', 'reopen', ?, ?, ?, ?, ?)",
                [form_id, expected_version + 1, canonical_json(rec.data), rec.data_sha256, now, who, note],
            )
            result = SaveResult(form_id, expected_version + 1, "draft", now, who)
            call_audit(audit, _audit_event_result(rec, result, "reopen"), con=con)
    except ConcurrentChangeError as exc:
        raise StaleVersionError(get_form(con, form_id), expected_version, raced=True) from exc
    return result


# ---------------------------------------------------------------------------------------------
# Submit → stage events
# ---------------------------------------------------------------------------------------------


def _emit_events(con, defn: FormDefinition, rec: FormRecord, data: Mapping[str, Any], who: str,
                 today: date, child: workflow.ChildState | None) -> list[int]:  # fmt: skip
    if child is None:
        return []
    base = {"event_id": None, "list_id": rec.list_id, "resident_id": rec.resident_id, "form_id": rec.form_id}

    def put(**kw: Any) -> int:
        try:
            ev = workflow.record_event_in_tx(
                con, StageEvent(**base, **kw), actor=who, today=today, child=child
            )
        except TransitionError as exc:
            raise TransitionError(msg("form.cannot_submit", title=defn.title_ja, reason=exc.message)) from exc
        return int(ev.event_id)

    kind = defn.kind
    d = data
    if kind == "school_screening_sheet":
        return [
            put(
                stage="screening_sheet", event_date=as_date(d["observed_on"]), decision=d.get("concern_level")
            )
        ]
    if kind == "ssw_hearing_sheet":
        return [put(stage="ssw_hearing", event_date=as_date(d["heard_on"]), decision=d.get("abuse_risk"),
                    category=d.get("recommended_path"))]  # fmt: skip
    if kind == "conference_sheet":
        approach = d["approach"] == "approach"
        return [put(
            stage="conference", event_date=as_date(d["held_on"]), decision=d["approach"],
            reason=None if approach else d.get("no_approach_reason"),
            note=None if approach else d.get("no_approach_note"),
            assignee=d.get("assigned_staff") if approach else None,
            department=d.get("assigned_department") if approach else None,
            detail={k: d.get(k) for k in ("living_conditions", "parenting_capacity", "help_seeking")},
        )]  # fmt: skip
    if kind == "home_visit_record":
        return _emit_visit(child, rec, d, put)
    raise CaseworkError(msg("form.no_handler", kind=kind))


def _emit_visit(
    child: workflow.ChildState, rec: FormRecord, d: Mapping[str, Any], put: Callable[..., int]
) -> list[int]:
    on = as_date(d["attempted_on"])
    contacted = d["result"] == "contacted"
    if not contacted:
        extra = {k: msg("form.not_on_failed_attempt")
                 for k in ("needs", "advice", "information", "outcomes") if d.get(k)}  # fmt: skip
        if extra:
            raise FormValidationError(extra, title_ja="訪問・連絡記録")
    ids = [put(stage="contact_attempt", event_date=on, method=d["method"], decision=d["result"])]
    if contacted:
        current = child.current
        if not any(e.stage == "contact" for e in current):
            ids.append(put(stage="contact", event_date=on, decision=d["needs"]))
        for kind, field_name in (("advice", "advice"), ("information", "information")):
            for category in d.get(field_name) or []:
                ids.append(put(stage="support_act", event_date=on, decision=kind, category=category))
        done = {e.decision for e in current if e.stage == "outcome"}
        for outcome in d.get("outcomes") or []:
            if outcome not in done:  # an outcome counts once per child (名), later mentions are notes
                ids.append(put(stage="outcome", event_date=on, decision=outcome))
    if d.get("follow_up_on"):
        ids.append(put(stage="follow_up", event_date=on, due_date=as_date(d["follow_up_on"]),
                       assignee=rec.assignee or None, note=d.get("follow_up_note")))  # fmt: skip
    return ids


# ---------------------------------------------------------------------------------------------
# Audit events (no free text, no names: ids, codes and versions only)
# ---------------------------------------------------------------------------------------------


def _audit_event(rec: FormRecord, op: str) -> dict[str, Any]:
    return {
        "action": "form_save",
        "actor": rec.updated_by,
        "resident_id": rec.resident_id,
        "target": f"form:{rec.form_id}",
        "n_children": 1,
        "detail": {"op": op, "form_type": rec.form_type, "version": rec.version, "status": rec.status},
    }


def _audit_event_result(rec: FormRecord, result: SaveResult, op: str) -> dict[str, Any]:
    return {
        "action": "form_save",
        "actor": result.saved_by,
        "resident_id": rec.resident_id,
        "target": f"form:{rec.form_id}",
        "n_children": 1,
        "detail": {"op": op, "form_type": rec.form_type, "version": result.version, "status": result.status,
                   "events": len(result.event_ids)},
    }  # fmt: skip


def _audit_refusal(con, audit: AuditFn | None, rec: FormRecord, who: str, op: str, why: str) -> None:
    event = _audit_event(rec, f"{op}_refused")
    event["actor"] = who
    event["detail"]["why"] = why
    call_audit(audit, event, con=con)


def describe_form(rec: FormRecord) -> str:
    """One line naming a form for lists and messages (no personal data beyond the id)."""
    title = get_definition(rec.form_type).title_ja
    return (
        f"{title}（{rec.status_label_ja}、版 {rec.version}、最終更新 {fmt_date_ja(rec.updated_at.date())}）"
    )
