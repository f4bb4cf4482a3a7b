"""Manual 名寄せ decisions: written to casework by the review page, re-applied by every build.

Casework (``link_decision``, migration 020) is append-only; the linker only ever reads the
latest decision per pair. Keeping the reading here means the build and the page agree on what
"the decision in force" is.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

__all__ = [
    "DECISIONS",
    "Decision",
    "record_decision",
    "load_decisions",
    "decisions_for_build",
    "as_decisions",
]

DECISIONS = ("link", "not_same", "later")


@dataclass(frozen=True)
class Decision:
    student_no: str
    resident_id: str
    decision: str
    decided_by: str | None = None
    decided_at: datetime | None = None

    def __post_init__(self) -> None:
        if self.decision not in DECISIONS:
            raise ValueError(f"decision must be one of {DECISIONS}, not {self.decision!r}")
        if not self.student_no or not self.resident_id:
            raise ValueError("a decision needs both student_no and resident_id")


def record_decision(
    casework: duckdb.DuckDBPyConnection,
    student_no: str,
    resident_id: str,
    decision: str,
    decided_by: str,
    *,
    match_probability: float | None = None,
    note: str | None = None,
) -> int:
    """Append one decision (the caller audits the action); returns its ``decision_id``."""
    Decision(student_no, resident_id, decision, decided_by)  # validates
    row = casework.execute(
        "insert into link_decision (student_no, resident_id, decision, decided_by, match_probability, note)"
        " values (?, ?, ?, ?, ?, ?) returning decision_id",
        [student_no, resident_id, decision, decided_by, match_probability, note],
    ).fetchone()
    return int(row[0])


def load_decisions(casework: duckdb.DuckDBPyConnection) -> list[Decision]:
    """The decision in force for every pair, oldest first (what ``link_students`` takes)."""
    rows = casework.execute(
        "select student_no, resident_id, decision, decided_by, decided_at"
        " from link_decision_current order by decided_at, decision_id"
    ).fetchall()
    return [Decision(*r) for r in rows]


def decisions_for_build(path: Path | None = None) -> list[Decision]:
    """The decisions in force, read from the casework file for a build; ``[]`` before any exist.

    A fresh installation has no casework file (or no migration 020 yet): the build must still
    run, with nothing to re-apply. Opened read-only for the moment of the read.
    """
    from kodomo_dash.infra.db import casework_connection, casework_path

    path = Path(path or casework_path())
    if not path.exists():
        return []
    with casework_connection(read_only=True, path=path) as con:
        exists = con.execute(
            "select count(*) from information_schema.tables where table_name = 'link_decision_current'"
        ).fetchone()[0]
        return load_decisions(con) if exists else []


def as_decisions(decisions: Iterable[Any] | None) -> list[Decision]:
    """Accept Decisions, tuples ``(student_no, resident_id, decision[, by[, at]])`` or dicts.

    When one pair appears more than once the last one wins, so a list read oldest-first from
    an append-only log gives the decision in force.
    """
    if decisions is None:
        return []
    out: dict[tuple[str, str], Decision] = {}
    for d in decisions:
        if isinstance(d, Decision):
            dec = d
        elif isinstance(d, dict):
            dec = Decision(
                str(d["student_no"]),
                str(d["resident_id"]),
                str(d["decision"]),
                d.get("decided_by"),
                d.get("decided_at"),
            )
        else:
            dec = Decision(*d)
        out.pop((dec.student_no, dec.resident_id), None)
        out[(dec.student_no, dec.resident_id)] = dec
    return list(out.values())
