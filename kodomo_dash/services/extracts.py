"""Pseudonymised extracts for analysts: take one from the current build, list them, delete them.

The rules live in ``security.pseudonymise`` (keyed-hash pseudonyms per project, birth date cut
to year and month, no names or addresses, k >= 5 on the quasi-identifiers, formula-safe cells,
one key file per project, a record of who took it and when it must be deleted). What this module
adds is the choice of rows — the per-child features of the analytical build, only columns that
exist there — and the principal: the matrix decides whether that role may take or delete an
extract, the same check the library applies for any caller. ``kodomo extract`` (``cli/extract.py``)
names the principal with ``--as`` and prints only counts and file paths, never a row.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any, NamedTuple

import duckdb

from kodomo_dash.infra.db import warehouse_dir
from kodomo_dash.security import pseudonymise as ps
from kodomo_dash.security.principal import Principal
from kodomo_dash.services.unit_of_work import casework, unit_of_work

__all__ = ["DEFAULT_COLUMNS", "ExtractEntry", "create_extract", "delete_extracts", "extract_log"]

# Per-child features an evaluator needs to study the screening, none identifying (the library
# refuses identity and tax columns whatever is asked for).
DEFAULT_COLUMNS = (
    "ward_code", "sex", "class_age", "foreign_national", "single_parent", "public_assistance",
    "child_rearing_allowance", "enrolled_any", "missed_checkup_3y", "nurse_visits", "consultation_count",
    "past_support_case",
)  # fmt: skip
SOURCE_TABLE = ("features", "child_features")
OPERATION = "pseudonymised_extract"


def _rows(cur: duckdb.DuckDBPyConnection, columns: Sequence[str]) -> list[dict[str, Any]]:
    """Rows of the per-child features with only known columns (names checked against the table).

    WarehouseMissing before the first build; ValueError naming the columns the table does not have.
    """
    known = {
        r[0]
        for r in cur.execute(
            "select column_name from information_schema.columns where table_schema = ? and table_name = ?",
            list(SOURCE_TABLE),
        ).fetchall()
    }
    unknown = [c for c in columns if c not in known]
    if unknown:
        raise ValueError(f"列がありません (unknown columns): {', '.join(unknown)}")
    wanted = ["resident_id", "birth_date", *columns]
    select = ", ".join(f'"{c}"' for c in wanted)  # names checked against the table above
    frame = cur.execute(f'select {select} from "{SOURCE_TABLE[0]}"."{SOURCE_TABLE[1]}"').df()  # noqa: S608
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def create_extract(principal: Principal, *, project: str, purpose: str, delete_by: date,
                   columns: Sequence[str] = DEFAULT_COLUMNS, out: Path | None = None) -> ps.ExtractRecord:  # fmt: skip
    """Take one extract of the per-child features into ``out`` (default: ``<warehouse>/extracts``).

    The spec is checked before any row is read. Refusals: AccessDenied (the role may not take
    extracts; audited by the library), WarehouseMissing (no build yet), ValueError (ExtractRefused:
    identifying or tax columns, a bad project name, a deletion date in the past; unknown columns).
    The library opens the transaction of the record and its audit row itself, once the file is written.
    """
    with unit_of_work(principal, OPERATION, "export", library_tx=True) as w:
        out = out if out is not None else warehouse_dir() / "extracts"
        spec = ps.ExtractSpec(project=project, purpose=purpose, columns=tuple(columns))
        spec.check()
        rows = _rows(w.analytics(), list(columns))
        return ps.create_extract(w.con, principal, rows, spec, out, delete_by)


class ExtractEntry(NamedTuple):
    """One extract in the register (no row of its content)."""

    extract_id: str
    taken_by: str
    taken_at: datetime
    delete_by: date
    row_count: int
    k_achieved: int
    deleted_at: datetime | None


def extract_log() -> list[ExtractEntry]:
    """Every extract ever taken, oldest first: who took it, when, and when it must be (or was) deleted."""
    with casework() as con:
        rows = con.execute(
            "select extract_id, taken_by, taken_at, delete_by, row_count, k_achieved, deleted_at"
            " from pseudo_extract order by taken_at"
        ).fetchall()
    return [ExtractEntry(*r) for r in rows]


def delete_extracts(principal: Principal, extract_id: str | None = None, *, due: bool = False,
                    today: date | None = None) -> int:  # fmt: skip
    """Delete one extract, or every one past its deletion date (``due``); returns how many.

    Each file goes, and the project key with the project's last live extract. AccessDenied for a
    role that may not handle extracts; LookupError/ValueError (Japanese) for an unknown or
    already deleted extract. Each deletion commits with its audit row on its own (the library's
    transaction), since its file is gone whatever becomes of the next one.
    """
    if bool(extract_id) == bool(due):
        raise ValueError("削除する抽出のIDか --due のどちらか一方を指定してください。")
    with unit_of_work(principal, OPERATION, "export", library_tx=True) as w:
        ids = [extract_id] if extract_id else [r[0] for r in ps.extracts_due(w.con, today or date.today())]
        for eid in ids:
            ps.delete_extract(w.con, principal, eid)
    return len(ids)
