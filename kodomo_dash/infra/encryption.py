"""Encryption at rest for both DuckDB files.

What works here, verified on duckdb 1.4.4 (decision 006):
* DuckDB encrypts a database attached with ENCRYPTION_KEY (AES-GCM, block by block,
  including the WAL). Without OpenSSL from the httpfs extension it refuses to *write*
  ("read-only crypto module loaded"), and the extension cannot be downloaded at run time
  here. The PyPI package duckdb-ext-httpfs ships the signed extension file; we LOAD it
  from site-packages by path, with auto-install and auto-load switched off so nothing is
  ever fetched from the network.
* Temporary files (spills of big sorts/joins) are NOT encrypted by default in 1.4.4: we
  found plaintext names in duckdb_temp_storage_*.tmp until `SET temp_file_encryption =
  true`. new_connection() always sets it.
* Opening an encrypted file without a key fails ("Cannot open encrypted database ...
  without a key"); a wrong key fails ("Wrong encryption key").
* The same file cannot be attached by two database instances of one process ("Unique file
  handle conflict"), so the app must share one instance per file: EncryptedHandle.
* The key is bound as a parameter (ENCRYPTION_KEY ?); the path cannot be, so it is
  quoted. DuckDB derives the AES key from the string; we require >= 32 characters of a
  random key (generate_key()).

Keys come from the environment or Streamlit secrets (load_key), never from the repo.
Rotation copies the database into a new file under the new key, verifies it, and swaps
it in with an atomic rename (rotate_key); run it with the app stopped.
"""

from __future__ import annotations

import glob
import importlib.util
import os
import re
import secrets as _secrets
import threading
from collections.abc import Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import duckdb

MIN_KEY_LENGTH = 32
ENV_KEYS = {
    "casework": ("KODOMO_CASEWORK_KEY", "KODOMO_DB_KEY"),
    "analytics": ("KODOMO_ANALYTICS_KEY", "KODOMO_DB_KEY"),
}
SECRET_KEYS = {"casework": ("casework_key", "key"), "analytics": ("analytics_key", "key")}
_ALIAS = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


class EncryptionError(RuntimeError):
    """Encryption cannot be set up (extension missing, key missing or too short)."""


class KeyMissing(EncryptionError):
    pass


# --------------------------------------------------------------------------- keys


def generate_key() -> str:
    """A new random key (256 bits, URL-safe text) for secrets.toml or the environment."""
    return _secrets.token_urlsafe(32)


def load_key(
    which: str, secrets: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> str:
    """The key of 'casework' or 'analytics': environment first, then secrets [encryption].

    Env: KODOMO_CASEWORK_KEY / KODOMO_ANALYTICS_KEY, or KODOMO_DB_KEY for both.
    secrets.toml: [encryption] casework_key / analytics_key, or key for both.
    """
    if which not in ENV_KEYS:
        raise ValueError(f"unknown database: {which!r}")
    environ = os.environ if environ is None else environ
    key = next((environ[e] for e in ENV_KEYS[which] if environ.get(e)), None)
    if key is None and secrets is not None:
        section = secrets.get("encryption") or {}
        key = next((section[k] for k in SECRET_KEYS[which] if section.get(k)), None)
    if not key:
        raise KeyMissing(
            f"{which} の暗号化キーが設定されていません（環境変数 {ENV_KEYS[which][0]} または "
            f"secrets.toml の [encryption] {SECRET_KEYS[which][0]}）。"
            f" / encryption key for the {which} database is not set."
        )
    check_key(key)
    return str(key)


def check_key(key: str) -> None:
    if not isinstance(key, str) or len(key) < MIN_KEY_LENGTH:
        raise EncryptionError(
            f"encryption key must be at least {MIN_KEY_LENGTH} characters (use generate_key())"
        )


# --------------------------------------------------------------------------- connections


@cache
def httpfs_extension_path() -> Path:
    """The httpfs extension file shipped in the duckdb-ext-httpfs wheel for this duckdb."""
    spec = importlib.util.find_spec("duckdb_ext")
    if spec is None or not spec.submodule_search_locations:
        raise EncryptionError("package duckdb-ext-httpfs is not installed (needed to write encrypted files)")
    platform = duckdb.execute("pragma platform").fetchone()[0]
    for root in spec.submodule_search_locations:
        hits = glob.glob(
            os.path.join(root, "extensions", f"v{duckdb.__version__}", platform, "httpfs.duckdb_extension")
        )
        if hits:
            return Path(hits[0])
    raise EncryptionError(
        f"no httpfs extension for duckdb {duckdb.__version__} on {platform} in duckdb-ext-httpfs"
    )


def _quote_path(path: Path | str) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def new_connection(
    temp_dir: Path | str, memory_limit: str | None = None, threads: int | None = None
) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with httpfs (OpenSSL) loaded and encrypted temp files in temp_dir."""
    config: dict[str, Any] = {
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": False,
        "temp_directory": str(temp_dir),
    }
    if memory_limit:
        config["memory_limit"] = memory_limit
    if threads:
        config["threads"] = threads
    Path(temp_dir).mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(":memory:", config=config)
    try:
        con.execute(f"load {_quote_path(httpfs_extension_path())}")
        con.execute("set temp_file_encryption = true")
    except Exception:
        con.close()
        raise
    return con


def attach(
    con: duckdb.DuckDBPyConnection, path: Path | str, alias: str, key: str, read_only: bool = False
) -> None:
    """ATTACH an encrypted file (created if missing, unless read_only) under `alias`."""
    if not _ALIAS.match(alias):
        raise ValueError(f"not a database alias: {alias!r}")
    check_key(key)
    opts = "encryption_key ?" + (", read_only" if read_only else "")
    con.execute(f"attach {_quote_path(path)} as {alias} ({opts})", [key])


def open_encrypted(
    path: Path | str,
    key: str,
    read_only: bool = False,
    alias: str = "db",
    temp_dir: Path | str | None = None,
    memory_limit: str | None = None,
    threads: int | None = None,
) -> duckdb.DuckDBPyConnection:
    """A connection whose default database is the encrypted file (USE alias)."""
    path = Path(path)
    con = new_connection(temp_dir or default_temp_dir(path), memory_limit, threads)
    try:
        attach(con, path, alias, key, read_only=read_only)
        con.execute(f"use {alias}")
    except Exception:
        con.close()
        raise
    return con


def default_temp_dir(path: Path | str) -> Path:
    """Spill files next to the database (same disk, same access rights), encrypted."""
    p = Path(path)
    return p.with_name(p.name + ".tmp")


def is_encrypted(path: Path | str) -> bool:
    """True if the file is a DuckDB database that needs a key (header check via DuckDB)."""
    con = duckdb.connect(
        ":memory:", config={"autoinstall_known_extensions": False, "autoload_known_extensions": False}
    )
    try:
        con.execute(f"attach {_quote_path(path)} as probe (read_only)")
        return False
    except duckdb.Error as e:
        if "encrypt" in str(e).lower():
            return True
        raise
    finally:
        con.close()


class EncryptedHandle:
    """One process-wide instance with an encrypted file attached; hand out cursors.

    Streamlit serves every session from threads of one process; DuckDB refuses a second
    instance on the same file, so all sessions share this one and take a cursor each
    (cursors are safe to use from one thread each). write_lock serialises multi-statement
    writes that must not interleave (the audit module has its own lock as well).
    """

    def __init__(
        self,
        path: Path | str,
        key: str,
        alias: str = "cw",
        read_only: bool = False,
        temp_dir: Path | str | None = None,
    ) -> None:
        self.path = Path(path)
        self.alias = alias
        self.read_only = read_only
        self._key = key
        self._temp_dir = temp_dir
        self._con: duckdb.DuckDBPyConnection | None = None
        self._lock = threading.Lock()
        self.write_lock = threading.RLock()

    def _ensure(self) -> duckdb.DuckDBPyConnection:
        with self._lock:
            if self._con is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._con = open_encrypted(
                    self.path,
                    self._key,
                    self.read_only,
                    self.alias,
                    self._temp_dir or default_temp_dir(self.path),
                )
            return self._con

    def cursor(self) -> duckdb.DuckDBPyConnection:
        cur = self._ensure().cursor()
        cur.execute(f"use {self.alias}")
        return cur

    @contextmanager
    def connection(self):
        """`with handle.connection() as con:` — a cursor for one unit of work."""
        cur = self.cursor()
        try:
            yield cur
        finally:
            cur.close()

    def close(self) -> None:
        with self._lock:
            if self._con is not None:
                self._con.close()
                self._con = None


# --------------------------------------------------------------------------- rotation


@dataclass(frozen=True)
class RotationResult:
    path: Path
    tables: dict[str, int]
    backup: Path | None


def _table_counts(con: duckdb.DuckDBPyConnection, alias: str) -> dict[str, int]:
    names = [
        r[0]
        for r in con.execute(
            "select schema_name || '.' || table_name from duckdb_tables() where database_name = ? order by 1",
            [alias],
        ).fetchall()
    ]
    out = {}
    for n in names:
        schema, table = n.split(".", 1)
        out[n] = con.execute(f'select count(*) from {alias}."{schema}"."{table}"').fetchone()[0]  # noqa: S608
    return out


def rotate_key(
    path: Path | str, old_key: str | None, new_key: str, keep_backup: bool = False
) -> RotationResult:
    """Re-encrypt `path` under new_key (old_key=None encrypts a plaintext file).

    Steps: checkpoint the old file (so no WAL is left behind), COPY FROM DATABASE into a
    new file under the new key, compare every table's row count, fsync, rename the old
    file aside, rename the new one into place, then delete the old one unless keep_backup.
    The app (or any other process) must not have the file open.
    """
    path = Path(path)
    check_key(new_key)
    new_path = path.with_name(path.name + ".rotating")
    backup = path.with_name(path.name + ".old")
    for p in (new_path, Path(str(new_path) + ".wal")):
        p.unlink(missing_ok=True)
    tmp = default_temp_dir(path)
    con = new_connection(tmp)
    try:
        if old_key is None:
            con.execute(f"attach {_quote_path(path)} as old_db")
        else:
            attach(con, path, "old_db", old_key)
        con.execute("checkpoint old_db")
        attach(con, new_path, "new_db", new_key)
        con.execute("copy from database old_db to new_db")
        before, after = _table_counts(con, "old_db"), _table_counts(con, "new_db")
        if before != after:
            raise EncryptionError(f"copy mismatch during key rotation: {before} != {after}")
        con.execute("checkpoint new_db")
        con.execute("detach new_db")
        con.execute("detach old_db")
    finally:
        con.close()
    if Path(str(path) + ".wal").exists() or Path(str(new_path) + ".wal").exists():
        raise EncryptionError("a WAL file was left behind; refusing to swap")
    # Prove the new file opens with the new key before it replaces the old one.
    check = open_encrypted(new_path, new_key, read_only=True, temp_dir=tmp)
    try:
        if _table_counts(check, "db") != after:
            raise EncryptionError("re-opened copy differs")
    finally:
        check.close()
    with open(new_path, "rb") as f:
        os.fsync(f.fileno())
    os.replace(path, backup)
    os.replace(new_path, path)
    if not keep_backup:
        backup.unlink()
    return RotationResult(path=path, tables=after, backup=backup if keep_backup else None)
