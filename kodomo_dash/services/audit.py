"""Reads of the audit trail for pages: the admin filter, verify status, and "who viewed this child".

Every function takes the principal and runs as one unit of work (services.unit_of_work), which
checks the matrix; the admin log is admin only, the "who viewed" list follows the child card's own
right (a viewer sees who else viewed a child they may view). Casework is read through
kodomo_dash.security.audit.
"""

from __future__ import annotations

import datetime as dt
import json
import threading

import pandas as pd

from kodomo_dash.infra.db import casework_path
from kodomo_dash.security import audit
from kodomo_dash.security.principal import Principal
from kodomo_dash.services.unit_of_work import unit_of_work

ACTIONS = audit.ACTIONS  # the audit trail's action codes, for the log screen's filter

COLUMNS = ["seq", "occurred_at", "username", "role", "action", "page", "resident_id", "target", "n_children",
           "detail"]


def audit_rows(principal: Principal, *, username: str | None = None, resident_id: str | None = None,
               action: str | None = None, since: dt.date | None = None, until: dt.date | None = None,
               limit: int = 1000, record: bool = False) -> pd.DataFrame:
    """The admin filter (user, child, action, dates), newest first.

    record=True audits the look-up itself as a 'search' (which fields were used, never their
    values): looking up who did what with a child is itself an access to be accounted for.
    """
    with unit_of_work(principal, "audit_log", "search") as w:
        if record:
            fields = [name for name, value in (("username", username), ("resident_id", resident_id),
                                               ("action", action), ("since", since), ("until", until)) if value]
            w.record("search", target="audit_log", detail={"fields": fields})
        rows = audit.query(
            w.con, username=(username or "").strip()[:64] or None, resident_id=(resident_id or "").strip()[:32] or None,
            action=action or None,
            since=dt.datetime.combine(since, dt.time.min) if since else None,
            until=dt.datetime.combine(until, dt.time.max) if until else None, limit=limit)
    return pd.DataFrame(rows, columns=COLUMNS) if rows else pd.DataFrame(columns=COLUMNS)


_verified_through: dict[str, tuple[int, str]] = {}  # casework file -> newest row a walk found intact
_verified_lock = threading.Lock()


def verify_status(principal: Principal, full: bool = False) -> audit.VerifyResult:
    """The chain's state for the audit page: the rows added since the last intact walk, or all.

    Walking every row costs about 30 µs each (a year of card views is hundreds of thousands), so
    the page resumes after the newest row an earlier walk in this process found intact
    (`audit.verify(resume=...)`); `full=True` (the page's button, or `kodomo audit verify`)
    walks the whole chain again, which is what finds an edit to an old row.
    """
    with unit_of_work(principal, "audit_log", "view") as w:
        path = str(casework_path())
        with _verified_lock:
            resume = None if full else _verified_through.get(path)
        result = audit.verify(w.con, resume=resume)
    with _verified_lock:
        if result.ok and result.head_seq is not None:
            _verified_through[path] = (result.head_seq, result.head_hash or "")
        else:
            _verified_through.pop(path, None)
    return result


def viewers_of_child(principal: Principal, resident_id: str, limit: int = 50) -> pd.DataFrame:
    """Who viewed or exported this child, newest first (the card's 閲覧履歴)."""
    with unit_of_work(principal, "child_card", "view") as w:
        return w.con.execute(
            "select occurred_at, username, role, action from audit_log"
            " where resident_id = ? and action in ('view_child', 'export') order by seq desc limit ?",
            [str(resident_id)[:32], int(limit)]).fetchdf()


def audit_usernames(principal: Principal) -> list[str]:
    """Every username that appears in the log, for the filter's choice list."""
    with unit_of_work(principal, "audit_log", "view") as w:
        return [r[0] for r in w.con.execute("select distinct username from audit_log order by 1").fetchall()]


def audit_settings(principal: Principal) -> audit.AuditConfig:
    """Retention and mass-download alert settings in force (app_setting, else the defaults)."""
    with unit_of_work(principal, "audit_log", "view") as w:
        return audit.load_config(w.con)


ALERT_COLUMNS = ["occurred_at", "username", "role", "n_children", "threshold", "window_minutes"]


def mass_download_alerts(principal: Principal, since: dt.date | None = None, limit: int = 200) -> pd.DataFrame:
    """Amagasaki's mass-download alerts (one row per user and window), newest first."""
    with unit_of_work(principal, "audit_log", "view") as w:
        rows = audit.query(w.con, action="alert", since=dt.datetime.combine(since, dt.time.min) if since else None,
                           limit=limit)
    out = []
    for r in rows:
        d = json.loads(r["detail"] or "{}")
        out.append({"occurred_at": r["occurred_at"], "username": r["username"], "role": r["role"],
                    "n_children": r["n_children"], "threshold": d.get("threshold"),
                    "window_minutes": d.get("window_minutes")})
    return pd.DataFrame(out, columns=ALERT_COLUMNS)


def audit_csv(principal: Principal, rows: pd.DataFrame) -> bytes:
    """The filtered rows as CSV (UTF-8 with BOM for Excel), audited as an export.

    Cells starting with = + - @ are prefixed with ' so a spreadsheet does not run them as
    formulas (usernames and pages are short, but they still come from outside).
    """
    with unit_of_work(principal, "audit_log", "export") as w:
        safe = rows.fillna("").astype(str).map(lambda v: "'" + v if v[:1] in ("=", "+", "-", "@", "\t", "\r") else v)
        # n_children stays empty: the file holds ids and actions, not the children's data, so it does not
        # count towards the mass-download alert; the number of ids is kept in the detail.
        children = int(rows["resident_id"].dropna().nunique()) if "resident_id" in rows else 0
        w.record("export", target="audit_log", detail={"rows": len(rows), "ids": children})
    return safe.to_csv(index=False).encode("utf-8-sig")
