"""Encryption at rest: no key, no data; no plaintext in the file, its WAL or temp files; rotation."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import duckdb
import pytest

from kodomo_dash.infra import encryption
from kodomo_dash.infra.migrate import migrate
from kodomo_dash.security import audit
from kodomo_dash.security.principal import Principal

# Names as the synthetic city writes them (kanji, kana, romaji): none may appear on disk.
NAMES = ["山田太郎", "ヤマダタロウ", "鈴木花子", "スズキハナコ", "Nguyen Thi Lan", "KODOMOSECRETNAME"]
KEY = encryption.generate_key()


def needles(names=NAMES) -> list[bytes]:
    """Each name as UTF-8, UTF-16 and (where it fits) CP932 bytes: how a file could hold it."""
    out = []
    for n in names:
        out += [n.encode("utf-8"), n.encode("utf-16-le")]
        try:
            out.append(n.encode("cp932"))
        except UnicodeEncodeError:
            pass
    return out


def plaintext_in(path: Path) -> list[str]:
    data = path.read_bytes()
    return [n.decode("utf-8", "replace") for n in needles() if n in data]


def write_names(con, n=2000):
    con.execute(
        "create table child as select lpad(i::varchar, 10, '0') as resident_id,"
        " list_extract(?, (i % 3 * 2 + 1)::int) || i::varchar as name_kanji,"
        " list_extract(?, (i % 3 * 2 + 2)::int) as name_kana from range(?) r(i)",
        [NAMES, NAMES, n],
    )


def test_extension_comes_from_the_pypi_package():
    p = encryption.httpfs_extension_path()
    assert p.is_file() and "duckdb_ext" in str(p) and duckdb.__version__ in str(p)


def test_opening_without_or_with_a_wrong_key_fails(tmp_path):
    db = tmp_path / "casework.duckdb"
    con = encryption.open_encrypted(db, KEY)
    write_names(con, 10)
    con.close()
    assert encryption.is_encrypted(db)
    with pytest.raises(duckdb.Error, match="without a key"):
        duckdb.connect(str(db))
    plain = duckdb.connect(":memory:")
    with pytest.raises(duckdb.Error, match="without a key"):
        plain.execute(f"attach '{db}' as x (read_only)")
    with pytest.raises(duckdb.Error, match="(?i)wrong encryption key"):
        encryption.open_encrypted(db, encryption.generate_key())
    ok = encryption.open_encrypted(db, KEY, read_only=True)
    assert ok.execute("select count(*) from child").fetchone()[0] == 10
    assert ok.execute("select encrypted from duckdb_databases() where database_name = 'db'").fetchone()[0]


def test_no_plaintext_in_database_or_wal(tmp_path):
    db = tmp_path / "casework.duckdb"
    con = encryption.open_encrypted(db, KEY)
    write_names(con)
    con.execute("checkpoint")
    con.execute("insert into child values ('9999999999', 'KODOMOSECRETNAME', 'KODOMOSECRETNAME')")
    wal = Path(str(db) + ".wal")
    assert wal.exists() and wal.stat().st_size > 0, "the last insert should still sit in the WAL"
    assert plaintext_in(wal) == []
    assert plaintext_in(db) == []
    con.close()
    assert plaintext_in(db) == []
    # The control: the same data in an unencrypted file is found by the same scan.
    ctl = tmp_path / "control.duckdb"
    c = duckdb.connect(str(ctl))
    write_names(c, 50)
    c.close()
    assert plaintext_in(ctl)


def _spill_and_scan(tmp_path: Path, encrypt_temp: bool) -> tuple[set[str], list[str]]:
    tmp = tmp_path / ("tmp_enc" if encrypt_temp else "tmp_plain")
    con = encryption.new_connection(tmp, memory_limit="64MB", threads=1)
    if not encrypt_temp:
        con.execute("set temp_file_encryption = false")
    con.execute("set preserve_insertion_order = false")
    encryption.attach(con, tmp_path / f"spill_{encrypt_temp}.duckdb", "db", KEY)
    con.execute("use db")
    con.execute(
        "create table big as select 'KODOMOSECRETNAME' || i::varchar || repeat('x', 100) as n "
        "from range(600000) r(i)"
    )
    seen: set[str] = set()
    found: list[str] = []
    done = threading.Event()

    def scan():
        while not done.is_set():
            for f in tmp.glob("*"):
                try:
                    hits = plaintext_in(f)
                except OSError:
                    continue
                seen.add(f.name)
                found.extend(hits)
            time.sleep(0.02)

    t = threading.Thread(target=scan)
    t.start()
    try:
        con.execute("create table sorted as select * from big order by n desc")
    finally:
        done.set()
        t.join()
        con.close()
    return seen, found


def test_no_plaintext_in_temp_files(tmp_path):
    seen, found = _spill_and_scan(tmp_path, encrypt_temp=True)
    assert seen, "the query did not spill; the test proved nothing"
    assert found == []


def test_temp_files_leak_without_temp_file_encryption(tmp_path):
    """Why new_connection sets temp_file_encryption: DuckDB 1.4.4 spills plaintext otherwise."""
    seen, found = _spill_and_scan(tmp_path, encrypt_temp=False)
    assert seen and found


def test_key_rotation(tmp_path):
    db = tmp_path / "casework.duckdb"
    con = encryption.open_encrypted(db, KEY)
    migrate(con)
    audit.record(con, Principal("a", "admin"), "login")
    write_names(con, 100)
    con.close()
    new_key = encryption.generate_key()
    res = encryption.rotate_key(db, KEY, new_key)
    assert res.tables["main.child"] == 100 and res.backup is None
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == ["casework.duckdb"]
    with pytest.raises(duckdb.Error):
        encryption.open_encrypted(db, KEY)
    con = encryption.open_encrypted(db, new_key)
    assert con.execute("select count(*) from child").fetchone()[0] == 100
    assert audit.verify(con).ok
    assert migrate(con) == []  # migrations carried over
    con.close()
    assert plaintext_in(db) == []


def test_key_rotation_keeps_backup_when_asked(tmp_path):
    db = tmp_path / "a.duckdb"
    con = encryption.open_encrypted(db, KEY)
    write_names(con, 5)
    con.close()
    res = encryption.rotate_key(db, KEY, encryption.generate_key(), keep_backup=True)
    assert res.backup and res.backup.exists()
    encryption.open_encrypted(res.backup, KEY, read_only=True).close()


def test_encrypting_an_existing_plaintext_file(tmp_path):
    db = tmp_path / "kodomo.duckdb"
    c = duckdb.connect(str(db))
    write_names(c, 50)
    c.close()
    assert not encryption.is_encrypted(db) and plaintext_in(db)
    encryption.rotate_key(db, None, KEY)
    assert encryption.is_encrypted(db) and plaintext_in(db) == []
    con = encryption.open_encrypted(db, KEY, read_only=True)
    assert con.execute("select count(*) from child").fetchone()[0] == 50


def test_load_key_sources_and_refusals():
    k1, k2 = encryption.generate_key(), encryption.generate_key()
    assert encryption.load_key("casework", environ={"KODOMO_CASEWORK_KEY": k1, "KODOMO_DB_KEY": k2}) == k1
    assert encryption.load_key("analytics", environ={"KODOMO_CASEWORK_KEY": k1, "KODOMO_DB_KEY": k2}) == k2
    assert encryption.load_key("analytics", {"encryption": {"analytics_key": k1}}, environ={}) == k1
    assert encryption.load_key("casework", {"encryption": {"key": k2}}, environ={}) == k2
    with pytest.raises(encryption.KeyMissing, match="暗号化キー"):
        encryption.load_key("casework", {}, environ={})
    with pytest.raises(encryption.EncryptionError):
        encryption.load_key("casework", environ={"KODOMO_DB_KEY": "short"})
    with pytest.raises(ValueError):
        encryption.load_key("other", environ={})


def test_shared_handle_serves_concurrent_sessions(tmp_path):
    db = tmp_path / "casework.duckdb"
    handle = encryption.EncryptedHandle(db, KEY)
    with handle.connection() as con:
        assert "010_auth_audit.sql" in migrate(con)
    errors = []

    def session(n):
        try:
            for i in range(20):
                with handle.connection() as con:
                    audit.record(
                        con, Principal(f"u{n}", "manager"), "view_child", resident_id=f"{n:05d}{i:05d}"
                    )
        except Exception as e:  # pragma: no cover
            errors.append(e)

    threads = [threading.Thread(target=session, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with handle.connection() as con:
        assert audit.verify(con).ok
    # A second instance on the same file in this process is refused by DuckDB: share the handle.
    with pytest.raises(duckdb.Error, match="(?i)already attached|conflict"):
        encryption.open_encrypted(db, KEY)
    handle.close()
    assert plaintext_in(db) == []
    wal = Path(str(db) + ".wal")
    assert not wal.exists() or plaintext_in(wal) == []
