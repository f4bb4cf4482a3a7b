"""Shared plumbing for the push-support workflow: errors with Japanese messages, transactions, audit.

Every write in the workflow goes through `transaction()`, so a save is either whole or absent and
"saved" is only reported after COMMIT has returned. The same helper nests: an outer caller (the
scenario simulation, a bulk request) can wrap many saves in one transaction and the inner calls
join it instead of committing on their own.

Auditing is a callback, not an import of kodomo_dash.auth: the auth module writes its chained
audit row in a transaction of its own, so the workflow calls the callback *after* its own commit
(a refused save is audited too). The casework tables keep their own who/when (recorded_by,
saved_by), so even a crash between the commit and the audit row leaves the author on record.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any

import duckdb

# The audit callback receives one plain dict per save:
#   action      always "form_save" (one of kodomo_dash.auth.audit.ACTIONS)
#   actor       username of whoever saved
#   resident_id the child's 宛名番号, or None
#   target      "form:<form_id>" / "wf_event:<id>" / "wf_list:<list_id>"
#   n_children  children touched (1 for a form, list size for a list acceptance)
#   detail      small dict of short scalars (op, form_type, version, stage, ...), never free text
AuditFn = Callable[[Mapping[str, Any]], None]


def no_audit(event: Mapping[str, Any]) -> None:
    """Default callback for scripts and tests; the app passes one that writes audit_log."""


class CaseworkError(Exception):
    """A refusal the page shows as is: `message_ja` for the banner, `field_errors` next to fields."""

    def __init__(self, message_ja: str, *, field_errors: Mapping[str, str] | None = None) -> None:
        super().__init__(message_ja)
        self.message_ja = message_ja
        self.field_errors: dict[str, str] = dict(field_errors or {})


class NotFoundError(CaseworkError):
    pass


class ConcurrentChangeError(CaseworkError):
    """Another session changed the same record in a transaction that committed first."""


class AuditFailed(CaseworkError):
    """The save committed but the audit callback raised; `result` is what was saved."""

    def __init__(self, result: Any, cause: BaseException) -> None:
        super().__init__(
            "保存は完了しましたが、操作履歴（監査ログ）の記録に失敗しました。システム管理者に連絡してください。"
        )
        self.result = result
        self.__cause__ = cause


CONFLICT_MESSAGE_JA = "同じ記録を別の職員が同時に更新したため、保存できませんでした。画面を読み込み直してから、もう一度保存してください。"


def utcnow() -> datetime:
    """UTC without a zone, the convention of every casework timestamp (see 010_auth_audit)."""
    return datetime.now(UTC).replace(tzinfo=None)


def actor_name(actor: Any) -> str:
    """A Principal (anything with .username) or a bare username string."""
    name = getattr(actor, "username", actor)
    name = "" if name is None else str(name).strip()
    if not name:
        raise CaseworkError("記録者（ログインユーザー）が分かりません。ログインし直してください。")
    return name


def _is_conflict(exc: BaseException) -> bool:
    return isinstance(exc, duckdb.TransactionException) and "conflict" in str(exc).lower()


class _Tx:
    """What one open transaction() knows: whether a nested block failed, and a per-transaction cache."""

    def __init__(self) -> None:
        self.failed = False
        self.scratch: dict[Any, Any] = {}
        self.deferred_audit: list[tuple[AuditFn, Mapping[str, Any], Any]] = []


_open_transactions: dict[int, _Tx] = {}  # id() of connections inside transaction() right now


def tx_scratch(con: duckdb.DuckDBPyConnection) -> dict[Any, Any] | None:
    """A dict living exactly as long as the transaction() open on `con` (None outside one).

    The stage rules cache a child's loaded state here, so a batch (the simulation, a bulk request)
    does not reload it for every event; the cache dies with the transaction, so no reader ever sees
    state from another transaction.
    """
    tx = _open_transactions.get(id(con))
    return None if tx is None else tx.scratch


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[bool]:
    """BEGIN … COMMIT, or join the transaction() already open on `con` (yields True when we own it).

    Nesting is tracked here rather than by trying BEGIN, because a failed BEGIN inside a transaction
    aborts that transaction in DuckDB. An outer transaction must therefore be opened with this
    helper too, not with a bare BEGIN. DuckDB has no savepoints, so a nested block that fails may
    have written part of its work: the outer transaction is then marked failed and refuses to
    commit, even if the caller caught the error. A write-write conflict with another session
    (DuckDB raises it at the UPDATE or at COMMIT) becomes ConcurrentChangeError; nothing is written.
    """
    key = id(con)
    outer = _open_transactions.get(key)
    if outer is not None:
        try:
            yield False  # nested: the outer owner commits or rolls back
        except BaseException:
            outer.failed = True
            raise
        return
    con.execute("begin transaction")
    tx = _open_transactions[key] = _Tx()
    try:
        try:
            yield True
        except BaseException as exc:
            _rollback(con)
            if _is_conflict(exc):
                raise ConcurrentChangeError(CONFLICT_MESSAGE_JA) from exc
            raise
        if tx.failed:
            _rollback(con)
            raise CaseworkError("途中の保存に失敗したため、この一連の保存はすべて取り消しました。")
        try:
            con.execute("commit")
        except duckdb.Error as exc:
            _rollback(con)
            if _is_conflict(exc):
                raise ConcurrentChangeError(CONFLICT_MESSAGE_JA) from exc
            raise
    finally:
        _open_transactions.pop(key, None)
    _flush_audit(tx.deferred_audit)


def _flush_audit(deferred: list[tuple[AuditFn, Mapping[str, Any], Any]]) -> None:
    """Audit what a batch saved, now that it is committed; report the first failure after trying all."""
    failure: AuditFailed | None = None
    for audit, event, result in deferred:
        try:
            call_audit(audit, event, result)
        except AuditFailed as exc:
            failure = failure or exc
    if failure is not None:
        raise failure


def _rollback(con: duckdb.DuckDBPyConnection) -> None:
    try:
        con.execute("rollback")
    except duckdb.Error:
        pass  # DuckDB has already ended a transaction that failed on a conflict


def call_audit(
    audit: AuditFn | None,
    event: Mapping[str, Any],
    result: Any = None,
    *,
    con: duckdb.DuckDBPyConnection | None = None,
) -> None:
    """Run the callback after the commit; a failure is raised as AuditFailed carrying the result.

    Inside an outer transaction() on `con` (a batch) the event waits until that transaction has
    committed — the callback may write its own transaction, and nothing is audited that was rolled back.
    """
    if audit is None:
        return
    tx = _open_transactions.get(id(con)) if con is not None else None
    if tx is not None:
        tx.deferred_audit.append((audit, dict(event), result))
        return
    try:
        audit(dict(event))
    except Exception as exc:  # the save is durable already; say so instead of hiding it
        raise AuditFailed(result, exc) from exc


def as_date(value: Any) -> date:
    """Dates arrive as date, datetime or ISO text; anything else is a programming error."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        return date.fromisoformat(value.strip())
    raise TypeError(f"not a date: {value!r}")


def canonical_json(value: Any) -> str:
    """Stable JSON (sorted keys, Japanese kept readable) so equal content hashes equally."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=_json_default)


def _json_default(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"cannot store {type(value).__name__} in casework JSON")


def fmt_date_ja(d: date | None) -> str:
    """2025-09-01 → 2025年9月1日: how dates read in a message."""
    if d is None:
        return "（日付なし）"
    return f"{d.year}年{d.month}月{d.day}日"
