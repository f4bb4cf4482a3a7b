"""The bench's `refresh` step (issue 14, decision 066): the city's next month built over the
served warehouse leaves its figures, and the changes it found are exactly the generator's truth.
Timings are never asserted here (`kodomo bench` measures them at scale 1.0)."""

from __future__ import annotations

import json

from kodomo_dash.demo.synth.city import generate
from kodomo_dash.services.build import build


def test_refresh_step_builds_the_next_month_and_leaves_its_figures(tmp_path, monkeypatch):
    from kodomo_dash.bench.steps import step_refresh

    monkeypatch.setenv("KODOMO_WAREHOUSE", str(tmp_path / "warehouse"))
    figures_file = tmp_path / "figures.json"
    monkeypatch.setenv("KODOMO_BENCH_FIGURES", str(figures_file))
    extracts = tmp_path / "extracts"
    generate("fukuoka-fy2025", 0.01, 1, extracts)
    assert build(extracts).swapped
    step_refresh(extracts, seed=1)
    figures = json.loads(figures_file.read_text())
    assert figures["refresh_changes"] > 0 and figures["refresh_build_chain"] == 2
    assert figures["refresh_changes_match_truth"] is True
    assert figures["refresh_carried_sources"] > 0  # the follow-on month leaves most files as they were
    assert {"refresh_build_s", "refresh_first_build_s", "refresh_change_detection_s", "refresh_synth_s",
            "refresh_within_first_build", "refresh_truth_changes", "refresh_wall_s"} <= set(figures)  # fmt: skip
    assert (tmp_path / "extracts_next" / "extract_date.txt").read_text().strip() == "2025-10-01"
