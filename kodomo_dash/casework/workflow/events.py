"""A child's trail: the event model and reading it back.

Events are never updated: a mistake is voided by a new event that names it (``supersedes``), so
what was typed stays readable; "current" is therefore computed on read (not a void, not voided)
rather than stored. Every event query selects the columns in StageEvent's order, so one
constructor serves them all.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import duckdb

from kodomo_dash.casework.store import NotFoundError, fmt_date_ja, tx_scratch
from kodomo_dash.casework.vocabulary import STAGES, code_label
from kodomo_dash.config.messages import Localized, msg


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

    def describe(self) -> Localized:
        """The record as a message names it, in both languages (decision 065)."""
        en = f"{code_label('stage', self.stage, 'en')} ({self.event_date.isoformat()})"
        return Localized(self.describe_ja(), en)


# Column order of StageEvent, as every event query selects it.
def _event_from_row(row: Sequence[Any]) -> StageEvent:
    values = list(row)
    values[15] = json.loads(values[15]) if values[15] else {}
    return StageEvent(*values)


def get_member(con: duckdb.DuckDBPyConnection, list_id: str, resident_id: str) -> ListMember:
    row = con.execute(
        "select m.list_id, m.resident_id, m.ward_code, m.school_code, l.fy, l.path, l.method,"
        " l.accepted_on, l.screening_sheet_required"
        " from wf_list_member as m join wf_list as l on l.list_id = m.list_id"
        " where m.list_id = ? and m.resident_id = ?",
        [list_id, resident_id],
    ).fetchone()
    if row is None:
        raise NotFoundError(msg("wf.not_on_list"))
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
        raise NotFoundError(msg("wf.not_on_list"))
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
        raise NotFoundError(msg("wf.event_not_found", event_id=event_id))
    return _event_from_row(row)
