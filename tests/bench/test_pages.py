"""The bench's `pages` step: a figure for every page, search figures, and nothing but numbers.

Timings are never asserted here (speed is measured by `kodomo bench` at scale 1.0); this checks
that the step renders every existing page through the real gate and leaves its figures.
"""

from __future__ import annotations

import json

from kodomo_dash.ui.navigation import ALL_PAGES


def test_pages_step_leaves_a_figure_for_every_page(built_warehouse, tmp_path, monkeypatch):
    from kodomo_dash.bench.steps import step_pages

    figures_file = tmp_path / "figures.json"
    monkeypatch.setenv("KODOMO_BENCH_FIGURES", str(figures_file))
    step_pages(runs=1)
    figures = json.loads(figures_file.read_text())
    for spec in ALL_PAGES:
        assert f"page_{spec.key}_s" in figures, spec.key
        assert f"page_{spec.key}_cold_s" in figures, spec.key
    assert "page_child_card_s" in figures and "page_funnel_evaluator_s" in figures
    assert figures["search_queries"] > 0 and "search_ms" in figures and "search_ms_p95" in figures
    # Only numbers leave the step: no name, address or identifier can ride along.
    assert all(isinstance(v, int | float) and not isinstance(v, bool) for v in figures.values()), figures


def test_each_page_is_timed_as_a_role_that_may_open_it():
    from kodomo_dash.bench.pages import role_for
    from kodomo_dash.security import matrix
    from kodomo_dash.testing.apptest import principal_for

    for spec in ALL_PAGES:
        role = role_for(spec.key)
        assert role is not None and matrix.can(principal_for(role), spec.key, "view"), spec.key
