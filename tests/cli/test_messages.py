"""Every failure of a `kodomo` command ends in a message, never a Python traceback (issue 17, point 3)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["synth", "--scale", "10", "--out", "{tmp}/s"], "scale"),
        (["synth", "--scenario", "nowhere", "--scale", "0.01", "--out", "{tmp}/s"], "シナリオ"),
        (["build", "--source", "{tmp}/nowhere"], "抽出フォルダがありません"),
        (["build", "--source", "{tmp}", "--as-of", "2025-13-01"], "入力を確認してください"),
        (["list", "accept", "--as", "nobody", "--run", "r", "--fy", "2025"], "利用者ファイル"),
        (["report", "funnel", "--fy", "2025", "--scenario", "nowhere"], "シナリオ"),
    ],
)
def test_a_bad_command_says_why_without_a_traceback(tmp_path, argv, words):
    env = {k: v for k, v in os.environ.items() if k != "KODOMO_DEBUG"}
    env |= {"KODOMO_WAREHOUSE": str(tmp_path / "wh"), "KODOMO_ALLOW_PLAINTEXT": "1", "KODOMO_SECRETS_FILE": os.devnull,
            "KODOMO_USERS": str(tmp_path / "users.yaml")}  # fmt: skip
    args = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    proc = subprocess.run([sys.executable, "-m", "kodomo_dash.cli.commands", *args], capture_output=True, text=True, env=env,
                          timeout=120)  # fmt: skip
    assert proc.returncode in (1, 2), proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    assert words in proc.stdout + proc.stderr, proc.stderr
