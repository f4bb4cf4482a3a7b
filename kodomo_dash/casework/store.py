"""Shared plumbing for the push-support workflow: errors with Japanese messages, transactions, audit.

Every write in the workflow goes through `kodomo_dash.infra.transaction.transaction()`, so a save
is either whole or absent and "saved" is only reported after COMMIT has returned; it nests, so a
bulk action or the scenario simulation wraps many saves in one transaction.

Auditing is a callback, not an import of kodomo_dash.security. Inside a transaction the callback runs
just before COMMIT, in the same transaction (:func:`call_audit`), so a save and its audit row
commit together or not at all; a refused save is audited in a transaction of its own.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from typing import Any

import duckdb

from kodomo_dash.config.messages import msg
from kodomo_dash.infra.transaction import (  # noqa: F401 - re-exported: the casework modules' one import
    CONFLICT,
    AuditNotWritten,
    ConcurrentChangeError,
    SaveRefused,
    before_commit,
    in_transaction,
    transaction,
    tx_scratch,
)

# The audit callback receives one plain dict per save:
#   action      always "form_save" (one of kodomo_dash.security.audit.ACTIONS)
#   actor       username of whoever saved
#   resident_id the child's 宛名番号, or None
#   target      "form:<form_id>" / "wf_event:<id>" / "wf_list:<list_id>"
#   n_children  children touched (1 for a form, list size for a list acceptance)
#   detail      small dict of short scalars (op, form_type, version, stage, ...), never free text
AuditFn = Callable[[Mapping[str, Any]], None]


def no_audit(event: Mapping[str, Any]) -> None:
    """Default callback for scripts and tests; the app passes one that writes audit_log."""


# A refusal the page shows as is (message_ja, field_errors); the one error type of every save.
CaseworkError = SaveRefused


class NotFoundError(CaseworkError):
    pass


def utcnow() -> datetime:
    """UTC without a zone, the convention of every casework timestamp (see 010_auth_audit)."""
    return datetime.now(UTC).replace(tzinfo=None)


def actor_name(actor: Any) -> str:
    """A Principal (anything with .username) or a bare username string."""
    name = getattr(actor, "username", actor)
    name = "" if name is None else str(name).strip()
    if not name:
        raise CaseworkError(msg("cw.no_actor"))
    return name


def call_audit(audit: AuditFn | None, event: Mapping[str, Any], *, con: duckdb.DuckDBPyConnection) -> None:
    """Write the save's audit row in the save's own transaction, just before it commits.

    Outside a transaction (a refusal, audited after the failed save rolled back) the row gets a
    transaction of its own. Either way a failing audit raises (AuditNotWritten inside a save, which
    rolls the save back): there is no path where a save commits without its row.
    """
    if audit is None:
        return
    ev = dict(event)
    if before_commit(con, lambda: audit(ev)):
        return
    with transaction(con):
        before_commit(con, lambda: audit(ev))


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
