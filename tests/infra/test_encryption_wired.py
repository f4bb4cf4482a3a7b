"""Encryption at rest through the product's own paths: build, casework, app, CLI.

tests/infra/test_encryption.py proves the mechanism on hand-made files; this proves that the product
uses it: a city built with a key configured leaves no child's name in either database file,
their WALs or temp folders, cannot be opened without the key, still serves search and the child
card under the key, and without a key the app and the CLI refuse instead of writing plaintext.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from kodomo_dash.infra import encryption
from kodomo_dash.infra.db import casework_connection, database_key
from tests.infra.test_encryption import needles as encoding_needles
from tests.signin import app_as, principal_for

REPO = Path(__file__).resolve().parents[2]
KEY = encryption.generate_key()


def _names(extracts: Path, n: int = 60) -> list[str]:
    """Real names of the synthetic city (kanji and kana) to look for in the bytes on disk."""
    with open(extracts / "resident_registry.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    out: set[str] = set()
    for r in rows[:: max(1, len(rows) // n)]:
        for col in ("name_kanji", "name_kana"):
            if r.get(col) and len(r[col]) >= 4:
                out.add(r[col])
    return sorted(out)


def _files_on_disk(warehouse: Path) -> list[Path]:
    return [p for p in warehouse.rglob("*") if p.is_file()]


@pytest.fixture(scope="module")
def encrypted_city(tmp_path_factory: pytest.TempPathFactory, built_warehouse: Path):
    """The fixture city's extracts built again, this time with a key configured."""
    from kodomo_dash.infra.migrate import ensure_casework
    from kodomo_dash.warehouse.ingest.build import build_warehouse

    extracts = built_warehouse.parent / "extracts"
    warehouse = tmp_path_factory.mktemp("encrypted-warehouse")
    saved = {k: os.environ.get(k) for k in ("KODOMO_DB_KEY", "KODOMO_ALLOW_PLAINTEXT", "KODOMO_WAREHOUSE")}
    os.environ["KODOMO_DB_KEY"] = KEY
    os.environ.pop("KODOMO_ALLOW_PLAINTEXT")
    os.environ["KODOMO_WAREHOUSE"] = str(warehouse)
    try:
        build_warehouse(extracts, target=warehouse / "kodomo.duckdb", log=lambda _m: None)
        ensure_casework()
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return warehouse, extracts


@pytest.fixture
def keyed(encrypted_city, monkeypatch):
    """The encrypted city as the current warehouse, with its key configured, for one test."""
    warehouse, _ = encrypted_city
    monkeypatch.setenv("KODOMO_DB_KEY", KEY)
    monkeypatch.delenv("KODOMO_ALLOW_PLAINTEXT", raising=False)
    monkeypatch.setenv("KODOMO_WAREHOUSE", str(warehouse))
    return encrypted_city


def test_both_files_are_encrypted_and_refuse_without_the_key(keyed):
    warehouse, _ = keyed
    for name in ("kodomo.duckdb", "casework.duckdb"):
        path = warehouse / name
        assert encryption.is_encrypted(path), name
        with pytest.raises(duckdb.Error, match="without a key"):
            duckdb.connect(":memory:").execute(f"attach '{path}' as x (read_only)")
        with pytest.raises(duckdb.Error, match="(?i)wrong encryption key"):
            encryption.open_encrypted(path, encryption.generate_key(), read_only=True)


def test_the_app_serves_search_and_card_from_encrypted_files(keyed):
    from kodomo_dash.services import children as q

    hits = q.search_children(principal_for("admin"), q.SearchCriteria(sex="2"))
    assert len(hits) > 0
    at = app_as("manager", page="child_card")
    at.session_state["child_card_rid"] = str(hits["resident_id"].iloc[0])
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert [t.value for t in at.title] == ["こどもカード"]
    with casework_connection(read_only=True) as con:
        actions = {r[0] for r in con.execute("select action from audit_log").fetchall()}
    assert {"search", "view_child"} <= actions


def test_no_name_in_any_file_or_wal_or_temp_folder(keyed):
    warehouse, extracts = keyed
    names = _names(extracts)
    assert len(names) >= 20
    # Leave something in the casework WAL: an audited search stays there until a checkpoint.
    from kodomo_dash.services import children as q

    q.search_children(principal_for("admin"), q.SearchCriteria(name=names[0]))
    files = _files_on_disk(warehouse)
    assert any(p.name == "kodomo.duckdb" for p in files) and any(p.name == "casework.duckdb" for p in files)
    needles = encoding_needles(names)
    leaks = [(p.name, n.decode("utf-8", "replace")) for p in files for n in needles if n in p.read_bytes()]
    assert leaks == []
    # The control: the plaintext fixture build of the same extracts does contain them.
    plain = (extracts.parent / "warehouse" / "kodomo.duckdb").read_bytes()
    assert any(n in plain for n in needles)


def test_without_a_key_the_product_refuses(tmp_path, monkeypatch):
    monkeypatch.delenv("KODOMO_ALLOW_PLAINTEXT")
    monkeypatch.delenv("KODOMO_DB_KEY", raising=False)
    monkeypatch.setenv("KODOMO_WAREHOUSE", str(tmp_path))
    with pytest.raises(encryption.KeyMissing, match="暗号化キー"):
        database_key("casework")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    run = subprocess.run(
        [sys.executable, "-m", "kodomo_dash.cli.commands", "build", "--source", str(tmp_path)],
        capture_output=True, text=True, env=env, cwd=REPO,
    )
    assert run.returncode == 2, run.stderr
    assert "暗号化キー" in run.stderr and "Traceback" not in run.stderr
    assert not (tmp_path / "kodomo.duckdb").exists()
    at = app_as("manager", page="home").run()
    assert not at.exception
    assert any("暗号化キー" in e.value for e in at.error)


def test_key_rotation_of_a_built_city(keyed, tmp_path):
    warehouse, _ = keyed
    copy = tmp_path / "casework.duckdb"
    copy.write_bytes((warehouse / "casework.duckdb").read_bytes())
    new_key = encryption.generate_key()
    result = encryption.rotate_key(copy, KEY, new_key)
    assert result.tables
    with pytest.raises(duckdb.Error, match="(?i)wrong encryption key"):
        encryption.open_encrypted(copy, KEY, read_only=True)
    con = encryption.open_encrypted(copy, new_key, read_only=True)
    try:
        assert con.execute("select count(*) from audit_log").fetchone()[0] >= 0
    finally:
        con.close()


def test_a_unit_of_work_inside_another_on_one_thread_shares_the_file(keyed):
    """Nested casework units (a helper opening its own) must not deadlock on the per-file lock."""
    import threading

    done = threading.Event()

    def nested() -> None:
        with casework_connection() as outer:
            outer.execute("select count(*) from audit_log").fetchone()
            with casework_connection(read_only=True) as inner:
                inner.execute("select count(*) from audit_log").fetchone()
            outer.execute("select count(*) from audit_log").fetchone()
        done.set()

    worker = threading.Thread(target=nested, daemon=True)
    worker.start()
    worker.join(timeout=30)
    assert done.is_set(), "nested units of work deadlocked"
    with casework_connection() as again:  # and the file was detached at the end: it opens again
        assert again.execute("select count(*) from audit_log").fetchone()[0] >= 0
