"""Outcome indicators and presentation mode under AppTest, on a simulated Fukuoka FY2025 year."""

from __future__ import annotations

import time

import duckdb
import pytest

from tests.conftest import simulated_casework
from tests.signin import app_as


@pytest.fixture(scope="module")
def fukuoka_casework(tmp_path_factory):
    with simulated_casework(tmp_path_factory.mktemp("oc-warehouse"), ("fukuoka-fy2025", 5)) as folder:
        yield folder


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


def _attempts_per_ward(folder) -> dict[str, int]:
    """Contact attempts counted straight from the event log (voided ones and their voids dropped)."""
    con = duckdb.connect(str(folder / "casework.duckdb"), read_only=True)
    try:
        rows = con.execute(
            "select m.ward_code, count(*) from wf_event e join wf_list l using (list_id) "
            "join wf_list_member m on m.list_id = e.list_id and m.resident_id = e.resident_id "
            "where e.stage = 'contact_attempt' and l.fy = 2025 "
            "and e.event_id not in (select supersedes from wf_event where supersedes is not null) "
            "group by 1"
        ).fetchall()
    finally:
        con.close()
    return dict(rows)


def test_manager_records_a_visit_plan_and_sees_it_beside_the_visits_made(fukuoka_casework):
    made = _attempts_per_ward(fukuoka_casework)
    ward = max(made, key=made.get)
    assert made[ward] >= 10, "the simulated year should give this ward enough visits to show unsuppressed"
    at = run_page("manager", "outcomes")
    at.selectbox(key="oc_plan_ward").set_value(ward)
    at.number_input(key="oc_plan_n").set_value(made[ward] + 25)
    at.button(key="FormSubmitter:oc_plan_form-保存").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("保存しました" in s.value for s in at.success)
    capacity = next(el.value for el in at.dataframe if "訪問計画" in el.value.columns)
    label = capacity.columns[0]
    row = capacity[capacity[label].astype(str).str.contains("区") & ~capacity[label].eq("計")]
    shown = {str(r[label]): (str(r["訪問計画"]), str(r["訪問実績"])) for _, r in row.iterrows()}
    name = {"40131": "東区", "40132": "博多区", "40133": "中央区", "40134": "南区", "40135": "西区",
            "40136": "城南区", "40137": "早良区"}[ward]  # fmt: skip
    assert shown[name][0].replace(",", "").rstrip("件") == str(made[ward] + 25)
    assert shown[name][1].replace(",", "").rstrip("件") == str(made[ward])
    con = duckdb.connect(str(fukuoka_casework / "casework.duckdb"), read_only=True)
    audited = con.execute(
        "select count(*) from audit_log where action = 'setting_change' and page = 'outcomes' and username = 'manager'"
    ).fetchone()[0]
    con.close()
    assert audited >= 1


@pytest.mark.parametrize("bad", ["-1", "abc", "2.5", "100001", "<script>alert(1)</script>"])
def test_a_bad_visit_plan_gets_a_japanese_message_and_nothing_is_saved(fukuoka_casework, bad):
    from kodomo_dash.casework.visit_plan import VisitPlanError
    from kodomo_dash.services import outcomes as q
    from tests.signin import principal_for

    inputs = q.outcome_inputs(principal_for("manager"))
    with pytest.raises(VisitPlanError, match="[ぁ-んァ-ン一-龥]"):
        q.save_visit_plan(principal_for("manager"), inputs, 2025, "40131", bad)
    with pytest.raises(VisitPlanError, match="区"):
        q.save_visit_plan(principal_for("manager"), inputs, 2025, "99999", 5)


def test_an_evaluator_cannot_record_a_plan(fukuoka_casework):
    from kodomo_dash.security.matrix import AccessDenied
    from kodomo_dash.services import outcomes as q
    from tests.signin import principal_for

    at = run_page("evaluator", "outcomes")
    assert not [e for e in at.expander if "訪問計画" in e.label]
    inputs = q.outcome_inputs(principal_for("evaluator"))
    with pytest.raises(AccessDenied):
        q.save_visit_plan(principal_for("evaluator"), inputs, 2025, "40131", 5)


def test_evaluation_helpers_are_on_the_page(fukuoka_casework):
    """Conversion with Wilson intervals, contacted vs pending per ward, and the capacity view."""
    at = run_page("evaluator", "outcomes")
    heads = [s.value for s in at.subheader]
    assert any("接触できたこどもと確認中" in h for h in heads), heads
    assert any("訪問の計画と実績" in h for h in heads), heads
    text = all_text(at)
    assert "Wilson" in text
