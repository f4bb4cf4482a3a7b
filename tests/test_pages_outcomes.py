"""Outcome indicators and presentation mode under AppTest, on a simulated Fukuoka FY2025 year."""

from __future__ import annotations

import os
import time

import duckdb
import pytest

from tests.signin import app_as


@pytest.fixture(scope="module")
def fukuoka_casework(tmp_path_factory):
    from kodomo_dash.casework.migrate import migrate
    from kodomo_dash.casework.simulate import simulate_scenario

    folder = tmp_path_factory.mktemp("oc-warehouse")
    con = duckdb.connect(str(folder / "casework.duckdb"))
    migrate(con)
    simulate_scenario(con, "fukuoka-fy2025", seed=5)
    con.close()
    old = os.environ.get("KODOMO_WAREHOUSE")
    os.environ["KODOMO_WAREHOUSE"] = str(folder)
    yield folder
    if old is None:
        os.environ.pop("KODOMO_WAREHOUSE", None)
    else:
        os.environ["KODOMO_WAREHOUSE"] = old


def run_page(role: str, page: str, **kw):
    at = app_as(role, page=page, **kw)
    started = time.perf_counter()
    at.run()
    print(f"page_{page}_s", round(time.perf_counter() - started, 2))
    assert not at.exception, [e.value for e in at.exception]
    return at


def all_text(at) -> str:
    parts = [el.value.to_csv() for el in at.dataframe]
    parts += [s.value for s in at.subheader] + [c.value for c in at.caption] + [t.value for t in at.title]
    return "\n".join(parts)


def test_evaluator_sees_7_3_with_published_top_line(fukuoka_casework):
    at = run_page("evaluator", "outcomes")
    text = all_text(at)
    assert "図表 7-3" in text and "図表 6-4" in text
    assert "1,327" in text and "217" in text and "57" in text
    assert "秘匿" in text  # the ward breakdown hides small cells


def test_a_ward_breakdown_never_shows_a_small_count(fukuoka_casework):
    """Ward cells 1–9 are hidden; the city 計 column holds the published top-line totals (exempt by name)."""
    at = run_page("evaluator", "outcomes")
    at.selectbox(key="oc_unit").set_value("40136").run()
    assert not at.exception
    for el in at.dataframe:
        counts = el.value.drop(columns=[c for c in el.value.columns if c in ("No.", "No", "計")])
        for cell in counts.astype(str).values.ravel():
            digits = cell.replace("名", "").replace("件", "").replace(",", "").strip()
            assert not (digits.isdigit() and 1 <= int(digits) <= 9), cell


def test_ward_staff_is_refused_outcomes(fukuoka_casework):
    at = app_as("ward_staff", page="outcomes", ward_codes=("40131",)).run()
    assert at.error


def test_presentation_moves_between_slides(fukuoka_casework):
    at = run_page("manager", "presentation")
    first = at.title[0].value
    at.button(key="pres_next").click().run()
    assert not at.exception
    assert at.title[0].value != first
    at.button(key="pres_prev").click().run()
    assert at.title[0].value == first


def test_presentation_pptx_export_is_audited(fukuoka_casework):
    at = run_page("manager", "presentation")
    at.button(key="pres_make_pptx").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["pres_file_pptx"][:2] == b"PK"
    con = duckdb.connect(str(fukuoka_casework / "casework.duckdb"), read_only=True)
    rows = con.execute("select username, page from audit_log where action = 'export'").fetchall()
    con.close()
    assert ("manager", "presentation") in rows


def test_ward_staff_may_present_but_not_download(fukuoka_casework):
    at = run_page("ward_staff", "presentation", ward_codes=("40131",))
    assert "ダウンロードできません" in " ".join(c.value for c in at.caption)
