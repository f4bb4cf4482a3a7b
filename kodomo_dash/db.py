"""Where the two database files live and how the app opens them.

The analytical file is rebuilt from extracts and swapped in atomically; the app opens it
read-only and reopens it when the file on disk is a new one (a new inode), so a
rebuild reaches a running app without a restart. Casework is the only file people's
input goes to; it is never touched by a rebuild.
"""

from __future__ import annotations

import os
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import duckdb

REPO_ROOT = Path(__file__).resolve().parent.parent


def warehouse_dir() -> Path:
    return Path(os.environ.get("KODOMO_WAREHOUSE", REPO_ROOT / "warehouse"))


def analytics_path() -> Path:
    return warehouse_dir() / "kodomo.duckdb"


def casework_path() -> Path:
    return warehouse_dir() / "casework.duckdb"


def sql_dir() -> Path:
    return REPO_ROOT / "sql"


def open_read_only(path: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection on exactly this file generation.

    duckdb.connect(path) returns the already-open instance for a path it has seen, which
    would keep serving the replaced file; attaching in a fresh in-memory instance reads
    the file that is on disk now.
    """
    con = duckdb.connect()
    escaped = str(path).replace("'", "''")
    con.execute(f"attach '{escaped}' as wh (read_only)")
    con.execute("use wh")
    return con


class _ReadOnlyHandle:
    """One read-only connection per file generation; callers take cursors from it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._con: duckdb.DuckDBPyConnection | None = None
        self._ident: tuple[str, int, int] | None = None

    def cursor(self, path: Path) -> duckdb.DuckDBPyConnection:
        st = path.stat()
        ident = (str(path), st.st_ino, st.st_mtime_ns)
        with self._lock:
            if self._con is None or self._ident != ident:
                old = self._con
                self._con = open_read_only(path)
                self._ident = ident
                if old is not None:
                    old.close()
            cur = self._con.cursor()
        cur.execute("use wh")  # the default catalog is per connection, not inherited
        return cur


_analytics = _ReadOnlyHandle()


class WarehouseMissing(RuntimeError):
    """No build yet: the app shows how to make one instead of a stack trace."""


def analytics_cursor() -> duckdb.DuckDBPyConnection:
    """A fresh cursor on the current analytical build (thread-safe to use alone)."""
    path = analytics_path()
    if not path.exists():
        raise WarehouseMissing(str(path))
    return _analytics.cursor(path)


def _connect_retrying(path: Path, read_only: bool, wait_s: float = 10.0) -> duckdb.DuckDBPyConnection:
    """Connect, waiting briefly while another process (the CLI, a test worker) holds the file lock.

    DuckDB allows one writing process per file and refuses at once rather than waiting; units of
    work on casework are short, so a few retries turn a collision into a short pause.
    """
    deadline = time.monotonic() + wait_s
    delay = 0.02
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as e:
            if "lock" not in str(e).lower() or time.monotonic() > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.5)


@contextmanager
def casework_connection(read_only: bool = False):
    """Open casework for one unit of work; the single-writer rule is DuckDB's own lock."""
    path = casework_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    con = _connect_retrying(path, read_only)
    try:
        yield con
    finally:
        con.close()
