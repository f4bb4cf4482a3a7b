"""`kodomo list accept`: a manager accepts a draft run into the year's workflow from the shell."""

from __future__ import annotations

import pytest

from kodomo_dash.cli.commands import main
from tests.casework_people import draft, empty_casework, rows
from tests.signin import users_file


@pytest.fixture
def casework_dir(tmp_path, monkeypatch):
    empty_casework(tmp_path, monkeypatch)
    monkeypatch.setenv("KODOMO_USERS", str(users_file()))
    return tmp_path, [draft(tmp_path), draft(tmp_path)]


def test_a_manager_accepts_a_run_from_the_shell_and_a_second_is_refused(casework_dir, capsys):
    folder, (first, second) = casework_dir
    assert main(["list", "accept", "--as", "manager", "--run", first, "--fy", "2025", "--on", "2025-08-20"]) == 0
    out = capsys.readouterr().out
    assert "確定しました" in out and "fukuoka-unenrolled" in out and "40人" in out
    assert rows(folder, "select fy, programme, list_size, accepted_by, accepted_on::varchar from wf_list") == [
        (2025, "fukuoka-unenrolled", 40, "manager", "2025-08-20")]
    assert rows(folder, "select username, role, target like 'wf_list:%' from audit_log") == [
        ("manager", "manager", True)]
    # the same programme and year again: refused in Japanese, exit 2, nothing written
    assert main(["list", "accept", "--as", "manager", "--run", second, "--fy", "2025"]) == 2
    assert "2025年度のこのプログラム" in capsys.readouterr().err
    assert rows(folder, "select count(*) from wf_list") == [(1,)]
    assert rows(folder, f"select status from screening_run where run_id = '{second}'") == [("draft",)]
    assert main(["list", "show"]) == 0
    assert "fukuoka-unenrolled" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--as", "ward_staff"], "権限がありません"),
        (["--as", "nobody"], "存在しないか無効"),
        (["--as", "manager", "--on", "2025-13-01"], "日付"),
        (["--as", "manager", "--fy", "25"], "年度ではありません"),
        (["--as", "manager", "--programme", "izumi-abuse-school"], "方法"),
        (["--as", "manager", "--run", "run-nope"], "見つかりません"),
    ],
)
def test_bad_commands_say_why_in_japanese_and_write_nothing(casework_dir, capsys, argv, words):
    folder, (first, _second) = casework_dir
    args = {"--run": first, "--fy": "2025"}
    flat = list(argv)
    for flag, value in args.items():
        if flag not in flat:
            flat += [flag, value]
    assert main(["list", "accept", *flat]) == 2
    assert words in capsys.readouterr().err
    assert rows(folder, "select count(*) from wf_list") == [(0,)]
    assert rows(folder, "select count(*) from screening_run where status = 'draft'") == [(2,)]
