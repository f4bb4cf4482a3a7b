"""`kodomo extract`: a pseudonymised extract taken from the real build, checked, listed and deleted."""

from __future__ import annotations

import csv
import shutil
from datetime import date, timedelta

import duckdb
import pytest

from kodomo_dash.cli.commands import main
from kodomo_dash.security.pseudonymise import K_MIN, k_anonymity
from tests.signin import users_file


@pytest.fixture
def warehouse(built_warehouse, tmp_path, monkeypatch):
    """A private copy of the fixture build (the extract writes casework beside it)."""
    shutil.copy(built_warehouse / "kodomo.duckdb", tmp_path / "kodomo.duckdb")
    monkeypatch.setenv("KODOMO_WAREHOUSE", str(tmp_path))
    monkeypatch.setenv("KODOMO_USERS", str(users_file()))
    return tmp_path


def _names(warehouse) -> list[str]:
    con = duckdb.connect(str(warehouse / "kodomo.duckdb"), read_only=True)
    try:
        rows = con.execute("select name_kanji, name_kana, resident_id from core.child limit 300").fetchall()
    finally:
        con.close()
    return [v for r in rows for v in r if v]


def _create(*extra: str) -> list[str]:
    due = (date.today() + timedelta(days=90)).isoformat()
    return ["extract", "create", "--project", "eval-2025", "--purpose", "スクリーニングの公平性の評価",
            "--delete-by", due, *extra]  # fmt: skip


def test_evaluator_takes_a_k_anonymous_extract_without_identifiers(warehouse, capsys):
    assert main([*_create("--as", "evaluator")]) == 0
    out = capsys.readouterr().out
    files = list((warehouse / "extracts" / "eval-2025").glob("*.csv"))
    assert len(files) == 1 and (warehouse / "extracts" / "eval-2025" / "pseudonym.key").exists()
    text = files[0].read_text(encoding="utf-8-sig")  # BOM: Excel opens it as UTF-8
    rows = list(csv.DictReader(text.splitlines()))
    assert len(rows) > 1000
    assert set(rows[0]) >= {"pseudonym", "birth_ym", "ward_code", "sex", "past_support_case"}
    assert not {"resident_id", "birth_date", "name_kanji", "address_text"} & set(rows[0])
    assert k_anonymity(rows, ["birth_ym", "sex", "ward_code"]) >= K_MIN
    leaks = [n for n in _names(warehouse) if n in text or n in out]
    assert leaks == []
    con = duckdb.connect(str(warehouse / "casework.duckdb"), read_only=True)
    try:
        taken = con.execute("select taken_by, row_count from pseudo_extract").fetchall()
        audited = con.execute(
            "select count(*) from audit_log where action = 'export' and page = 'pseudonymised_extract'"
        ).fetchone()[0]
    finally:
        con.close()
    assert taken == [("evaluator", len(rows))] and audited == 1


def test_list_then_delete_ends_the_project(warehouse, capsys):
    assert main([*_create("--as", "manager")]) == 0
    capsys.readouterr()
    assert main(["extract", "list"]) == 0
    line = capsys.readouterr().out.strip().splitlines()[-1]
    extract_id = line.split("\t")[0]
    assert "manager" in line and "削除期限" in line
    assert main(["extract", "delete", "--as", "manager", extract_id]) == 0
    folder = warehouse / "extracts" / "eval-2025"
    assert not list(folder.glob("*.csv")) and not (folder / "pseudonym.key").exists()
    main(["extract", "list"])
    assert "削除済み" in capsys.readouterr().out


@pytest.mark.parametrize("role", ["ward_staff", "school", "ssw", "yotaikyo"])
def test_roles_without_the_right_are_refused(warehouse, capsys, role):
    assert main([*_create("--as", role)]) == 2
    assert "権限がありません" in capsys.readouterr().err
    assert not list(warehouse.glob("extracts/*/*.csv"))


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--columns", "name_kanji,sex,ward_code"], "抽出できません"),
        (["--columns", "tax_exempt,sex,ward_code"], "抽出できません"),
        (["--columns", "sex,ward_code,no_such_column"], "列がありません"),
    ],
)
def test_identifying_tax_or_unknown_columns_are_refused(warehouse, capsys, extra, message):
    assert main([*_create("--as", "evaluator", *extra)]) == 2
    assert message in capsys.readouterr().err


def test_bad_dates_and_unknown_users_get_a_message(warehouse, capsys):
    args = _create("--as", "evaluator")
    args[args.index("--delete-by") + 1] = "next year"
    assert main(args) == 2
    assert "YYYY-MM-DD" in capsys.readouterr().err
    past = _create("--as", "evaluator")
    past[past.index("--delete-by") + 1] = "2020-01-01"
    assert main(past) == 2
    assert "抽出できません" in capsys.readouterr().err
    assert main([*_create("--as", "nobody")]) == 2
    assert "存在しない" in capsys.readouterr().err
