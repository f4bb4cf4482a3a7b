"""`kodomo report funnel` and `kodomo report deck` on a simulated Fukuoka FY2025 year of casework."""

from __future__ import annotations

import json

import duckdb
import pytest

from kodomo_dash.cli.commands import main
from tests.conftest import simulated_casework
from tests.published import FUKUOKA_FY2025_FUNNEL as PUBLISHED


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    with simulated_casework(tmp_path_factory.mktemp("cli-reports"), ("fukuoka-fy2025", 3)) as folder:
        yield folder


def audit_rows(folder):
    con = duckdb.connect(str(folder / "casework.duckdb"), read_only=True)
    try:
        return con.execute("select action, username, detail from audit_log where action = 'export'").fetchall()
    finally:
        con.close()


def test_report_funnel_json_prints_the_published_figures(warehouse, capsys):
    assert main(["report", "funnel", "--fy", "2025", "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["paths"]["ward"]["figures"] == PUBLISHED


def test_report_funnel_table_and_filters(warehouse, capsys):
    assert main(["report", "funnel", "--fy", "2025", "--format", "table"]) == 0
    text = capsys.readouterr().out
    assert "令和7年度" in text and "1,327名" in text and "57名" in text
    assert main(["report", "funnel", "--fy", "2025", "--format", "json", "--ward", "40136"]) == 0
    ward = json.loads(capsys.readouterr().out)["paths"]["ward"]["figures"]
    assert 0 < ward["listed"] < 217
    assert main(["report", "funnel", "--fy", "2025", "--format", "json", "--programme", "no-such"]) == 0
    assert json.loads(capsys.readouterr().out)["paths"] == {}


def test_report_funnel_of_a_year_without_lists_says_so(warehouse, capsys):
    assert main(["report", "funnel", "--fy", "2019", "--format", "table"]) == 1
    assert "まだありません" in capsys.readouterr().out


def test_report_deck_pptx_is_audited_and_holds_the_figures(warehouse, tmp_path):
    from pptx import Presentation

    out = tmp_path / "deck.pptx"
    assert main(["report", "deck", "--fy", "2025", "--format", "pptx", "--out", str(out), "--no-charts"]) == 0
    texts = [
        shape.text_frame.text if shape.has_text_frame else " ".join(c.text for r in shape.table.rows for c in r.cells)
        for slide in Presentation(str(out)).slides
        for shape in slide.shapes
        if shape.has_text_frame or shape.has_table
    ]
    joined = "\n".join(texts)
    for figure in ("1,327", "217", "151", "57"):
        assert figure in joined
    rows = audit_rows(warehouse)
    assert rows and rows[-1][1].startswith("cli:")


def test_report_deck_xlsx(warehouse, tmp_path):
    out = tmp_path / "tables.xlsx"
    assert main(["report", "deck", "--fy", "2025", "--format", "xlsx", "--out", str(out), "--no-charts"]) == 0
    assert out.stat().st_size > 0
