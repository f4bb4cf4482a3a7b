"""Screening runs, rule-set versions, models and assessments as saved in casework.

A run is method + parameters + cohort + exclusions + selection (top N or threshold) → a
list, saved with the model or rule version so the list can always be explained later. It is
computed completely before anything is written (bad input → `ScreeningError`, no list), then
written in one transaction as a draft; a manager accepting it into the workflow is a separate
call. Rule sets are versioned (who, when, parent); comparing two versions or two runs tells
which children enter and which leave the list.

Every function takes an open casework connection (`kodomo_dash.infra.db.casework_connection`) so
the caller decides the unit of work; tables come from migration 030.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import numpy as np
import pandas as pd

from kodomo_dash.config.messages import Localized, msg
from kodomo_dash.infra.transaction import transaction
from kodomo_dash.screening.base import Method, ScoreResult, check_number
from kodomo_dash.screening.cohorts import COHORTS, DEFAULT_EXCLUSIONS, apply_exclusions, as_date
from kodomo_dash.screening.errors import ScreeningError
from kodomo_dash.screening.rules import RuleSet

if TYPE_CHECKING:  # similarity imports scikit-learn (seconds): the screening page must not pay for it on load
    from kodomo_dash.screening.similarity import SimilarityModel

DECIDER_ROLES = ("manager", "admin")
CHANGE_JA = {"entered": "新たにリストに入る", "left": "リストから外れる", "stayed": "引き続きリストに残る"}


def _new_id(prefix: str) -> str:
    return f"{prefix}-{datetime.now():%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:8]}"


ACTS = {  # the acts a screening record names its actor for, in both languages
    "実行": Localized("実行", "ran"), "確定": Localized("確定", "decided"), "保存": Localized("保存", "saved"),
    "学習": Localized("学習", "trained"), "記録": Localized("記録", "recorded"),
}  # fmt: skip
TOP_N = Localized("リストの人数（上位N）", "The list size (top N)")
THRESHOLD = Localized("リストに載せるスコアの下限（閾値）", "The lowest score put on the list (threshold)")


def _require_actor(actor: str | None, what: str) -> str:
    """``what`` is one of ACTS: the act whose actor is missing."""
    if not actor or not str(actor).strip():
        raise ScreeningError(msg("sc.actor_missing", act=ACTS[what]), code="missing_actor")
    return str(actor)


def _json_default(o: Any) -> Any:
    if isinstance(o, date | datetime):
        return o.isoformat()
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return float(o)
    if isinstance(o, set | tuple):
        return list(o)
    raise TypeError(type(o).__name__)


def _dumps(o: Any) -> str:
    return json.dumps(o, ensure_ascii=False, sort_keys=True, default=_json_default)


# ---------------------------------------------------------------- executing a run (no writes)


@dataclass
class RunResult:
    method: str
    method_label_ja: str
    params: dict[str, Any]
    method_version: str | None
    cohort: str
    cohort_params: dict[str, Any]
    as_of: date | None
    exclusions: tuple[str, ...]
    top_n: int | None
    threshold: float | None
    cohort_size: int
    excluded: pd.DataFrame  # resident_id, reason
    scored_count: int
    list: pd.DataFrame  # resident_id, ward_code, school_code, rank (1..), score, reasons, sub-scores
    score_result: ScoreResult
    ward_cohort: dict[str, int] = field(default_factory=dict)
    rule_set_id: str | None = None
    model_version: str | None = None
    run_id: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def list_size(self) -> int:
        return int(len(self.list))


def _check_selection(top_n: Any, threshold: Any) -> tuple[int | None, float | None]:
    if top_n is not None:
        check_number(top_n, TOP_N)
        if not float(top_n).is_integer() or top_n < 1:
            raise ScreeningError(msg("sc.top_n", value=top_n), code="out_of_range")
        top_n = int(top_n)
    if threshold is not None:
        threshold = float(check_number(threshold, THRESHOLD))
    return top_n, threshold


def execute_run(
    cohort_frame: pd.DataFrame,
    method: Method,
    params: Mapping[str, Any] | None = None,
    *,
    cohort: str,
    cohort_params: Mapping[str, Any] | None = None,
    as_of: date | str | None = None,
    exclusions: Sequence[str] = DEFAULT_EXCLUSIONS,
    top_n: int | None = None,
    threshold: float | None = None,
    current_resident_ids: Iterable[str] | None = None,
    rule_set_id: str | None = None,
) -> RunResult:
    """Exclude, score, select: everything a run needs, computed and checked, nothing written.

    cohort_frame holds the cohort's rows of features.child_features (see cohorts.py). With no
    top_n and no threshold the method's own list rule applies (Beppu's 20 + 10, ...).
    """
    if cohort not in COHORTS:
        raise ScreeningError(msg("sc.unknown_cohort", name=cohort, choices="、".join(COHORTS)), code="unknown_cohort")
    top_n, threshold = _check_selection(top_n, threshold)
    checked = method.validate_params(params)
    as_of_d = as_date(as_of) if as_of is not None else cohort_frame.attrs.get("as_of")
    if len(cohort_frame) == 0:
        raise ScreeningError(msg("sc.empty_cohort"), code="empty_cohort")
    kept, excluded = apply_exclusions(cohort_frame, exclusions, current_resident_ids)
    if len(kept) == 0:
        raise ScreeningError(msg("sc.all_excluded"), code="empty_cohort")
    kept.attrs.update(cohort_frame.attrs)
    if as_of_d is not None:
        kept.attrs["as_of"] = as_of_d  # methods derive 年少/年中/年長 from it
    result = method.score(kept, checked)
    chosen = result.select(top_n=top_n, threshold=threshold)
    if len(chosen) == 0:
        raise ScreeningError(msg("sc.empty_list"), code="empty_list")
    chosen = chosen.drop(columns=["in_list"]).copy()
    chosen["method_rank"] = chosen["rank"]
    chosen["rank"] = np.arange(1, len(chosen) + 1)
    places = kept.set_index("resident_id")
    for col in ("ward_code", "school_code"):
        chosen[col] = places[col].reindex(chosen["resident_id"]).to_numpy() if col in places.columns else None
    ward_cohort = ({str(k): int(v) for k, v in cohort_frame["ward_code"].value_counts().items()}
                   if "ward_code" in cohort_frame.columns else {})
    model_version = method.version() if result.method == "similarity" else None
    return RunResult(
        method=method.name,
        method_label_ja=method.label_ja,
        params=checked,
        method_version=result.version,
        cohort=cohort,
        cohort_params=dict(cohort_params or {}),
        as_of=as_of_d,
        exclusions=tuple(exclusions),
        top_n=top_n,
        threshold=threshold,
        cohort_size=int(len(cohort_frame)),
        excluded=excluded[["resident_id", "reason"]],
        scored_count=int(len(kept)),
        list=chosen.reset_index(drop=True),
        score_result=result,
        rule_set_id=rule_set_id,
        model_version=model_version,
        meta=result.meta,
        ward_cohort=ward_cohort,
    )


# ---------------------------------------------------------------- saving and deciding


def save_run(con: duckdb.DuckDBPyConnection, run: RunResult, created_by: str, note: str | None = None) -> str:
    """Write the run (draft), its list and its exclusions in one transaction; returns run_id."""
    created_by = _require_actor(created_by, "実行")
    if run.rule_set_id is not None:
        row = con.execute("select checksum from screening_rule_set where rule_set_id = ?", [run.rule_set_id]).fetchone()
        if row is None:
            raise ScreeningError(msg("sc.rule_set_version_missing", id=run.rule_set_id), code="unknown_rule_set")
        if not (run.method_version or "").endswith(":" + row[0]):
            raise ScreeningError(msg("sc.rule_set_mismatch"), code="rule_set_mismatch")
    run_id = _new_id("run")
    base_cols = {"resident_id", "ward_code", "school_code", "rank", "score", "reasons"}
    sub_cols = [c for c in run.list.columns if c not in base_cols]
    lst = pd.DataFrame(
        {
            "run_id": run_id,
            "resident_id": run.list["resident_id"].astype(str).to_numpy(),
            "ward_code": [None if pd.isna(v) else str(v) for v in run.list["ward_code"]],
            "school_code": [None if pd.isna(v) else str(v) for v in run.list["school_code"]],
            "rank": run.list["rank"].astype(int).to_numpy(),
            "score": run.list["score"].astype(float).to_numpy(),
            "reasons_json": [_dumps(list(r)) for r in run.list["reasons"]],
            "sub_scores_json": [
                _dumps({c: (None if pd.isna(v) else v) for c, v in zip(sub_cols, row, strict=True)})
                for row in run.list[sub_cols].itertuples(index=False, name=None)
            ],
        }
    )
    exc = pd.DataFrame({"run_id": run_id, "resident_id": run.excluded["resident_id"].astype(str).to_numpy(),
                        "reason": run.excluded["reason"].astype(str).to_numpy()}).drop_duplicates()
    with transaction(con):
        con.execute(
            "insert into screening_run (run_id, method, method_label_ja, params_json, method_version, rule_set_id,"
            " model_version, cohort, cohort_params_json, as_of, exclusions_json, ward_cohort_json, top_n, threshold,"
            " cohort_size, excluded_count, scored_count, list_size, status, note, created_by)"
            " values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'draft', ?, ?)",
            [run_id, run.method, run.method_label_ja, _dumps(run.params), run.method_version, run.rule_set_id,
             run.model_version, run.cohort, _dumps(run.cohort_params), run.as_of, _dumps(list(run.exclusions)),
             _dumps(run.ward_cohort), run.top_n, run.threshold, run.cohort_size, int(run.excluded["resident_id"].nunique()),
             run.scored_count, run.list_size, note, created_by],
        )
        con.register("_screening_list_in", lst)
        con.execute("insert into screening_list (run_id, resident_id, ward_code, school_code, rank, score,"
                    " reasons_json, sub_scores_json) select run_id, resident_id, ward_code, school_code, rank, score,"
                    " reasons_json, sub_scores_json from _screening_list_in")
        con.unregister("_screening_list_in")
        if len(exc):
            con.register("_screening_exc_in", exc)
            con.execute("insert into screening_exclusion (run_id, resident_id, reason)"
                        " select run_id, resident_id, reason from _screening_exc_in")
            con.unregister("_screening_exc_in")
    run.run_id = run_id
    return run_id


def create_run(con: duckdb.DuckDBPyConnection, cohort_frame: pd.DataFrame, method: Method,
               params: Mapping[str, Any] | None = None, *, created_by: str, note: str | None = None,
               **kwargs: Any) -> RunResult:
    """execute_run + save_run: the one call the screening page makes."""
    _require_actor(created_by, "実行")
    run = execute_run(cohort_frame, method, params, **kwargs)
    save_run(con, run, created_by, note)
    return run


def _set_status(con: duckdb.DuckDBPyConnection, run_id: str, status: str, decided_by: str, role: str) -> None:
    decided_by = _require_actor(decided_by, "確定")
    if role not in DECIDER_ROLES:
        raise ScreeningError(msg("sc.decide_manager_only"), code="forbidden")
    with transaction(con):
        row = con.execute("select status from screening_run where run_id = ?", [run_id]).fetchone()
        if row is None:
            raise ScreeningError(msg("sc.run_missing", run_id=run_id), code="unknown_run")
        if row[0] != "draft":
            shown = {"accepted": Localized("確定済み", "accepted"), "discarded": Localized("破棄済み", "discarded")}[row[0]]
            raise ScreeningError(msg("sc.run_not_draft", run_id=run_id, status=shown), code="not_draft")
        con.execute("update screening_run set status = ?, decided_by = ?, decided_at = current_timestamp"
                    " where run_id = ?", [status, decided_by, run_id])


def accept_run(con: duckdb.DuckDBPyConnection, run_id: str, decided_by: str, role: str = "manager") -> None:
    """A manager takes the draft list into the push-support workflow (一次スクリーニング完了)."""
    _set_status(con, run_id, "accepted", decided_by, role)


def discard_run(con: duckdb.DuckDBPyConnection, run_id: str, decided_by: str, role: str = "manager") -> None:
    _set_status(con, run_id, "discarded", decided_by, role)


# ---------------------------------------------------------------- reading runs


def get_run(con: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, Any]:
    cur = con.execute("select * from screening_run where run_id = ?", [run_id])
    row = cur.fetchone()
    if row is None:
        raise ScreeningError(msg("sc.run_missing", run_id=run_id), code="unknown_run")
    out = dict(zip([d[0] for d in cur.description], row, strict=True))
    for key in ("params_json", "cohort_params_json", "exclusions_json", "ward_cohort_json"):
        out[key.removesuffix("_json")] = json.loads(out[key])
    return out


def list_runs(con: duckdb.DuckDBPyConnection, method: str | None = None, status: str | None = None) -> pd.DataFrame:
    sql = ("select run_id, method, method_label_ja, method_version, cohort, as_of, list_size, cohort_size,"
           " excluded_count, status, created_by, created_at, decided_by, decided_at from screening_run"
           " where (? is null or method = ?) and (? is null or status = ?) order by created_at desc, run_id desc")
    return con.execute(sql, [method, method, status, status]).df()


def run_list(con: duckdb.DuckDBPyConnection, run_id: str) -> pd.DataFrame:
    """The saved list in rank order; reasons back as lists of strings, sub-scores as columns."""
    df = con.execute("select resident_id, ward_code, school_code, rank, score, reasons_json, sub_scores_json"
                     " from screening_list where run_id = ? order by rank", [run_id]).df()
    df["reasons"] = [json.loads(r) for r in df.pop("reasons_json")]
    subs = pd.DataFrame([json.loads(s) for s in df.pop("sub_scores_json")], index=df.index)
    return pd.concat([df, subs], axis=1)


def workflow_members(con: duckdb.DuckDBPyConnection, run_id: str) -> pd.DataFrame:
    """The accepted list in the shape `casework.workflow.accept_list(members=...)` takes.

    selection_reason is the first reasons joined, so the ward sees why a child is on the list.
    """
    df = run_list(con, run_id)
    df["selection_reason"] = ["、".join(r[:3]) if r else None for r in df["reasons"]]
    return df[["resident_id", "ward_code", "school_code", "rank", "score", "selection_reason"]]


def run_exclusions(con: duckdb.DuckDBPyConnection, run_id: str) -> pd.DataFrame:
    return con.execute("select resident_id, reason from screening_exclusion where run_id = ?"
                       " order by reason, resident_id", [run_id]).df()


# ---------------------------------------------------------------- who enters, who leaves


def list_diff(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """Children entering, leaving or staying on a list between two versions (or two runs).

    Both frames need resident_id, rank and score. Sorted: entered (by new rank), left (by old
    rank), stayed (by new rank).
    """
    a = before[["resident_id", "rank", "score"]].rename(columns={"rank": "rank_before", "score": "score_before"})
    b = after[["resident_id", "rank", "score"]].rename(columns={"rank": "rank_after", "score": "score_after"})
    m = a.merge(b, on="resident_id", how="outer")
    m["change"] = np.where(m["rank_before"].isna(), "entered", np.where(m["rank_after"].isna(), "left", "stayed"))
    m["change_ja"] = m["change"].map(CHANGE_JA)
    order = {"entered": 0, "left": 1, "stayed": 2}
    m["_o"] = m["change"].map(order)
    m["_r"] = m["rank_after"].fillna(m["rank_before"])
    m = m.sort_values(["_o", "_r", "resident_id"], kind="mergesort").drop(columns=["_o", "_r"])
    for c in ("rank_before", "rank_after"):
        m[c] = m[c].astype("Int64")
    return m.reset_index(drop=True)


def diff_results(before: ScoreResult, after: ScoreResult, top_n: int | None = None,
                 threshold: float | None = None) -> pd.DataFrame:
    return list_diff(before.select(top_n, threshold), after.select(top_n, threshold))


def diff_runs(con: duckdb.DuckDBPyConnection, run_before: str, run_after: str) -> pd.DataFrame:
    get_run(con, run_before)
    get_run(con, run_after)
    return list_diff(run_list(con, run_before), run_list(con, run_after))


def diff_rule_sets(
    frame: pd.DataFrame,
    before: RuleSet,
    after: RuleSet,
    method_factory: Any = None,
    params: Mapping[str, Any] | None = None,
    top_n: int | None = None,
    threshold: float | None = None,
) -> pd.DataFrame:
    """Score one cohort with two rule-set versions and say who enters and who leaves the list.

    method_factory(rule_set) builds the method (default: rule points, Amagasaki). For rule
    points with no top_n/threshold, each version's own list threshold applies.
    """
    if method_factory is None:
        from kodomo_dash.screening.points import RulePointsMethod

        method_factory = RulePointsMethod
    top_n, threshold = _check_selection(top_n, threshold)
    ma, mb = method_factory(before), method_factory(after)
    pa = dict(params or {})
    pb = dict(params or {})
    if "threshold" in {s.name for s in ma.param_specs()} and "threshold" not in pa:
        pa["threshold"] = ma.validate_params({})["threshold"]
        pb["threshold"] = mb.validate_params({})["threshold"]
    return diff_results(ma.score(frame, pa), mb.score(frame, pb), top_n, threshold)


def rule_set_changes(before: RuleSet, after: RuleSet) -> pd.DataFrame:
    """What was edited between two versions: points, on/off, parameter values."""
    rows = []
    for key, p in after.params.items():
        old = before.params.get(key)
        if old is None or old.value != p.value:
            rows.append({"kind": "param", "key": key, "label_ja": p.label_ja,
                         "before": None if old is None else old.value, "after": p.value})
    before_items = {i.key: i for i in before.items}
    for i in after.items:
        old = before_items.get(i.key)
        if old is None:
            rows.append({"kind": "item_added", "key": i.key, "label_ja": i.label_ja, "before": None, "after": i.points})
            continue
        if old.points != i.points:
            rows.append({"kind": "points", "key": i.key, "label_ja": i.label_ja, "before": old.points,
                         "after": i.points})
        if old.enabled != i.enabled:
            rows.append({"kind": "enabled", "key": i.key, "label_ja": i.label_ja, "before": old.enabled,
                         "after": i.enabled})
        if old.when != i.when:
            rows.append({"kind": "condition", "key": i.key, "label_ja": i.label_ja, "before": _dumps(old.when),
                         "after": _dumps(i.when)})
    for key, i in before_items.items():
        if key not in {x.key for x in after.items}:
            rows.append({"kind": "item_removed", "key": key, "label_ja": i.label_ja, "before": i.points, "after": None})
    return pd.DataFrame(rows, columns=["kind", "key", "label_ja", "before", "after"])


# ---------------------------------------------------------------- rule-set versions


@dataclass(frozen=True)
class RuleSetVersion:
    rule_set_id: str
    name: str
    version: int
    parent_id: str | None
    checksum: str
    created_by: str
    created_at: datetime | None
    note: str | None


def _version_from_row(row: Sequence[Any]) -> RuleSetVersion:
    return RuleSetVersion(*row)


_VERSION_COLS = "rule_set_id, name, version, parent_id, checksum, created_by, created_at, note"


def save_rule_set(con: duckdb.DuckDBPyConnection, rule_set: RuleSet, created_by: str,
                  parent_id: str | None = None, note: str | None = None) -> RuleSetVersion:
    """Save an edited (already validated) rule set as the next version of its name.

    Saving a set identical to its parent returns the parent: no empty versions.
    """
    created_by = _require_actor(created_by, "保存")
    if parent_id is not None:
        parent = con.execute(f"select {_VERSION_COLS} from screening_rule_set where rule_set_id = ?",  # noqa: S608
                             [parent_id]).fetchone()
        if parent is None:
            raise ScreeningError(msg("sc.parent_version_missing", id=parent_id), code="unknown_rule_set")
        if parent[4] == rule_set.checksum():
            return _version_from_row(parent)
    with transaction(con):
        nxt = con.execute("select coalesce(max(version), 0) + 1 from screening_rule_set where name = ?",
                          [rule_set.name]).fetchone()[0]
        rid = f"{rule_set.name}-v{nxt}-{uuid.uuid4().hex[:6]}"
        con.execute(
            "insert into screening_rule_set (rule_set_id, name, version, parent_id, label_ja, definition_json,"
            " checksum, note, created_by) values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [rid, rule_set.name, nxt, parent_id, rule_set.label_ja, rule_set.to_json(), rule_set.checksum(), note,
             created_by],
        )
    row = con.execute(f"select {_VERSION_COLS} from screening_rule_set where rule_set_id = ?",  # noqa: S608
                      [rid]).fetchone()
    return _version_from_row(row)


def load_rule_set(con: duckdb.DuckDBPyConnection, rule_set_id: str) -> RuleSet:
    row = con.execute("select definition_json from screening_rule_set where rule_set_id = ?", [rule_set_id]).fetchone()
    if row is None:
        raise ScreeningError(msg("sc.rule_set_version_missing", id=rule_set_id), code="unknown_rule_set")
    return RuleSet.from_dict(json.loads(row[0]))


def rule_set_versions(con: duckdb.DuckDBPyConnection, name: str) -> pd.DataFrame:
    return con.execute(f"select {_VERSION_COLS} from screening_rule_set where name = ?"  # noqa: S608
                       " order by version desc", [name]).df()


def latest_rule_set(con: duckdb.DuckDBPyConnection, name: str,
                    created_by: str = "system") -> tuple[RuleSetVersion, RuleSet]:
    """The newest version of a rule set; the shipped preset is saved as version 1 on first use."""
    row = con.execute(f"select {_VERSION_COLS} from screening_rule_set where name = ?"  # noqa: S608
                      " order by version desc limit 1", [name]).fetchone()
    if row is None:
        rs = RuleSet.preset(name)
        v = save_rule_set(con, rs, created_by, note="プリセット（出荷時）")
        return v, rs
    v = _version_from_row(row)
    return v, load_rule_set(con, v.rule_set_id)


# ---------------------------------------------------------------- models


def register_model(con: duckdb.DuckDBPyConnection, model: SimilarityModel, path: Path | str,
                   created_by: str) -> None:
    created_by = _require_actor(created_by, "学習")
    card = model.card()
    con.execute("insert into screening_model (model_version, path, feature_signature, card_json, created_by)"
                " values (?, ?, ?, ?, ?)",
                [model.model_version, str(path), card["feature_signature"], _dumps(card), created_by])


def model_versions(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.execute("select model_version, path, feature_signature, created_by, created_at from screening_model"
                       " order by created_at desc").df()


# ---------------------------------------------------------------- human assessment (表 8-3)


def record_assessment(con: duckdb.DuckDBPyConnection, resident_id: str, item_key: str, value: int,
                      recorded_by: str, rule_set: RuleSet | None = None, note: str | None = None) -> str:
    """A person records one assessment item for one child (1 = applies, 0 = does not)."""
    recorded_by = _require_actor(recorded_by, "記録")
    rule_set = rule_set or RuleSet.preset("amagasaki")
    keys = {i.key: i for i in rule_set.items if i.section == "assessment"}
    if item_key not in keys:
        raise ScreeningError(msg("sc.assessment_unknown_item", item=item_key, rule_set=rule_set.label_ja),
                             code="bad_assessment")  # fmt: skip
    if isinstance(value, bool) or value not in (0, 1):
        raise ScreeningError(msg("sc.assessment_value", label=keys[item_key].label_ja), code="bad_assessment")
    aid = _new_id("asm")
    con.execute("insert into screening_assessment (assessment_id, resident_id, rule_set_name, item_key, value, note,"
                " recorded_by) values (?, ?, ?, ?, ?, ?, ?)",
                [aid, str(resident_id), rule_set.name, item_key, int(value), note, recorded_by])
    return aid


def latest_assessments(con: duckdb.DuckDBPyConnection, rule_set_name: str = "amagasaki",
                       resident_ids: Iterable[str] | None = None) -> pd.DataFrame:
    """The latest recorded value per child and item — what RulePointsMethod adds up."""
    df = con.execute(
        "select resident_id, item_key, value, recorded_by, recorded_at from ("
        " select *, row_number() over (partition by resident_id, item_key"
        "   order by seq desc) as rn"
        " from screening_assessment where rule_set_name = ?) where rn = 1 order by resident_id, item_key",
        [rule_set_name],
    ).df()
    if resident_ids is not None:
        df = df[df["resident_id"].isin(set(resident_ids))]
    return df.reset_index(drop=True)
