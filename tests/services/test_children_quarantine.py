"""The child card's quarantined values: every value of the child's own rows that broke a rule, as it came,
found through the build's index of whose row each quarantined row is (decision 069), and only the
sources and columns the role may see."""

from __future__ import annotations

import shutil

import duckdb
import pytest

from kodomo_dash.security import matrix
from kodomo_dash.security.principal import Principal
from kodomo_dash.services import children
from kodomo_dash.warehouse.contracts import all_contracts
from tests.casework_people import empty_casework

MANAGER = Principal("mgr", "manager")


def _expected(con: duckdb.DuckDBPyConnection, rid: str) -> set[tuple]:
    """Straight from raw: each source's quarantined rows whose person column is the child."""
    out: set[tuple] = set()
    for name, contract in all_contracts().items():
        person = next((c for c in ("resident_id", "child_resident_id") if c in contract.column_names), None)
        exists = con.execute("select count(*) from duckdb_tables() where schema_name = 'raw' and table_name = ?",
                             [name]).fetchone()[0]  # fmt: skip
        if person is None or not exists:
            continue
        out |= set(con.execute(
            f"select q.source, q.source_row, q.column_name, q.rule, q.raw_value from meta.quarantine q"  # noqa: S608
            f" join raw.{name} r using (source_row) where q.source = ? and r.{person} = ?", [name, rid]).fetchall())
    return out


@pytest.fixture
def city(built_warehouse, tmp_path, monkeypatch):
    shutil.copy(built_warehouse / "kodomo.duckdb", tmp_path / "kodomo.duckdb")
    empty_casework(tmp_path, monkeypatch)
    con = duckdb.connect(str(tmp_path / "kodomo.duckdb"), read_only=True)
    try:
        # children of 東区 with quarantined values in more than one source, most first
        rids = [r[0] for r in con.execute(
            "select p.resident_id from meta.quarantine_person p join core.child c using (resident_id)"
            " where c.ward_code = '40131' group by 1 order by count(distinct p.source) desc, count(*) desc, 1 limit 3"
        ).fetchall()]
        expected = {rid: _expected(con, rid) for rid in rids}
    finally:
        con.close()
    return rids, expected


def test_the_card_shows_exactly_the_childs_quarantined_values(city):
    rids, expected = city
    assert rids and all(expected[r] for r in rids)
    for rid in rids:
        card = children.child_card(MANAGER, rid)
        frame = card.quarantine[["source", "source_row", "column_name", "rule", "raw_value"]]
        shown = {tuple(None if v is None or v != v else v for v in r) for r in frame.itertuples(index=False)}
        allowed = matrix.allowed_column_groups(MANAGER)
        assert shown == {e for e in expected[rid]
                         if matrix.column_group("x", e[0]) in allowed and matrix.column_group(e[2], e[0]) in allowed}


def test_a_role_without_a_sources_group_sees_none_of_its_values(city):
    rids, expected = city
    nurse = Principal("nurse_higashi", "ward_staff", ward_codes=("40131",))
    allowed = matrix.allowed_column_groups(nurse)
    for rid in rids:
        card = children.child_card(nurse, rid)
        for source, column in zip(card.quarantine["source"], card.quarantine["column_name"], strict=True):
            assert matrix.column_group("x", source) in allowed and matrix.column_group(column, source) in allowed
