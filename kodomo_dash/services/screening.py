"""Reads and writes of the screening, rule-settings and model-card pages.

Cohort frames are rows about children: read per principal through the scope of its unit of work
(:mod:`kodomo_dash.services.unit_of_work`, ward or school) and never cached. Aggregates (school list, model-card figures) are keyed on
the build id. The similarity model holds no row about a child; it is kept with
``infra.cache.resource_cache`` keyed on the build id and the model file, trained (and saved under
``warehouse/models/``, registered in casework) when there is none for this build yet.
Runs, rule-set versions and decisions go to casework through ``kodomo_dash.screening.runs``,
each with its audit row in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import closing
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from kodomo_dash.config.calendar import fiscal_year
from kodomo_dash.config.messages import msg
from kodomo_dash.infra.cache import resource_cache
from kodomo_dash.infra.db import analytics_cursor, warehouse_dir
from kodomo_dash.screening import cohorts, runs
from kodomo_dash.screening.base import Method
from kodomo_dash.screening.errors import ScreeningError
from kodomo_dash.screening.registry import build_method, method_labels
from kodomo_dash.screening.rules import RuleSet
from kodomo_dash.security import matrix
from kodomo_dash.security.principal import Principal
from kodomo_dash.services import aggregate_cache, fetch_df, fetch_one
from kodomo_dash.services.unit_of_work import Work, casework, unit_of_work

__all__ = [
    "fiscal_year",
    "accept",
    "as_of",
    "capacity_plan",
    "cohort_frame",
    "diff_with_previous_version",
    "make_method",
    "method_labels",
    "model_for_build",
    "run_diff",
    "run_history",
    "run_screening",
    "saved_list",
    "save_rule_set",
    "school_sizes",
]

MODEL_FILE = "similarity.joblib"
RULE_SET_OF = {"rule_points": "amagasaki", "item_counts": "beppu", "edu_welfare": "izumi"}
PAGE = "screening"
RULES = "rules"


@aggregate_cache
def as_of(build_id: str) -> date:
    row = fetch_one("select as_of from meta.build_info")
    return row[0]


@aggregate_cache
def school_sizes(build_id: str) -> pd.DataFrame:
    """School-age children per school (no names): school_code, children."""
    return fetch_df("select school_code, count(*) as children from cohorts.school_children"
                    " where school_code is not null group by 1 order by 1")


def cohort_frame(principal: Principal, build_id: str, cohort: str,
                 school_codes: tuple[str, ...] = ()) -> pd.DataFrame:
    """The cohort's rows of features.child_features within the principal's scope, derived columns added.

    Read through `screening.cohorts.cohort_frame`, the one read the demo and the model card use
    too: percentiles are the city's, whatever the principal's scope. Rows about children: never cached.
    """
    with unit_of_work(principal, PAGE, "view") as w:
        return _cohort_frame(w, build_id, cohort, school_codes)


def _cohort_frame(w: Work, build_id: str, cohort: str, school_codes: tuple[str, ...] = ()) -> pd.DataFrame:
    scope = w.predicate(ward_col="ward_code", school_col="school_code")
    params = {"school_codes": list(school_codes)} if cohort == "school_children" else {}
    return cohorts.cohort_frame(w.analytics(), as_of(build_id), cohort, params, scope)


# ---------------------------------------------------------------- the similarity model


def model_path() -> Path:
    return warehouse_dir() / "models" / MODEL_FILE


@resource_cache(maxsize=4)
def _load_model(path: str, mtime_ns: int):
    from kodomo_dash.screening.similarity import SimilarityModel

    return SimilarityModel.load(path)


def model_for_build(principal: Principal, build_id: str,
                    progress: Callable[[float, str], None] | None = None) -> Any:
    """The similarity model for this build: loaded from warehouse/models/, or trained and saved.

    A model file made for other features (``feature_mismatch``) or another build is retrained.
    Training reads every child in the principal's scope (a manager: the whole city); the model
    card's figures are then computed and stored with it, so the card opens without computing.
    A unit of work of its own (a run's save right): the model file stays on disk whatever becomes
    of the run it was trained for, so its registration commits whatever becomes of the run too.
    """
    from kodomo_dash.screening.similarity import SimilarityModel

    with unit_of_work(principal, PAGE, "save") as w:
        path = model_path()
        step = progress or (lambda _f, _m: None)
        if path.exists():
            try:
                model = _load_model(str(path), path.stat().st_mtime_ns)
                if model.train_params.get("build_id") in (None, build_id):
                    return model
            except ScreeningError:
                pass
        step(0.1, "features")
        frame = _cohort_frame(w, build_id, "all_children")
        step(0.3, "train")
        model = SimilarityModel.train(frame)
        model.train_params["build_id"] = build_id
        step(0.8, "save")
        model.save(path)
        runs.register_model(w.con, model, path, principal.username)
        w.record("setting_change", target=f"model:{model.model_version}",
                 detail={"kind": "train_model", "positives": int(model.metrics.get("positives", 0))})  # fmt: skip
    if matrix.row_scope(principal) == "all":  # trained on the whole city: the card's own frame
        step(0.9, "card")
        _store_card(build_id, model, frame)
    step(1.0, "done")
    return _load_model(str(path), path.stat().st_mtime_ns)


# ---------------------------------------------------------------- methods and runs


def latest_rule_set(principal: Principal, name: str):
    """(version, RuleSet) in force; the shipped preset becomes version 1 on first use."""
    with unit_of_work(principal, RULES, "view") as w:
        return runs.latest_rule_set(w.con, name, created_by=principal.username)


def make_method(principal: Principal, build_id: str, name: str,
                progress: Callable[[float, str], None] | None = None) -> tuple[Method, str | None]:
    """(method ready to score, rule_set_id or None), under the right to run a screening."""
    with unit_of_work(principal, PAGE, "save") as w:
        return _make_method(w, build_id, name, progress)


def _make_method(w: Work, build_id: str, name: str,
                 progress: Callable[[float, str], None] | None) -> tuple[Method, str | None]:  # fmt: skip
    if name == "similarity":  # before the unit's casework is opened: the model's registration is its own
        return build_method("similarity", model=model_for_build(w.principal, build_id, progress)), None
    version, rule_set = runs.latest_rule_set(w.con, RULE_SET_OF[name], created_by=w.principal.username)
    kwargs: dict[str, Any] = {"rule_set": rule_set, "as_of": as_of(build_id)}
    if name == "rule_points":
        kwargs["assessments"] = runs.latest_assessments(w.con, rule_set.name)
    return build_method(name, **kwargs), version.rule_set_id


def param_specs(name: str):
    """What the page draws for a method (no model or rule set needed for this)."""
    if name == "similarity":
        from kodomo_dash.screening.similarity_params import score_param_specs

        return score_param_specs()
    return build_method(name).param_specs()


def run_screening(principal: Principal, build_id: str, method_name: str, cohort: str,
                  params: Mapping[str, Any], *, school_codes: tuple[str, ...] = (),
                  top_n: int | None = None, threshold: float | None = None,
                  progress: Callable[[float, str], None] | None = None) -> runs.RunResult:
    """Score the cohort and save the list as a draft run in casework, audited in the same transaction.
    Bad input raises ScreeningError (Japanese) and nothing is written."""
    with unit_of_work(principal, PAGE, "save") as w:
        frame = _cohort_frame(w, build_id, cohort, school_codes)  # before casework opens: it is not held meanwhile
        method, rule_set_id = _make_method(w, build_id, method_name, progress)
        run = runs.create_run(
            w.con, frame, method, dict(params), created_by=principal.username, cohort=cohort,
            cohort_params={"school_codes": list(school_codes)} if school_codes else {},
            as_of=as_of(build_id), top_n=top_n, threshold=threshold, rule_set_id=rule_set_id,
        )  # fmt: skip
        w.record("form_save", target=f"screening_run:{run.run_id}",
                 detail={"method": method_name, "cohort": cohort, "list_size": run.list_size})  # fmt: skip
    return run


def run_history(principal: Principal) -> pd.DataFrame:
    """Saved runs, newest first (no child rows)."""
    with unit_of_work(principal, PAGE, "view") as w:
        return runs.list_runs(w.con)


def saved_list(principal: Principal, run_id: str) -> pd.DataFrame:
    """A saved run's list, limited to the principal's scope, viewing audited."""
    with unit_of_work(principal, PAGE, "view") as w:
        df = runs.run_list(w.con, run_id)
        keep = [w.in_scope(ward, school) for ward, school in zip(df["ward_code"], df["school_code"], strict=True)]
        df = df[keep].reset_index(drop=True)
        w.record("search", target=f"screening_run:{run_id}", n_children=int(len(df)))
    return df


def accept(principal: Principal, run_id: str, *, fy: int, programme: str) -> str:
    """A manager's 確定: the run is accepted and the year's workflow list created, in one transaction.

    The same service as ``kodomo list accept`` (queries.support.accept_run), audited there.
    Returns the list_id.
    """
    from kodomo_dash.services import support

    return support.accept_run(principal, run_id, fy=fy, programme=programme)


def programmes_for(method: str, cohort: str | None) -> dict[str, str]:
    """Programmes (config/cities) a run of this method and cohort can be accepted under: key → label."""
    from kodomo_dash.config.cities import programmes_for_run

    return {p.key: f"{p.city_name_ja}：{p.label_ja}" for p in programmes_for_run(method, cohort)}


def run_diff(principal: Principal, before: str, after: str) -> pd.DataFrame:
    """Who enters and who leaves between two saved runs, within the principal's scope."""
    with unit_of_work(principal, PAGE, "view") as w:
        diff = runs.diff_runs(w.con, before, after)
        places = pd.concat([runs.run_list(w.con, before), runs.run_list(w.con, after)])
        places = places.drop_duplicates("resident_id").set_index("resident_id")
        keep = [w.in_scope(places.at[r, "ward_code"], places.at[r, "school_code"]) for r in diff["resident_id"]]
        return diff[keep].reset_index(drop=True)


def capacity_plan(visits: float, visits_per_family: float):
    from kodomo_dash.screening.capacity import plan_from_capacity

    return plan_from_capacity(visits, visits_per_family)


# ---------------------------------------------------------------- rule sets (rules page)


def rule_set_history(name: str) -> pd.DataFrame:
    with casework() as con:
        return runs.rule_set_versions(con, name)


def save_rule_set(principal: Principal, rule_set: RuleSet, parent_id: str | None, note: str | None):
    """Save an edited rule set as a new version, audited in the same transaction; returns the RuleSetVersion."""
    with unit_of_work(principal, RULES, "save") as w:
        version = runs.save_rule_set(w.con, rule_set, principal.username, parent_id=parent_id, note=note)
        w.record("setting_change", target=f"rule_set:{version.rule_set_id}",
                 detail={"rule_set": rule_set.name, "version": int(version.version)})  # fmt: skip
    return version


def diff_with_previous_version(principal: Principal, build_id: str, before: RuleSet, after: RuleSet,
                               cohort: str = "all_children") -> pd.DataFrame:
    """Children entering and leaving the rule-points list if ``after`` replaced ``before``."""
    from kodomo_dash.screening.points import RulePointsMethod

    with unit_of_work(principal, RULES, "view") as w:
        frame = _cohort_frame(w, build_id, cohort)
        assessments = runs.latest_assessments(w.con, before.name)
    d = as_of(build_id)
    return runs.diff_rule_sets(frame, before, after,
                               method_factory=lambda rs: RulePointsMethod(rs, assessments=assessments, as_of=d))


def rule_set_changes(before: RuleSet, after: RuleSet) -> pd.DataFrame:
    """Edited points, switches and parameter values between two versions (no child rows)."""
    return runs.rule_set_changes(before, after)


def edited_rule_set(rule_set: RuleSet, items: pd.DataFrame, params: pd.DataFrame) -> RuleSet:
    """The rule set with the page's edits applied and validated (ScreeningError in Japanese).

    ``items`` has key, points, enabled; ``params`` has key, value. Only changed cells are applied,
    so an untouched table gives back the same checksum.
    """

    def plain(v: Any) -> Any:
        if v is None or (isinstance(v, float) and pd.isna(v)):
            return v
        if hasattr(v, "item"):
            v = v.item()
        return int(v) if isinstance(v, float) and v.is_integer() else v

    by_key = {i.key: i for i in rule_set.items}
    points = {k: plain(p) for k, p in zip(items["key"], items["points"], strict=True)
              if pd.isna(p) or float(p) != float(by_key[k].points)}
    enabled = {k: bool(e) for k, e in zip(items["key"], items["enabled"], strict=True) if bool(e) != by_key[k].enabled}
    values = {k: plain(v) for k, v in zip(params["key"], params["value"], strict=True)
              if pd.isna(v) or float(v) != float(rule_set.params[k].value)}
    for key, v in points.items():
        if v is None or (isinstance(v, float) and pd.isna(v)):
            raise ScreeningError(msg("sv.points_required", label=by_key[key].label_ja), code="not_numeric")
    for key, v in values.items():
        if v is None or (isinstance(v, float) and pd.isna(v)):
            raise ScreeningError(msg("sv.value_required", label=rule_set.params[key].label_ja), code="not_numeric")
    if not (points or enabled or values):
        return rule_set
    return rule_set.with_changes(points=points, params=values, enabled=enabled)


# ---------------------------------------------------------------- model card (aggregates only)


def existing_model() -> Any | None:
    """The saved similarity model, or None when none has been trained (or it no longer fits)."""
    path = model_path()
    if not path.exists():
        return None
    try:
        return _load_model(str(path), path.stat().st_mtime_ns)
    except ScreeningError:
        return None


def _model_version(model_version: str) -> Any:
    model = existing_model()
    if model is None or model.model_version != model_version:
        raise ScreeningError(msg("sv.model_missing"), code="model_missing")
    return model


def _truth_key() -> str | None:
    """The truth folder as the card's key part: the card of a real build has no synthetic figures."""
    path = truth_dir()
    return str(path) if path is not None else None


@aggregate_cache
def _card(build_id: str, model_version: str, truth: str | None) -> dict[str, Any]:
    """The stored model-card figures for this build, model and truth folder (computed once when missing).

    Aggregates only (see `kodomo_dash.screening.model_card`): the file beside the model is read
    in milliseconds, so a server process's first visitor does not pay the computation (9–20 s at
    scale 1.0) again; the computation reads the whole city, whoever is signed in.
    """
    from kodomo_dash.screening import model_card as mc

    model = _model_version(model_version)
    key = mc.CardKey.of(build_id, model_version, truth)
    with closing(analytics_cursor()) as cur:
        return mc.stored_or_computed(cur, mc.card_path(model_path()), key, model, as_of(build_id),
                                     Path(truth) if truth else None)


def model_card(build_id: str, model_version: str) -> dict[str, Any]:
    """Everything the model card shows, as aggregates: no row is about one child.

    Keys: metrics, trained (dicts), calibration, importance, curves (DataFrames), sizes,
    comparison, fairness_table, fairness_gaps (dicts of DataFrames by list size), warnings (dict
    of lists by list size), holdout (int). See `screening.model_card.card_figures`.
    """
    return _card(build_id, model_version, _truth_key())["card"]


def _store_card(build_id: str, model: Any, frame: pd.DataFrame) -> None:
    """Compute and store the card of a model just trained on `frame` (the whole city), so the
    model card opens without computing it."""
    from kodomo_dash.screening import model_card as mc

    truth = _truth_key()
    mc.store(mc.card_path(model_path()), mc.CardKey.of(build_id, model.model_version, truth), frame, model,
             as_of(build_id), Path(truth) if truth else None)


# ---------------------------------------------------------------- Bayes-optimal reference (synthetic only)


def truth_dir() -> Path | None:
    """The synthetic generator's truth folder beside this build's extracts, or None (real data)."""
    from kodomo_dash.screening.reference import truth_dir_for

    row = fetch_one("select source_dir from meta.build_info")
    return truth_dir_for(row[0] if row else None)


def expected_truth_dir() -> str:
    """Where the truth folder would be (for the page's 'not available' note)."""
    row = fetch_one("select source_dir from meta.build_info")
    return (str(row[0]).rstrip("/") + "_truth") if row and row[0] else "—"


def bayes_reference(build_id: str, model_version: str) -> dict[str, Any] | None:
    """The model's expected AUC next to the Bayes-optimal reference, on its held-out children.

    Only on a synthetic build (None without a truth folder). Aggregates only: three AUCs, a count
    and an expected count, stored with the card (`screening.model_card.bayes_reference`): the
    cross-fitted reference takes seconds to tens of seconds at city scale, so it is computed once
    per build and model, where the model is trained.
    """
    return _card(build_id, model_version, _truth_key())["reference"]
