"""Visits planned per ward and year, and the capacity view's input.

Izumi's lesson: set the list size and the visit targets from the staff capacity available. A
manager records the plan; the visits made are counted from contact attempts in casework
(migration 060), so the view compares a typed plan with recorded work, never a typed result.
"""

from __future__ import annotations

from collections.abc import Iterable

import duckdb
import pandas as pd

from kodomo_dash.config.messages import CodedError, msg

MAX_PLANNED = 100_000


class VisitPlanError(CodedError, ValueError):
    """A plan that cannot be saved; ``.message`` names the field (a Message, decision 065)."""


def check_plan(fy: object, ward_code: object, planned: object, wards: Iterable[str]) -> tuple[int, str, int]:
    """(fy, ward_code, planned) as saved, or VisitPlanError saying what is wrong."""
    try:
        fy_i = int(str(fy))
    except ValueError:
        raise VisitPlanError(msg("vp.fy_not_number")) from None
    if not 2000 <= fy_i <= 2100:
        raise VisitPlanError(msg("vp.fy_range"))
    if str(ward_code) not in set(wards):
        raise VisitPlanError(msg("vp.ward"))
    if isinstance(planned, bool):
        raise VisitPlanError(msg("vp.planned_integer"))
    try:
        as_float = float(str(planned).strip())
    except ValueError:
        raise VisitPlanError(msg("vp.planned_integer")) from None
    if as_float != int(as_float) or as_float < 0:
        raise VisitPlanError(msg("vp.planned_integer"))
    if as_float > MAX_PLANNED:
        raise VisitPlanError(msg("vp.planned_max", max=f"{MAX_PLANNED:,}"))
    return fy_i, str(ward_code), int(as_float)


def set_plan(
    con: duckdb.DuckDBPyConnection, fy: object, ward_code: object, planned: object, *, actor: str,
    wards: Iterable[str],
) -> tuple[int, str, int]:
    """Append the plan for one ward and year (the latest row is the plan in force)."""
    row = check_plan(fy, ward_code, planned, wards)
    con.execute(
        "insert into wf_visit_plan (fy, ward_code, planned, recorded_at, recorded_by) "
        "values (?, ?, ?, current_timestamp, ?)",
        [*row, actor],
    )
    return row


def capacity(con: duckdb.DuckDBPyConnection, fy: int, ward_codes: Iterable[str] | None = None) -> pd.DataFrame:
    """fy, ward_code, planned, made, has_plan for one year (optionally some wards only)."""
    df = con.execute(
        "select fy, ward_code, planned, made, has_plan from wf_visit_capacity where fy = ? order by ward_code",
        [int(fy)],
    ).df()
    if ward_codes is not None:
        df = df[df["ward_code"].isin(list(ward_codes))]
    return df.reset_index(drop=True)
