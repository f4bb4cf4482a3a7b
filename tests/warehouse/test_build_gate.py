"""A bad delivery never reaches users: a failed or implausible build leaves the served warehouse as it was."""

from __future__ import annotations

import hashlib

import duckdb
import pytest

from kodomo_dash.cli.commands import main as kodomo
from tests.warehouse.test_ingest import REGISTRY_HEADER, write_csv


def people(n: int) -> list[list[str]]:
    """n residents of 東区, half of them children, as the registry would deliver them."""
    return [[f"{i:010d}", f"{1000000000 + i // 2}", "3" if i % 2 else "1", f"山田 {i}", f"ヤマダ {i}",
             "2019-05-01" if i % 2 else "1985-05-01", "1", "JP", "", "福岡市東区箱崎1丁目1-1", "4013100010001",
             "40131", "", ""] for i in range(1, n + 1)]  # fmt: skip


def allowance(src, n: int) -> None:
    """児童扶養手当 for the first n children of the registry."""
    write_csv(src / "child_rearing_allowance.csv",
              ["recipient_resident_id", "child_resident_id", "payment_class", "start_date"],
              [[f"{i - 1:010d}", f"{i:010d}", "1", "2024-04-01"] for i in range(2, 2 * n + 2, 2)])  # fmt: skip


def sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def city(tmp_path, monkeypatch):
    src, wh = tmp_path / "src", tmp_path / "wh"
    src.mkdir()
    monkeypatch.setenv("KODOMO_WAREHOUSE", str(wh))
    monkeypatch.delenv("KODOMO_CITIES", raising=False)
    write_csv(src / "resident_registry.csv", REGISTRY_HEADER, people(40))
    allowance(src, 20)
    assert kodomo(["build", "--source", str(src), "--as-of", "2025-09-01"]) == 0
    return src, wh


def build(src, *extra: str) -> int:
    return kodomo(["build", "--source", str(src), "--as-of", "2025-09-01", *extra])


def test_an_empty_registry_is_refused_and_the_served_city_stays(city, capsys):
    src, wh = city
    before = sha(wh / "kodomo.duckdb")
    write_csv(src / "resident_registry.csv", REGISTRY_HEADER, [])  # the export job failed overnight
    capsys.readouterr()
    assert build(src) == 2
    out = capsys.readouterr().out
    assert "ビルド中止" in out and "ビルド完了" not in out
    assert "resident_registry" in out and "40行" in out and "0行" in out
    assert "--accept-drop resident_registry" in out
    assert sha(wh / "kodomo.duckdb") == before and not list(wh.glob(".build-*"))


def test_a_missing_registry_is_refused(city, capsys):
    src, wh = city
    before = sha(wh / "kodomo.duckdb")
    (src / "resident_registry.csv").unlink()
    assert build(src) == 2
    assert "ファイルなし" in capsys.readouterr().out
    assert sha(wh / "kodomo.duckdb") == before


def test_a_source_shrunk_past_the_threshold_is_refused_until_accepted_with_a_reason(city, capsys):
    src, wh = city
    before = sha(wh / "kodomo.duckdb")
    allowance(src, 10)  # 20 → 10 rows
    assert build(src) == 2
    out = capsys.readouterr().out
    assert "child_rearing_allowance" in out and "20行" in out and "10行" in out
    assert sha(wh / "kodomo.duckdb") == before
    assert build(src, "--accept-drop", "child_rearing_allowance") == 2  # a reason is owed
    assert "--reason" in capsys.readouterr().err
    assert build(src, "--accept-drop", "child_rearing_allowance", "--reason", "制度改正で対象が減ったため") == 0
    out = capsys.readouterr().out
    assert "ビルド完了" in out and "承認済みの減少" in out
    con = duckdb.connect(str(wh / "casework.duckdb"), read_only=True)
    try:
        rows = con.execute("select target, detail from audit_log where action = 'setting_change'").fetchall()
    finally:
        con.close()
    assert rows and rows[0][0] == "build_accept_drop:child_rearing_allowance" and "制度改正" in rows[0][1]
    assert sha(wh / "kodomo.duckdb") != before


def test_a_small_drop_passes_and_the_city_sets_its_own_threshold(city, tmp_path, monkeypatch, capsys):
    src, wh = city
    write_csv(src / "resident_registry.csv", REGISTRY_HEADER, people(36))  # 10% fewer: within 20%
    assert build(src) == 0
    write_csv(src / "resident_registry.csv", REGISTRY_HEADER, people(34))
    capsys.readouterr()
    own = tmp_path / "city"
    own.mkdir()
    (own / "build_gate.yaml").write_text("max_source_drop: 0.01\nmax_child_drop: 0.01\n", encoding="utf-8")
    monkeypatch.setenv("KODOMO_CITIES", str(own))
    assert build(src) == 2  # 36 → 34 is past this city's 1%
    assert "resident_registry" in capsys.readouterr().out


def test_a_first_build_of_no_children_is_refused(tmp_path, monkeypatch, capsys):
    src, wh = tmp_path / "src", tmp_path / "wh"
    src.mkdir()
    monkeypatch.setenv("KODOMO_WAREHOUSE", str(wh))
    write_csv(src / "resident_registry.csv", REGISTRY_HEADER, [])
    assert build(src) == 2
    assert not (wh / "kodomo.duckdb").exists()


def test_the_data_quality_page_shows_a_refused_build_while_the_city_in_use_stays(city, capsys):
    """A manager sees the drop that stopped a build before a ward notices anything (issue 17)."""
    from tests.signin import app_as

    src, wh = city
    con = duckdb.connect(str(wh / "kodomo.duckdb"), read_only=True)
    try:
        children = con.execute("select count(*) from core.child where age_years between 0 and 15").fetchone()[0]
    finally:
        con.close()
    write_csv(src / "resident_registry.csv", REGISTRY_HEADER, [])
    assert build(src) == 2
    at = app_as("manager", page="data_quality").run()
    assert not at.exception, [e.value for e in at.exception]
    errors = [e.value for e in at.error]
    assert any("止めました" in e and "resident_registry" in e for e in errors), errors
    table = next(d.value for d in at.dataframe if "note" in d.value.columns)
    refused = table[table["outcome"] == "中止（前回のまま）"]
    assert refused.set_index("source").at["resident_registry", "rows_staged"] == 0
    assert (table["outcome"] == "反映済み").any()
    home = app_as("manager", page="home").run()
    assert not home.exception
    shown = {m.label: m.value for m in home.metric}
    assert children > 0 and shown["こどもの数（0〜15歳）"] == f"{children:,}", shown  # the previous city, still served


def test_headers_in_the_contract_s_japanese_labels_load_in_any_order_with_a_bom(tmp_path, monkeypatch):
    """A registry headed 宛名番号, 世帯番号, … (docs/contracts' 項目名), reordered, with a BOM, loads whole."""
    from kodomo_dash.warehouse.contracts import get

    src, wh = tmp_path / "src", tmp_path / "wh"
    src.mkdir()
    monkeypatch.setenv("KODOMO_WAREHOUSE", str(wh))
    contract = get("resident_registry")
    labels = [c.label_ja for c in contract.columns]
    rows = people(12)
    order = list(reversed(range(len(labels))))
    with (src / "resident_registry.csv").open("w", encoding="utf-8-sig", newline="") as fh:
        import csv

        w = csv.writer(fh)
        w.writerow([labels[i] for i in order])
        w.writerows([[r[i] for i in order] for r in rows])
    assert build(src) == 0
    con = duckdb.connect(str(wh / "kodomo.duckdb"), read_only=True)
    try:
        staged, quarantined = con.execute(
            "select rows_staged, rows_quarantined from meta.load_manifest where source = 'resident_registry'"
        ).fetchone()
        assert con.execute("select count(*) from core.child").fetchone()[0] > 0
    finally:
        con.close()
    assert (staged, quarantined) == (12, 0)


def test_a_duplicated_column_is_named_with_its_file_and_never_a_traceback(tmp_path, monkeypatch, capsys):
    src, wh = tmp_path / "src", tmp_path / "wh"
    src.mkdir()
    monkeypatch.setenv("KODOMO_WAREHOUSE", str(wh))
    header = list(REGISTRY_HEADER) + ["宛名番号"]  # resident_id twice, once by its label
    write_csv(src / "resident_registry.csv", header, [r + [r[0]] for r in people(5)])
    assert build(src) == 2
    captured = capsys.readouterr()
    assert "resident_registry.csv" in captured.out and "resident_id" in captured.out and "重複" in captured.out
    assert "Traceback" not in captured.out + captured.err


def test_dates_as_japanese_systems_export_them_are_read_and_kept_as_delivered(tmp_path, monkeypatch):
    """和暦 (令和7年4月1日, R07.04.01, H27.4.1, 令和元年), 2025/4/1 and 20250401: staged as dates, raw as delivered."""
    src, wh = tmp_path / "src", tmp_path / "wh"
    src.mkdir()
    monkeypatch.setenv("KODOMO_WAREHOUSE", str(wh))
    delivered = {"0000000001": "昭和60年5月1日", "0000000002": "令和元年6月3日", "0000000003": "R03.04.01",
                 "0000000004": "H27.4.1", "0000000005": "2019/5/1", "0000000006": "20200229",
                 "0000000007": "令和7年2月30日"}  # fmt: skip
    rows = people(7)
    for row in rows:
        row[5] = delivered[row[0]]
    write_csv(src / "resident_registry.csv", REGISTRY_HEADER, rows)
    assert build(src) == 0
    con = duckdb.connect(str(wh / "kodomo.duckdb"), read_only=True)
    try:
        staged = dict(con.execute("select resident_id, birth_date::varchar from stg.resident_registry").fetchall())
        raw = dict(con.execute("select resident_id, birth_date from raw.resident_registry").fetchall())
        bad = con.execute("select raw_value, rule from meta.quarantine where column_name = 'birth_date'").fetchall()
    finally:
        con.close()
    assert staged == {"0000000001": "1985-05-01", "0000000002": "2019-06-03", "0000000003": "2021-04-01",
                      "0000000004": "2015-04-01", "0000000005": "2019-05-01", "0000000006": "2020-02-29",
                      "0000000007": None}  # fmt: skip
    assert raw == delivered and bad == [("令和7年2月30日", "invalid_date")]


def test_a_utf8_line_inside_a_shift_jis_file_is_quarantined_on_its_own_line(tmp_path, monkeypatch):
    """Bytes that decode as Shift_JIS but are UTF-8 text would be stored as mojibake: caught per line."""
    import csv
    import io

    src, wh = tmp_path / "src", tmp_path / "wh"
    src.mkdir()
    monkeypatch.setenv("KODOMO_WAREHOUSE", str(wh))
    rows = people(6)

    def line(cells: list[str]) -> str:
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\r\n").writerow(cells)
        return buf.getvalue()

    data = line(REGISTRY_HEADER).encode("cp932")
    for i, row in enumerate(rows):
        data += line(row).encode("utf-8" if i == 3 else "cp932")  # line 5 pasted from a UTF-8 system
    (src / "resident_registry.csv").write_bytes(data)
    assert build(src) == 0
    con = duckdb.connect(str(wh / "kodomo.duckdb"), read_only=True)
    try:
        manifest = con.execute("select encoding, rows_in, rows_staged, rows_quarantined from meta.load_manifest"
                               " where source = 'resident_registry'").fetchone()  # fmt: skip
        bad = con.execute("select source_row, rule, raw_value from meta.quarantine where source = 'resident_registry'"
                          " and row_rejected").fetchall()  # fmt: skip
        names = [r[0] for r in con.execute("select name_kanji from stg.resident_registry order by 1").fetchall()]
    finally:
        con.close()
    assert manifest == ("cp932", 6, 5, 1)
    assert [(r, rule) for r, rule, _ in bad] == [(5, "mixed_encoding")]
    assert bad[0][2].startswith(rows[3][0]) and "\\xe5" in bad[0][2]  # the bytes as delivered, escaped
    assert "山田 4" not in names and all(n.startswith("山田") for n in names)  # no mojibake staged


def test_a_line_no_encoding_reads_is_quarantined_alone_and_the_rest_loads(tmp_path, monkeypatch):
    src, wh = tmp_path / "src", tmp_path / "wh"
    src.mkdir()
    monkeypatch.setenv("KODOMO_WAREHOUSE", str(wh))
    body = [",".join(r) + "\r\n" for r in people(5)]
    data = (",".join(REGISTRY_HEADER) + "\r\n").encode("utf-8") + "".join(body[:2]).encode("utf-8")
    data += b"0000000099,\x81\x7f\x81\x7fbroken\r\n" + "".join(body[2:]).encode("utf-8")
    (src / "resident_registry.csv").write_bytes(data)
    assert build(src) == 0
    con = duckdb.connect(str(wh / "kodomo.duckdb"), read_only=True)
    try:
        counts = con.execute("select rows_in, rows_staged, rows_quarantined from meta.load_manifest"
                             " where source = 'resident_registry'").fetchone()  # fmt: skip
        bad = con.execute("select source_row, rule, raw_value from meta.quarantine where row_rejected").fetchall()
    finally:
        con.close()
    assert counts == (6, 5, 1)
    assert bad == [(4, "undecodable_line", "0000000099,\\x81\\x7f\\x81\\x7fbroken")]
