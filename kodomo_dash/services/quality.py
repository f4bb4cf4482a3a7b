"""Reads for the data-quality page: what was loaded, what was quarantined, how well 名寄せ went.

Counts per source, rule, linkage step and unlinked reason are city-wide aggregates with no row
about one person, so they are cached keyed on the build id. The *examples* of quarantined raw
values can be personal (a mistyped birth date, a name in the wrong column): they are read
uncached, per principal, and only for columns whose column group the principal may see.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from kodomo_dash.security import matrix
from kodomo_dash.security.principal import Principal
from kodomo_dash.services import aggregate_cache, fetch_df
from kodomo_dash.services.home import current_build, source_counts
from kodomo_dash.services.unit_of_work import unit_of_work

__all__ = [
    "build_attempts",
    "current_build",
    "linkage_steps",
    "quarantine_by_source_rule",
    "quarantine_examples",
    "source_counts",
    "unlinked_by_reason",
    "unlinked_by_school_grade",
]

EXAMPLES_PER_GROUP = 3
PAGE = "data_quality"


def build_attempts(principal: Principal, builds: int = 5) -> tuple[list[dict], pd.DataFrame]:
    """The last build attempts (swapped or refused) and their per-source counts, newest first.

    Counts and the gate's messages only (no person), read from the history file beside the
    warehouse, so a refused build — which leaves no warehouse — still shows its figures here.
    """
    from kodomo_dash.infra.db import analytics_path
    from kodomo_dash.warehouse.ingest import history

    with unit_of_work(principal, PAGE, "view"):
        entries = history.recent(analytics_path(), builds)
        return entries, history.per_source(entries)


def _or_empty(sql: str, columns: list[str], params: list | None = None) -> pd.DataFrame:
    """A read on the ``link`` schema; a build made before linkage existed gives an empty frame."""
    try:
        return fetch_df(sql, params)
    except duckdb.CatalogException:
        return pd.DataFrame(columns=columns)


@aggregate_cache
def quarantine_by_source_rule(build_id: str) -> pd.DataFrame:
    """Quarantined values per source, column and rule, most frequent first.

    Columns: source, label_ja, column_name, rule, entries, rows_rejected.
    """
    return fetch_df(
        "select q.source, coalesce(m.label_ja, q.source) as label_ja, q.column_name, q.rule,"
        " count(*) as entries, count(distinct case when q.row_rejected then q.source_row end) as rows_rejected"
        " from meta.quarantine q left join meta.load_manifest m using (source)"
        " group by all order by entries desc, q.source, q.column_name, q.rule"
    )


def quarantine_examples(principal: Principal, per_group: int = EXAMPLES_PER_GROUP) -> pd.DataFrame:
    """Up to ``per_group`` distinct raw values per (source, column, rule), as loaded.

    Not cached (raw values may be personal). A column whose group the principal may not receive
    (an evaluator and a birth date, say) is listed with its counts and no values.
    Columns: source, column_name, rule, examples (list of str), hidden (bool).
    """
    with unit_of_work(principal, PAGE, "view") as w:
        df = w.analytics().execute(
            "select source, column_name, rule,"
            " list(distinct raw_value order by raw_value)[1:?] as examples"
            " from meta.quarantine where raw_value is not null and raw_value <> ''"
            " group by all order by source, column_name, rule",
            [int(per_group)],
        ).df()
    allowed = matrix.allowed_column_groups(principal)
    hidden = [
        matrix.column_group(col or "", src) not in allowed for src, col in zip(df["source"], df["column_name"], strict=True)
    ]
    df["hidden"] = hidden
    df["examples"] = [[] if h else list(v) for h, v in zip(hidden, df["examples"], strict=True)]
    return df


@aggregate_cache
def linkage_steps(build_id: str) -> pd.DataFrame:
    """Amagasaki's 表 7-2 from ``link.step_summary``: per step records in, linked, failed, error rate.

    The last row (step 'total') is the whole: its error rate is the unlinked rate.
    Columns: step_no, step, step_ja, records_in, linked, failed, error_rate, in_review.
    """
    return _or_empty(
        "select step_no, step, step_ja, records_in, linked, failed, error_rate, in_review"
        " from link.step_summary order by step_no",
        ["step_no", "step", "step_ja", "records_in", "linked", "failed", "error_rate", "in_review"],
    )


@aggregate_cache
def unlinked_by_reason(build_id: str) -> pd.DataFrame:
    """School records left unlinked (shown as 「データ無し」 on a child card) per reason.

    Columns: reason, records.
    """
    return _or_empty(
        "select reason, count(*) as records from link.unlinked group by reason order by records desc, reason",
        ["reason", "records"],
    )


@aggregate_cache
def unlinked_by_school_grade(build_id: str) -> pd.DataFrame:
    """Unlinked school records per grade (graduates and first-graders behave differently).

    Columns: grade, records.
    """
    return _or_empty(
        "select grade, count(*) as records from link.unlinked group by grade order by grade nulls last",
        ["grade", "records"],
    )
