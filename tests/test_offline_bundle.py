"""Installing on a closed network (issue 18 point 5): the bundle made on a connected machine installs
into a fresh virtual environment with pip --no-index and no pip configuration, and the installed
`kodomo` runs. The Debian half is left out here (it would change this machine's packages)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_bundle_installs_without_the_network(tmp_path):
    bundle, venv = tmp_path / "bundle", tmp_path / "venv"
    env = {**os.environ, "KODOMO_BUNDLE_SKIP_APT": "1", "PYTHON": str(ROOT / ".venv" / "bin" / "python")}
    made = subprocess.run(["bash", "scripts/bundle.sh", str(bundle)], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=900)  # fmt: skip
    assert made.returncode == 0, made.stderr[-2000:]
    assert any(p.name.startswith("kodomo_dash-") for p in (bundle / "wheels").iterdir())
    assert (bundle / "SHA256SUMS").read_text().count("wheels/") == len(list((bundle / "wheels").iterdir()))
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "KODOMO_", "PYTHONPATH"))}
    installed = subprocess.run(["bash", str(bundle / "install-offline.sh"), str(bundle), str(venv)], cwd=tmp_path,
                               env=clean, capture_output=True, text=True, timeout=900)  # fmt: skip
    assert installed.returncode == 0, installed.stderr[-2000:]
    run = subprocess.run([str(venv / "bin" / "kodomo"), "--help"], cwd=tmp_path, env=clean, capture_output=True,
                         text=True, timeout=120)  # fmt: skip
    assert run.returncode == 0 and "backup" in run.stdout, run.stderr
    where = subprocess.run([str(venv / "bin" / "python"), "-c", "import kodomo_dash, duckdb, streamlit; print(kodomo_dash.__file__)"],
                           cwd=tmp_path, env=clean, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert where.returncode == 0 and where.stdout.startswith(str(venv)), where.stderr


def test_a_damaged_bundle_is_refused(tmp_path):
    bundle = tmp_path / "bundle"
    (bundle / "wheels").mkdir(parents=True)
    (bundle / "debs").mkdir()
    (bundle / "wheels" / "x-1.0-py3-none-any.whl").write_bytes(b"original")
    subprocess.run("sha256sum wheels/x-1.0-py3-none-any.whl > SHA256SUMS", shell=True, cwd=bundle, check=True)  # noqa: S602, S607
    (bundle / "wheels" / "x-1.0-py3-none-any.whl").write_bytes(b"changed on the way")
    run = subprocess.run(["bash", str(ROOT / "scripts" / "install-offline.sh"), str(bundle), str(tmp_path / "venv")],
                         capture_output=True, text=True, timeout=120)  # fmt: skip
    assert run.returncode != 0 and not (tmp_path / "venv").exists()
