"""The bench's OIDC sign-in figure: a real server, the local provider and chromium; or a stated skip.

Timings are never asserted beyond being positive and ordered (speed is measured by `kodomo bench`).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from kodomo_dash.bench.signin import nearest_rank, summary


def test_nearest_rank_is_the_smallest_time_that_covers_the_share_of_runs():
    times = [0.5, 0.1, 0.4, 0.2, 0.3]
    assert nearest_rank(times) == 0.5  # ceil(0.95 * 5) = 5th of 5
    assert nearest_rank(times, 0.5) == 0.3
    assert nearest_rank(list(range(1, 21)), 0.95) == 19  # ceil(19.0) = 19th of 20
    assert nearest_rank([0.7]) == 0.7
    with pytest.raises(ValueError):
        nearest_rank([])
    assert summary("x", [0.3, 0.1, 0.2, 0.9]) == {"x_s": 0.25, "x_p95_s": 0.9}


def test_without_node_the_figure_is_skipped_with_the_reason(tmp_path, monkeypatch):
    from kodomo_dash.bench.steps import main

    monkeypatch.setenv("PATH", str(tmp_path))  # no node (and no chromium) on this PATH
    figures_file = tmp_path / "figures.json"
    monkeypatch.setenv("KODOMO_BENCH_FIGURES", str(figures_file))
    assert main(["signin-oidc", "--runs", "2"]) == 0
    figures = json.loads(figures_file.read_text())
    assert list(figures) == ["signin_oidc_skipped"] and "node" in figures["signin_oidc_skipped"]


@pytest.mark.browser
def test_the_oidc_sign_in_step_signs_in_through_the_provider_and_times_it(built_warehouse, tmp_path):
    from kodomo_dash.bench.signin_oidc import unavailable

    reason = unavailable()
    if reason is not None and shutil.which("node") is None:
        pytest.skip(reason)
    assert reason is None, reason
    warehouse = tmp_path / "warehouse"
    warehouse.mkdir()
    shutil.copy(built_warehouse / "kodomo.duckdb", warehouse / "kodomo.duckdb")
    figures_file = tmp_path / "figures.json"
    # As `kodomo bench` runs it: its own process (Playwright's sync API will not start inside another
    # test's running browser loop, and the server it starts must open casework alone).
    env = {**os.environ, "KODOMO_WAREHOUSE": str(warehouse), "KODOMO_BENCH_FIGURES": str(figures_file)}
    done = subprocess.run([sys.executable, "-m", "kodomo_dash.bench.steps", "signin-oidc", "--runs", "2"],
                          env=env, capture_output=True, text=True, timeout=600)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    figures = json.loads(figures_file.read_text())
    assert figures["signin_oidc_runs"] == 2
    assert 0 < figures["signin_oidc_s"] <= figures["signin_oidc_p95_s"] < 60
    assert 0 < figures["signin_oidc_callback_s"] <= figures["signin_oidc_s"]
    assert figures["signin_oidc_callback_p95_s"] <= figures["signin_oidc_p95_s"]
    assert figures["signin_oidc_first_s"] > 0
