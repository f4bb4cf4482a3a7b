"""Authorisation: page, row and column checks, all read from authz_matrix.yaml.

One machine-readable matrix (role x page x action, role -> column groups, role -> row
scope) drives the checks here and the parametrised tests over every cell, so the design
and the enforcement cannot drift apart. Checks live in the library, not in page code, so
a page cannot forget one: queries that return people take the principal and build their
WHERE clause and select list through scope_predicate and allowed_columns.

Every refusal by require()/require_columns() is audited through a recorder the app
registers once at start-up (set_denial_recorder); without one, require() logs a warning
and still refuses.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from kodomo_dash.config.messages import CodedError, Localized, msg
from kodomo_dash.config.pages import pages as config_pages
from kodomo_dash.security.principal import ROLES, Principal

MATRIX_PATH = Path(__file__).with_name("authz_matrix.yaml")
ACTIONS: tuple[str, ...] = ("view", "search", "save", "export")

log = logging.getLogger(__name__)

# A SQL identifier, optionally qualified once (alias.column). Column names come from code,
# never from users; the check stops a caller passing an expression by mistake.
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$")


class AccessDenied(CodedError, PermissionError):
    """The principal may not do this. ``.message`` is coded (decision 065): the page words it in the
    viewer's language, str() is the Japanese."""

    def __init__(self, principal: Principal | None, page: str, action: str, reason: str = "") -> None:
        self.principal = principal
        self.page = page
        self.action = action
        self.reason = reason
        what = Localized(page_label_ja(page), page_label(page, "en"))
        done = Localized(*_ACTION.get(action, (action, action)))
        super().__init__(msg("authz.denied", what=what, action=done))


# The action as a refusal names it (ja, en).
_ACTION = {"view": ("閲覧", "view"), "search": ("検索", "search"), "save": ("保存", "save"),
           "export": ("出力", "export"), "columns": ("項目の閲覧", "see these items")}  # fmt: skip


class MatrixError(ValueError):
    """authz_matrix.yaml names an unknown role, action or column group."""


@dataclass(frozen=True)
class Matrix:
    roles: tuple[str, ...]
    actions: tuple[str, ...]
    pages: dict[str, dict[str, frozenset[str]]]
    operations: dict[str, dict[str, frozenset[str]]]
    labels: dict[str, str]
    labels_en: dict[str, str]
    row_scope: dict[str, str]
    column_groups: dict[str, str]
    role_column_groups: dict[str, frozenset[str]]
    source_column_group: dict[str, str]
    column_group_overrides: dict[str, str]

    @property
    def resources(self) -> dict[str, dict[str, frozenset[str]]]:
        return {**self.pages, **self.operations}


def _parse(raw: dict) -> Matrix:
    roles = tuple(raw["roles"])
    if roles != ROLES:
        raise MatrixError(f"roles in matrix {roles} differ from principal.ROLES {ROLES}")
    actions = tuple(raw["actions"])
    if actions != ACTIONS:
        raise MatrixError(f"actions in matrix {actions} differ from {ACTIONS}")
    groups = dict(raw["column_groups"])
    labels: dict[str, str] = {}
    labels_en: dict[str, str] = {}

    def allow_table(section: dict) -> dict[str, dict[str, frozenset[str]]]:
        out = {}
        for name, spec in section.items():
            labels[name] = spec.get("label_ja", name)
            labels_en[name] = spec.get("label_en") or name.replace("_", " ")
            allow = spec.get("allow") or {}
            per_role = {}
            for role, acts in allow.items():
                if role not in roles:
                    raise MatrixError(f"{name}: unknown role {role}")
                bad = set(acts) - set(actions)
                if bad:
                    raise MatrixError(f"{name}/{role}: unknown actions {bad}")
                per_role[role] = frozenset(acts)
            out[name] = per_role
        return out

    # Pages are defined once, in config/pages.yaml (with their menu titles); operations here.
    pages = allow_table({p.key: {"label_ja": p.title_ja, "label_en": p.title["en"], "allow": dict(p.allow)}
                         for p in config_pages()})  # fmt: skip
    operations = allow_table(raw.get("operations") or {})
    row_scope = dict(raw["row_scope"])
    if set(row_scope) != set(roles) or not set(row_scope.values()) <= {"all", "ward", "school", "none"}:
        raise MatrixError("row_scope must give one of all/ward/school/none for every role")
    rcg = {}
    for role in roles:
        gs = frozenset(raw["role_column_groups"].get(role, []))
        if not gs <= set(groups):
            raise MatrixError(f"{role}: unknown column groups {gs - set(groups)}")
        rcg[role] = gs
    for mapping in (raw.get("source_column_group") or {}, raw.get("column_group_overrides") or {}):
        bad = set(mapping.values()) - set(groups)
        if bad:
            raise MatrixError(f"unknown column groups {bad}")
    return Matrix(
        roles=roles,
        actions=actions,
        pages=pages,
        operations=operations,
        labels=labels,
        labels_en=labels_en,
        row_scope=row_scope,
        column_groups=groups,
        role_column_groups=rcg,
        source_column_group=dict(raw.get("source_column_group") or {}),
        column_group_overrides=dict(raw.get("column_group_overrides") or {}),
    )


@cache
def load_matrix(path: Path = MATRIX_PATH) -> Matrix:
    """The matrix, parsed and checked once per process (it ships with the code)."""
    return _parse(yaml.safe_load(path.read_text(encoding="utf-8")))


def page_names() -> tuple[str, ...]:
    return tuple(load_matrix().pages)


def page_label_ja(page: str) -> str:
    return load_matrix().labels.get(page, page)


def page_label(page: str, lang: str = "ja") -> str:
    """A page's or an operation's name as a refusal says it, in ``lang``."""
    return page_label_ja(page) if lang != "en" else load_matrix().labels_en.get(page, page)


# --------------------------------------------------------------------------- page level


def can(principal: Principal | None, page: str, action: str = "view") -> bool:
    """True when the principal's role may do `action` on `page` (or operation).

    Unknown pages and actions are refused, not errors: a typo must fail closed.
    """
    if principal is None:
        return False
    allowed = load_matrix().resources.get(page, {}).get(principal.role, frozenset())
    return action in allowed


def pages_for(principal: Principal) -> list[str]:
    """Pages the role may open, in matrix order: what st.navigation should list."""
    return [p for p in load_matrix().pages if can(principal, p, "view")]


DenialRecorder = Callable[[Principal | None, str, str, str], None]
_recorder: DenialRecorder | None = None


def set_denial_recorder(recorder: DenialRecorder | None) -> None:
    """Register how refusals are audited (app start-up: audit.denial_recorder(...))."""
    global _recorder
    _recorder = recorder


def _deny(principal: Principal | None, page: str, action: str, reason: str) -> AccessDenied:
    if _recorder is None:
        log.warning("access denied without an audit recorder: %s %s %s", page, action, reason)
    else:
        _recorder(principal, page, action, reason)
    return AccessDenied(principal, page, action, reason)


def require(principal: Principal | None, page: str, action: str = "view") -> None:
    """Refuse (AccessDenied, audited) unless can(principal, page, action)."""
    if not can(principal, page, action):
        raise _deny(principal, page, action, "not in matrix")


# --------------------------------------------------------------------------- field level


def allowed_column_groups(principal: Principal | None) -> frozenset[str]:
    if principal is None:
        return frozenset()
    return load_matrix().role_column_groups[principal.role]


def column_group(column: str, source: str | None = None) -> str:
    """The column group of a column: name override first, then its source's default.

    An unknown column with no source is classed 'identity', the most guarded group a
    non-tax column can have, so an unmapped column fails closed for evaluators.
    """
    m = load_matrix()
    bare = column.rsplit(".", 1)[-1]
    if bare in m.column_group_overrides:
        return m.column_group_overrides[bare]
    if source is not None and source in m.source_column_group:
        return m.source_column_group[source]
    return "identity"


def allowed_columns(principal: Principal | None, columns: Mapping[str, str]) -> list[str]:
    """Of `columns` (name -> column group), the names this principal may receive.

    Query builders pass their full select list and get back the permitted part, so a tax
    or welfare column never leaves the query layer for a role that may not see it.
    """
    groups = allowed_column_groups(principal)
    return [c for c, g in columns.items() if g in groups]


def require_columns(principal: Principal | None, groups: Iterable[str], page: str = "columns") -> None:
    """Refuse (AccessDenied, audited) if any of `groups` is outside the principal's groups."""
    missing = sorted(set(groups) - allowed_column_groups(principal))
    if missing:
        raise _deny(principal, page, "columns", "column groups: " + ",".join(missing))


# --------------------------------------------------------------------------- row level


def row_scope(principal: Principal | None) -> str:
    if principal is None:
        return "none"
    return load_matrix().row_scope[principal.role]


def _ident(col: str) -> str:
    if not _IDENT.match(col):
        raise ValueError(f"not a column identifier: {col!r}")
    return ".".join(f'"{part}"' for part in col.split("."))


def scope_predicate(
    principal: Principal | None, ward_col: str | None = "ward_code", school_col: str | None = None
) -> tuple[str, list[str]]:
    """A WHERE fragment and its parameters limiting rows to the principal's scope.

    Values are always bound parameters (?), never formatted into the SQL. A scope that
    cannot be expressed (a ward-scoped role on a table without a ward column, an empty
    scope list, or a role with no person rows) yields 'FALSE': fail closed.
    """
    scope = row_scope(principal)
    if scope == "all":
        return "TRUE", []
    if scope == "ward":
        codes, col = principal.ward_codes, ward_col
    elif scope == "school":
        codes, col = principal.school_codes, school_col
    else:
        return "FALSE", []
    if not col or not codes:
        return "FALSE", []
    marks = ", ".join("?" for _ in codes)
    return f"{_ident(col)} IN ({marks})", list(codes)


def in_scope(
    principal: Principal | None, ward_code: str | None = None, school_code: str | None = None
) -> bool:
    """The same rule as scope_predicate for one already-fetched row (e.g. a child card)."""
    scope = row_scope(principal)
    if scope == "all":
        return True
    if scope == "ward":
        return ward_code is not None and str(ward_code) in principal.ward_codes
    if scope == "school":
        return school_code is not None and str(school_code) in principal.school_codes
    return False
