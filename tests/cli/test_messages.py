"""Every failure of a `kodomo` command ends in a message, never a Python traceback (issue 17, point 3)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["synth", "--scale", "10", "--out", "{tmp}/s"], ("scale は", "scale must")),
        (["synth", "--scenario", "nowhere", "--scale", "0.01", "--out", "{tmp}/s"], ("シナリオ", "Unknown scenario")),
        (["build", "--source", "{tmp}/nowhere"], ("抽出フォルダがありません", "no such folder")),
        (["build", "--source", "{tmp}", "--as-of", "2025-13-01"], ("入力を確認してください", "please check the input")),
        (["list", "accept", "--as", "nobody", "--run", "r", "--fy", "2025"], ("利用者ファイル", "users file")),
        (["report", "funnel", "--fy", "2025", "--scenario", "nowhere"], ("シナリオ", "Unknown scenario")),
        (["list", "accept", "--as", "nobody", "--run", "r", "--fy", "2025", "--on", "someday"],
         ("利用者ファイル", "users file")),
        (["extract", "create", "--as", "nobody", "--project", "p", "--purpose", "q", "--delete-by", "soon"],
         ("形式で指定してください", "Give --delete-by as YYYY-MM-DD")),
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
    for word in words:  # Japanese first, and the same in English (issue 17, point 3)
        assert word in proc.stdout + proc.stderr, proc.stdout + proc.stderr


def test_a_coded_refusal_prints_japanese_then_english_without_a_traceback(tmp_path):
    """A refusal that carries a coded message (decision 065) reads in both languages on the command line."""
    env = {k: v for k, v in os.environ.items() if k != "KODOMO_DEBUG"}
    env |= {"KODOMO_WAREHOUSE": str(tmp_path / "wh"), "KODOMO_ALLOW_PLAINTEXT": "1", "KODOMO_SECRETS_FILE": os.devnull}
    missing = tmp_path / "nowhere.kdbak"
    proc = subprocess.run([sys.executable, "-m", "kodomo_dash.cli.commands", "restore", "--from", str(missing)],
                          capture_output=True, text=True, env=env, timeout=120)  # fmt: skip
    assert proc.returncode == 2 and "Traceback" not in proc.stdout + proc.stderr
    assert proc.stderr.splitlines() == [f"{missing} が見つかりません。（現在のケースワークはそのままです）",
                                        f"  {missing} was not found. (casework is as it was)"]  # fmt: skip


@pytest.mark.parametrize("kind", ["save_refused", "coded_value_error"])
def test_the_last_line_of_defence_prints_a_coded_refusal_in_both_languages(monkeypatch, capsys, kind):
    from kodomo_dash.cli import commands
    from kodomo_dash.config.messages import msg
    from kodomo_dash.security.passwords import PasswordRejected
    from kodomo_dash.services.errors import CaseworkError

    def refuse(args):
        if kind == "save_refused":
            raise CaseworkError(msg("tx.conflict"))
        raise PasswordRejected([msg("pw.username")])

    monkeypatch.delenv("KODOMO_DEBUG", raising=False)
    monkeypatch.setattr(commands, "_cmd_contracts_docs", refuse)
    assert commands.main(["contracts-docs", "--out", "unused"]) == 2
    err = capsys.readouterr().err
    first, second = err.splitlines()
    code = "tx.conflict" if kind == "save_refused" else "pw.username"
    assert first == f"エラー / error: {msg(code).text('ja')}"
    assert second == f"  {msg(code).text('en')}" and "Traceback" not in err
