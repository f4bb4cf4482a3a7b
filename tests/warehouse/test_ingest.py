"""The loader on hand-made extracts: every kind of bad input, both encodings, the swap."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest

from kodomo_dash.cli.commands import main as kodomo
from kodomo_dash.infra import db
from kodomo_dash.warehouse.contracts import get
from kodomo_dash.warehouse.ingest.build import build_warehouse

REGISTRY_HEADER = get("resident_registry").column_names

GOOD = [
    ["0000000001", "1000000001", "1", "山田 太郎", "ヤマダ タロウ", "1985-05-01", "1", "JP", "", "福岡市東区箱崎1丁目1-1",
     "4013100010001", "40131", "", ""],
    ["0000000002", "1000000001", "3", "山田 花子", "ヤマダ ハナコ", "2021-06-01", "2", "JP", "", "福岡市東区箱崎1丁目1-1",
     "4013100010001", "40131", "", ""],
    ["0000000003", "1000000002", "3", "髙橋 翔", "タカハシ ショウ", "2016-08-20", "1", "JP", "", "福岡市博多区1-2",
     "4013200020003", "40132", "", ""],
]


def write_csv(path: Path, header: list[str], rows: list[list[str]], encoding: str = "utf-8") -> None:
    with path.open("w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)


def build(src: Path, wh: Path):
    """Build as a city would; a test about another source gets the three-person registry beside it
    (a build without a resident registry is refused before the swap, tests/warehouse/test_build_gate.py)."""
    if src.is_dir() and not (src / "resident_registry.csv").exists():
        write_csv(src / "resident_registry.csv", REGISTRY_HEADER, GOOD)
    return build_warehouse(src, as_of="2025-09-01", target=wh / "kodomo.duckdb", log=lambda _m: None)


def query(wh: Path, sql: str, params=None):
    con = duckdb.connect(str(wh / "kodomo.duckdb"), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def manifest(wh: Path, source: str) -> dict:
    con = duckdb.connect(str(wh / "kodomo.duckdb"), read_only=True)
    try:
        df = con.execute("select * from meta.load_manifest where source = ?", [source]).df()
    finally:
        con.close()
    return df.iloc[0].to_dict()


def test_clean_extract_is_staged_whole(tmp_path):
    src, wh = tmp_path / "src", tmp_path / "wh"
    src.mkdir()
    write_csv(src / "resident_registry.csv", REGISTRY_HEADER, GOOD)
    report = build(src, wh)
    assert report.ok
    m = manifest(wh, "resident_registry")
    assert (m["rows_in"], m["rows_staged"], m["rows_quarantined"], m["status"]) == (3, 3, 0, "ok")
    assert query(wh, "select count(*) from core.child")[0][0] == 2


def test_shift_jis_extract_reads_like_utf8(tmp_path):
    src, wh = tmp_path / "src", tmp_path / "wh"
    src.mkdir()
    write_csv(src / "resident_registry.csv", REGISTRY_HEADER, GOOD, encoding="cp932")
    build(src, wh)
    m = manifest(wh, "resident_registry")
    assert m["encoding"] == "cp932" and m["rows_staged"] == 3
    names = {r[0] for r in query(wh, "select name_kanji from stg.resident_registry")}
    assert "髙橋 翔" in names  # a 外字-like variant survives the transcoding


def test_bad_values_and_lines_are_quarantined_never_dropped(tmp_path):
    src, wh = tmp_path / "src", tmp_path / "wh"
    src.mkdir()
    rows = [list(r) for r in GOOD]
    rows[1][5] = "2019-02-30"  # impossible date: value nulled, row kept
    rows[2][6] = "3"  # unknown sex code
    bad_key = list(GOOD[0])
    bad_key[0] = "12345"  # key breaks its pattern: row rejected
    with (src / "resident_registry.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(REGISTRY_HEADER)
        w.writerows(rows)
        w.writerow(bad_key)
        fh.write("0000000009,1000000009,3,途中で切れた行\n")  # truncated line
    build(src, wh)
    m = manifest(wh, "resident_registry")
    assert m["rows_in"] == 5
    assert m["rows_in"] == m["rows_staged"] + m["rows_quarantined"]
    assert (m["rows_staged"], m["rows_quarantined"], m["values_nullified"]) == (3, 2, 2)
    rules = dict(query(wh, "select rule, count(*) from meta.quarantine group by rule"))
    assert rules == {"invalid_date": 1, "unknown_code": 1, "pattern_mismatch": 1, "malformed_line": 1}
    raw = query(wh, "select raw_value from meta.quarantine where rule = 'invalid_date'")[0][0]
    assert raw == "2019-02-30"  # shown as it came
    assert query(wh, "select source_row from meta.quarantine where rule = 'malformed_line'")[0][0] == 6


def test_a_line_with_extra_empty_fields_is_quarantined_on_its_own(tmp_path):
    """DuckDB drops trailing empty fields silently; a shifted record must reach the data owner."""
    src, wh = tmp_path / "src", tmp_path / "wh"
    src.mkdir()
    with (src / "resident_registry.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\r\n")
        w.writerow(REGISTRY_HEADER)
        w.writerow(GOOD[0])
        fh.write(",".join(GOOD[1]) + ",,\r\n")  # two extra empty fields
        quoted = list(GOOD[2])
        quoted[9] = "福岡市東区箱崎1-2,3号"  # a comma inside quotes is not a field
        w.writerow(quoted)
    report = build(src, wh)
    assert report.ok
    m = manifest(wh, "resident_registry")
    assert (m["rows_in"], m["rows_staged"], m["rows_quarantined"]) == (3, 2, 1)
    assert m["rows_in"] == m["rows_staged"] + m["rows_quarantined"]
    rows = query(wh, "select source_row, rule, row_rejected, raw_value from meta.quarantine")
    assert rows == [(3, "malformed_line", True, ",".join(GOOD[1]) + ",,")]
    staged = {r[0] for r in query(wh, "select resident_id from stg.resident_registry")}
    assert staged == {GOOD[0][0], GOOD[2][0]}


def test_wrong_type_in_numeric_column(tmp_path):
    src, wh = tmp_path / "src", tmp_path / "wh"
    src.mkdir()
    header = get("school_health_check").column_names
    write_csv(src / "school_health_check.csv", header, [["12345678", "2025-05-01", "一三〇", "30.5", "0"],
                                                        ["12345679", "2025-05-01", "1650", "31.0", "1"]])
    build(src, wh)
    rules = sorted(r[0] for r in query(wh, "select rule from meta.quarantine where source = 'school_health_check'"))
    assert rules == ["invalid_type", "out_of_range"]
    assert query(wh, "select count(*) from stg.school_health_check where height_cm is null")[0][0] == 2


def test_header_missing_required_columns_keeps_every_line(tmp_path):
    src, wh = tmp_path / "src", tmp_path / "wh"
    src.mkdir()
    write_csv(src / "resident_registry.csv", ["id", "name"], [["1", "a"], ["2", "b"]])
    report = build(src, wh)
    # every line kept in quarantine, but a registry with no row staged is never swapped in (issue 17)
    reg = next(r for r in report.sources if r.source == "resident_registry")
    assert (reg.status, reg.rows_in, reg.rows_staged, reg.rows_quarantined) == ("header_mismatch", 2, 0, 2)
    assert "resident_id" in reg.message
    assert not report.swapped and [r.name for r in report.refusals] == ["resident_registry"]  # stopped early
    assert not (wh / "kodomo.duckdb").exists() and not list(wh.glob(".build-*"))


def test_reordered_and_extra_columns_are_mapped_by_name(tmp_path):
    src, wh = tmp_path / "src", tmp_path / "wh"
    src.mkdir()
    header = list(reversed(REGISTRY_HEADER)) + ["memo"]
    write_csv(src / "resident_registry.csv", header, [list(reversed(r)) + ["x"] for r in GOOD])
    build(src, wh)
    m = manifest(wh, "resident_registry")
    assert m["rows_staged"] == 3 and "memo" in m["message"]


def test_unreadable_file_fails_the_command_naming_the_file(tmp_path, monkeypatch, capsys):
    src, wh = tmp_path / "src", tmp_path / "wh"
    src.mkdir()
    write_csv(src / "resident_registry.csv", REGISTRY_HEADER, GOOD)
    monkeypatch.setenv("KODOMO_WAREHOUSE", str(wh))
    assert kodomo(["build", "--source", str(src), "--as-of", "2025-09-01"]) == 0
    served = (wh / "kodomo.duckdb").read_bytes()
    capsys.readouterr()
    (src / "infant_checkup.csv").write_bytes(b"\x81\xff\xfe\x00" * 50)  # neither UTF-8 nor CP932
    rc = kodomo(["build", "--source", str(src), "--as-of", "2025-09-01"])
    out = capsys.readouterr().out
    assert rc != 0
    assert "infant_checkup.csv" in out and "ビルド中止" in out and "ビルド完了" not in out
    assert (wh / "kodomo.duckdb").read_bytes() == served  # a failed build never swaps
    assert not list(wh.glob(".build-*"))


def test_rebuild_swaps_file_and_reader_sees_new_build(tmp_path, monkeypatch):
    src, wh = tmp_path / "src", tmp_path / "wh"
    src.mkdir()
    monkeypatch.setenv("KODOMO_WAREHOUSE", str(wh))
    write_csv(src / "resident_registry.csv", REGISTRY_HEADER, GOOD[:2])
    build(src, wh)
    cur = db.analytics_cursor()
    first = cur.execute("select build_id from meta.build_info").fetchone()[0]
    assert cur.execute("select count(*) from core.child").fetchone()[0] == 1
    write_csv(src / "resident_registry.csv", REGISTRY_HEADER, GOOD)
    build(src, wh)
    cur2 = db.analytics_cursor()
    assert cur2.execute("select build_id from meta.build_info").fetchone()[0] != first
    assert cur2.execute("select count(*) from core.child").fetchone()[0] == 2
    assert not list(wh.glob(".build-*"))


def test_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="抽出フォルダ"):
        build(tmp_path / "nope", tmp_path / "wh")
