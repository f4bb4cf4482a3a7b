"""synth → build: every row the generator wrote is accounted for, and the dirt it injected is caught."""

from __future__ import annotations

import csv

import pandas as pd

from kodomo_dash.infra.db import open_read_only
from kodomo_dash.warehouse.contracts import all_contracts


def _data_rows(path) -> int:
    with path.open(encoding="utf-8", newline="") as fh:
        return sum(1 for _ in csv.reader(fh)) - 1


def test_every_row_of_every_extract_is_staged_or_quarantined(built_warehouse):
    extracts = built_warehouse.parent / "extracts"
    con = open_read_only(built_warehouse / "kodomo.duckdb")
    try:
        manifest = con.execute("select * from meta.load_manifest").df().set_index("source")
    finally:
        con.close()
    assert set(manifest.index) == set(all_contracts())
    for name, contract in all_contracts().items():
        row = manifest.loc[name]
        assert row.rows_in == _data_rows(extracts / contract.file_name), name
        assert row.rows_in == row.rows_staged + row.rows_quarantined, name
        assert row.status in ("ok", "partial"), (name, row.status, row.message)


def test_injected_dirt_is_what_the_build_quarantined(built_warehouse):
    truth = built_warehouse.parent / "extracts_truth"
    dirt = pd.read_csv(truth / "dirt.csv")
    dirt = dirt[dirt["kind"] != "blank_birth_date"]  # optional on the roster: linkage noise, not dirt
    con = open_read_only(built_warehouse / "kodomo.duckdb")
    try:
        found = con.execute(
            "select source, column_name, count(*) from meta.quarantine where rule <> 'duplicate_key' group by all"
        ).fetchall()
    finally:
        con.close()
    expected = dirt.groupby(["file", "column"])["rows"].sum().to_dict()
    assert {(s, c): n for s, c, n in found} == expected
