"""The monthly refresh: what changed per child since the build being served (decision 066).

A city rebuilds from next month's extracts. The new build attaches the one it replaces, read-only,
and keeps three things: ``core.child_change`` (the facts of ``core.child_event`` the previous build
did not hold, and children gone from the registry), ``core.child_change_log`` (every build's
changes, carried forward) and ``meta.build_chain`` (the builds in order). Casework, manual link
decisions and screening runs live in casework and are never touched by a build (decision 000), so
any number of refreshes keeps them. A first build, or a build of another city, has nothing to
compare with and finds no change.
"""

from __future__ import annotations

import time
from pathlib import Path

import duckdb

from kodomo_dash.infra.db import attach_read_only
from kodomo_dash.warehouse.statements import statement_of

ALIAS = "prev"


def _statement(name: str) -> str:
    return statement_of(__package__, name)


def _has(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(con.execute(
        "select count(*) from duckdb_tables() where database_name = ? and schema_name = ? and table_name = ?",
        [ALIAS, schema, table],
    ).fetchone()[0])  # fmt: skip


def record_changes(con: duckdb.DuckDBPyConnection, served: Path | None) -> tuple[int, float]:
    """Write the three tables into the build at ``con``; returns (changes found, seconds)."""
    t0 = time.perf_counter()
    build_id, as_of = con.execute("select build_id, as_of from meta.build_info").fetchone()
    attached = False
    if served is not None and Path(served).exists():
        attach_read_only(con, Path(served), ALIAS, "analytics")
        attached = True
    try:
        comparable = attached and _has(con, "core", "child_event") and _has(con, "meta", "build_info")
        if comparable:
            prev_id, prev_as_of = con.execute("select build_id, as_of from prev.meta.build_info").fetchone()
            con.execute(_statement("child_change"), [build_id, as_of, prev_id, prev_as_of])
        else:
            con.execute(_statement("child_change_first"), [build_id, as_of, None, None])
        con.execute(_statement("change_log" if comparable and _has(con, "core", "child_change_log")
                               else "change_log_first"))  # fmt: skip
        con.execute(_statement("build_chain" if comparable and _has(con, "meta", "build_chain")
                               else "build_chain_first"))  # fmt: skip
    finally:
        if attached:
            con.execute(f"detach {ALIAS}")
    n = con.execute("select count(*) from core.child_change").fetchone()[0]
    return int(n), time.perf_counter() - t0
