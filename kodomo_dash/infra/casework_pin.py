"""Keep the casework database open for one script run, so its many short units of work are cheap.

Why: every read or save on casework opens its own connection (``db.casework_connection``; short
units of work keep the single-writer file free for the CLI between clicks). Opening the file is
the expensive part — DuckDB loads the database and replays its WAL, and closing the last
connection checkpoints it: tens to hundreds of milliseconds each, and a page such as the funnel
makes about twenty. DuckDB keeps one database instance per file per process while any connection
to it is open, and a further ``duckdb.connect`` to that file joins the open instance in about a
millisecond. Holding one idle connection for the duration of a script run (app.py wraps the run
in :func:`pinned`) therefore turns every open inside the run into a cheap join, without changing
what each unit of work commits or when. The file is released when the run ends, as before.

Nothing is read or cached here; the pin carries no data.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import duckdb

from kodomo_dash.infra import db


@contextmanager
def pinned() -> Iterator[None]:
    """Hold casework's DuckDB instance open while the body runs (best effort: never fails a run)."""
    con = _open_plain_instance()
    try:
        yield
    finally:
        if con is not None:
            con.close()


def _open_plain_instance() -> duckdb.DuckDBPyConnection | None:
    """A plain connection to an existing, unencrypted casework file, or None (then nothing is pinned).

    Only the plaintext route opens the file with ``duckdb.connect`` (which joins an open instance).
    When casework is encrypted, db.py keeps its own process-wide instance and attaches the file per
    unit of work under a lock; a second opening here would conflict with that, so nothing is
    pinned. Nothing is pinned either when the file does not exist yet (the gate creates it) or is
    held by another process (units of work then wait for it as before).
    """
    path = db.casework_path()
    if not path.exists():
        return None
    try:
        if db.database_key("casework") is not None:
            return None
        return duckdb.connect(str(path))
    except Exception:  # noqa: BLE001 - a missing key or a held lock is the gate's and db.py's to report
        return None
