"""One row per key (issue 17 point 5): a 宛名番号 delivered twice never yields two rows for one child.

The rule (decision 062): every line stays accounted for — the copies are staged and listed in
meta.quarantine as duplicate_key for the data owner — and core keeps the number's current row (not
moved out, then the latest move-in), as 名寄せ does.
"""

from __future__ import annotations

from tests.warehouse.test_ingest import GOOD, REGISTRY_HEADER, build, query, write_csv

MOVED_AWAY = ["0000000002", "1000000009", "3", "山田 花子", "ヤマダ ハナコ", "2021-06-01", "2", "JP", "",
              "北九州市小倉北区1-1", "4010100010001", "40101", "2021-06-01", "2024-03-31"]  # fmt: skip


def _keys(wh) -> dict[str, tuple[int, int]]:
    """(rows, distinct keys) of every core and features table keyed by a person, a household or a fact."""
    out = {}
    tables = query(wh, "select schema_name, table_name from duckdb_tables() where schema_name in ('core', 'features')")
    for schema, table in tables:
        cols = {r[0] for r in query(wh, "select column_name from duckdb_columns() where schema_name = ? and table_name = ?",
                                    [schema, table])}  # fmt: skip
        key = next((c for c in ("resident_id", "household_id") if c in cols), None)
        if "event_key" in cols:  # one row per fact (and per build that found it), not per person
            key = "concat_ws('|', build_id, event_key)" if "build_id" in cols else "event_key"
        if key is None or (table.startswith("household") and key == "household_id" and "resident_id" in cols):
            continue
        name = f'"{schema}"."{table}"'
        out[f"{schema}.{table}"] = query(wh, f"select count(*), count(distinct {key}) from {name}")[0]  # noqa: S608
    return out


def test_a_number_delivered_twice_is_one_child_everywhere(tmp_path):
    src, wh = tmp_path / "src", tmp_path / "wh"
    src.mkdir()
    wh.mkdir()
    write_csv(src / "resident_registry.csv", REGISTRY_HEADER, [GOOD[0], MOVED_AWAY, GOOD[1], GOOD[2]])
    report = build(src, wh)
    assert report.swapped
    counts = _keys(wh)
    assert counts and all(rows == distinct for rows, distinct in counts.values()), counts
    assert query(wh, "select address_code, moved_out_date from core.person where resident_id = '0000000002'") == [
        ("4013100010001", None)]  # the current row, not the one that moved away
    noted = query(wh, "select source_row, rule, raw_value, row_rejected from meta.quarantine where rule = 'duplicate_key'")
    assert [(rule, raw, rejected) for _, rule, raw, rejected in noted] == [("duplicate_key", "0000000002", False)]
    rows_in, staged = query(wh, "select rows_in, rows_staged from meta.load_manifest where source = 'resident_registry'")[0]
    assert rows_in == staged == 4  # nothing dropped on the way


def test_a_clean_city_has_one_row_per_key_in_every_table(built_warehouse):
    counts = _keys(built_warehouse)
    assert len(counts) >= 5
    assert all(rows == distinct for rows, distinct in counts.values()), counts
