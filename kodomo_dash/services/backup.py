"""Backup and restore of casework: everything people typed and the audit trail, as one file (decision 061).

The analytical warehouse is rebuilt from the city's extracts and needs no backup; casework is the
only copy of forms, decisions, link decisions, sessions and the hash-chained audit trail. A backup
is the casework file itself, taken while this process holds DuckDB's single-writer lock (so no
other process writes during the copy) right after a checkpoint, written under a temporary name and
renamed only once the copy opens and its audit chain verifies. It stays encrypted under the same
key: a backup is as safe as the database, and it is useless without the key, which lives elsewhere
(docs/deploy.md).

A restore refuses a file that does not open with the key or whose audit chain does not verify,
keeps the file it replaces beside it, and records the restore in the restored audit trail.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from kodomo_dash.config.messages import CodedError, msg
from kodomo_dash.infra.db import casework_connection, casework_path, connect_file, release_casework
from kodomo_dash.infra.migrate import migrate
from kodomo_dash.security import audit
from kodomo_dash.services.errors import Unavailable


class BackupRefused(CodedError, ValueError):
    """A backup or restore that must not happen; names the file (``.message`` a Message, str() Japanese)."""


@dataclass(frozen=True)
class BackupCheck:
    path: Path
    size_bytes: int
    audit_rows: int
    audit_head: str  # "seq:hash" of the newest audit row, to keep beside the file


def check_copy(path: Path) -> BackupCheck:
    """Open a casework copy and verify its audit chain; BackupRefused (Japanese) when either fails."""
    try:
        con = connect_file(path, "casework", read_only=True)
    except (duckdb.Error, OSError) as e:
        raise BackupRefused(msg("bk.unopenable", path=path, error=type(e).__name__)) from None
    try:
        expected = _expected_size(con)
        if path.stat().st_size < expected:  # the tables may still read; the file's own blocks do not
            raise BackupRefused(msg("bk.truncated", path=path, size=path.stat().st_size, expected=expected))
        result = audit.verify(con)
        rows = con.execute("select count(*) from audit_log").fetchone()[0]
    except duckdb.Error as e:
        raise BackupRefused(msg("bk.no_audit_log", path=path, error=type(e).__name__)) from None
    finally:
        con.close()
    if not result.ok:
        where = f"seq {result.first_bad_seq}" if result.first_bad_seq is not None else "the chain head"
        raise BackupRefused(msg("bk.audit_unverified", path=path, where=where))
    head = f"{result.head_seq}:{result.head_hash}" if result.head_seq is not None else "empty"
    return BackupCheck(path, path.stat().st_size, int(rows), head)


DUCKDB_HEADER_BYTES = 3 * 4096  # the file header and the two database headers before the first block


def _expected_size(con: duckdb.DuckDBPyConnection) -> int:
    """The bytes a whole DuckDB file holds: its headers and every block its header counts."""
    row = con.execute("select block_size, total_blocks from pragma_database_size()"
                      " where database_name = current_database()").fetchone()  # fmt: skip
    return DUCKDB_HEADER_BYTES + int(row[0]) * int(row[1]) if row else 0


def backup(dest: Path | str, actor: str) -> BackupCheck:
    """Copy casework to ``dest`` (never over an existing file), verified; the backup is audited first."""
    source, dest = casework_path(), Path(dest)
    if not source.exists():
        raise Unavailable(f"casework が見つかりません: {source} / no casework database yet")
    if dest.exists():
        raise BackupRefused(msg("bk.dest_exists", dest=dest))
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    try:
        with casework_connection() as con:  # holds the single-writer lock for the whole copy
            migrate(con)
            audit.record(con, actor, "export", target="casework_backup", detail={"file": dest.name})
            con.execute("checkpoint")
            shutil.copyfile(source, part)
        os.chmod(part, 0o600)
        checked = check_copy(part)
        os.replace(part, dest)
    finally:
        part.unlink(missing_ok=True)
    return BackupCheck(dest, checked.size_bytes, checked.audit_rows, checked.audit_head)


@dataclass(frozen=True)
class Restored:
    check: BackupCheck
    kept: Path | None  # the casework file that was replaced, renamed beside it


def restore(source: Path | str, actor: str, now: datetime | None = None) -> Restored:
    """Put a verified backup in place of casework (stop the app first); the old file is kept."""
    source, target = Path(source), casework_path()
    if not source.is_file():
        raise BackupRefused(msg("bk.source_missing", source=source))
    check = check_copy(source)
    staged = target.with_name(target.name + ".restoring")
    kept = None
    shutil.copyfile(source, staged)
    os.chmod(staged, 0o600)
    try:
        if target.exists():
            with casework_connection():  # fails while another process holds casework: the app must be stopped
                pass
            release_casework(target)  # nor may this process's own (lingering) attachment
            stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
            kept = target.with_name(f"{target.name}.before-restore-{stamp}")
            os.replace(target, kept)
            wal = target.with_name(target.name + ".wal")
            if wal.exists():
                os.replace(wal, kept.with_name(kept.name + ".wal"))
        os.replace(staged, target)
    finally:
        staged.unlink(missing_ok=True)
    with casework_connection() as con:
        migrate(con)
        audit.record(con, actor, "setting_change", target="casework_restore",
                     detail={"setting": "restore", "from": source.name, "kept": kept.name if kept else None})  # fmt: skip
    return Restored(check, kept)
