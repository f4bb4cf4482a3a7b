"""Izumi and Beppu FY2025 reproduced end to end at scale 1.0, every count computed by SQL.

For each city: synth (a city sized like it: Izumi ~26,000 children aged 0-15 with 15 model
schools, Beppu ~15,000 aged 0-17) → build → the city's own rule method screens the cohort view
(Izumi: education + welfare sum over the model schools after excluding 要対協-registered children;
Beppu: item counts over every child, nothing excluded) → a manager accepts the run → a year of the
school path is simulated from the latent truth → `kodomo report funnel --scenario` prints the
published figures. The expected values are only compared here, never fed to the pipeline.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from kodomo_dash.cli.commands import main as kodomo

pytestmark = pytest.mark.scale

# Izumi FY2025 slides: 7,347 children of 15 model schools → 6,500 after excluding those already
# registered with the 要対協 → top 200 + 6 welfare-only = 206 → 34 supported.
IZUMI_PUBLISHED = {"cohort": 7347, "eligible": 6500, "listed": 206, "school_supported": 34}
# Beppu FY2025 slides: top 20 by basic-item hits + top 10 by other-item hits = 30 → 8 new support cases.
BEPPU_PUBLISHED = {"listed": 30, "school_supported": 8}


def _year(tmp_path_factory, scenario: str):
    from kodomo_dash.demo.scenario_year import run_year
    from kodomo_dash.demo.synth.city import generate
    from kodomo_dash.warehouse.ingest.build import build_warehouse

    work = tmp_path_factory.mktemp(scenario)
    mp = pytest.MonkeyPatch()
    mp.setenv("KODOMO_WAREHOUSE", str(work / "warehouse"))
    city = generate(scenario, 1.0, 1, work / "extracts")
    build_warehouse(city.out_dir, log=lambda _m: None)
    result = run_year(scenario, Path(city.truth_dir), seed=1, log=lambda _m: None)
    return mp, work, result


@pytest.fixture(scope="module")
def izumi(tmp_path_factory):
    mp, work, result = _year(tmp_path_factory, "izumi-fy2025")
    yield work, result
    mp.undo()


@pytest.fixture(scope="module")
def beppu(tmp_path_factory):
    mp, work, result = _year(tmp_path_factory, "beppu-fy2025")
    yield work, result
    mp.undo()


def _report(capsys, scenario: str) -> dict:
    assert kodomo(["report", "funnel", "--fy", "2025", "--scenario", scenario, "--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_izumi_report_funnel_prints_the_published_figures(izumi, capsys):
    work, _ = izumi
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KODOMO_WAREHOUSE", str(work / "warehouse"))
        figures = _report(capsys, "izumi-fy2025")["paths"]["school"]["figures"]
    assert {k: figures[k] for k in IZUMI_PUBLISHED} == IZUMI_PUBLISHED
    # every listed child had a teacher's screening sheet and an SSW hearing; every decision was made
    assert figures["screening_sheet_done"] == figures["ssw_hearing_done"] == 206 and figures["school_decision_pending"] == 0
    assert figures["school_yotaikyo"] + figures["school_watch"] == 34 and figures["school_other_support"] == 0


def test_izumi_list_is_the_method_own_rule_over_15_model_schools(izumi):
    work, result = izumi
    con = duckdb.connect(str(work / "warehouse" / "casework.duckdb"), read_only=True)
    parts = dict(con.execute(
        "select json_extract_string(sub_scores_json, '$.list_part'), count(*) from screening_list"
        " where run_id = ? group by 1", [result.run_id]).fetchall())  # fmt: skip
    excluded = con.execute(
        "select reason, count(*) from screening_exclusion where run_id = ? group by 1", [result.run_id]
    ).fetchall()
    schools = con.execute("select count(distinct school_code) from wf_list_member where list_id = ?",
                          [result.list_id]).fetchone()[0]  # fmt: skip
    con.close()
    assert parts == {"top": 200, "welfare_only": 6}
    assert excluded == [("already_in_support", 847)]
    assert 1 < schools <= 15


def test_beppu_report_funnel_prints_the_published_figures(beppu, capsys):
    work, _ = beppu
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KODOMO_WAREHOUSE", str(work / "warehouse"))
        figures = _report(capsys, "beppu-fy2025")["paths"]["school"]["figures"]
    assert {k: figures[k] for k in BEPPU_PUBLISHED} == BEPPU_PUBLISHED
    assert figures["eligible"] is None and figures["screening_sheet_done"] is None  # no exclusion, no teacher sheet
    assert figures["school_supported"] + figures["school_no_support"] == 30


def test_beppu_lists_20_plus_10_and_never_makes_a_child_in_support_a_new_case(beppu):
    work, result = beppu
    con = duckdb.connect(str(work / "warehouse" / "casework.duckdb"), read_only=True)
    parts = dict(con.execute(
        "select json_extract_string(sub_scores_json, '$.list_part'), count(*) from screening_list"
        " where run_id = ? group by 1", [result.run_id]).fetchall())  # fmt: skip
    reasons = dict(con.execute(
        "select coalesce(school_decision, '-'), count(*) from wf_child_state where list_id = ? group by 1",
        [result.list_id]).fetchall())  # fmt: skip
    con.close()
    assert parts == {"basic": 20, "other": 10}
    assert sum(v for k, v in reasons.items() if k != "no_support") == 8
    assert result.cohort_size > 14_000  # every child aged 0-17 of a city of Beppu's size


def test_izumi_demo_accounts_see_izumi_children_not_fukuoka_ones(izumi, tmp_path):
    """`kodomo demo --scenario izumi-fy2025` prints accounts scoped to Izumi's own list."""
    from kodomo_dash.demo.run import demo_scope
    from kodomo_dash.security.users import load_users
    from kodomo_dash.services.operator import create_demo_users

    work, result = izumi
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KODOMO_WAREHOUSE", str(work / "warehouse"))
        scope = demo_scope(2025, "edu_welfare")
        con = duckdb.connect(str(work / "warehouse" / "casework.duckdb"), read_only=True)
        busiest = con.execute("select school_code from wf_list_member where list_id = ? group by 1"
                              " order by count(*) desc, 1 limit 2", [result.list_id]).fetchall()
        con.close()
    assert scope == {"ward_codes": ("27219",), "school_codes": tuple(r[0] for r in busiest)}
    text = create_demo_users(tmp_path / "users.yaml", **scope)
    users = load_users(tmp_path / "users.yaml")
    assert users["ward_staff"].ward_codes == ("27219",) and users["ward_staff"].display_name == "デモ 和泉市 職員"
    assert users["school"].school_codes == scope["school_codes"][:1]
    assert users["ssw"].school_codes == scope["school_codes"]
    assert "40131" not in text and "401001" not in text
