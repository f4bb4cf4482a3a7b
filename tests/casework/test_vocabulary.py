"""The label table in SQL holds the same words as the Python vocabulary, so views and pages agree."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from kodomo_dash.casework import vocabulary
from kodomo_dash.infra.migrate import migrate


@pytest.fixture
def con(tmp_path: Path):
    c = duckdb.connect(str(tmp_path / "casework.duckdb"))
    migrate(c)
    yield c
    c.close()


def test_labels_in_sql_match_the_python_vocabulary(con):
    from kodomo_dash.casework.funnel import DURATIONS, FUNNEL_STAGES

    sql = {
        (d, c): lab
        for d, c, lab in con.execute("select domain, code, label_ja from wf_code_label").fetchall()
    }
    py = {(d, c): lab for d, vocab in vocabulary.CODE_DOMAINS.items() for c, lab in vocab.items()}
    assert sql == py
    stored = con.execute(
        "select path, stage, sort_no, kind, parent_stage, label_ja, report_ref from wf_funnel_stage order by path, sort_no"
    ).fetchall()
    assert sorted(stored) == sorted(FUNNEL_STAGES)
    assert sorted(con.execute("select * from wf_duration_label").fetchall()) == sorted(DURATIONS)
