"""Casework stays attached for a short linger after its last unit of work (decision 069).

The app's next click reuses the attachment and its warm pages; another process gets the file once
the linger has passed; callers that replace or rewrite the file release it first.
"""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from kodomo_dash.infra import db
from kodomo_dash.infra.db import casework_connection, casework_path, connect_file, release_casework

WRITE_FROM_ANOTHER_PROCESS = (
    "import duckdb, sys; c = duckdb.connect(sys.argv[1]); c.execute('insert into t values (9)');"
    " print(c.execute('select count(*) from t').fetchone()[0])"
)


def _other_process_writes() -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", WRITE_FROM_ANOTHER_PROCESS, str(casework_path())],
                          capture_output=True, text=True, timeout=60)  # fmt: skip


@pytest.fixture
def plain(tmp_path, monkeypatch):
    monkeypatch.setenv("KODOMO_WAREHOUSE", str(tmp_path))
    monkeypatch.setenv("KODOMO_ALLOW_PLAINTEXT", "1")
    yield
    release_casework()


def test_the_next_unit_reuses_the_attachment_and_another_process_waits(plain, monkeypatch):
    monkeypatch.setenv(db.LINGER_ENV, "30")
    attaches = []
    real = db._Casework._attach
    monkeypatch.setattr(db._Casework, "_attach", lambda self, *a, **k: (attaches.append(1), real(self, *a, **k)))
    with casework_connection() as con:
        con.execute("create table t (n int)")
    for n in range(3):
        with casework_connection() as con:
            con.execute("insert into t values (?)", [n])
    assert len(attaches) == 1  # one attach for four units
    held = _other_process_writes()
    assert held.returncode != 0 and "lock" in held.stderr.lower()
    release_casework()
    freed = _other_process_writes()
    assert freed.returncode == 0 and freed.stdout.strip() == "4"


def test_after_the_linger_the_file_is_free_without_anyone_releasing_it(plain, monkeypatch):
    monkeypatch.setenv(db.LINGER_ENV, "0.3")
    with casework_connection() as con:
        con.execute("create table t (n int)")
    deadline = time.monotonic() + 20
    while True:
        out = _other_process_writes()
        if out.returncode == 0 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert out.returncode == 0 and out.stdout.strip() == "1", out.stderr
    with casework_connection(read_only=True) as con:  # and this process attaches it again when asked
        assert con.execute("select count(*) from t").fetchone()[0] == 1


def test_a_private_connection_in_this_process_takes_the_file_from_the_linger(plain, monkeypatch):
    monkeypatch.setenv(db.LINGER_ENV, "30")
    with casework_connection() as con:
        con.execute("create table t (n int)")
        con.execute("insert into t values (1)")
    own = connect_file(casework_path(), "casework")  # the durability workers and backup checks do this
    try:
        assert own.execute("select count(*) from t").fetchone()[0] == 1
    finally:
        own.close()


def test_zero_linger_detaches_at_once(plain, monkeypatch):
    monkeypatch.setenv(db.LINGER_ENV, "0")
    with casework_connection() as con:
        con.execute("create table t (n int)")
    out = _other_process_writes()
    assert out.returncode == 0 and out.stdout.strip() == "1", out.stderr


def test_releasing_inside_ones_own_unit_is_refused_not_a_hang(plain, monkeypatch):
    monkeypatch.setenv(db.LINGER_ENV, "30")
    with casework_connection() as con:
        con.execute("create table t (n int)")
        with pytest.raises(RuntimeError, match="inside a unit of work"):
            release_casework()
