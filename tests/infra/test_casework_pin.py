"""casework_pin: one instance held for a run; units of work commit as before and the file is freed after."""

from __future__ import annotations

import subprocess
import sys

import duckdb

from kodomo_dash.infra import casework_pin
from kodomo_dash.infra.db import casework_connection, casework_path


def test_pin_keeps_units_of_work_and_releases_the_file(tmp_path, monkeypatch):
    monkeypatch.setenv("KODOMO_WAREHOUSE", str(tmp_path))
    with casework_pin.pinned():  # no file yet: nothing pinned, nothing created
        assert not casework_path().exists()
    with casework_connection() as con:
        con.execute("create table t (n int)")
    with casework_pin.pinned():
        for n in range(3):
            with casework_connection() as con:
                con.execute("insert into t values (?)", [n])
    # Another process may open the file for writing once the run is over, and sees every commit.
    out = subprocess.run(
        [sys.executable, "-c", f"import duckdb; print(duckdb.connect({str(casework_path())!r}).execute("
                               "'select count(*) from t').fetchone()[0])"],
        capture_output=True, text=True, timeout=60, check=True,
    )
    assert out.stdout.strip() == "3"


def test_pin_never_fails_a_run_when_the_file_is_held(tmp_path, monkeypatch):
    monkeypatch.setenv("KODOMO_WAREHOUSE", str(tmp_path))
    duckdb.connect(str(casework_path())).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb, time; c = duckdb.connect({str(casework_path())!r}); "
                               "print('held', flush=True); time.sleep(30)"],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with casework_pin.pinned():
            pass  # the lock is another process's: the run goes on unpinned
    finally:
        holder.kill()
        holder.wait()
