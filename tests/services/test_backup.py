"""Backup and restore of casework and its audit trail, on real DuckDB files, plain and encrypted."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from kodomo_dash.infra import encryption
from kodomo_dash.infra.db import casework_connection, release_casework
from kodomo_dash.infra.migrate import migrate
from kodomo_dash.security import audit
from kodomo_dash.security.principal import Principal
from kodomo_dash.services import backup

REPO = Path(__file__).resolve().parents[2]
NURSE = Principal("ward_staff", "ward_staff", ward_codes=("40131",))


@pytest.fixture(params=["plain", "encrypted"])
def casework(request, tmp_path, monkeypatch) -> Path:
    """A casework with ten audited card views, plaintext or under a key.

    With the app's linger on (decision 069), long enough that only restore's own release can free the
    file this process has attached."""
    warehouse = tmp_path / "warehouse"
    warehouse.mkdir()
    monkeypatch.setenv("KODOMO_WAREHOUSE", str(warehouse))
    monkeypatch.setenv("KODOMO_CASEWORK_LINGER_S", "30")
    if request.param == "encrypted":
        monkeypatch.delenv("KODOMO_ALLOW_PLAINTEXT", raising=False)
        monkeypatch.setenv("KODOMO_CASEWORK_KEY", encryption.generate_key())
    with casework_connection() as con:
        migrate(con)
        for i in range(10):
            audit.record(con, NURSE, "view_child", page="child_card", resident_id=f"{i:010d}")
    return warehouse / "casework.duckdb"


def _views() -> int:
    with casework_connection(read_only=True) as con:
        return con.execute("select count(*) from audit_log where action = 'view_child'").fetchone()[0]


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_backup_is_verified_private_and_never_overwrites(casework, tmp_path):
    done = backup.backup(tmp_path / "b" / "casework-1.duckdb", "cli:ops")
    assert done.path.exists() and not done.path.with_name(done.path.name + ".part").exists()
    assert oct(done.path.stat().st_mode & 0o777) == "0o600"
    assert done.audit_rows == 11  # ten views and the backup's own export row
    with casework_connection(read_only=True) as con:
        assert con.execute("select count(*) from audit_log where target = 'casework_backup'").fetchone()[0] == 1
    with pytest.raises(backup.BackupRefused, match="上書きしません"):
        backup.backup(done.path, "cli:ops")


def test_restore_brings_back_what_was_lost_and_keeps_the_replaced_file(casework, tmp_path):
    done = backup.backup(tmp_path / "casework-1.duckdb", "cli:ops")
    with casework_connection() as con:  # a bad day: the views of the morning are gone
        con.execute("delete from audit_log where action = 'view_child' and seq > 5")
    restored = backup.restore(done.path, "cli:ops", now=datetime(2026, 12, 7, 9, 0))
    assert _views() == 10
    assert restored.kept is not None and restored.kept.name == "casework.duckdb.before-restore-20261207-090000"
    with casework_connection(read_only=True) as con:
        assert audit.verify(con).ok
        assert con.execute("select count(*) from audit_log where target = 'casework_restore'").fetchone()[0] == 1


@pytest.mark.parametrize("damage", ["truncated", "tampered"])
def test_a_broken_backup_is_refused_and_casework_stays_as_it_was(casework, tmp_path, damage):
    done = backup.backup(tmp_path / "casework-1.duckdb", "cli:ops")
    if damage == "truncated":
        data = done.path.read_bytes()
        done.path.write_bytes(data[: len(data) // 3])
    else:
        key = os.environ.get("KODOMO_CASEWORK_KEY")
        con = encryption.open_encrypted(done.path, key) if key else duckdb.connect(str(done.path))
        con.execute("update audit_log set resident_id = '9999999999' where seq = 3")
        con.execute("checkpoint")
        con.close()
    before = _digest(casework)
    with pytest.raises(backup.BackupRefused):
        backup.restore(done.path, "cli:ops")
    assert _digest(casework) == before
    assert not list(casework.parent.glob("*.before-restore-*")) and not list(casework.parent.glob("*.restoring"))


def test_the_commands_print_a_verified_backup_and_refuse_in_japanese(casework, tmp_path):
    release_casework()  # as the app's linger does after a second of quiet: the CLI's turn
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = tmp_path / "nightly.duckdb"
    made = subprocess.run([sys.executable, "-m", "kodomo_dash.cli", "backup", "--out", str(out)],
                          capture_output=True, text=True, env=env, cwd=REPO)  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert "検証済み" in made.stdout and "0000000001" not in made.stdout + made.stderr  # no person in the output
    again = subprocess.run([sys.executable, "-m", "kodomo_dash.cli", "backup", "--out", str(out)],
                           capture_output=True, text=True, env=env, cwd=REPO)  # fmt: skip
    assert again.returncode == 2 and "上書きしません" in again.stderr and "Traceback" not in again.stderr
    missing = subprocess.run([sys.executable, "-m", "kodomo_dash.cli", "restore", "--from", str(tmp_path / "none")],
                             capture_output=True, text=True, env=env, cwd=REPO)  # fmt: skip
    assert missing.returncode == 2 and "見つかりません" in missing.stderr
