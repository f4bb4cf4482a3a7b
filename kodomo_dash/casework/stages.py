"""Stages of push-type support as append-only events, and the rules for moving between them.

Two paths exist because the reports describe two ways of working:

* ``ward`` (Fukuoka 6.2): list accepted → secondary screening by each of the three ward departments
  → three-department conference → approach (or not needed: moved out etc.) → contact attempts →
  contact with needs yes/no → support acts (延べ件数, 図表 6-4) and outcomes (図表 7-3 No.3), follow-ups.
* ``school`` (Izumi, Beppu): list accepted → teacher's screening sheet (Izumi only) → SSW hearing /
  assessment sheet → decision (要対協 case meeting, watch at school, other support, or none).

Every event says who (recorded_by), when (event_date for the act, recorded_at for the typing) and
why (reason code + note). Events are never updated: a mistake is voided by a new event that names
it (``supersedes``), so the trail survives. The rules are checked against the child's *current*
events as a state, not as a sequence, so a voided-and-re-recorded decision is judged like any other.
Counts for the funnel come only from these rows (decision 000, point 5), through the casework views.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import duckdb

from kodomo_dash.casework.store import (
    AuditFn,
    CaseworkError,
    NotFoundError,
    actor_name,
    as_date,
    call_audit,
    canonical_json,
    fmt_date_ja,
    no_audit,
    transaction,
    tx_scratch,
    utcnow,
)
from kodomo_dash.casework.vocabulary import (
    APPROACH_DECISIONS,
    APPROACH_REASONS,
    ATTEMPT_RESULTS,
    CONFERENCE_DECISIONS,
    CONFERENCE_REASONS,
    CONTACT_METHODS,
    DEPARTMENTS,
    NEEDS,
    ONCE_PER_CHILD,
    OUTCOMES,
    PATHS,
    SCHOOL_DECISIONS,
    SCHOOL_REASONS,
    SCHOOL_STAGES,
    SECONDARY_DECISIONS,
    SECONDARY_REASONS,
    STAGES,
    SUPPORT_CATEGORIES,
    SUPPORT_KINDS,
    WARD_STAGES,
)

MAX_NOTE_LENGTH = 2000
# Where a manager corrects a record: every refusal that asks for a correction names this place
# (screens/support_record.py, its tab sr.tab.history; a test keeps the names in step).
CORRECTION_PLACE_JA = "「支援の記録」画面の「記録の履歴・訂正」"


class TransitionError(CaseworkError):
    """A stage record that the workflow does not allow now (or at that date)."""


@dataclass(frozen=True)
class ListMember:
    """A child on an accepted list, with the list facts the rules need."""

    list_id: str
    resident_id: str
    ward_code: str | None
    school_code: str | None
    fy: int
    path: str
    method: str
    listed_on: date
    screening_sheet_required: bool


@dataclass(frozen=True)
class StageEvent:
    event_id: int | None
    list_id: str
    resident_id: str
    stage: str
    event_date: date
    department: str | None = None
    method: str | None = None
    decision: str | None = None
    category: str | None = None
    reason: str | None = None
    note: str | None = None
    assignee: str | None = None
    due_date: date | None = None
    form_id: str | None = None
    supersedes: int | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)
    recorded_at: datetime | None = None
    recorded_by: str | None = None

    @property
    def label_ja(self) -> str:
        return STAGES.get(self.stage, self.stage)

    def describe_ja(self) -> str:
        """「三課協議（2025年9月5日）」: how a message names an existing record."""
        return f"{self.label_ja}（{fmt_date_ja(self.event_date)}）"


# Column order of StageEvent, as every event query selects it.
def _event_from_row(row: Sequence[Any]) -> StageEvent:
    values = list(row)
    values[15] = json.loads(values[15]) if values[15] else {}
    return StageEvent(*values)


# ---------------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------------


def get_member(con: duckdb.DuckDBPyConnection, list_id: str, resident_id: str) -> ListMember:
    row = con.execute(
        "select m.list_id, m.resident_id, m.ward_code, m.school_code, l.fy, l.path, l.method,"
        " l.accepted_on, l.screening_sheet_required"
        " from wf_list_member as m join wf_list as l on l.list_id = m.list_id"
        " where m.list_id = ? and m.resident_id = ?",
        [list_id, resident_id],
    ).fetchone()
    if row is None:
        raise NotFoundError("このこどもは指定の対象者リストに含まれていません。リストを確認してください。")
    return ListMember(*row)


def child_timeline(con: duckdb.DuckDBPyConnection, list_id: str, resident_id: str) -> list[StageEvent]:
    """Every event of one child in recording order, voids included: the child's trail as kept."""
    rows = con.execute(
        "select event_id, list_id, resident_id, stage, event_date, department, method, decision, category,"
        " reason, note, assignee, due_date, form_id, supersedes, detail, recorded_at, recorded_by"
        " from wf_event where list_id = ? and resident_id = ? order by event_id",
        [list_id, resident_id],
    ).fetchall()
    return [_event_from_row(r) for r in rows]


def current_events(con: duckdb.DuckDBPyConnection, list_id: str, resident_id: str) -> list[StageEvent]:
    """The events in force: not voids and not voided."""
    return _current(child_timeline(con, list_id, resident_id))


@dataclass
class ChildState:
    """One child's list facts and trail, loaded once per transaction and kept current as we write.

    Loading member and events in one query (and appending what we insert) keeps a form submit that
    writes several events to a handful of statements; `touched` records that state_version was bumped.
    """

    member: ListMember
    timeline: list[StageEvent]
    touched: bool = False

    @property
    def current(self) -> list[StageEvent]:
        return _current(self.timeline)


def load_child(con: duckdb.DuckDBPyConnection, list_id: str, resident_id: str) -> ChildState:
    """The child's state; inside a transaction() the same object is reused until it ends."""
    scratch = tx_scratch(con)
    key = ("child", list_id, resident_id)
    if scratch is not None and key in scratch:
        return scratch[key]
    child = _load_child(con, list_id, resident_id)
    if scratch is not None:
        scratch[key] = child
    return child


def _load_child(con: duckdb.DuckDBPyConnection, list_id: str, resident_id: str) -> ChildState:
    rows = con.execute(
        "select m.list_id, m.resident_id, m.ward_code, m.school_code, l.fy, l.path, l.method, l.accepted_on,"
        " l.screening_sheet_required,"
        " e.event_id, e.list_id, e.resident_id, e.stage, e.event_date, e.department, e.method, e.decision,"
        " e.category, e.reason, e.note, e.assignee, e.due_date, e.form_id, e.supersedes, e.detail,"
        " e.recorded_at, e.recorded_by"
        " from wf_list_member as m join wf_list as l on l.list_id = m.list_id"
        " left join wf_event as e on e.list_id = m.list_id and e.resident_id = m.resident_id"
        " where m.list_id = ? and m.resident_id = ? order by e.event_id",
        [list_id, resident_id],
    ).fetchall()
    if not rows:
        raise NotFoundError("このこどもは指定の対象者リストに含まれていません。リストを確認してください。")
    member = ListMember(*rows[0][:9])
    return ChildState(member, [_event_from_row(r[9:]) for r in rows if r[9] is not None])


def _current(timeline: Iterable[StageEvent]) -> list[StageEvent]:
    timeline = list(timeline)
    voided = {e.supersedes for e in timeline if e.supersedes is not None}
    return [e for e in timeline if e.stage != "void" and e.event_id not in voided]


def get_event(con: duckdb.DuckDBPyConnection, event_id: int) -> StageEvent:
    row = con.execute(
        "select event_id, list_id, resident_id, stage, event_date, department, method, decision, category,"
        " reason, note, assignee, due_date, form_id, supersedes, detail, recorded_at, recorded_by"
        " from wf_event where event_id = ?",
        [event_id],
    ).fetchone()
    if row is None:
        raise NotFoundError(f"記録（番号 {event_id}）が見つかりません。")
    return _event_from_row(row)


# ---------------------------------------------------------------------------------------------
# Rules
# ---------------------------------------------------------------------------------------------


def _one(events: Iterable[StageEvent], stage: str) -> StageEvent | None:
    found = [e for e in events if e.stage == stage]
    return found[-1] if found else None


def _not_before(ev: StageEvent, earlier: StageEvent) -> list[str]:
    if ev.event_date < earlier.event_date:
        return [
            f"{ev.label_ja}の日付（{fmt_date_ja(ev.event_date)}）が{earlier.label_ja}の日付"
            f"（{fmt_date_ja(earlier.event_date)}）より前になっています。日付を確認してください。"
        ]
    return []


def _requirements(member: ListMember, others: Sequence[StageEvent], ev: StageEvent) -> list[str]:
    """What must already be true of the child for `ev` to stand (state-based, order-free)."""
    s = ev.stage
    if s in WARD_STAGES and member.path != "ward":
        return [
            f"{ev.label_ja}は、区の三課で確認する対象者リストでのみ記録できます（このリストは学校での確認）。"
        ]
    if s in SCHOOL_STAGES and member.path != "school":
        return [
            f"{ev.label_ja}は、学校で確認する対象者リストでのみ記録できます（このリストは区の三課で確認）。"
        ]
    if s == "secondary":
        return []
    if s == "conference":
        secondary = [e for e in others if e.stage == "secondary"]
        excluded = [e for e in secondary if e.decision == "exclude"]
        if excluded:
            e = excluded[0]
            return [
                f"二次スクリーニングで対象外（{DEPARTMENTS.get(e.department or '', '')}："
                f"{SECONDARY_REASONS.get(e.reason or '', '')}）とされたため、三課協議は記録できません。"
            ]
        passed = {e.department for e in secondary if e.decision == "pass"}
        missing = [label for code, label in DEPARTMENTS.items() if code not in passed]
        if missing:
            return [
                f"二次スクリーニングが終わっていません（未確認：{'・'.join(missing)}）。"
                "三課協議は三課すべての確認の後に記録してください。"
            ]
        latest = max(secondary, key=lambda e: e.event_date)
        return _not_before(ev, latest)
    if s == "approach":
        conf = _one(others, "conference")
        if conf is None:
            return ["三課協議が記録されていないため、アプローチの判断は記録できません。"]
        if conf.decision != "approach":
            return ["三課協議で「アプローチしない」と決まったこどもです。アプローチの判断は記録できません。"]
        return _not_before(ev, conf)
    if s == "contact_attempt":
        ap = _one(others, "approach")
        if ap is None:
            return [
                "アプローチの開始が記録されていないため、訪問・連絡は記録できません。先に三課協議とアプローチ開始を記録してください。"
            ]
        if ap.decision != "start":
            reason = APPROACH_REASONS.get(ap.reason or "", "")
            return [f"アプローチ不要（{reason}）と記録されているため、訪問・連絡は記録できません。"]
        return _not_before(ev, ap)
    if s == "contact":
        reached = [
            e for e in others if e.stage == "contact_attempt" and e.decision == "contacted"
            and e.event_date <= ev.event_date
        ]  # fmt: skip
        if not reached:
            return ["接触できた訪問・連絡の記録がないため、接触（ニーズの有無）は記録できません。"]
        return []
    if s == "follow_up":
        ap = _one(others, "approach")
        if ap is None or ap.decision != "start":
            return ["アプローチが開始されていないため、フォローの予定は記録できません。"]
        return _not_before(ev, ap)
    if s in ("support_act", "outcome"):
        contact = _one(others, "contact")
        if contact is None:
            return [f"保護者との接触が記録されていないため、{ev.label_ja}は記録できません。"]
        return _not_before(ev, contact)
    if s == "screening_sheet":
        return []
    if s == "ssw_hearing":
        sheet = _one(others, "screening_sheet")
        if member.screening_sheet_required and sheet is None:
            return ["学校のスクリーニングシートが提出されていないため、SSW聞き取りは記録できません。"]
        return _not_before(ev, sheet) if sheet is not None else []
    if s == "school_decision":
        hearing = _one(others, "ssw_hearing")
        if hearing is None:
            return [
                "SSW等による聞き取り（ヒアリングシート）が提出されていないため、支援の判断は記録できません。"
            ]
        return _not_before(ev, hearing)
    return [f"不明な段階です: {s}"]


def _check_codes(ev: StageEvent) -> list[str]:
    """Each stage's own columns must hold codes from its vocabulary; a reason where one is owed."""
    errors: list[str] = []

    def need(value: str | None, vocab: Mapping[str, str], what: str) -> None:
        if value is None or value == "":
            errors.append(f"{what}を選んでください。")
        elif value not in vocab:
            errors.append(f"{what}「{value}」は選択肢にありません。")

    def reason_for(vocab: Mapping[str, str], what: str) -> None:
        need(ev.reason, vocab, what)
        if ev.reason == "other" and not (ev.note or "").strip():
            errors.append(f"{what}が「その他」のときは、内容を備考に書いてください。")

    s = ev.stage
    if s == "secondary":
        need(ev.department, DEPARTMENTS, "確認した課")
        need(ev.decision, SECONDARY_DECISIONS, "二次スクリーニングの結果")
        if ev.decision == "exclude":
            reason_for(SECONDARY_REASONS, "対象外の理由")
    elif s == "conference":
        need(ev.decision, CONFERENCE_DECISIONS, "アプローチの要否")
        if ev.decision == "no_approach":
            reason_for(CONFERENCE_REASONS, "アプローチしない理由")
        if ev.decision == "approach" and not (ev.assignee or "").strip():
            errors.append("アプローチする場合は担当者を入力してください。")
    elif s == "approach":
        need(ev.decision, APPROACH_DECISIONS, "アプローチの判断")
        if ev.decision == "not_needed":
            reason_for(APPROACH_REASONS, "アプローチ不要の理由")
    elif s == "contact_attempt":
        need(ev.method, CONTACT_METHODS, "方法（家庭訪問・電話）")
        need(ev.decision, ATTEMPT_RESULTS, "結果")
    elif s == "contact":
        need(ev.decision, NEEDS, "ニーズの有無")
    elif s == "support_act":
        need(ev.decision, SUPPORT_KINDS, "支援の種類（助言・情報提供）")
        if ev.decision in SUPPORT_CATEGORIES:
            need(ev.category, SUPPORT_CATEGORIES[ev.decision], "支援の内容")
    elif s == "outcome":
        need(ev.decision, OUTCOMES, "支援の成果")
    elif s == "follow_up":
        if ev.due_date is None:
            errors.append("次回フォローの予定日を入力してください。")
        elif ev.due_date < ev.event_date:
            errors.append("次回フォローの予定日が記録日より前になっています。")
    elif s == "school_decision":
        need(ev.decision, SCHOOL_DECISIONS, "支援の判断")
        if ev.decision == "no_support":
            reason_for(SCHOOL_REASONS, "支援不要の理由")
    elif s not in STAGES or s == "void":
        errors.append(f"不明な段階です: {s}")
    if ev.note is not None and len(ev.note) > MAX_NOTE_LENGTH:
        errors.append(f"備考は{MAX_NOTE_LENGTH}文字以内で入力してください（現在{len(ev.note)}文字）。")
    return errors


def _check_new(member: ListMember, current: Sequence[StageEvent], ev: StageEvent, today: date) -> None:
    errors = _check_codes(ev)
    date_errors = []
    if ev.event_date > today:
        date_errors.append(
            f"{ev.label_ja}の日付（{fmt_date_ja(ev.event_date)}）が未来の日付です（本日 {fmt_date_ja(today)}）。"
        )
    if ev.event_date < member.listed_on:
        date_errors.append(
            f"{ev.label_ja}の日付（{fmt_date_ja(ev.event_date)}）が対象者リストの確定日"
            f"（{fmt_date_ja(member.listed_on)}）より前です。リストができる前の記録はできません。"
        )
    if errors or date_errors:
        fields = {"_all": " ".join(errors)} if errors else {}
        if date_errors:  # shown next to the date field
            fields["event_date"] = " ".join(date_errors)
        raise TransitionError((errors + date_errors)[0], field_errors=fields)
    # Order rules: a later stage already stands, so an earlier one can no longer change.
    if ev.stage == "secondary":
        conf = _one(current, "conference")
        if conf is not None:
            raise TransitionError(
                f"三課協議が記録済み（{fmt_date_ja(conf.event_date)}）のため、二次スクリーニングは追加・変更できません。"
            )
        same = [e for e in current if e.stage == "secondary" and e.department == ev.department]
        if same:
            raise TransitionError(
                f"{DEPARTMENTS[ev.department or '']}の二次スクリーニングは記録済みです（{fmt_date_ja(same[0].event_date)}、"
                f"{same[0].recorded_by}）。変更する場合は、管理者が{CORRECTION_PLACE_JA}で取り消してから記録し直してください。"
            )
    elif ev.stage in ONCE_PER_CHILD:
        existing = _one(current, ev.stage)
        if existing is not None:
            raise TransitionError(
                f"{ev.label_ja}は記録済みです（{fmt_date_ja(existing.event_date)}、{existing.recorded_by}）。"
                f"変更する場合は、管理者が{CORRECTION_PLACE_JA}で取り消してから記録し直してください。"
            )
    elif ev.stage == "outcome":
        if any(e.stage == "outcome" and e.decision == ev.decision for e in current):
            raise TransitionError(f"支援の成果「{OUTCOMES[ev.decision or '']}」は記録済みです。")
    problems = _requirements(member, current, ev)
    if problems:
        raise TransitionError(problems[0])


# ---------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------


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
    _check_new(child.member, child.current, ev, today)
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
            raise TransitionError(f"{t.describe_ja()}は既に取り消されています。")
        if t.form_id and not allow_form:
            raise TransitionError(
                f"{t.describe_ja()}は様式から作成された記録です。取り消す場合は、{CORRECTION_PLACE_JA}で様式を差し戻してください。"
            )
    remaining = [e for e in current if e.event_id not in ids]
    for e in remaining:
        others = [o for o in remaining if o.event_id != e.event_id]
        if _requirements(member, others, e):
            raise TransitionError(
                f"この記録を取り消すと、後の記録「{e.describe_ja()}」の前提がなくなります。先にそちらを取り消してください。"
            )
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
        raise TransitionError(
            "取り消す理由を入力してください。", field_errors={"note": "取り消す理由を入力してください。"}
        )
    with transaction(con):
        target = get_event(con, event_id)
        if target.stage == "void":
            raise TransitionError("取消の記録は取り消せません。")
        (void,) = void_events_in_tx(con, [target], actor=who, note=note, today=today or date.today())
        call_audit(audit, _event_audit(void, "void"), con=con)
    return void


# ---------------------------------------------------------------------------------------------
# Lists
# ---------------------------------------------------------------------------------------------


def accept_list(
    con: duckdb.DuckDBPyConnection,
    *,
    fy: int,
    run_id: str,
    method: str,
    path: str,
    members: Iterable[Mapping[str, Any]] | Any,
    actor: Any,
    accepted_on: date | str,
    cohort_size: int | None,
    eligible_size: int | None = None,
    cohort_label_ja: str | None = None,
    ward_cohort: Mapping[str, int] | None = None,
    screening_sheet_required: bool | None = None,
    list_id: str | None = None,
    note: str | None = None,
    programme: str | None = None,
    audit: AuditFn | None = no_audit,
) -> str:
    """Store a screening run's list as accepted by a manager: the start of every child's trail.

    cohort_size is how many children the run scored (Fukuoka: 1,327 unenrolled children aged 3-6);
    it is kept with the list because the funnel's first bar must come from the run, not be typed.
    eligible_size is the count left after the run's own exclusions when it reports one (Izumi: 6,500
    after excluding children already registered with 要対協). members: rows (dicts or a DataFrame)
    with resident_id and ward_code, optionally school_code, rank, score, selection_reason.
    Accepting the same list_id again is refused rather than merged, so a list never changes silently;
    so is a second list of the same programme (config/cities) in the same year: a year's funnel
    starts from one list per programme.
    """
    who = actor_name(actor)
    if path not in PATHS:
        raise CaseworkError(f"確認の流れ「{path}」は不明です（ward / school）。")
    if hasattr(members, "to_dict"):
        members = members.to_dict("records")
    rows = [dict(m) for m in members]
    if not rows:
        raise CaseworkError("対象者リストが空です。")
    ids = [str(r["resident_id"]) for r in rows]
    if len(set(ids)) != len(ids):
        raise CaseworkError("対象者リストに同じこどもが重複しています。")
    if path == "school" and any(not r.get("school_code") for r in rows):
        raise CaseworkError("学校で確認する対象者リストには、全員の学校コードが必要です。")
    if cohort_size is not None and cohort_size < len(rows):
        raise CaseworkError(
            f"母集団の人数（{cohort_size}）がリストの人数（{len(rows)}）より少なくなっています。"
        )
    list_id = list_id or f"{fy}-{method}-{run_id}"
    accepted = as_date(accepted_on)
    if screening_sheet_required is None:
        screening_sheet_required = path == "school"
    with transaction(con):
        if con.execute("select 1 from wf_list where list_id = ?", [list_id]).fetchone():
            raise CaseworkError(f"対象者リスト「{list_id}」は確定済みです。")
        same = con.execute(
            "select list_id, run_id, accepted_on, accepted_by from wf_list where programme = ? and fy = ?",
            [programme, fy],
        ).fetchone() if programme else None  # fmt: skip
        if same is not None:
            raise CaseworkError(
                f"{fy}年度のこのプログラムの対象者リストは確定済みです（実行 {same[1]}、{fmt_date_ja(same[2])}、"
                f"{same[3]}）。1つの年度に確定できるリストはプログラムごとに1つです。"
            )
        con.execute(
            "insert into wf_list (list_id, fy, run_id, method, path, screening_sheet_required, cohort_label_ja,"
            " cohort_size, eligible_size, list_size, accepted_on, accepted_at, accepted_by, note, programme)"
            " values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [list_id, fy, run_id, method, path, screening_sheet_required, cohort_label_ja, cohort_size,
             eligible_size, len(rows), accepted, utcnow(), who, note, programme],
        )  # fmt: skip
        con.executemany(
            "insert into wf_list_member (list_id, resident_id, ward_code, school_code, rank, score,"
            " selection_reason) values (?, ?, ?, ?, ?, ?, ?)",
            [[list_id, str(r["resident_id"]), _opt_str(r.get("ward_code")), _opt_str(r.get("school_code")),
              _opt_int(r.get("rank")), _opt_float(r.get("score")), _opt_str(r.get("selection_reason"))]
             for r in rows],
        )  # fmt: skip
        for ward_code, n in (ward_cohort or {}).items():
            con.execute(
                "insert into wf_list_ward (list_id, ward_code, cohort_size) values (?, ?, ?)",
                [list_id, str(ward_code), int(n)],
            )
        call_audit(
            audit,
            {"action": "form_save", "actor": who, "resident_id": None, "target": f"wf_list:{list_id}",
             "n_children": len(rows), "detail": {"op": "accept_list", "record": "wf_list", "fy": fy,
                                                 "method": method, "path": path, "programme": programme}},
            con=con,
        )  # fmt: skip
    return list_id


NO_AFFILIATION = "000000"  # a listed child with no school: the hearing goes to the nursery or the city


def accept_screening_run(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    *,
    fy: int,
    programme: str,
    actor: Any,
    role: str = "manager",
    accepted_on: date | str | None = None,
    audit: AuditFn | None = no_audit,
) -> str:
    """A manager's 確定: mark the screening run accepted and create the year's workflow list, together.

    One transaction does both, so there is never an accepted run without its list (the page used to
    say the list "enters the support flow" while no list existed). The list's path, cohort label
    and sheet rule come from the programme (config/cities); its cohort size, per-ward cohort and
    the count left after the run's own exclusions come from the run itself. A run accepted before
    this (status accepted, no list yet) is taken in as it is; a discarded run, a run of another
    method than the programme's, and a second list of the programme in the year are refused.
    Returns the list_id.
    """
    from kodomo_dash.config.cities import CityConfigError
    from kodomo_dash.config.cities import programme as programme_of
    from kodomo_dash.screening import runs
    from kodomo_dash.screening.errors import ScreeningError

    who = actor_name(actor)
    try:
        prog = programme_of(programme)
    except CityConfigError as exc:
        raise CaseworkError(str(exc)) from exc
    with transaction(con):
        row = con.execute(
            "select method, status, cohort_size, excluded_count, ward_cohort_json, as_of"
            " from screening_run where run_id = ?",
            [run_id],
        ).fetchone()
        if row is None:
            raise NotFoundError(f"スクリーニングの実行 {run_id} が見つかりません。")
        method, status, cohort_size, excluded, ward_json, _as_of = row
        if method != prog.method:
            raise CaseworkError(
                f"実行 {run_id} の方法（{method}）は、プログラム「{prog.label_ja}」の方法（{prog.method}）と違います。"
            )
        listed = con.execute("select list_id from wf_list where run_id = ?", [run_id]).fetchone()
        if listed is not None:
            raise CaseworkError(f"実行 {run_id} は確定済みで、対象者リスト「{listed[0]}」になっています。")
        if status == "draft":
            try:
                runs.accept_run(con, run_id, who, role)
            except ScreeningError as exc:
                raise CaseworkError(str(exc)) from exc
        elif status != "accepted":
            raise CaseworkError(f"実行 {run_id} は破棄されています。確定できるのは下書きの実行だけです。")
        members = runs.workflow_members(con, run_id)
        if prog.path == "school":  # a preschooler on Beppu's list has no school
            members["school_code"] = members["school_code"].fillna(NO_AFFILIATION)
        return accept_list(
            con, fy=fy, run_id=run_id, method=method, path=prog.path, members=members, actor=who,
            accepted_on=accepted_on or date.today(), cohort_size=cohort_size,
            eligible_size=(cohort_size - excluded) if excluded else None, cohort_label_ja=prog.cohort_label_ja,
            ward_cohort={str(k): int(v) for k, v in json.loads(ward_json or "{}").items()},
            screening_sheet_required=prog.screening_sheet_required, programme=prog.key, audit=audit,
        )  # fmt: skip


def _missing(v: Any) -> bool:
    """None, NaN, pandas NA/NaT: what a list frame uses for "no value"."""
    if v is None:
        return True
    if isinstance(v, float):
        return v != v
    return type(v).__name__ in ("NAType", "NaTType")


def _opt_str(v: Any) -> str | None:
    return None if _missing(v) else str(v)


def _opt_int(v: Any) -> int | None:
    return None if _missing(v) else int(v)


def _opt_float(v: Any) -> float | None:
    return None if _missing(v) else float(v)
