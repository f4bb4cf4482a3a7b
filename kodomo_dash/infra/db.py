"""Where the two database files live and how the app opens them.

The analytical file is rebuilt from extracts and swapped in atomically; the app opens it
read-only and reopens it when the file on disk is a new one (a new inode), so a
rebuild reaches a running app without a restart. Casework is the only file people's
input goes to; it is never touched by a rebuild.

Both files are encrypted at rest when a key is configured (environment or secrets.toml, see
kodomo_dash.infra.encryption and docs/decisions/006); without a key the product refuses to
open them unless KODOMO_ALLOW_PLAINTEXT=1 says a plaintext development copy is intended.
Every connection to either file is made here, so no caller can forget the key.
"""

from __future__ import annotations

import atexit
import os
import re
import threading
import time
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from kodomo_dash.infra import encryption

REPO_ROOT = Path(__file__).resolve().parents[2]


def warehouse_dir() -> Path:
    return Path(os.environ.get("KODOMO_WAREHOUSE", REPO_ROOT / "warehouse"))


def analytics_path() -> Path:
    return warehouse_dir() / "kodomo.duckdb"


def casework_path() -> Path:
    return warehouse_dir() / "casework.duckdb"


def sql_dir() -> Path:
    """The warehouse SQL, packaged in kodomo_dash/warehouse/sql (an installed wheel carries it)."""
    return Path(__file__).resolve().parents[1] / "warehouse" / "sql"


def sql_files(directory: Path | None = None) -> list[Path]:
    """The numbered warehouse SQL files in the order the build runs them (by folder, then file)."""
    root = directory or sql_dir()
    return sorted(root.rglob("[0-9][0-9]_*.sql"), key=lambda p: p.relative_to(root).as_posix())


# --------------------------------------------------------------------------- keys


def secrets_file() -> Path:
    """The secrets.toml the database keys are read from (the app's own, unless overridden).

    KODOMO_SECRETS_FILE wins (tests point it at a throw-away file); then Streamlit's own
    STREAMLIT_SECRETS_FILES (first entry); then the repository's .streamlit/secrets.toml,
    which `kodomo demo` writes.
    """
    if os.environ.get("KODOMO_SECRETS_FILE"):
        return Path(os.environ["KODOMO_SECRETS_FILE"])
    streamlit_files = os.environ.get("STREAMLIT_SECRETS_FILES", "").strip("[] ")
    if streamlit_files:
        return Path(streamlit_files.split(",")[0].strip().strip("'\""))
    return REPO_ROOT / ".streamlit" / "secrets.toml"


_secrets_cache: dict[tuple[str, int], dict[str, Any]] = {}


def _read_secrets() -> dict[str, Any]:
    """The secrets file, parsed once per version of it (every unit of work asks for the key)."""
    path = secrets_file()
    try:
        stamp = (str(path), path.stat().st_mtime_ns)
    except (FileNotFoundError, NotADirectoryError):
        return {}
    if stamp not in _secrets_cache:
        with open(path, "rb") as f:
            _secrets_cache.clear()
            _secrets_cache[stamp] = tomllib.load(f)
    return _secrets_cache[stamp]


def plaintext_allowed() -> bool:
    return os.environ.get("KODOMO_ALLOW_PLAINTEXT", "") == "1"


def database_key(which: str) -> str | None:
    """The key for 'analytics' or 'casework'; None only where plaintext is explicitly allowed.

    Raises encryption.KeyMissing (a Japanese message saying where to put the key) when no key is
    configured and plaintext is not allowed, so a forgotten key stops the product instead of
    silently writing children's data unencrypted.
    """
    try:
        return encryption.load_key(which, secrets=_read_secrets())
    except encryption.KeyMissing:
        if plaintext_allowed():
            return None
        raise


def _alias_for(path: Path) -> str:
    """The catalog name a plain duckdb.connect(path) would give, so SQL naming it still works."""
    stem = path.stem
    return stem if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,62}", stem) else "db"


def connect_file(
    path: Path, which: str, read_only: bool = False, config: dict[str, Any] | None = None
) -> duckdb.DuckDBPyConnection:
    """A private connection (own instance) whose default database is this file.

    For work that owns the file for a while in its own process: the build, migrations, the
    durability workers. Encrypted when a key is configured for `which`.
    """
    if which == "casework":
        release_casework(path)  # DuckDB refuses a second handle on a file this process has attached
    key = database_key(which)
    if key is None:
        return duckdb.connect(str(path), read_only=read_only, config=config or {})
    config = config or {}
    return encryption.open_encrypted(
        path,
        key,
        read_only=read_only,
        alias=_alias_for(path),
        memory_limit=config.get("memory_limit"),
        threads=config.get("threads"),
    )


def open_read_only(path: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection on exactly this file generation.

    duckdb.connect(path) returns the already-open instance for a path it has seen, which
    would keep serving the replaced file; attaching in a fresh in-memory instance reads
    the file that is on disk now.
    """
    key = database_key("analytics")
    con = encryption.new_connection(encryption.default_temp_dir(path)) if key is not None else duckdb.connect()
    try:
        attach_read_only(con, path, "wh", "analytics")
        con.execute("use wh")
    except Exception:
        con.close()
        raise
    return con


def attach_read_only(con: duckdb.DuckDBPyConnection, path: Path, alias: str, which: str) -> None:
    """Attach another database file to ``con`` read-only under ``alias`` (with its key when encrypted):
    the app reads the served build so, and the monthly refresh compares the build it makes with the one
    being served and carries over the sources delivered unchanged."""
    key = database_key(which)
    if key is not None:
        encryption.attach(con, path, alias, key, read_only=True)
        return
    escaped = str(path).replace("'", "''")
    con.execute(f"attach '{escaped}' as {alias} (read_only)")


class _ReadOnlyHandle:
    """One read-only connection per file generation; callers take cursors from it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._con: duckdb.DuckDBPyConnection | None = None
        self._ident: tuple[str, int, int] | None = None

    def cursor(self, path: Path) -> duckdb.DuckDBPyConnection:
        st = path.stat()
        ident = (str(path), st.st_ino, st.st_mtime_ns)
        with self._lock:
            if self._con is None or self._ident != ident:
                old = self._con
                self._con = open_read_only(path)
                self._ident = ident
                if old is not None:
                    old.close()
            cur = self._con.cursor()
        cur.execute("use wh")  # the default catalog is per connection, not inherited
        return cur


_analytics = _ReadOnlyHandle()


class WarehouseMissing(RuntimeError):
    """No build yet: the app shows how to make one instead of a stack trace."""


def analytics_cursor() -> duckdb.DuckDBPyConnection:
    """A fresh cursor on the current analytical build (thread-safe to use alone)."""
    path = analytics_path()
    if not path.exists():
        raise WarehouseMissing(str(path))
    return _analytics.cursor(path)


def _is_lock_error(e: Exception) -> bool:
    return "lock" in str(e).lower()


def _retrying(open_, wait_s: float = 10.0):
    """Call open_(), waiting briefly while another process (the CLI, a test worker) holds the file lock.

    DuckDB allows one writing process per file and refuses at once rather than waiting; units of
    work on casework are short, so a few retries turn a collision into a short pause.
    """
    deadline = time.monotonic() + wait_s
    delay = 0.02
    while True:
        try:
            return open_()
        except duckdb.IOException as e:
            if not _is_lock_error(e) or time.monotonic() > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.5)


class _Casework:
    """One in-memory instance per casework file in this process; the file is attached while units of
    work use it and detached when the last one ends.

    Loading the crypto extension costs ~170 ms per instance, attaching ~2 ms, so the instance is
    kept, and the file is detached whenever no unit of work is open, which leaves the file lock
    free for other processes (the CLI, a second app worker) between clicks. A plaintext file (tests
    and development only, ``KODOMO_ALLOW_PLAINTEXT``) takes the same route without the key, so what
    runs in tests is what runs in a city.

    The attachment outlives its last unit by a short linger (``KODOMO_CASEWORK_LINGER_S``, default
    1 s; decision 069): a session's next click, or another session's, finds the file attached and its
    pages already in DuckDB's buffer, instead of paying the encrypted attach, the detach's
    checkpoint and cold reads on every unit. After the linger a background thread detaches it, so
    the CLI (which waits up to 10 s for the lock) still gets the file between bursts of use. A
    caller that replaces or rewrites the file itself (restore, key rotation) calls
    :func:`release_casework` first.

    Units of work that overlap share one attachment, each on its own cursor (a DuckDB connection of
    its own, with its own transaction): many sessions' clicks run side by side instead of taking
    turns, which the load test found was the limit (decision 068). DuckDB's MVCC keeps their
    transactions apart; the audit chain serialises the saves that write it (security/audit.py). The
    lock here guards only attaching and detaching. A unit that needs to write while the file is
    attached read-only waits for the readers to finish, unless its own thread holds one of them (a
    nested unit shares what its caller opened, as before).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.alias = _alias_for(path)
        self.cond = threading.Condition(threading.Lock())
        self._users = 0
        self._attached: str | None = None  # "ro" or "rw" while attached
        self._mine = threading.local()  # units this thread holds open
        self._con: duckdb.DuckDBPyConnection | None = None
        self._encrypted: bool | None = None
        self._idle_since = 0.0
        self._reaper: threading.Thread | None = None

    def _attach(self, base: duckdb.DuckDBPyConnection, key: str | None, read_only: bool) -> None:
        if key is not None:
            encryption.attach(base, self.path, self.alias, key, read_only=read_only)
            return
        escaped = str(self.path).replace("'", "''")
        base.execute(f"attach '{escaped}' as {self.alias}" + (" (read_only)" if read_only else ""))

    def _detach(self) -> None:
        assert self._con is not None
        self._con.execute("use memory")
        self._con.execute(f"detach {self.alias}")
        self._attached = None

    @contextmanager
    def unit(self, key: str | None, read_only: bool) -> Iterator[duckdb.DuckDBPyConnection]:
        mine = getattr(self._mine, "depth", 0)
        with self.cond:
            if not read_only and mine == 0:
                while self._attached == "ro" and self._users > 0:  # let the readers finish first
                    self.cond.wait()
            if self._attached is not None and self._users == 0 and (
                self._encrypted != (key is not None) or (self._attached == "ro" and not read_only)
            ):
                self._detach()
            if self._con is None or self._encrypted != (key is not None):
                if self._con is not None:
                    self._con.close()
                # One thread per query: casework is small, so a second thread only adds scheduling to
                # queries of a hundred operators over a few thousand rows; sessions are the parallelism
                # (decision 069).
                self._con = (
                    encryption.new_connection(encryption.default_temp_dir(self.path), threads=CASEWORK_THREADS)
                    if key is not None
                    else duckdb.connect(":memory:", config={"threads": CASEWORK_THREADS})
                )
                self._encrypted = key is not None
            base = self._con
            if self._attached is None:
                _retrying(lambda: self._attach(base, key, read_only))
                self._attached = "ro" if read_only else "rw"
            self._users += 1
            cur = base.cursor()
        self._mine.depth = mine + 1
        try:
            cur.execute(f"use {self.alias}")
            yield cur
        finally:
            cur.close()
            self._mine.depth = mine
            with self.cond:
                self._users -= 1
                if self._users == 0 and self._attached is not None:
                    linger = linger_seconds()
                    if linger <= 0:
                        self._detach()
                    else:
                        self._idle_since = time.monotonic()
                        self._start_reaper()
                self.cond.notify_all()

    def _start_reaper(self) -> None:
        """One daemon thread per file that detaches it once it has been idle for the linger (cond held)."""
        if self._reaper is None or not self._reaper.is_alive():
            self._reaper = threading.Thread(target=self._reap, name=f"kodomo-casework-linger-{self.alias}",
                                            daemon=True)  # fmt: skip
            self._reaper.start()

    def _reap(self) -> None:
        with self.cond:
            while self._attached is not None:
                if self._users > 0:
                    self.cond.wait()
                    continue
                left = self._idle_since + linger_seconds() - time.monotonic()
                if left > 0:
                    self.cond.wait(left)
                    continue
                self._detach()
                self.cond.notify_all()

    def release(self) -> None:
        """Detach now, once the units open at this moment have ended (the file is then free)."""
        if getattr(self._mine, "depth", 0):  # waiting for our own unit would wait for ever
            raise RuntimeError("release_casework inside a unit of work of the same thread")
        with self.cond:
            while self._users > 0:
                self.cond.wait()
            if self._attached is not None:
                self._detach()
            self.cond.notify_all()


_casework: dict[str, _Casework] = {}
_casework_lock = threading.Lock()
LINGER_ENV = "KODOMO_CASEWORK_LINGER_S"
CASEWORK_THREADS = 1


def linger_seconds() -> float:
    """How long casework stays attached after its last unit of work (0 = detach at once)."""
    try:
        return max(0.0, float(os.environ.get(LINGER_ENV, "1.0")))
    except ValueError:
        return 1.0


def release_casework(path: Path | None = None) -> None:
    """Detach this process's attachment of the casework file now (before the file is replaced or
    rewritten by restore or key rotation); waits for units of work open at this moment to end."""
    with _casework_lock:
        handle = _casework.get(str(Path(path or casework_path())))
    if handle is not None:
        handle.release()


def _release_all() -> None:
    with _casework_lock:
        handles = list(_casework.values())
    for handle in handles:
        try:
            handle.release()
        except Exception:  # noqa: BLE001,S110 - leaving the process: DuckDB replays the WAL on the next open
            pass


atexit.register(_release_all)


@contextmanager
def casework_connection(read_only: bool = False, path: Path | None = None):
    """Open casework for one unit of work; the single-writer rule is DuckDB's own lock."""
    path = Path(path or casework_path())
    path.parent.mkdir(parents=True, exist_ok=True)
    key = database_key("casework")
    with _casework_lock:
        handle = _casework.setdefault(str(path), _Casework(path))
    with handle.unit(key, read_only) as con:
        yield con
