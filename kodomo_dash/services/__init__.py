"""Every read a page does, as a named function (one module per page or concern).

Pages import a module from here and lay out what its functions return; they never hold SQL.
Reads go through :func:`kodomo_dash.infra.db.analytics_cursor`, which hands out a fresh cursor on the
current build (a DuckDB connection is not thread-safe, and every Streamlit session is a thread).

Caching: the caches of ``infra.cache`` are shared by every user of the server, so only non-personal
aggregates may be cached, and only through :func:`aggregate_cache`. Such functions take the
build id as their first argument: that is the cache key that makes a rebuild show up at once
without serving one build's figures for another. A read that returns anything about one child
or one household must not be cached.
"""

from __future__ import annotations

from contextlib import closing
from typing import Any

import pandas as pd

from kodomo_dash.infra.cache import aggregate_cache
from kodomo_dash.infra.db import WarehouseMissing, analytics_cursor

__all__ = ["WarehouseMissing", "aggregate_cache", "fetch_df", "fetch_one"]


def fetch_df(sql: str, params: list[Any] | None = None) -> pd.DataFrame:
    """Run one read on a fresh cursor of the current build and return a DataFrame."""
    with closing(analytics_cursor()) as cur:
        return cur.execute(sql, params or []).df()


def fetch_one(sql: str, params: list[Any] | None = None) -> tuple[Any, ...] | None:
    """Run one read on a fresh cursor of the current build and return its first row."""
    with closing(analytics_cursor()) as cur:
        return cur.execute(sql, params or []).fetchone()
