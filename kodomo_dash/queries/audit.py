"""Reads of the audit trail for pages: the admin filter, verify status, and "who viewed this child".

Every function takes the principal and checks the matrix; the admin log is admin only, the
"who viewed" list follows the child card's own right (a viewer sees who else viewed a child
they may view). Casework is read through kodomo_dash.auth.audit.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from kodomo_dash.auth import audit, matrix
from kodomo_dash.auth.principal import Principal
from kodomo_dash.db import casework_connection

COLUMNS = ["seq", "occurred_at", "username", "role", "action", "page", "resident_id", "target", "n_children",
           "detail"]


def audit_rows(principal: Principal, *, username: str | None = None, resident_id: str | None = None,
               action: str | None = None, since: dt.date | None = None, until: dt.date | None = None,
               limit: int = 1000) -> pd.DataFrame:
    matrix.require(principal, "audit_log", "search")
    with casework_connection() as con:
        rows = audit.query(
            con, username=(username or "").strip()[:64] or None, resident_id=(resident_id or "").strip()[:32] or None,
            action=action or None,
            since=dt.datetime.combine(since, dt.time.min) if since else None,
            until=dt.datetime.combine(until, dt.time.max) if until else None, limit=limit)
    return pd.DataFrame(rows, columns=COLUMNS) if rows else pd.DataFrame(columns=COLUMNS)


def verify_status(principal: Principal) -> audit.VerifyResult:
    matrix.require(principal, "audit_log", "view")
    with casework_connection() as con:
        return audit.verify(con)


def viewers_of_child(principal: Principal, resident_id: str, limit: int = 50) -> pd.DataFrame:
    """Who viewed or exported this child, newest first (the card's 閲覧履歴)."""
    matrix.require(principal, "child_card", "view")
    with casework_connection() as con:
        return con.execute(
            "select occurred_at, username, role, action from audit_log"
            " where resident_id = ? and action in ('view_child', 'export') order by seq desc limit ?",
            [str(resident_id)[:32], int(limit)]).fetchdf()
