"""SIGKILL a process that is saving forms, many times: every acknowledged save survives, none is half-saved.

KODOMO_DURABILITY_KILLS sets the number of kills (default 20 here; `kodomo bench` runs hundreds via
kodomo_dash.casework.durability.run_kill_test).
"""

from __future__ import annotations

import os
from pathlib import Path

from kodomo_dash.casework.durability import check, prepare, run_kill_test

KILLS = int(os.environ.get("KODOMO_DURABILITY_KILLS", "20"))


def test_acknowledged_saves_survive_sigkill(tmp_path: Path):
    report = run_kill_test(tmp_path, kills=KILLS, seed=11, min_delay=0.02, max_delay=0.3)
    print(report.summary())
    assert report.problems == []
    assert report.kills == KILLS
    assert report.acknowledged > 0  # the worker got saves through between kills
    assert report.forms_checked == 4


def test_the_checker_notices_a_lost_or_altered_save(tmp_path: Path):
    """The check is not vacuous: an acknowledgement that is not on disk is reported."""
    path = tmp_path / "c.duckdb"
    (form_id, *_rest) = prepare(path)
    n, problems = check(path, {(form_id, 1): "0" * 64, (form_id, 9): "f" * 64})
    assert n == 4
    assert any("altered" in p for p in problems) and any("lost" in p for p in problems)
