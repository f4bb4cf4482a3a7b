"""Versioned migrations for casework.duckdb, the file people's input lives in, and its views.

A rebuild of the analytical warehouse never touches casework; its tables change only through
the numbered files in `migrations/`, each applied once, in order, in its own transaction, and
recorded with its checksum so an edited migration is noticed. Views hold no data, so they are not
migrations: `views/*.sql` defines each one once, in its current form, and is run again whenever
the folder's text changes (docs/decisions/058). Older migrations still create views of their time;
the views folder replaces them on the same open.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

import duckdb

MIGRATIONS_DIR = Path(__file__).resolve().parents[1] / "casework" / "migrations"
VIEWS_DIR = Path(__file__).resolve().parents[1] / "casework" / "views"


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
    ensure_views(con)
    return applied


@cache
def _views(folder: Path) -> tuple[tuple[str, ...], str]:
    """The view files' texts and their checksum, read once per process (they ship with the code)."""
    texts = tuple(p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.sql")))
    return texts, hashlib.sha256("\n".join(texts).encode()).hexdigest()


def ensure_views(con: duckdb.DuckDBPyConnection) -> bool:
    """(Re)create every view of views/*.sql, and reseed the label tables from the vocabulary, when
    either changed since the last time (one checksum over both); True if it ran.
    """
    from kodomo_dash.casework import labels

    texts, views_checksum = _views(VIEWS_DIR)
    checksum = hashlib.sha256(f"{views_checksum}:{labels.checksum()}".encode()).hexdigest()
    con.execute("create table if not exists schema_views (id integer primary key, checksum varchar not null,"
                " applied_at timestamp not null default current_timestamp)")  # fmt: skip
    row = con.execute("select checksum from schema_views where id = 1").fetchone()
    if row is not None and row[0] == checksum:
        return False
    con.execute("begin transaction")
    try:
        labels.seed(con)
        for text in texts:
            con.execute(text)
        con.execute("delete from schema_views")
        con.execute("insert into schema_views (id, checksum) values (1, ?)", [checksum])
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    return True


def ensure_casework(path: Path | None = None) -> list[str]:
    from kodomo_dash.infra.db import casework_connection

    with casework_connection(path=path) as con:
        return migrate(con)
