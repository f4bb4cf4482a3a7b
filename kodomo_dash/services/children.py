"""Every read about one child or a search for children: always scoped by the signed-in principal.

Each function takes the principal and enforces, here and not in page code:
* page/action: its unit of work (services.unit_of_work; refusals are audited by the recorder
  app.py registers), whose audit rows commit in one transaction;
* rows: the unit's scope predicate (own ward for ward staff; nothing for evaluators);
* columns: matrix.allowed_columns — tax and income leave this module only for admin and
  yotaikyo; welfare/health/school indicators only for roles holding those groups.
Search text is bound as parameters, never formatted into SQL, and never logged: the audit
row of a search says which criteria were used, not what was typed. Nothing here is cached in
st.cache_* (it is personal data).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from kodomo_dash.casework import vocabulary
from kodomo_dash.config.alerts import alert_rules, screening_flag_days
from kodomo_dash.reports import summary_sheet
from kodomo_dash.security import matrix
from kodomo_dash.security.principal import Principal
from kodomo_dash.services.alerts import arrived_alerts
from kodomo_dash.services.household import relationship_label
from kodomo_dash.services.unit_of_work import unit_of_work
from kodomo_dash.warehouse.linkage.normalise import kana_loose, name_strict

MAX_INPUT = 100
SEARCH_LIMIT = 200

IDENTITY_COLUMNS = {
    "resident_id": "identity",
    "name_kanji": "identity",
    "name_kana": "identity",
    "alias_name": "identity",
    "birth_date": "identity",
    "sex": "identity",
    "age_years": "identity",
    "address_text": "identity",
    "ward_code": "identity",
    "ward_name": "identity",
    "household_id": "identity",
    "nationality": "identity",
}
TAX_COLUMNS = {"tax_exempt": "tax", "income_band": "tax"}


class InputTooLong(ValueError):
    """A search field longer than MAX_INPUT: refused before it reaches SQL."""


@dataclass(frozen=True)
class SearchCriteria:
    name: str = ""
    exact: bool = False
    address: str = ""
    birth_date: dt.date | None = None
    sex: str | None = None  # "1" male, "2" female (national code)
    alias: str = ""

    def used(self) -> list[str]:
        """Which criteria were given: what the audit row records instead of the text."""
        out = [k for k in ("name", "address", "alias") if getattr(self, k).strip()]
        if self.birth_date:
            out.append("birth_date")
        if self.sex:
            out.append("sex")
        return out


def _check_len(c: SearchCriteria) -> None:
    for v in (c.name, c.address, c.alias):
        if len(v) > MAX_INPUT:
            raise InputTooLong(v[:10])


def _like(text: str) -> str:
    """A LIKE pattern matching `text` anywhere, with LIKE's own wildcards escaped."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def search_children(principal: Principal, criteria: SearchCriteria, limit: int = SEARCH_LIMIT) -> pd.DataFrame:
    """Children matching all given criteria within the principal's scope (audited as 'search').

    Text criteria are normalised here with the linkage normalisers and compared with the keys
    the build precomputed with the same functions (``core.child_search``, sql/20_core/25_core_child_search.sql), so a search
    is one columnar scan in DuckDB (milliseconds) instead of normalising every
    child's name in Python on each query (a warehouse from before that table must be rebuilt).
    """
    with unit_of_work(principal, "child_search", "search") as w:
        matrix.require_columns(principal, ["identity"], "child_search")
        _check_len(criteria)
        cols = matrix.allowed_columns(principal, IDENTITY_COLUMNS)
        df = _search_with_keys(w.analytics(), principal, criteria, cols, limit)
        w.record("search", n_children=len(df), detail={"criteria": criteria.used(), "exact": criteria.exact})
    return df


def _base_where(principal: Principal, criteria: SearchCriteria) -> tuple[list[str], list[Any]]:
    scope_sql, params = matrix.scope_predicate(principal, "c.ward_code")
    where, wparams = [scope_sql], list(params)
    if criteria.birth_date:
        where.append("c.birth_date = ?")
        wparams.append(criteria.birth_date)
    if criteria.sex:
        where.append("c.sex = ?")
        wparams.append(str(criteria.sex))
    return where, wparams


def _search_with_keys(cur, principal: Principal, criteria: SearchCriteria, cols: list[str], limit: int) -> pd.DataFrame:
    """The search as one parameterised query over the precomputed keys (text bound, never formatted).

    The text tests run on the narrow key table alone and pick resident ids (a semi-join), so the
    wide child table is read only for the children found.
    """
    where, wparams = _base_where(principal, criteria)
    keyed: list[str] = []
    kparams: list[Any] = []
    test = "k.{} = ?" if criteria.exact else "contains(k.{}, ?)"
    name = criteria.name.strip()
    if name:
        # Input with no kana key (e.g. only punctuation) cannot match a kana key: that test is left out.
        strict, loose = name_strict(name) or "", kana_loose(name)
        keys = [("kanji_key", strict), ("alias_key", strict)] + ([("kana_key", loose)] if loose else [])
        keyed.append("(" + " or ".join(test.format(k) for k, _ in keys) + ")")
        kparams += [v for _, v in keys]
    if criteria.address.strip():
        keyed.append("contains(k.address_key, ?)")
        kparams.append(name_strict(criteria.address) or "")
    if criteria.alias.strip():
        loose = kana_loose(criteria.alias)
        keys = [("alias_key", name_strict(criteria.alias) or "")] + ([("alias_loose_key", loose)] if loose else [])
        keyed.append("(" + " or ".join(f"contains(k.{k}, ?)" for k, _ in keys) + ")")
        kparams += [v for _, v in keys]
    if keyed:
        where.append(f"c.resident_id in (select k.resident_id from core.child_search as k where {' and '.join(keyed)})")  # noqa: S608 - identifiers from code, values bound
        wparams += kparams
    select = ", ".join(f"c.{col}" for col in cols)
    sql = (
        f"select {select} from core.child as c"  # noqa: S608 - identifiers from code, values bound
        f" where {' and '.join(where)} order by c.name_kana, c.resident_id limit ?"
    )
    df = cur.execute(sql, [*wparams, int(limit)]).fetchdf()
    df = df.astype({c: "object" for c in ("name_kanji", "name_kana", "alias_name", "address_text") if c in df})
    return df.where(df.notna(), None).reset_index(drop=True)


# --------------------------------------------------------------------------- the card


# basic item number -> (feature column, Japanese label, kind). Labels follow the contracts.
BASIC_ITEM_FEATURES: dict[int, tuple[str, str, str]] = {
    1: ("yotaikyo_open", "要保護児童等の登録（要対協）", "flag"),
    2: ("past_temporary_protection", "一時保護の経験", "flag"),
    3: ("missed_checkup_3y", "乳幼児健診の未受診（3歳児）", "flag"),
    4: ("checkup_questionnaire_flags", "健診問診の気になる回答（4〜8）", "count"),
    9: ("weight_kg", "体重（学校健診）", "number"),
    10: ("disability_handbook", "障害者手帳", "flag"),
    11: ("child_disability_service", "障害児通所支援", "flag"),
    12: ("absence_days", "欠席日数", "number"),
    13: ("late_days", "遅刻日数", "number"),
    14: ("lifestyle_concern", "生活習慣調査の気になる回答", "flag"),
    15: ("weeks_at_notification", "妊娠届出の週数", "number"),
    16: ("days_notification_to_due", "妊娠届出から出産予定日までの日数", "number"),
    17: ("epds_max", "産後うつ質問票（EPDS）の最高点", "number"),
    18: ("public_assistance", "生活保護", "flag"),
    19: ("child_rearing_allowance", "児童扶養手当", "flag"),
}
# feature column -> column group (source's group in the matrix)
FEATURE_GROUPS: dict[str, str] = {
    "yotaikyo_open": "welfare", "past_temporary_protection": "welfare", "missed_checkup_3y": "health",
    "missed_checkup_4m": "health", "missed_checkup_18m": "health",
    "checkup_questionnaire_flags": "health", "weight_kg": "school", "height_cm": "school",
    "disability_handbook": "welfare", "child_disability_service": "welfare", "absence_days": "school",
    "late_days": "school", "lifestyle_concern": "school", "weeks_at_notification": "health",
    "days_notification_to_due": "health", "epds_max": "health", "public_assistance": "welfare",
    "child_rearing_allowance": "welfare", "special_child_allowance": "welfare", "single_parent": "welfare",
    "enrolled_any": "welfare", "school_expense_aid": "welfare", "newborn_visit_done": "health",
    "nurse_contacts": "health", "untreated_caries": "school", "lunch_arrears_months": "welfare",
    "consultation_count": "welfare", "dv_report_household": "welfare", "medical_subsidy_single_parent": "welfare",
    "school_linked": "school", "school_code": "school", "attendance_ratio": "school",
}
OTHER_FEATURES: dict[str, tuple[str, str]] = {
    "missed_checkup_4m": ("乳幼児健診の未受診（4か月）", "flag"),
    "missed_checkup_18m": ("乳幼児健診の未受診（1歳6か月）", "flag"),
    "newborn_visit_done": ("新生児訪問の実施", "flag"),
    "nurse_contacts": ("保健師の関わり（回数）", "number"),
    "single_parent": ("ひとり親世帯", "flag"),
    "special_child_allowance": ("特別児童扶養手当", "flag"),
    "medical_subsidy_single_parent": ("ひとり親医療費助成", "flag"),
    "enrolled_any": ("保育所等の利用", "flag"),
    "school_expense_aid": ("就学援助", "flag"),
    "lunch_arrears_months": ("給食費の未納（月数）", "number"),
    "untreated_caries": ("未処置の歯科", "number"),
    "consultation_count": ("こども相談（件数）", "number"),
    "dv_report_household": ("DV相談（世帯）", "flag"),
}
SCHOOL_FEATURES = {"weight_kg", "absence_days", "late_days", "lifestyle_concern", "untreated_caries",
                   "lunch_arrears_months"}

@dataclass
class Indicator:
    item: int | None
    label: str
    value: str
    group: str
    missing: bool


@dataclass
class ChildCard:
    resident_id: str
    basic: dict[str, Any]
    indicators: list[Indicator] = field(default_factory=list)
    timeline: pd.DataFrame = field(default_factory=pd.DataFrame)
    household: pd.DataFrame = field(default_factory=pd.DataFrame)
    quarantine: pd.DataFrame = field(default_factory=pd.DataFrame)
    school_linked: bool | None = None
    tax: dict[str, Any] | None = None
    screening: pd.DataFrame = field(default_factory=pd.DataFrame)
    funnel: pd.DataFrame = field(default_factory=pd.DataFrame)
    forms: pd.DataFrame = field(default_factory=pd.DataFrame)
    support_history: pd.DataFrame = field(default_factory=pd.DataFrame)  # every stage record, voids marked
    alert: str | None = None  # the mass-download alert of the viewer's own views (security/audit)
    # what the monthly builds brought that alerts (config/alerts.yaml), current or expired (decision 067)
    alerts: pd.DataFrame = field(default_factory=pd.DataFrame)


def _fmt(value: Any, kind: str) -> tuple[str, bool]:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return "データ無し", True
    if kind == "flag":
        return ("あり" if int(value) else "なし"), False
    if kind == "count":
        return f"{int(value)}件", False
    if isinstance(value, float):
        return f"{value:.1f}", False
    return str(value), False


class _Schema:
    """Tables and columns of the build's stg, core and meta schemas, read in one query per card.

    The card looks at some forty source tables; asking information_schema once per table cost
    more than all the card's data reads together.
    """

    def __init__(self, cur) -> None:
        self.columns: dict[tuple[str, str], set[str]] = {}
        for schema, table, column in cur.execute(
            "select schema_name, table_name, column_name from duckdb_columns()"
            " where database_name = current_database() and schema_name in ('stg', 'core', 'meta')"
        ).fetchall():
            self.columns.setdefault((schema, table), set()).add(column)

    def tables(self, schema: str) -> set[str]:
        return {t for s, t in self.columns if s == schema}

    def table_columns(self, schema: str, table: str) -> set[str]:
        return self.columns.get((schema, table), set())


def child_card(principal: Principal, resident_id: str) -> ChildCard | None:
    """Everything the card shows, or None if the child does not exist or is out of scope.

    The view is audited (view_child) before anything is returned; an out-of-scope request is
    audited as access_denied and answered exactly like a child that does not exist. The build is
    read before casework is opened, so casework is held only for the audit row and the support tab.
    """
    with unit_of_work(principal, "child_card", "view") as w:
        matrix.require_columns(principal, ["identity"], "child_card")
        rid = str(resident_id or "")[:32]
        groups = matrix.allowed_column_groups(principal)
        cur = w.analytics()
        cols = matrix.allowed_columns(principal, IDENTITY_COLUMNS)
        # core.person, not core.child: a child who moved out keeps a card (転出) with the casework and
        # the timeline, in the scope of the ward they last lived in (decision 066).
        # The 宛名番号 alone in the scan, so the index answers it (decision 069); then the age rule.
        row = cur.execute(
            "with c as materialized (select * from core.person where resident_id = ?)"  # noqa: S608 - identifiers from code, values bound
            f" select {', '.join('c.' + c for c in cols)}, c.address_code, c.is_resident, c.moved_out_date"
            " from c where c.age_years between 0 and 17",
            [rid],
        ).fetchdf()
        if row.empty or not w.in_scope(ward_code=row.iloc[0]["ward_code"]):
            if not row.empty:
                w.record("access_denied", resident_id=rid, detail={"action": "view", "reason": "out of scope"})
            return None
        basic = row.iloc[0].to_dict()
        card = ChildCard(resident_id=rid, basic=basic)
        schema = _Schema(cur)
        card.indicators, card.school_linked = _indicators(cur, rid, groups)
        data_events = _data_events(cur, rid, groups, schema)
        card.household = _household(cur, basic, groups, principal)
        card.quarantine = _quarantine(cur, rid, groups, schema)
        if "tax" in groups:
            card.tax = _tax(cur, basic.get("household_id"), schema)
        event = w.record("view_child", resident_id=rid)
        if event.alert is not None:
            card.alert = event.alert.message_ja()
        card.alerts = arrived_alerts(cur, [rid], alert_rules())
        card.screening, card.funnel, card.forms, card.support_history = _casework(w.con, rid)
        card.screening = _flag_status(card.screening, _build_as_of(cur), screening_flag_days())
        card.timeline = _timeline(data_events, card.screening, card.support_history)
    return card


def _indicators(cur, rid: str, groups: frozenset[str]) -> tuple[list[Indicator], bool | None]:
    feats = cur.execute("select * from features.child_features where resident_id = ?", [rid]).fetchdf()
    f = feats.iloc[0].to_dict() if not feats.empty else {}
    linked = f.get("school_linked")
    school_linked = None if linked is None or pd.isna(linked) else bool(linked)
    out = []
    for item, (col, label, kind) in BASIC_ITEM_FEATURES.items():
        group = FEATURE_GROUPS[col]
        if group not in groups:
            continue
        value, missing = _fmt(f.get(col), kind)
        out.append(Indicator(item, label, value, group, missing))
    for col, (label, kind) in OTHER_FEATURES.items():
        group = FEATURE_GROUPS[col]
        if group not in groups:
            continue
        value, missing = _fmt(f.get(col), kind)
        out.append(Indicator(None, label, value, group, missing))
    if school_linked is False:
        for ind in out:
            if ind.group == "school":
                ind.value, ind.missing = "データ無し", True
    return out, school_linked


TIMELINE_COLUMNS = ["date", "kind", "what", "detail", "first_seen"]


def _data_events(cur, rid: str, groups: frozenset[str], schema: _Schema) -> pd.DataFrame:
    """The child's facts from the extracts (core.child_event), each source only for the roles whose
    column groups hold it, with the as-of of the monthly build that first brought it (decision 066).

    A code is shown with its label from the contract (meta.code_label); a build from before the
    event table shows none.
    """
    from kodomo_dash.warehouse.contracts import all_contracts

    if "child_event" not in schema.tables("core"):
        return pd.DataFrame(columns=TIMELINE_COLUMNS)
    contracts = all_contracts()
    sources = {r[0] for r in cur.execute("select distinct source from core.child_event where resident_id = ?",
                                         [rid]).fetchall()} | {"resident_registry"}  # fmt: skip
    allowed = sorted(src for src in sources if matrix.column_group("event_date", src) in groups)
    if not allowed:
        return pd.DataFrame(columns=TIMELINE_COLUMNS)
    first_seen = ("left join (select event_key, min(as_of) as first_seen from core.child_change_log"
                  " where resident_id = $rid group by 1) l using (event_key)"
                  ) if "child_change_log" in schema.tables("core") else ""  # fmt: skip
    # The registry's own changes (a new household, a new 宛名番号) are no fact of the extracts: they are
    # found by comparing two builds and kept in the change log, dated by the build that found them.
    registry_changes = (" union all select c.as_of, c.kind, c.source, c.code, c.value, c.as_of"
                        " from core.child_change_log c where c.resident_id = $rid"
                        " and c.kind in ('household_changed', 'renumbered') and list_contains($allowed, c.source)"
                        ) if first_seen else ""  # fmt: skip
    df = cur.execute(
        "select e.event_date as date, e.kind, e.source, e.code, e.value, "  # noqa: S608 - fixed text, values bound
        + ("l.first_seen" if first_seen else "null::date as first_seen")
        + f" from core.child_event e {first_seen} where e.resident_id = $rid and list_contains($allowed, e.source)"
        + registry_changes + " order by 1 nulls last, 2",
        {"rid": rid, "allowed": allowed},
    ).fetchdf()
    labels = dict(((s, v), lab) for s, v, lab in cur.execute(
        "select source, code, label_ja from meta.code_label where list_contains(?, source)", [allowed]).fetchall())  # fmt: skip
    details = []
    for src, code, value in zip(df["source"], df["code"], df["value"], strict=True):
        parts = []
        if isinstance(code, str):
            parts.append(labels.get((src, code), code))
        if value is not None and not pd.isna(value):
            parts.append(f"{value:g}")
        details.append(" / ".join(parts))
    return pd.DataFrame({
        "date": df["date"], "kind": "data",
        "what": [contracts[src].label_ja if src in contracts else src for src in df["source"]],
        "detail": [f"{vocabulary.event_kind_label(k)}{'：' + d if d else ''}"
                   for k, d in zip(df["kind"], details, strict=True)],
        "first_seen": df["first_seen"],
    })  # fmt: skip




def _build_as_of(cur) -> dt.date | None:
    row = cur.execute("select as_of from meta.build_info").fetchone()
    return None if row is None or row[0] is None else pd.Timestamp(row[0]).date()


def _flag_status(screening: pd.DataFrame, as_of: dt.date | None, days: int) -> pd.DataFrame:
    """Each screening result current or expired: a flag scored on a build more than ``days`` before
    the build now served is no longer a current risk (config/alerts.yaml, screening_flag)."""
    if screening.empty:
        return screening
    out = screening.copy()
    scored = [pd.Timestamp(a).date() if a is not None and not pd.isna(a) else None for a in out["as_of"]]
    out["expires_on"] = [s + dt.timedelta(days=days) if s is not None else None for s in scored]
    out["status"] = ["expired" if as_of is not None and e is not None and as_of > e else "current"
                     for e in out["expires_on"]]  # fmt: skip
    return out


def _timeline(data: pd.DataFrame, screening: pd.DataFrame, history: pd.DataFrame) -> pd.DataFrame:
    """One chronological list (decision 066): the facts the builds brought, every screening run
    that listed the child (which run, how, score, reasons) and every casework step, voids included."""
    parts = [data]
    if not screening.empty:
        parts.append(pd.DataFrame({
            "date": screening["as_of"], "kind": "screening",
            "what": [f"スクリーニング（{m}）" for m in screening["method"]],
            "detail": [f"実行 {r}・順位 {k}・スコア {sc:.3f}・{why}" + ("・期限切れ（現在のリスクではない）" if st == "expired" else "")
                       for r, k, sc, why, st in zip(screening["run_id"], screening["rank"], screening["score"],
                                                    screening["reasons"], screening["status"], strict=True)],
            "first_seen": None,
        }))  # fmt: skip
    if not history.empty:
        parts.append(pd.DataFrame({
            "date": history["event_date"], "kind": "casework", "what": history["stage_label"],
            "detail": [f"{w}（{by}）" + ("　取消" if bool(v) else "") for w, by, v in
                       zip(history["what"], history["recorded_by"], history["voided"], strict=True)],
            "first_seen": None,
        }))  # fmt: skip
    merged = pd.concat([p for p in parts if not p.empty], ignore_index=True) if any(
        not p.empty for p in parts) else pd.DataFrame(columns=TIMELINE_COLUMNS)
    merged["date"] = pd.to_datetime(merged["date"], errors="coerce")
    return merged.sort_values("date", na_position="last", kind="mergesort").reset_index(drop=True)[TIMELINE_COLUMNS]


def _household(cur, basic: dict, groups: frozenset[str], principal: Principal) -> pd.DataFrame:
    """Everyone registered at the child's address, with their programme flags (if allowed).

    For the summary sheet's household section; the card's household tab is services.household.
    """
    address = basic.get("address_code")
    if not address:
        return pd.DataFrame()
    flag_cols = [c for c in ("public_assistance", "child_rearing_allowance", "special_child_allowance",
                             "disability_handbook", "child_disability_service", "enrolled_any",
                             "school_expense_aid") if FEATURE_GROUPS.get(c) in groups]
    scope_sql, params = matrix.scope_predicate(principal, "m.ward_code")
    flags = ", ".join(f"f.{c}" for c in flag_cols)
    # Each table read by the index on its key (materialized keeps other conditions out of the scan,
    # decision 069); names from core.person, one row per 宛名番号.
    sql = (
        "with m as materialized (select * from core.household_member where address_code = ?),"  # noqa: S608 - identifiers from code, values bound
        " r as materialized (select resident_id, name_kanji, name_kana from core.person"
        "  where resident_id in (select resident_id from m)),"
        " f as materialized (select * from features.programme_flags where resident_id in (select resident_id from m))"
        " select m.resident_id, r.name_kanji, r.name_kana, m.relationship, m.sex, m.age_years"
        + (f", {flags}" if flags else "")
        + " from m left join r on r.resident_id = m.resident_id left join f on f.resident_id = m.resident_id"
        f" where {scope_sql} order by m.age_years desc nulls last, m.resident_id"
    )
    df = cur.execute(sql, [address] + params).fetchdf()
    df = df.drop_duplicates(subset=["resident_id"])
    if not df.empty:
        df["relationship"] = [relationship_label(c) for c in df["relationship"]]
    return df


def _quarantine(cur, rid: str, groups: frozenset[str], schema: _Schema) -> pd.DataFrame:
    """Values of this child's rows that broke a rule, exactly as they came (meta.quarantine), found
    through the build's index of whose row each one is (meta.quarantine_person, decision 069)."""
    columns = ["source", "source_row", "column_name", "rule", "raw_value"]
    if "quarantine_person" not in schema.tables("meta"):  # a build from before that table shows none
        return pd.DataFrame(columns=columns)
    df = cur.execute(
        "with p as materialized (select source, source_row from meta.quarantine_person where resident_id = ?)"
        " select q.source, q.source_row, q.column_name, q.rule, q.raw_value"
        " from p join meta.quarantine as q using (source, source_row) order by q.source, q.source_row, q.column_name",
        [rid],
    ).fetchdf()
    # A source only for the roles whose column groups hold it; tax columns never leave here for roles
    # without the tax group, even as a raw value.
    keep = [matrix.column_group("x", s) in groups and matrix.column_group(c, s) in groups
            for c, s in zip(df["column_name"], df["source"], strict=True)]  # fmt: skip
    return df[pd.Series(keep, index=df.index, dtype=bool)].reset_index(drop=True)


def _tax(cur, household_id: str | None, schema: _Schema) -> dict[str, Any] | None:
    if not household_id or "resident_tax" not in schema.tables("stg"):
        return None
    df = cur.execute(
        "select fiscal_year, tax_exempt, income_band from stg.resident_tax where household_id = ?"
        " order by fiscal_year desc limit 1", [household_id]).fetchdf()
    return df.iloc[0].to_dict() if not df.empty else {}


def _safe_df(con, sql: str, params: list) -> pd.DataFrame:
    try:
        return con.execute(sql, params).fetchdf()
    except Exception:  # a table another capability has not created yet: read defensively
        return pd.DataFrame()


def _casework(con, rid: str) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    screening = _safe_df(
        con,
        "select l.run_id, r.method_label_ja as method, r.as_of, l.rank, l.score, l.reasons_json from screening_list as l"
        " join screening_run as r using (run_id) where l.resident_id = ? order by r.created_at desc limit 5", [rid])
    if not screening.empty:
        screening["reasons"] = [
            "、".join(json.loads(r)) if isinstance(r, str) and r.startswith("[") else str(r)
            for r in screening.pop("reasons_json")
        ]
    # The workflow's state view costs some 15 ms to plan whatever it returns: read it only for a child
    # on a list (decision 069).
    listed = _safe_df(con, "select 1 from wf_list_member where resident_id = ? limit 1", [rid])
    funnel = _safe_df(con, "select * from wf_child_state where resident_id = ?", [rid]) if not listed.empty else pd.DataFrame()
    forms = _safe_df(
        con,
        "select form_type, status, version, updated_at, submitted_at from form_record where resident_id = ?"
        " order by updated_at desc", [rid])
    history = pd.DataFrame()
    if not funnel.empty:  # every record on every list, cancelled ones marked with their reason
        from kodomo_dash.services.support import history_frame

        history = pd.concat([history_frame(con, lid, rid) for lid in funnel["list_id"].unique()], ignore_index=True)
    return screening, funnel, forms, history


def tax_columns_for(principal: Principal | None) -> list[str]:
    """The tax columns this principal may receive (the test walks every role).

    A question to the matrix alone, asked of any principal or none: it reads no row, so it is no
    unit of work (tests/test_architecture.py lists it).
    """
    return matrix.allowed_columns(principal, TAX_COLUMNS)


SHEET_SECTIONS = summary_sheet.SECTIONS  # section key → heading, for the card's choice of what to print


def summary_sheet_pdf(principal: Principal, card: ChildCard, sections: list[str]) -> bytes:
    """The child's one-page summary as a PDF, and its export row in the audit trail.

    Refused unless the matrix lets the principal export from the card; the audit row is written
    before the bytes are handed back, so no sheet leaves without its trace.
    """
    with unit_of_work(principal, "child_card", "export") as w:
        pdf = summary_sheet.summary_sheet_pdf(card, printed_by=principal.username, sections=sections)
        w.record("export", resident_id=card.resident_id, n_children=1, target="summary_sheet",
                 detail={"sections": sections})  # fmt: skip
    return pdf
