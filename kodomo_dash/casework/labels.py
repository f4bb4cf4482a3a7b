"""The label tables the casework views join, seeded from the one vocabulary on every open.

``wf_code_label`` (every workflow code's Japanese label), ``wf_funnel_stage`` (the funnel's bars in
order) and ``wf_duration_label`` were seeded once by migration 042 and needed a new migration for
every changed word. They now follow ``casework.vocabulary`` and ``casework.funnel`` the way the
views follow ``views/*.sql`` (decision 058): ``infra.migrate.ensure_views`` rewrites them in the
same transaction as the views whenever their content changed. They hold no one's data.
"""

from __future__ import annotations

import hashlib
import json

import duckdb

from kodomo_dash.casework.funnel import DURATIONS, FUNNEL_STAGES
from kodomo_dash.casework.vocabulary import CODE_DOMAINS


def code_label_rows() -> list[tuple[str, str, int, str]]:
    return [(domain, code, n, label) for domain, codes in CODE_DOMAINS.items()
            for n, (code, label) in enumerate(codes.items(), start=1)]  # fmt: skip


def checksum() -> str:
    """Changes whenever a code, a label, a stage or a duration changes."""
    content = [code_label_rows(), list(FUNNEL_STAGES), list(DURATIONS)]
    return hashlib.sha256(json.dumps(content, ensure_ascii=False, default=str).encode()).hexdigest()


def seed(con: duckdb.DuckDBPyConnection) -> None:
    """Replace the three label tables' rows (inside the caller's transaction)."""
    con.execute("delete from wf_code_label")
    con.executemany("insert into wf_code_label (domain, code, sort_no, label_ja) values (?, ?, ?, ?)",
                    code_label_rows())  # fmt: skip
    con.execute("delete from wf_funnel_stage")
    con.executemany("insert into wf_funnel_stage values (?, ?, ?, ?, ?, ?, ?)", [list(s) for s in FUNNEL_STAGES])
    con.execute("delete from wf_duration_label")
    con.executemany("insert into wf_duration_label values (?, ?, ?, ?)", [list(d) for d in DURATIONS])
