"""A source delivered unchanged is carried over from the served build instead of being read again.

A monthly refresh brings the same file for most sources (tax once a year, school records once a term,
check-ups that did not change): parsing, checking and staging them again gives the same rows, because
staging depends only on the file's bytes, its contract and the code that applies the contract (the
as-of date plays no part in it). So when the file's sha256, the contract and the product version are
all those of the build being served, its raw and staged tables and its quarantine rows are copied
from that build (decision 069). Anything else — a changed byte, a changed contract, a new version, a
served build from before this table, one that cannot be opened — stages the file as usual.

``meta.staging_fingerprint`` records per source the contract-and-version fingerprint it was staged
under and whether it was carried over, so the next build can tell.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import duckdb

from kodomo_dash import __version__
from kodomo_dash.infra.db import attach_read_only
from kodomo_dash.warehouse.contracts import Contract
from kodomo_dash.warehouse.ingest.reader import file_sha256
from kodomo_dash.warehouse.ingest.report import SourceResult

ALIAS = "served"
CARRIED_NOTE = "前回のビルドと同じファイル：取込結果を引き継ぎ (unchanged since the served build: carried over)"
NOT_CARRIED = ("missing", "unreadable")  # nothing of these is worth copying; the normal path says why


@dataclass(frozen=True)
class Staged:
    """One source as the served build staged it (its meta.load_manifest row and fingerprint)."""

    source: str
    file_sha256: str
    fingerprint: str
    encoding: str
    rows_in: int
    rows_staged: int
    rows_quarantined: int
    values_nullified: int
    status: str
    message: str


def fingerprint(contract: Contract) -> str:
    """The contract as parsed, with the product version: what staging a file depends on besides it."""
    return hashlib.sha256(f"{__version__}\n{contract!r}".encode()).hexdigest()


def served_sources(con: duckdb.DuckDBPyConnection, target: Path) -> dict[str, Staged]:
    """Attach the served build read-only and read how it staged each source; {} when there is none
    to carry from (a first build, an older build without fingerprints, a file that will not open)."""
    if not target.exists():
        return {}
    try:
        attach_read_only(con, target, ALIAS, "analytics")
    except duckdb.Error:
        return {}
    try:
        rows = con.execute(
            f"select m.source, m.file_sha256, f.fingerprint, m.encoding, m.rows_in, m.rows_staged,"  # noqa: S608 - constant alias
            f" m.rows_quarantined, m.values_nullified, m.status, m.message"
            f" from {ALIAS}.meta.load_manifest as m join {ALIAS}.meta.staging_fingerprint as f using (source)"
        ).fetchall()
    except duckdb.Error:
        release(con)
        return {}
    return {r[0]: Staged(*r) for r in rows}


def unchanged(prior: Staged | None, contract: Contract, source_dir: Path) -> bool:
    """Whether this delivery of the source is byte for byte what the served build staged, under the
    same contract and version."""
    path = source_dir / contract.file_name
    if prior is None or prior.status in NOT_CARRIED or prior.fingerprint != fingerprint(contract):
        return False
    return path.is_file() and bool(prior.file_sha256) and file_sha256(path) == prior.file_sha256


def carry(con: duckdb.DuckDBPyConnection, contract: Contract, prior: Staged, result: SourceResult) -> None:
    """Copy the source's raw and staged tables and its quarantine rows from the served build."""
    name = contract.name  # a contract's name is an identifier (contracts refuse anything else)
    con.execute(f"create table raw.{name} as select * from {ALIAS}.raw.{name}")  # noqa: S608
    con.execute(f"create table stg.{name} as select * from {ALIAS}.stg.{name}")  # noqa: S608
    con.execute(f"insert into meta.quarantine select * from {ALIAS}.meta.quarantine where source = ?", [name])  # noqa: S608
    result.encoding, result.sha256 = prior.encoding, prior.file_sha256
    result.rows_in, result.rows_staged = prior.rows_in, prior.rows_staged
    result.rows_quarantined, result.values_nullified = prior.rows_quarantined, prior.values_nullified
    result.status = prior.status
    kept = [m for m in prior.message.split("; ") if m and m != CARRIED_NOTE]  # the note once, however often carried
    result.message = "; ".join([*kept, CARRIED_NOTE])


def release(con: duckdb.DuckDBPyConnection) -> None:
    """Detach the served build, if attached (before the new one is checked and swapped in)."""
    try:
        con.execute(f"detach {ALIAS}")
    except duckdb.Error:
        pass


def record(con: duckdb.DuckDBPyConnection, contracts: list[Contract], carried: set[str]) -> None:
    """meta.staging_fingerprint: per source, what it was staged under and whether it was carried over."""
    con.execute("create table meta.staging_fingerprint (source varchar, fingerprint varchar, carried_over boolean)")
    con.executemany("insert into meta.staging_fingerprint values (?, ?, ?)",
                    [[c.name, fingerprint(c), c.name in carried] for c in contracts])  # fmt: skip
