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

from kodomo_dash.db import casework_connection


@contextmanager
def pinned() -> Iterator[None]:
    """Hold casework's DuckDB instance open while the body runs (best effort: never fails a run)."""
    try:
        cm = casework_connection()
        cm.__enter__()
    except (duckdb.IOException, OSError):  # another process holds the file: run unpinned
        yield
        return
    try:
        yield
    finally:
        cm.__exit__(None, None, None)
