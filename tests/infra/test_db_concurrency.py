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


def test_a_plain_file_takes_the_attach_route_and_is_free_between_units(tmp_path, monkeypatch):
    """Plaintext casework (tests, development) is attached per unit of work like an encrypted one:
    every unit commits, and between units another process may open the file for writing."""
    import subprocess
    import sys

    from kodomo_dash.infra.db import casework_connection, casework_path

    monkeypatch.setenv("KODOMO_WAREHOUSE", str(tmp_path))
    monkeypatch.setenv("KODOMO_ALLOW_PLAINTEXT", "1")
    with casework_connection() as con:
        con.execute("create table t (n int)")
    for n in range(3):
        with casework_connection() as con:
            con.execute("insert into t values (?)", [n])
            with casework_connection() as inner:  # nested on one thread: the same attachment
                assert inner.execute("select count(*) from t").fetchone()[0] == n + 1
    out = subprocess.run(
        [sys.executable, "-c", f"import duckdb; c = duckdb.connect({str(casework_path())!r});"
                               " c.execute('insert into t values (9)'); print(c.execute('select count(*) from t').fetchone()[0])"],
        capture_output=True, text=True, timeout=60, check=True,
    )
    assert out.stdout.strip() == "4"
    with casework_connection(read_only=True) as con:
        assert con.execute("select count(*) from t").fetchone()[0] == 4
