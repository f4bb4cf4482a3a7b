"""The one frame of every service call a person makes: matrix, scope, casework, audit (decision 059).

A screen, the command line or the scenario simulation asks a service to read or save on behalf of
a principal; every such function enters :func:`unit_of_work` with the page and action it serves,
as the authorisation matrix (``security/authz_matrix.yaml`` and ``config/pages.yaml``) names them.
So there is one place where

* the matrix is asked (a refusal raises AccessDenied, audited by the recorder, before anything
  is opened or written);
* the principal's row scope is read from the matrix alone (:func:`scope_of`), never from a page;
* casework is opened, in one transaction, only when the work touches it: a read of the
  analytical build pays nothing for casework, and a save and the audit rows it writes commit
  together or not at all (the body raising rolls both back);
* the audit callback of the casework library writes into that same transaction;
* a read of the analytical build gets a cursor on the current build, closed with the unit.

While the unit's casework connection is open it is bound (:func:`bound_casework`), so a service
the body calls joins the same transaction instead of opening the file a second time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, closing, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import duckdb

from kodomo_dash.casework import workflow as casework_workflow
from kodomo_dash.config.messages import msg
from kodomo_dash.infra.db import analytics_cursor, casework_connection, casework_path
from kodomo_dash.infra.migrate import migrate
from kodomo_dash.infra.transaction import transaction
from kodomo_dash.security import audit as auth_audit
from kodomo_dash.security import matrix
from kodomo_dash.security.principal import Principal
from kodomo_dash.services.errors import OutOfScope

__all__ = ["Scope", "Work", "bound_casework", "casework", "scope_of", "unit_of_work"]

_migrated: set[str] = set()
_bound: ContextVar[duckdb.DuckDBPyConnection | None] = ContextVar("kodomo_bound_casework", default=None)


# ---------------------------------------------------------------------------------------------
# casework connection
# ---------------------------------------------------------------------------------------------


@contextmanager
def bound_casework(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """Make every service call in this context use `con` (and its open transaction).

    A batch that plays many people's steps (the scenario year, a bulk import) opens one transaction
    on its connection and binds it here, so each service call — matrix check, scope check, save,
    audit row — joins that transaction instead of opening the file again.
    """
    token = _bound.set(con)
    try:
        yield con
    finally:
        _bound.reset(token)


@contextmanager
def casework() -> Iterator[duckdb.DuckDBPyConnection]:
    """One casework connection, migrated once per process and file.

    Always read-write: DuckDB refuses a read-only and a read-write connection on the same file in
    one process, and the app's sessions read and save side by side. Inside :func:`bound_casework`
    the bound connection is used as it is.
    """
    bound = _bound.get()
    if bound is not None:
        yield bound
        return
    with casework_connection() as con:
        key = str(casework_path())
        if key not in _migrated:
            migrate(con)
            _migrated.add(key)
        yield con


# ---------------------------------------------------------------------------------------------
# scope
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """Row scope of a principal: None = every ward/school; a tuple = only those; persons = may see children."""

    ward_codes: tuple[str, ...] | None
    school_codes: tuple[str, ...] | None
    persons: bool

    @property
    def wards(self) -> list[str] | None:
        return None if self.ward_codes is None else list(self.ward_codes)

    @property
    def schools(self) -> list[str] | None:
        return None if self.school_codes is None else list(self.school_codes)


def scope_of(principal: Principal) -> Scope:
    """The matrix's row_scope of the principal's role, filled with the codes the account carries.

    Nothing a page passes can widen it: the kind comes from the matrix, the codes from the account.
    """
    kind = matrix.row_scope(principal)
    if kind == "all":
        return Scope(None, None, True)
    if kind == "ward":
        return Scope(tuple(principal.ward_codes), None, True)
    if kind == "school":
        return Scope(None, tuple(principal.school_codes), True)
    return Scope((), (), False)


# ---------------------------------------------------------------------------------------------
# the unit of work
# ---------------------------------------------------------------------------------------------


def _audit_callback(con: duckdb.DuckDBPyConnection, principal: Principal, page: str) -> Callable[[Mapping[str, Any]], None]:
    """The casework library's audit callback, writing to the audit log in the unit's own transaction."""

    def record(event: Mapping[str, Any]) -> None:
        detail = dict(event.get("detail") or {})
        detail["page"] = page
        auth_audit.record(
            con,
            principal,
            event["action"],
            page=page,
            resident_id=event.get("resident_id"),
            target=event.get("target"),
            n_children=event.get("n_children"),
            detail=detail,
        )

    return record


class Work:
    """One unit of work: who acts, on which page and action, within which scope.

    The casework connection and the analytical cursor are opened on first use, so a unit that
    never touches one of them pays nothing for it.
    """

    __slots__ = ("_analytics", "_con", "_library_tx", "_stack", "action", "page", "principal", "scope")

    def __init__(self, principal: Principal, page: str, action: str, stack: ExitStack, library_tx: bool) -> None:
        self.principal = principal
        self.page = page
        self.action = action
        self.scope = scope_of(principal)
        self._stack = stack
        self._library_tx = library_tx
        self._con: duckdb.DuckDBPyConnection | None = None
        self._analytics: duckdb.DuckDBPyConnection | None = None

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        """Casework, inside the unit's transaction (opened, begun and bound on first use)."""
        if self._con is None:
            con = self._stack.enter_context(casework())
            if not self._library_tx:
                self._stack.enter_context(transaction(con))
            self._stack.enter_context(bound_casework(con))
            self._con = con
        return self._con

    @property
    def audit(self) -> Callable[[Mapping[str, Any]], None]:
        """The casework library's audit callback for this unit (its rows join the save's transaction)."""
        return _audit_callback(self.con, self.principal, self.page)

    def record(self, action: str, **fields: Any) -> auth_audit.AuditEvent:
        """One audit row under this unit's principal and page, in its transaction."""
        fields.setdefault("page", self.page)
        return auth_audit.record(self.con, self.principal, action, **fields)

    def analytics(self) -> duckdb.DuckDBPyConnection:
        """A cursor on the current analytical build, closed when the unit ends."""
        if self._analytics is None:
            self._analytics = self._stack.enter_context(closing(analytics_cursor()))
        return self._analytics

    def in_scope(self, ward_code: str | None = None, school_code: str | None = None) -> bool:
        return matrix.in_scope(self.principal, ward_code, school_code)

    def predicate(self, ward_col: str | None = "ward_code", school_col: str | None = None) -> tuple[str, list[str]]:
        """The WHERE fragment and parameters of the principal's scope (matrix.scope_predicate)."""
        return matrix.scope_predicate(self.principal, ward_col, school_col)

    def require_persons(self) -> Scope:
        """The scope, refused when the role never receives rows about individual children."""
        if not self.scope.persons:
            raise OutOfScope(msg("scope.no_persons"))
        return self.scope

    def check_child(self, list_id: str, resident_id: str) -> casework_workflow.ChildState:
        """The child's list facts and trail; refused when not on the list or outside the principal's scope.

        Loaded through ``workflow.load_child``, so inside the transaction the stage rules reuse this
        load instead of reading the child again.
        """
        child = casework_workflow.load_child(self.con, list_id, resident_id)
        if not self.in_scope(child.member.ward_code, child.member.school_code):
            raise OutOfScope(msg("scope.child_out_of_scope", rid=resident_id))
        return child


@contextmanager
def unit_of_work(principal: Principal, page: str, action: str, *, library_tx: bool = False) -> Iterator[Work]:
    """The frame of every service call made for a principal: matrix check first, then the work.

    A refusal raises before anything is opened, so it writes nothing but the recorder's
    access_denied row. Whatever the body writes to casework (its save, its audit rows) commits
    when the body returns and rolls back when it raises.

    ``library_tx=True`` is for a save whose casework library opens the transaction itself and
    audits its own refusals after rolling the save back (a stale form version, a concurrent change;
    an extract whose file is gone before its row): there the save and its audit row still commit
    together in the library's transaction, and the refusal's row is not lost with it.
    """
    matrix.require(principal, page, action)
    with ExitStack() as stack:
        yield Work(principal, page, action, stack, library_tx)
