"""Sessions opening casework at the same moment never collide inside one process.

A fresh server's first runs (several sessions signing in at once) opened the plain casework file
together, and DuckDB refused one of them ("Unique file handle conflict"), which a user saw as an
error at sign-in. Opening and closing now take turns; this test fails without that.
"""

from __future__ import annotations

import threading

from kodomo_dash.infra.db import casework_connection


def test_eight_sessions_opening_casework_at_once_all_succeed(tmp_path, monkeypatch):
    monkeypatch.setenv("KODOMO_WAREHOUSE", str(tmp_path))
    with casework_connection() as con:
        con.execute("create table t (x integer)")
    errors: list[str] = []

    def session() -> None:
        for _ in range(40):
            try:
                with casework_connection() as con:
                    con.execute("select count(*) from t").fetchone()
            except Exception as exc:  # noqa: BLE001 - collected and asserted below
                errors.append(repr(exc)[:160])

    threads = [threading.Thread(target=session) for _ in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
