"""Tables shared by the linkage steps: does an optional input exist, upload an Arrow table,
and the work tables a run leaves to drop.

Every step reads and writes the same DuckDB connection; these are the few helpers more than
one step needs, kept apart so no step imports another for them.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from kodomo_dash.warehouse.linkage.model import TF_COLUMNS

# Every work table (``_kd_*``, TEMP) a run creates, dropped at the end unless kept for a test.
WORK_TABLES = (
    "_roster", "_roster_all", "_unit", "_resident_all", "_decision", "_map_pair", "_resident_pick", "_kana_key",
    "_guardian_of", "_kanji_key", "_exact_pair", "_map_clean", "_pupil_rest", "_scored", "_review",
    "_unlinked", "_school_age", "_links", "_scored_best", "_pupil_key", "_resident_key", *(f"_tf_{c}" for c in TF_COLUMNS),
)  # fmt: skip


def table_exists(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> bool:
    row = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, name],
    ).fetchone()
    return bool(row and row[0])


def put(con: duckdb.DuckDBPyConnection, table: str, data: pa.Table) -> None:
    """Materialise an Arrow table as ``table`` (a fixed name from the linkage modules).

    Work tables (``_kd_*``) are TEMP: in memory, never compressed into the warehouse file,
    which costs several times the CPU of the query that fills them.
    """
    view = "__kd_link_upload"
    kind = "temp table" if table.startswith("_kd_") else "table"
    con.register(view, data)
    try:
        con.execute(f"create or replace {kind} {table} as select * from {view}")  # noqa: S608
    finally:
        con.unregister(view)


def drop_work_tables(con: duckdb.DuckDBPyConnection) -> None:
    for name in WORK_TABLES:
        con.execute(f"drop table if exists _kd{name}")
