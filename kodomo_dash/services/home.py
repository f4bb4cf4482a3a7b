"""Reads for the home page: what build is loaded and what went into it.

Everything here is an aggregate over the whole city (counts per source, rule and ward), never a
row about one child, so it may be cached across sessions keyed on the build id.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import pandas as pd

from kodomo_dash.infra.db import WarehouseMissing
from kodomo_dash.services import aggregate_cache, fetch_df, fetch_one
from kodomo_dash.warehouse import contracts

__all__ = [
    "BuildInfo",
    "children_by_ward",
    "current_build",
    "quarantine_by_rule",
    "source_counts",
    "total_children",
]


# core.child may also hold 16–17-year-olds (some programmes serve them); the home figures are
# the 0–15 population the reports quote (Fukuoka: about 210,000), so the filter is explicit.
MAX_AGE = 15


@dataclass(frozen=True)
class BuildInfo:
    build_id: str
    built_at: dt.datetime
    as_of: dt.date
    source_dir: str
    duration_s: float | None
    kodomo_version: str


def current_build() -> BuildInfo:
    """The build the app is serving now.

    Deliberately uncached: this one-row read on every run is how a page notices that
    ``kodomo build`` swapped in a new file, and its ``build_id`` keys the cached aggregates.
    Raises :class:`WarehouseMissing` when there is no build, or when the file is not a finished
    build (no ``meta.build_info``), so the page can say how to make one.
    """
    try:
        row = fetch_one(
            "select build_id, built_at, as_of, source_dir, duration_s, kodomo_version "
            "from meta.build_info limit 1"
        )
    except duckdb.CatalogException as exc:
        raise WarehouseMissing(f"no meta.build_info: {exc}") from exc
    if row is None:
        raise WarehouseMissing("meta.build_info is empty")
    return BuildInfo(*row)


@aggregate_cache
def source_counts(build_id: str) -> pd.DataFrame:
    """One row per source contract from the load manifest, in contract order.

    Columns: source, label_ja, file_name, encoding, rows_in, rows_staged, rows_quarantined,
    values_nullified, status, message. ``build_id`` is the cache key (see the package doc).
    """
    df = fetch_df(
        "select source, label_ja, file_name, encoding, rows_in, rows_staged, rows_quarantined, "
        "values_nullified, status, message from meta.load_manifest"
    )
    order = {name: i for i, name in enumerate(contracts.all_contracts())}
    df["_order"] = df["source"].map(lambda s: order.get(s, len(order)))
    return df.sort_values(["_order", "source"]).drop(columns="_order").reset_index(drop=True)


@aggregate_cache
def quarantine_by_rule(build_id: str) -> pd.DataFrame:
    """Quarantine entries per validation rule, most frequent first.

    Columns: rule, entries (quarantined values), rows_rejected (distinct source rows the rule
    kept out of staging entirely). Empty when nothing was quarantined.
    """
    return fetch_df(
        "select rule, count(*) as entries, "
        "count(distinct case when row_rejected then source || ':' || source_row::varchar end) "
        "as rows_rejected "
        "from meta.quarantine group by rule order by entries desc, rule"
    )


@aggregate_cache
def children_by_ward(build_id: str) -> pd.DataFrame:
    """Children aged 0–15 at the as-of date per ward, in ward-code order.

    Columns: ward_code, ward_name, children. A child without a ward stays visible as its own
    bar (ward_code null) rather than vanishing from the total.
    """
    return fetch_df(
        "select ward_code, ward_name, count(*) as children from core.child where age_years between 0 and ? "
        "group by ward_code, ward_name order by ward_code nulls last, ward_name",
        [MAX_AGE],
    )


@aggregate_cache
def total_children(build_id: str) -> int:
    """Number of children aged 0–15 at the as-of date in this build."""
    row = fetch_one("select count(*) from core.child where age_years between 0 and ?", [MAX_AGE])
    return int(row[0]) if row else 0
