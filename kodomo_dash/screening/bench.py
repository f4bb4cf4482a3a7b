"""Screening figures for `kodomo bench`: train and score times, AUC against the Bayes optimum,
and each method's precision at the list size on the same children.

Run on the synthetic features frame (or any frame with `truth_p`/`true_need`), so the
numbers in docs/benchmarks.md can be reproduced with one call.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd

from kodomo_dash.screening.cohorts import apply_exclusions, derive
from kodomo_dash.screening.counts import ItemCountMethod
from kodomo_dash.screening.edu_welfare import EduWelfareMethod
from kodomo_dash.screening.evaluation import bayes_optimal_auc, compare_methods, expected_auc, precision_at_k
from kodomo_dash.screening.features import LABEL, LABEL_DERIVED
from kodomo_dash.screening.points import RulePointsMethod
from kodomo_dash.screening.reference import ReferenceFigures, label_probability, reference_figures
from kodomo_dash.screening.rules import RuleSet
from kodomo_dash.screening.similarity import SimilarityMethod, SimilarityModel


def bench_screening(frame: pd.DataFrame | None = None, n: int = 210_000, seed: int = 1,
                    list_size: int = 200, as_of: str = "2025-07-01",
                    truth_is_label_probability: bool | None = None) -> dict[str, Any]:
    """Steps `train` and `score` (seconds) and figures `model_auc`, `bayes_optimal_auc`,
    `precision_at_list_<method>`.

    The comparison uses the model's held-out children (never seen in training), minus those
    already in support, so the model gets no in-sample advantage over the rule methods.
    `truth_p` means P(label | observed columns) in `screening.synthetic`'s frame and
    P(true need | latent z) in the city generator's truth; the Bayes reference differs
    accordingly (see screening/reference.py).
    """
    if truth_is_label_probability is None:  # the default: True for screening.synthetic's own frame
        truth_is_label_probability = frame is None
    if frame is None:
        from kodomo_dash.screening.synthetic import synthetic_child_features

        frame = synthetic_child_features(n, seed=seed, as_of=as_of)
    frame = derive(frame.reset_index(drop=True), frame.attrs.get("as_of", as_of))
    out: dict[str, Any] = {"n": int(len(frame))}
    t = time.perf_counter()
    model = SimilarityModel.train(frame)
    out["train_seconds"] = time.perf_counter() - t
    sim = SimilarityMethod(model)
    t = time.perf_counter()
    sim.score(frame, {"explain_top": 0})  # every child scored and explained
    out["score_seconds"] = time.perf_counter() - t
    out["model_auc"] = model.metrics.get("holdout_auc")
    out["model_pr_auc"] = model.metrics.get("holdout_pr_auc")
    held_rows = model.holdout_rows
    ref: ReferenceFigures | None = None
    if "truth_p" in frame.columns and truth_is_label_probability:
        # screening.synthetic draws the label from truth_p, a function of the observed columns:
        # truth_p is itself the Bayes-optimal score.
        p_label = frame["truth_p"].to_numpy(dtype=float)[held_rows]
        out["model_expected_auc"] = expected_auc(model.raw_score(frame.iloc[held_rows]), p_label)
        out["bayes_optimal_auc"] = bayes_optimal_auc(p_label)
        out["model_auc_share_of_bayes"] = out["model_expected_auc"] / out["bayes_optimal_auc"]
    elif "truth_p" in frame.columns and "true_need" in frame.columns:
        # The city generator: truth_p is P(true need | latent z), the label is drawn from the
        # true need. Same children (held out), same label distribution, scores the model could
        # have — see screening/reference.py.
        t = time.perf_counter()
        ref = reference_figures(frame, model.raw_score(frame.iloc[held_rows]), held_rows, features=model.features)
        out.update(ref.as_dict())  # model_expected_auc, bayes_optimal_auc, shares, latent_oracle_auc
        out["reference_seconds"] = time.perf_counter() - t
        # The figure reported before (true need as the label, ranked by the latent need): kept
        # under its own name for continuity; it is not a level the model could reach.
        out["true_need_oracle_auc"] = bayes_optimal_auc(frame["truth_p"])
    holdout = frame.iloc[model.holdout_rows]
    holdout.attrs.update(frame.attrs)
    cohort, _ = apply_exclusions(holdout, ("already_in_support",))
    label_p = None
    if ref is not None:
        by_id = pd.Series(label_probability(frame)[model.holdout_rows], index=holdout["resident_id"].to_numpy())
        cohort = cohort.assign(label_p=by_id.reindex(cohort["resident_id"]).to_numpy())
        label_p = "label_p"
    methods = {
        "similarity": (sim, None),
        "rule_points": (RulePointsMethod(), None),
        "item_counts": (ItemCountMethod(), None),
        "edu_welfare": (EduWelfareMethod(), None),
    }
    truth = "true_need" if "true_need" in cohort.columns else None
    table = compare_methods(cohort, methods, list_size=list_size, truth=truth, label_p=label_p)
    if ref is not None:
        # The best list any model of these features could pick (the reference score's top):
        # how far an honest model can get against the label at all.
        score = pd.Series(ref.reference_score, index=holdout["resident_id"].to_numpy())
        top = score.reindex(cohort["resident_id"]).to_numpy()
        out["precision_at_list_bayes_reference"] = precision_at_k(cohort[LABEL].astype(int), top, list_size)
        chosen = np.argsort(-top, kind="mergesort")[:list_size]
        out["expected_precision_at_list_bayes_reference"] = float(cohort["label_p"].to_numpy()[chosen].mean())
        if truth:
            out["precision_of_true_need_bayes_reference"] = precision_at_k(cohort[truth].astype(int), top, list_size)
    for _, row in table.iterrows():
        out[f"precision_at_list_{row['method']}"] = row["precision_at_list"]
        if label_p:
            out[f"expected_precision_at_list_{row['method']}"] = row["expected_precision"]
        if truth:
            out[f"precision_of_true_need_{row['method']}"] = row["precision_of_true_need"]
            out[f"recall_of_true_need_{row['method']}"] = row["recall_of_true_need"]
    # The same comparison with the rule items that read label-derived columns switched off
    # (相談歴, 一時保護歴...): every past support case has a consultation by definition.
    free = {
        "rule_points": (RulePointsMethod(RuleSet.preset("amagasaki").without_columns(LABEL_DERIVED)), None),
        "item_counts": (ItemCountMethod(RuleSet.preset("beppu").without_columns(LABEL_DERIVED)), None),
        "edu_welfare": (EduWelfareMethod(RuleSet.preset("izumi").without_columns(LABEL_DERIVED)), None),
    }
    free_table = compare_methods(cohort, free, list_size=list_size, truth=truth, label_p=label_p)
    for _, row in free_table.iterrows():
        out[f"precision_at_list_{row['method']}_label_free"] = row["precision_at_list"]
        if label_p:
            out[f"expected_precision_at_list_{row['method']}_label_free"] = row["expected_precision"]
        if truth:
            out[f"precision_of_true_need_{row['method']}_label_free"] = row["precision_of_true_need"]
    table = pd.concat([table, free_table.assign(method=free_table["method"] + "_label_free")], ignore_index=True)
    out["comparison_cohort_size"] = int(len(cohort))
    out["list_size"] = list_size
    out["comparison"] = table
    return out
