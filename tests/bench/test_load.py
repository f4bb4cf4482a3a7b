"""The load driver (decision 068) on the real server at tiny scale: two signed-in sessions over the
websocket, every kind of action at least once, no error, every acknowledged save found in casework.

Timings are never asserted beyond being positive (speed is measured by `kodomo bench --step load`).
"""

from __future__ import annotations

import shutil

import duckdb
import pytest

from kodomo_dash.bench.load import ACTIONS, figures, run_load


@pytest.fixture
def worked_city(built_warehouse, tmp_path, monkeypatch):
    """A private copy of the fixture city with a simulated year of casework (children approached)."""
    from kodomo_dash.demo.simulate import simulate_scenario
    from kodomo_dash.infra.migrate import migrate

    warehouse = tmp_path / "warehouse"
    warehouse.mkdir()
    shutil.copy(built_warehouse / "kodomo.duckdb", warehouse / "kodomo.duckdb")
    con = duckdb.connect(str(warehouse / "casework.duckdb"))
    try:
        migrate(con)
        simulate_scenario(con, "fukuoka-fy2025", seed=1)
    finally:
        con.close()
    monkeypatch.setenv("KODOMO_WAREHOUSE", str(warehouse))
    return warehouse


def test_two_sessions_sign_in_do_every_action_and_every_save_is_in_casework(worked_city):
    results = run_load([2], seconds=6, think_s=(0.05, 0.2), rounds=4, log=lambda _m: None)
    r = results[2]
    assert r["errors"] == 0, r.get("error_samples")
    assert r["sessions_running"] == 2 and r["forms_started"] == 2
    assert all(n >= 1 for n in r["actions_by_kind"].values()), r["actions_by_kind"]
    assert set(r["actions_by_kind"]) == set(ACTIONS)
    assert all(r["per_page"][k]["n"] >= 1 for k in ("search", "card", "worklist", "form")), r["per_page"]
    assert r["saves"] >= 1 and r["saves_found"] == r["saves"] and r["lost_saves"] == 0
    assert 0 < r["page_p50_s"] <= r["page_p95_s"] and 0 < r["save_p50_s"] <= r["save_p95_s"]
    named = figures(results, "people")  # the bench's names: pace, then N
    assert named["load_people_2_errors"] == 0 and named["load_people_2_save_p95_s"] == r["save_p95_s"]

    with duckdb.connect(str(worked_city / "casework.duckdb"), read_only=True) as con:
        drafts = con.execute("select count(*) from form_revision where saved_by like 'load002_%' and op = 'draft'"
                             ).fetchone()[0]  # fmt: skip
    assert drafts == r["saves"]  # nothing saved that the driver was not told about, nothing missing
