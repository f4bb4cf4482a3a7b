"""An installed package builds a warehouse (issue 13): the SQL, city files and pages ship inside it.

The package is installed with pip into a folder outside the checkout and run from another folder,
so nothing can be read from the checkout by accident; `kodomo synth`, `build` and `demo` then work.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]


def _kodomo(target: Path, cwd: Path, *args: str, env: dict[str, str]) -> str:
    proc = subprocess.run([sys.executable, "-m", "kodomo_dash.cli.commands", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=600)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def test_an_installed_wheel_synthesises_builds_and_plays_a_demo(tmp_path):
    target = tmp_path / "site"
    pip = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(ROOT)],
                         capture_output=True, text=True, timeout=600)  # fmt: skip
    assert pip.returncode == 0, pip.stderr[-2000:]
    assert sorted(p.name for p in (target / "kodomo_dash" / "warehouse" / "sql").rglob("*.sql"))
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KODOMO_", "PYTHONPATH"))}
    env |= {"PYTHONPATH": str(target), "KODOMO_WAREHOUSE": str(work / "warehouse"), "KODOMO_ALLOW_PLAINTEXT": "1",
            "KODOMO_SECRETS_FILE": os.devnull, "KODOMO_USERS": str(work / "users.yaml")}  # fmt: skip
    where = subprocess.run([sys.executable, "-c", "import kodomo_dash; print(kodomo_dash.__file__)"], cwd=work,
                           env=env, capture_output=True, text=True, check=True).stdout  # fmt: skip
    assert where.startswith(str(target)), where
    _kodomo(target, work, "synth", "--scale", "0.005", "--out", str(work / "extracts"), env=env)
    _kodomo(target, work, "build", "--source", str(work / "extracts"), env=env)
    con = duckdb.connect(str(work / "warehouse" / "kodomo.duckdb"), read_only=True)
    try:
        assert con.execute("select count(*) from core.child").fetchone()[0] > 500
        assert con.execute("select count(*) from cohorts.fukuoka_unenrolled_3_6").fetchone()[0] > 0
    finally:
        con.close()
    _kodomo(target, work, "demo", "--scale", "0.01", env=env)
    out = _kodomo(target, work, "report", "funnel", "--fy", "2025", "--format", "json", env=env)
    assert '"secondary_passed"' in out
