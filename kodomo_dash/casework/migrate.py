"""Versioned migrations for casework.duckdb, the file people's input lives in.

A rebuild of the analytical warehouse never touches casework; its schema changes only
through the numbered files in `migrations/`, each applied once, in order, in its own
transaction, and recorded with its checksum so an edited migration is noticed.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


class MigrationError(RuntimeError):
    pass


def _migrations() -> list[tuple[str, str]]:
    return [(p.name, p.read_text(encoding="utf-8")) for p in sorted(MIGRATIONS_DIR.glob("*.sql"))]


def migrate(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Apply pending migrations; returns the names applied now."""
    con.execute(
        "create table if not exists schema_migrations ("
        " name varchar primary key, checksum varchar not null,"
        " applied_at timestamp not null default current_timestamp)"
    )
    done = dict(con.execute("select name, checksum from schema_migrations").fetchall())
    applied = []
    for name, text in _migrations():
        checksum = hashlib.sha256(text.encode()).hexdigest()
        if name in done:
            if done[name] != checksum:
                raise MigrationError(f"migration {name} was edited after it was applied")
            continue
        con.execute("begin transaction")
        try:
            con.execute(text)
            con.execute("insert into schema_migrations (name, checksum) values (?, ?)", [name, checksum])
            con.execute("commit")
        except Exception:
            con.execute("rollback")
            raise
        applied.append(name)
    return applied


def ensure_casework(path: Path | None = None) -> list[str]:
    from kodomo_dash.db import casework_connection

    with casework_connection(path=path) as con:
        return migrate(con)
