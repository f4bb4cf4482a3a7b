"""The one transaction idiom for every write to a DuckDB file: runs, lists, events, forms, audit.

Every write goes through :func:`transaction`, so a save is either whole or absent and "saved" is
only reported after COMMIT has returned. The helper nests: an outer caller (a bulk action, the
scenario simulation) wraps many saves in one transaction and the inner calls join it instead of
committing on their own.

The audit row of a save is written *inside* the save's transaction, just before COMMIT
(:func:`before_commit`), so no save can commit without its audit row and no audit row describes a
save that was rolled back. The audit chain's head is one row every save updates; the audit module
therefore takes its process lock for the rest of the transaction (:func:`hold_until_end`), which is
only the few statements between the audit row and COMMIT when the row is written by a
``before_commit`` hook.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import duckdb

from kodomo_dash.config.messages import Message, msg, text_of


class SaveRefused(Exception):
    """A refusal the page shows: the banner and the messages next to fields.

    Raised with a :class:`~kodomo_dash.config.messages.Message` (a code and parameters), so each
    screen words it in the viewer's language (``text(lang)``); ``message_ja`` and ``str()`` are the
    Japanese, for the command line and the logs. A plain string is still accepted (decision 065).
    """

    def __init__(self, message: str | Message, *, field_errors: Mapping[str, str | Message] | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        self.message_ja = str(message)
        self.field_errors: dict[str, str | Message] = dict(field_errors or {})

    def text(self, lang: str = "ja") -> str:
        return text_of(self.message, lang)


class ConcurrentChangeError(SaveRefused):
    """Another session changed the same record in a transaction that committed first."""


class AuditNotWritten(SaveRefused):
    """The audit row could not be written, so the save it describes was rolled back with it."""


CONFLICT = msg("tx.conflict")
PARTIAL = msg("tx.partial")
AUDIT_NOT_WRITTEN = msg("tx.audit_not_written")


class _Tx:
    """What one open transaction() knows: failure of a nested block, a cache, hooks and held locks."""

    def __init__(self) -> None:
        self.failed = False
        self.scratch: dict[Any, Any] = {}
        self.before_commit: list[Callable[[], None]] = []
        self.held: list[threading.RLock] = []


_open: dict[int, _Tx] = {}  # id() of connections inside transaction() right now


def in_transaction(con: duckdb.DuckDBPyConnection) -> bool:
    return id(con) in _open


def tx_scratch(con: duckdb.DuckDBPyConnection) -> dict[Any, Any] | None:
    """A dict living exactly as long as the transaction() open on `con` (None outside one).

    The stage rules cache a child's loaded state here, so a batch does not reload it for every
    event; the cache dies with the transaction, so no reader ever sees another transaction's state.
    """
    tx = _open.get(id(con))
    return None if tx is None else tx.scratch


def before_commit(con: duckdb.DuckDBPyConnection, hook: Callable[[], None]) -> bool:
    """Run `hook` inside the open transaction just before it commits; False when none is open.

    A hook that raises rolls the whole transaction back (the audit row of a save is such a hook).
    """
    tx = _open.get(id(con))
    if tx is None:
        return False
    tx.before_commit.append(hook)
    return True


def hold_until_end(con: duckdb.DuckDBPyConnection, lock: threading.RLock) -> None:
    """Take `lock` now and release it when the transaction open on `con` ends (commit or rollback)."""
    tx = _open[id(con)]
    if lock in tx.held:
        return
    lock.acquire()
    tx.held.append(lock)


def _is_conflict(exc: BaseException) -> bool:
    return isinstance(exc, duckdb.TransactionException) and "conflict" in str(exc).lower()


# One transaction at a time in this process, taken *before* BEGIN: DuckDB gives a transaction the
# snapshot of its start, and the audit chain's head (one row every save updates) must be read after
# every earlier save has committed. Reads outside a transaction (the warehouse, most of a page) run
# side by side; the transactions themselves are a few statements each (decision 068).
WRITERS = threading.RLock()


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[bool]:
    """BEGIN … COMMIT, or join the transaction() already open on `con` (yields True when we own it).

    Nesting is tracked here rather than by trying BEGIN, because a failed BEGIN inside a transaction
    aborts that transaction in DuckDB; an outer transaction must therefore be opened with this
    helper too. DuckDB has no savepoints, so a nested block that fails may have written part of its
    work: the outer transaction is then marked failed and refuses to commit, even if the caller
    caught the error. A write-write conflict with another session (DuckDB raises it at the UPDATE
    or at COMMIT) becomes ConcurrentChangeError; nothing is written.
    """
    key = id(con)
    outer = _open.get(key)
    if outer is not None:
        try:
            yield False  # nested: the outer owner commits or rolls back
        except BaseException:
            outer.failed = True
            raise
        return
    WRITERS.acquire()
    try:
        con.execute("begin transaction")
    except BaseException:
        WRITERS.release()
        raise
    tx = _open[key] = _Tx()
    tx.held.append(WRITERS)
    try:
        try:
            yield True
            _run_hooks(tx)
        except BaseException as exc:
            _rollback(con)
            if _is_conflict(exc):
                raise ConcurrentChangeError(CONFLICT) from exc
            raise
        if tx.failed:
            _rollback(con)
            raise SaveRefused(PARTIAL)
        try:
            con.execute("commit")
        except duckdb.Error as exc:
            _rollback(con)
            if _is_conflict(exc):
                raise ConcurrentChangeError(CONFLICT) from exc
            raise
    finally:
        _open.pop(key, None)
        for lock in reversed(tx.held):
            lock.release()


def _run_hooks(tx: _Tx) -> None:
    """The before-commit hooks in order (a hook may add more); any failure becomes AuditNotWritten."""
    while tx.before_commit:
        hook = tx.before_commit.pop(0)
        try:
            hook()
        except SaveRefused:
            raise
        except duckdb.TransactionException:
            raise
        except Exception as exc:
            raise AuditNotWritten(AUDIT_NOT_WRITTEN) from exc


def _rollback(con: duckdb.DuckDBPyConnection) -> None:
    try:
        con.execute("rollback")
    except duckdb.Error:
        pass  # DuckDB has already ended a transaction that failed on a conflict
