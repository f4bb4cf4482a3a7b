"""Helpers for workflow tests that start from what people do: an empty casework file, a draft run.

A test points KODOMO_WAREHOUSE at its own folder with :func:`empty_casework`, saves a draft run as
the screening page would (:func:`draft`), and lets a manager accept it through the service.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

LISTED = date(2025, 8, 20)
N = 40  # 35 children in 東区 (40131), 5 in 博多区 (40132)


def rid(i: int) -> str:
    return f"R{i:07d}"


def ward_of(i: int) -> str:
    return "40131" if i < 35 else "40132"


def save_draft_run(con: duckdb.DuckDBPyConnection, method: str = "similarity", path: str = "ward",
                   n: int = N) -> str:  # fmt: skip
    """A draft run as the screening page saves it (runs.save_run), for a manager to accept."""
    ids = [rid(i) for i in range(n)]
    wards = [ward_of(i) for i in range(n)]
    schools = [f"27219{i % 3:03d}" for i in range(n)] if path == "school" else None
    return save_run_listing(con, ids, wards, method=method, schools=schools)


def save_run_listing(con: duckdb.DuckDBPyConnection, ids: list[str], wards: list[str], *, method: str = "similarity",
                     schools: list[str] | None = None, reasons: tuple[str, ...] = ("母の年齢",)) -> str:  # fmt: skip
    """A draft run that lists exactly these children (of a built city, or made up), scores falling by rank."""
    from kodomo_dash.screening import runs

    n = len(ids)
    lst = pd.DataFrame({
        "resident_id": ids, "ward_code": wards, "school_code": schools,
        "rank": range(1, n + 1), "score": [1 - i / (n + 9) for i in range(n)], "reasons": [list(reasons)] * n,
    })  # fmt: skip
    cohort = {w: wards.count(w) * 6 for w in sorted(set(wards))}
    result = runs.RunResult(
        method=method, method_label_ja=method, params={}, method_version=None, cohort="fukuoka_unenrolled_3_6",
        cohort_params={}, as_of=LISTED, exclusions=(), top_n=n, threshold=None, cohort_size=n * 6,
        excluded=pd.DataFrame({"resident_id": [], "reason": []}), scored_count=n * 6, list=lst, score_result=None,
        ward_cohort=cohort,
    )  # fmt: skip
    return runs.save_run(con, result, "analyst")


def draft_listing(folder: Path, ids: list[str], wards: list[str], **kw) -> str:
    """save_run_listing on the casework file in ``folder``."""
    con = duckdb.connect(str(folder / "casework.duckdb"))
    try:
        return save_run_listing(con, ids, wards, **kw)
    finally:
        con.close()


def empty_casework(folder: Path, monkeypatch) -> Path:
    """A migrated, empty casework file in `folder`, which becomes the current warehouse."""
    from kodomo_dash.infra.migrate import migrate
    from kodomo_dash.services import unit_of_work

    monkeypatch.setenv("KODOMO_WAREHOUSE", str(folder))
    unit_of_work._migrated.clear()
    con = duckdb.connect(str(folder / "casework.duckdb"))
    try:
        migrate(con)
    finally:
        con.close()
    return folder


def rows(folder: Path, sql: str, params=None) -> list[tuple]:
    con = duckdb.connect(str(folder / "casework.duckdb"))
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def draft(folder: Path, **kw) -> str:
    con = duckdb.connect(str(folder / "casework.duckdb"))
    try:
        return save_draft_run(con, **kw)
    finally:
        con.close()
