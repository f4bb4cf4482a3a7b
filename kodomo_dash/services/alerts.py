"""Alerts for watched children (decision 067): what a monthly build brought about
a child someone is working with.

A child is watched while on a list of the workflow (casework ``wf_list_member``) or on someone's
worklist (``wf_open_items``). A monthly build records what is new per child
(``core.child_change_log``, decision 066); the rules of ``config/alerts.yaml`` say which kinds of
fact alert and for how long. An alert older than its rule's period is shown as expired, not as a
current risk. Every read takes the principal and stays within the matrix's scope; nothing is cached
(the rows name children).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from kodomo_dash.config.alerts import AlertRule, alert_rules
from kodomo_dash.infra.db import WarehouseMissing
from kodomo_dash.security.principal import Principal
from kodomo_dash.services.unit_of_work import Work, unit_of_work

PAGE = "worklist"
COLUMNS = ["resident_id", "ward_code", "kind", "label_ja", "label_en", "event_date", "arrived_on", "status",
           "assignees"]  # fmt: skip

_WATCHED = """
with watched as (
    select resident_id, ward_code, school_code, null::varchar as assignee from wf_list_member
    union all
    select resident_id, ward_code, school_code, assignee from wf_open_items
)
select resident_id, any_value(ward_code) as ward_code,
       string_agg(distinct assignee, ', ' order by assignee) as assignees,
       bool_or(assignee = ?) as mine
from watched
where (?::varchar[] is null or list_contains(?::varchar[], ward_code))
  and (?::varchar[] is null or list_contains(?::varchar[], school_code))
group by resident_id
"""


def _opt(codes) -> list[str] | None:
    return None if codes is None else list(codes)


def _alerts(w: Work, rules: dict[str, AlertRule], only_mine: bool) -> pd.DataFrame:
    watched = w.con.execute(_WATCHED, [w.principal.username, _opt(w.scope.wards), _opt(w.scope.wards),
                                       _opt(w.scope.schools), _opt(w.scope.schools)]).df()  # fmt: skip
    if only_mine:
        watched = watched[watched["mine"].fillna(False)]
    if watched.empty or not rules:
        return pd.DataFrame(columns=COLUMNS)
    try:
        cur = w.analytics()
    except WarehouseMissing:  # casework before any build: nothing has arrived to alert on
        return pd.DataFrame(columns=COLUMNS)
    arrived = arrived_alerts(cur, list(watched["resident_id"]), rules)
    if arrived.empty:
        return pd.DataFrame(columns=COLUMNS)
    out = arrived.merge(watched[["resident_id", "ward_code", "assignees"]], on="resident_id")
    return out[COLUMNS].reset_index(drop=True)


ARRIVED_COLUMNS = ["resident_id", "kind", "label_ja", "label_en", "event_date", "arrived_on", "status"]


def arrived_alerts(cur, resident_ids: list[str], rules: dict[str, AlertRule]) -> pd.DataFrame:
    """The alerting facts the monthly builds brought for these children (core.child_change_log), each
    current or expired by its rule's period counted from the build that brought it to the build now
    served. The caller has checked the principal's scope for every id (the card, the worklist)."""
    if not resident_ids or not rules:
        return pd.DataFrame(columns=ARRIVED_COLUMNS)
    has_log = cur.execute("select count(*) from duckdb_tables() where database_name = current_database()"
                          " and schema_name = 'core' and table_name = 'child_change_log'").fetchone()[0]  # fmt: skip
    if not has_log:
        return pd.DataFrame(columns=ARRIVED_COLUMNS)
    (as_of,) = cur.execute("select as_of from meta.build_info").fetchone()
    changes = cur.execute(
        "select resident_id, kind, event_date, value, min(as_of) as arrived_on from core.child_change_log"
        " where list_contains(?, resident_id) and list_contains(?, kind) group by all order by arrived_on, resident_id",
        [resident_ids, list(rules)],
    ).df()  # fmt: skip
    keep = [rules[k].min_value is None or (v is not None and not pd.isna(v) and v >= rules[k].min_value)
            for k, v in zip(changes["kind"], changes["value"], strict=True)]  # fmt: skip
    changes = changes[pd.Series(keep, index=changes.index, dtype=bool)]
    if changes.empty:
        return pd.DataFrame(columns=ARRIVED_COLUMNS)
    today = as_of if isinstance(as_of, dt.date) else pd.Timestamp(as_of).date()
    out = changes.copy()
    out["label_ja"] = [rules[k].label_ja for k in out["kind"]]
    out["label_en"] = [rules[k].label_en for k in out["kind"]]
    age = [(today - pd.Timestamp(a).date()).days for a in out["arrived_on"]]
    out["status"] = ["expired" if d > rules[k].expires_days else "current" for k, d in zip(out["kind"], age, strict=True)]
    return out[ARRIVED_COLUMNS].reset_index(drop=True)


def watched_alerts(principal: Principal, *, only_mine: bool = False) -> pd.DataFrame:
    """Alerts of the children watched within the principal's scope (``only_mine``: children on the
    principal's own worklist), newest build first within each status."""
    with unit_of_work(principal, PAGE, "view") as w:
        return _alerts(w, alert_rules(), only_mine)


def counts_by_ward(principal: Principal) -> pd.DataFrame:
    """Current and expired alerts per ward, for a manager's overview (within the principal's scope)."""
    with unit_of_work(principal, PAGE, "view") as w:
        alerts = _alerts(w, alert_rules(), only_mine=False)
    return counts_per_ward(alerts)


def counts_per_ward(alerts: pd.DataFrame) -> pd.DataFrame:
    """The per-ward counts of alerts already read (the worklist has them: no second read)."""
    if alerts.empty:
        return pd.DataFrame(columns=["ward_code", "current", "expired", "children"])
    table = alerts.pivot_table(index="ward_code", columns="status", values="kind", aggfunc="count", fill_value=0)
    table = table.reindex(columns=["current", "expired"], fill_value=0)
    table["children"] = alerts[alerts["status"] == "current"].groupby("ward_code")["resident_id"].nunique()
    return table.fillna(0).astype(int).reset_index()
