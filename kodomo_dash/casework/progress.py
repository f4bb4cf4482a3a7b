"""Progress of sheets per school and ward, and each person's list of what is due.

Izumi's lesson: when teachers' and SSWs' sheets were on paper the city could not see where they were;
in a shared system it sees progress as it happens. form_progress() is that view. worklist() answers
"what do I have to do" for one person: forms assigned to them, approaches and contacts they own,
follow-ups they planned, and (for a department) the secondary screenings still waiting on it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

import duckdb

from kodomo_dash.casework.vocabulary import DEPARTMENTS

if TYPE_CHECKING:
    import pandas as pd

WORK_LABELS: dict[str, str] = {
    "form_requested": "様式の記入（未着手）",
    "form_draft": "様式の記入（下書きあり）",
    "secondary_due": "二次スクリーニング（支援状況・所属の確認）",
    "conference_due": "三課協議",
    "approach_due": "アプローチ開始の判断（転出等の確認）",
    "contact_due": "接触に向けた訪問・電話",
    "follow_up_due": "フォローの訪問・電話",
    "school_decision_due": "支援の判断（要対協ケース会議／学校での見守り）",
}


def _opt_list(values: Sequence[str] | None) -> list[str] | None:
    return None if values is None else [str(v) for v in values]


def form_progress(
    con: duckdb.DuckDBPyConnection,
    *,
    by: str = "school",
    form_type: str | None = None,
    fy: int | None = None,
    list_id: str | None = None,
    school_codes: Sequence[str] | None = None,
    ward_codes: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Requested / draft / submitted counts per school (by="school") or ward (by="ward").

    Columns: group_code, form_type, requested, draft, submitted, total, overdue, submitted_pct,
    last_updated_at. school_codes / ward_codes restrict rows to the viewer's scope.
    """
    if by not in ("school", "ward"):
        raise ValueError("by must be 'school' or 'ward'")
    return con.execute(
        "select case when ? = 'school' then school_code else ward_code end as group_code, form_type,"
        " sum(requested)::bigint as requested, sum(draft)::bigint as draft, sum(submitted)::bigint as submitted,"
        " sum(total)::bigint as total, sum(overdue)::bigint as overdue,"
        " round(100.0 * sum(submitted) / sum(total), 1) as submitted_pct, max(last_updated_at) as last_updated_at"
        " from form_progress"
        " where (? is null or form_type = ?) and (? is null or fy = ?) and (? is null or list_id = ?)"
        " and (?::varchar[] is null or list_contains(?::varchar[], school_code))"
        " and (?::varchar[] is null or list_contains(?::varchar[], ward_code))"
        " group by all order by group_code, form_type",
        [by, form_type, form_type, fy, fy, list_id, list_id, _opt_list(school_codes), _opt_list(school_codes),
         _opt_list(ward_codes), _opt_list(ward_codes)],
    ).df()  # fmt: skip


def worklist(
    con: duckdb.DuckDBPyConnection,
    username: str,
    *,
    departments: Sequence[str] = (),
    ward_codes: Sequence[str] | None = None,
    school_codes: Sequence[str] | None = None,
    today: date | None = None,
) -> pd.DataFrame:
    """What is due from `username`: items assigned to them, plus unassigned items of their departments.

    departments (codes of DEPARTMENTS) adds the secondary screenings waiting on that department and
    the conferences of the ward; ward_codes / school_codes limit those to the person's scope.
    Columns: kind, label_ja, list_id, resident_id, ward_code, school_code, form_id, form_type,
    due_date, since_on, days_waiting, overdue. Overdue and oldest first.
    """
    unknown = [d for d in departments if d not in DEPARTMENTS]
    if unknown:
        raise ValueError(f"unknown departments: {unknown}")
    today = today or date.today()
    frame = con.execute(
        "select kind, list_id, resident_id, ward_code, school_code, form_id, form_type, due_date, since_on,"
        " department, datediff('day', since_on, ?::date) as days_waiting,"
        " coalesce(due_date < ?::date, false) as overdue"
        " from wf_open_items"
        " where (assignee = ?"
        "   or (assignee is null and kind = 'secondary_due' and list_contains(?::varchar[], department))"
        "   or (assignee is null and kind = 'conference_due' and len(?::varchar[]) > 0))"
        " and (?::varchar[] is null or list_contains(?::varchar[], ward_code) or assignee = ?)"
        " and (?::varchar[] is null or list_contains(?::varchar[], school_code) or assignee = ?)"
        " order by overdue desc, coalesce(due_date, since_on), kind, resident_id",
        [today, today, username, list(departments), list(departments), _opt_list(ward_codes), _opt_list(ward_codes),
         username, _opt_list(school_codes), _opt_list(school_codes), username],
    ).df()  # fmt: skip
    frame.insert(1, "label_ja", frame["kind"].map(WORK_LABELS).fillna(frame["kind"]))
    return frame


def school_decisions_due(
    con: duckdb.DuckDBPyConnection, *, school_codes: Sequence[str] | None = None
) -> pd.DataFrame:
    """Children whose SSW hearing is in and whose decision is not (the city office's queue, Izumi)."""
    return con.execute(
        "select list_id, resident_id, school_code, since_on as ssw_hearing_on from wf_open_items"
        " where kind = 'school_decision_due'"
        " and (?::varchar[] is null or list_contains(?::varchar[], school_code)) order by since_on",
        [_opt_list(school_codes), _opt_list(school_codes)],
    ).df()
