"""A source delivered unchanged is carried over from the served build (decision 069): its raw and staged
tables and its quarantine rows are exactly those a fresh read of the file gives; a changed file, a
changed contract or a new product version is read again."""

from __future__ import annotations

import pytest

from kodomo_dash.warehouse.ingest import carry_over
from kodomo_dash.warehouse.ingest.build import build_warehouse
from tests.warehouse.test_ingest import GOOD, REGISTRY_HEADER, query, write_csv
from tests.warehouse.test_refresh import CHECKUP, CONSULTATION, checkup, child, consultation

KIDS = [child(i) for i in range(30)]
# a check-up with a value that breaks a rule, so the quarantine has rows to carry
BAD = [*checkup("0000000105", "4m", "2025-07-11")]
BAD[CHECKUP.index("checkup_date")] = "2025-13-45"


def _deliver(folder, checkups, consultations, registry=None):
    folder.mkdir()
    write_csv(folder / "resident_registry.csv", REGISTRY_HEADER, registry or [GOOD[0], *KIDS])
    write_csv(folder / "infant_checkup.csv", CHECKUP, checkups)
    write_csv(folder / "child_consultation.csv", CONSULTATION, consultations)
    return folder


def _build(folder, as_of, wh):
    report = build_warehouse(folder, as_of=as_of, target=wh / "kodomo.duckdb", log=lambda _m: None)
    assert report.swapped, report.summary()
    return report


def _staged(wh, source: str) -> tuple:
    return (sorted(query(wh, f"select * from raw.{source}"), key=repr),
            sorted(query(wh, f"select * from stg.{source}"), key=repr),
            sorted(query(wh, "select * from meta.quarantine where source = ?", [source]), key=repr))  # fmt: skip


@pytest.fixture
def two_months(tmp_path):
    wh = tmp_path / "wh"
    wh.mkdir()
    checkups = [checkup("0000000101", "4m", "2025-07-10"), BAD]
    m1 = _deliver(tmp_path / "m1", checkups, [])
    _build(m1, "2025-08-01", wh)
    # next month: the consultations changed, the check-ups and the registry were delivered as they were
    m2 = _deliver(tmp_path / "m2", checkups, [consultation("C1", "0000000104", "2025-08-28", "true")])
    return tmp_path, wh, m2


def test_an_unchanged_file_is_carried_over_exactly_and_a_changed_one_read(two_months):
    tmp_path, wh, m2 = two_months
    report = _build(m2, "2025-09-01", wh)
    carried = dict(query(wh, "select source, carried_over from meta.staging_fingerprint"))
    assert carried["infant_checkup"] and carried["resident_registry"] and not carried["child_consultation"]
    by_source = {s.source: s for s in report.sources}
    assert "引き継ぎ" in by_source["infant_checkup"].message and "引き継ぎ" not in by_source["child_consultation"].message
    assert by_source["infant_checkup"].values_nullified >= 1  # the bad date, as the first month counted it

    fresh = tmp_path / "fresh"  # the same files built from nothing: what reading them gives
    fresh.mkdir()
    build_warehouse(m2, as_of="2025-09-01", target=fresh / "kodomo.duckdb", log=lambda _m: None,
                    compare_with_served=False)  # fmt: skip
    for source in ("infant_checkup", "resident_registry", "child_consultation"):
        assert _staged(wh, source) == _staged(fresh, source), source
    assert query(wh, "select count(*) from core.child_change where kind = 'consultation'") == [(1,)]


def test_a_new_contract_or_version_reads_every_file_again(two_months, monkeypatch):
    _tmp, wh, m2 = two_months
    real = carry_over.fingerprint
    monkeypatch.setattr(carry_over, "fingerprint", lambda c: real(c) + "-next-version")
    _build(m2, "2025-09-01", wh)
    assert query(wh, "select count(*) from meta.staging_fingerprint where carried_over") == [(0,)]


def test_one_changed_byte_reads_the_file_again(two_months):
    _tmp, wh, m2 = two_months
    path = m2 / "infant_checkup.csv"
    path.write_bytes(path.read_bytes() + b"\n")  # a trailing newline: same rows, other bytes
    _build(m2, "2025-09-01", wh)
    carried = dict(query(wh, "select source, carried_over from meta.staging_fingerprint"))
    assert not carried["infant_checkup"] and carried["resident_registry"]
