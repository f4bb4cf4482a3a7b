"""Preparation: the school year, and both sides of 名寄せ as work tables every pass reads.

Separate from the passes because everything here is shared and computed once: one unit per
student number, one row per 宛名番号, the registry children worth comparing, the normalised name
keys (computed in Python once per distinct spelling, not once per row), the two Splink inputs
with identical columns, and the term-frequency tables. The SQL is in ``sql/02 … 13``.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from kodomo_dash.config import calendar
from kodomo_dash.warehouse.linkage.decisions import Decision
from kodomo_dash.warehouse.linkage.model import TF_COLUMNS
from kodomo_dash.warehouse.linkage.normalise import given_loose, given_part, kana_keys, name_strict
from kodomo_dash.warehouse.linkage.statements import statement
from kodomo_dash.warehouse.linkage.tables import put, table_exists


def infer_fiscal_year(con: duckdb.DuckDBPyConnection) -> int:
    """The school year the roster's grades refer to: the commonest (entry year + grade - 1).

    Pupils know their own birth date and grade, so on clean rows this is one value; a few
    typos cannot move a mode. Falls back to today's fiscal year on an empty roster.
    """
    calendar.register_sql_functions(con)
    row = con.execute(statement("roster_fiscal_year")).fetchone()
    if row:
        return int(row[0])
    return calendar.fiscal_year()


def prepare(con: duckdb.DuckDBPyConnection, fy: int, decisions: list[Decision], floor: int) -> None:
    """Build the work tables (``_kd_*``) for school year ``fy`` with the decisions in force."""
    con.execute("create schema if not exists link")

    # ---------- school side, one unit per student number. Copies of one child under one number
    # (a stale row left at the previous school) collapse to the current row; a number carried by
    # two different children (name, birth date or sex differ) is unusable: duplicate_student_no.
    con.execute(statement("roster_all"))
    con.execute(statement("roster"))
    con.execute(statement("unit"))

    # ---------- registry side: one row per 宛名番号 (a duplicated number keeps its current row)
    duplicated = con.execute(
        "select count(*) - count(distinct resident_id) from stg.resident_registry where resident_id is not null"
    ).fetchone()[0]
    con.execute(statement("resident_all_deduplicated" if duplicated else "resident_all"))

    # ---------- manual decisions and the 対応表, both needed to choose which residents to compare
    put(
        con,
        "_kd_decision",
        pa.table(
            {
                "student_no": pa.array([d.student_no for d in decisions], pa.string()),
                "resident_id": pa.array([d.resident_id for d in decisions], pa.string()),
                "decision": pa.array([d.decision for d in decisions], pa.string()),
                "decided_by": pa.array([d.decided_by for d in decisions], pa.string()),
            }
        ),
    )
    has_map = table_exists(con, "stg", "student_resident_map")
    con.execute(statement("map_pair" if has_map else "map_pair_absent"))

    # Registry children compared: born for school ages (with a margin for graduates still on a
    # roster), plus anyone the 対応表 or a person named, whatever their recorded birth date.
    con.execute(statement("resident_pick"), [fy - 12, fy + 1])

    # ---------- normalised keys, computed once per distinct spelling
    kana = [r[0] for r in con.execute(statement("kana_spellings")).fetchall()]
    keys = [kana_keys(v) for v in kana]
    put(
        con,
        "_kd_kana_key",
        pa.table(
            {
                "raw": pa.array(kana, pa.string()),
                "kana_strict": pa.array([k[0] for k in keys], pa.string()),
                "kana_loose": pa.array([k[1] for k in keys], pa.string()),
                "kana_roman": pa.array([k[2] for k in keys], pa.string()),
                "given_loose": pa.array([given_loose(v) for v in kana], pa.string()),
            }
        ),
    )
    con.execute(statement("guardian_of"))
    kanji = [r[0] for r in con.execute(statement("kanji_spellings")).fetchall()]
    put(
        con,
        "_kd_kanji_key",
        pa.table(
            {
                "raw": pa.array(kanji, pa.string()),
                "norm": pa.array([name_strict(v) for v in kanji], pa.string()),
                "given": pa.array([name_strict(given_part(v)) for v in kanji], pa.string()),
            }
        ),
    )

    # ---------- the two Splink inputs: identical columns, one row per unique id
    con.execute(statement("pupil_key"), [fy])
    con.execute(statement("resident_key"))
    tf_tables(con, floor)


def tf_tables(con: duckdb.DuckDBPyConnection, floor: int) -> None:
    """How common each name is among the registry children compared (Splink's term frequencies).

    Computed here rather than by Splink so the denominator is the registry alone (the pupils
    are the same children again) and is floored like the prior: in a ten-row test a unique
    name must not look as common as one in ten. One table per column of ``model.TF_COLUMNS``,
    so the SQL is written from that constant here rather than kept in a file.
    """
    n = con.execute("select count(*) from _kd_resident_key").fetchone()[0]
    denominator = max(n, floor)
    for column in TF_COLUMNS:
        # column names come from model.TF_COLUMNS, a constant
        sql = (
            f"create or replace temp table _kd_tf_{column} as select {column},"  # noqa: S608
            f" count(*) / ?::double as tf_{column} from _kd_resident_key"
            f" where {column} is not null group by {column} order by {column}"
        )
        con.execute(sql, [denominator])


def school_age(con: duckdb.DuckDBPyConnection) -> None:
    """The 学齢簿's school and grade per registry child (empty without one), for the review page."""
    has_register = table_exists(con, "stg", "school_age_register")
    con.execute(statement("school_age" if has_register else "school_age_absent"))
