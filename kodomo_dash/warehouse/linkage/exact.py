"""The exact pass: strict kana, address code, birth date and sex all equal.

A pass of its own because it is the cheapest certain evidence after the 対応表: an exact pair
wins over any Splink score in ``decide`` (a second exact pair sends the pupil to review), and it
needs no model. It runs on the pupils the 対応表 did not settle (``_kd_pupil_rest``).
"""

from __future__ import annotations

import duckdb

from kodomo_dash.warehouse.linkage.statements import statement


def exact_pass(con: duckdb.DuckDBPyConnection) -> None:
    """Write ``_kd_exact_pair``: every four-fact match not declined by a person (``sql/18_exact_pair``)."""
    con.execute(statement("exact_pair"))
