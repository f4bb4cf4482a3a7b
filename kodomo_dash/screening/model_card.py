"""The model card's figures: computed once per build and model, stored beside the model, read by the page.

Why stored and not computed when the page opens: at scale 1.0 (210,000 children) the figures
take about 9 s on a quiet 2-core machine — 2.4 s for the held-out metrics, the seven-way method
comparison and the fairness tables, 6.7 s for the Bayes-optimal reference (a boosted regression
fitted on the 168,000 children the model trained on) — and twice that under load, so every
server process's first visitor waited 10–20 s. The figures depend only on the build, the model
and the synthetic truth folder (none of them on casework), so they are computed where the model
is trained (the scenario year of the demo and the bench, and the screening page's training), and
otherwise on the first visit, and written to ``<model>.card.pkl`` under ``warehouse/models/``.
See docs/decisions/054-one-cohort-read-and-stored-model-card.md.

Everything stored is an aggregate (metrics, curves, per-group rates and counts, a handful of
AUCs): no row is about one child, like the model file beside it. No Streamlit here: the page's
query layer (``queries.screening``) wraps it in its per-build cache.
"""

from __future__ import annotations

import os
import pickle
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from kodomo_dash.screening.cohorts import apply_exclusions, cohort_frame
from kodomo_dash.screening.features import LABEL

CARD_FORMAT = 1  # bump when what a card holds changes: older files are then recomputed
SIZES = (10, 20, 50, 100, 200)  # the list sizes the page offers, all answered from one scoring


@dataclass(frozen=True)
class CardKey:
    """What a stored card was computed from; a file whose key differs is recomputed."""

    build_id: str
    model_version: str
    truth_dir: str | None  # the synthetic truth folder the figures used; None for real extracts
    card_format: int = CARD_FORMAT

    @classmethod
    def of(cls, build_id: str, model_version: str, truth_dir: Path | str | None) -> CardKey:
        return cls(build_id, model_version, str(truth_dir) if truth_dir else None)


def card_path(model_path: Path) -> Path:
    """Where the card of the model file at ``model_path`` is kept (beside it)."""
    return model_path.with_name(model_path.stem + ".card.pkl")


def holdout_mask(frame: pd.DataFrame, model: Any) -> np.ndarray:
    """The model's own calibration split of `frame`, rebuilt exactly (same order, same seed)."""
    from sklearn.model_selection import train_test_split

    y = frame[LABEL].astype(int).to_numpy()
    p = model.train_params
    _, cal_rows = train_test_split(np.arange(len(y)), test_size=p.get("calibration_fraction", 0.2), stratify=y,
                                   random_state=p.get("random_state", 0))
    mask = np.zeros(len(y), dtype=bool)
    mask[cal_rows] = True
    return mask


def card_figures(frame: pd.DataFrame, model: Any, as_of: date, truth_dir: Path | None) -> dict[str, Any]:
    """Everything the model card shows but the Bayes reference, as aggregates.

    `frame` is the whole city (`cohort_frame(..., "all_children")`), the frame the model trained
    on, so its held-out children are the model's own calibration split. Every list size in SIZES is
    answered from one scoring; the model's ranking comes from its raw scores without SHAP reasons,
    which a comparison never shows. Keys: metrics, trained (dicts), calibration, importance, curves
    (DataFrames), sizes, comparison, fairness_table, fairness_gaps (dicts of DataFrames by list
    size), warnings (dict of lists by list size), holdout (int).
    """
    from kodomo_dash.screening.counts import ItemCountMethod
    from kodomo_dash.screening.edu_welfare import EduWelfareMethod
    from kodomo_dash.screening.evaluation import (
        calibration_curve_data,
        compare_methods,
        fairness_report,
        model_card_metrics,
        precision_curves,
        score_methods,
        with_label_free_variants,
    )
    from kodomo_dash.screening.points import RulePointsMethod
    from kodomo_dash.screening.similarity import SimilarityFromScores

    held = frame[holdout_mask(frame, model)].reset_index(drop=True)
    held.attrs.update(frame.attrs)
    raw = model.raw_score(held)
    prob = model.calibrate(raw)
    y_held = held[LABEL].astype(int).to_numpy()
    sizes = tuple(k for k in SIZES if k <= len(held)) or (len(held),)
    metrics = model_card_metrics(y_held, prob, ks=sizes)
    calibration = calibration_curve_data(y_held, prob, n_bins=5 if len(held) < 2000 else 10)
    kept, _ = apply_exclusions(held, ("already_in_support",))
    kept.attrs.update(frame.attrs)
    scores = pd.Series(raw, index=held["resident_id"].to_numpy())
    methods = with_label_free_variants({
        "similarity": (SimilarityFromScores(model, scores), None),
        "rule_points": (RulePointsMethod(as_of=as_of, explain=False), None),
        "item_counts": (ItemCountMethod(as_of=as_of, explain=False), None),
        "edu_welfare": (EduWelfareMethod(as_of=as_of, explain=False), None),
    })
    truth_kwargs: dict[str, Any] = {}
    if truth_dir is not None:  # synthetic build: true need, and each list's expected precision (see reference.py)
        from kodomo_dash.screening.reference import attach_truth, label_probability

        kept = attach_truth(kept, truth_dir)
        kept["label_p"] = label_probability(kept)
        truth_kwargs = {"truth": "true_need", "label_p": "label_p"}
    scored = score_methods(kept, methods)
    order = np.argsort(-raw, kind="mergesort")
    comparison, fairness_table, fairness_gaps, warnings = {}, {}, {}, {}
    for k in sizes:
        comparison[k] = compare_methods(kept, methods, list_size=min(k, len(kept)), scored=scored, **truth_kwargs)
        in_list = np.zeros(len(held), dtype=bool)
        in_list[order[:k]] = True
        report = fairness_report(held.assign(score=prob, in_list=in_list), selected="in_list", label=LABEL,
                                 prob="score")
        fairness_table[k], fairness_gaps[k], warnings[k] = report.table, report.gaps, list(report.warnings)
    return {
        "metrics": metrics,
        "trained": dict(model.metrics),
        "calibration": calibration,
        "importance": model.importance if model.importance is not None else pd.DataFrame(),
        "sizes": sizes,
        "comparison": comparison,
        "curves": precision_curves(kept, scored, **truth_kwargs),
        "fairness_table": fairness_table,
        "fairness_gaps": fairness_gaps,
        "warnings": warnings,
        "holdout": int(len(held)),
    }


def bayes_reference(frame: pd.DataFrame, model: Any, truth_dir: Path | None) -> dict[str, Any] | None:
    """The model's expected AUC next to the Bayes-optimal reference, on its held-out children.

    Only on a synthetic build (None without a truth folder). Aggregates only: three AUCs, a count
    and an expected count. See `kodomo_dash.screening.reference` for what the figures mean.
    """
    if truth_dir is None:
        return None
    from kodomo_dash.screening.reference import attach_truth, reference_figures

    held_ids = set(frame.loc[holdout_mask(frame, model), "resident_id"])
    with_truth = attach_truth(frame, truth_dir)
    rows = np.flatnonzero(with_truth["resident_id"].isin(held_ids).to_numpy())
    raw = model.raw_score(with_truth.iloc[rows])
    figures = reference_figures(with_truth, raw, rows, features=model.features)
    return {**figures.as_dict(), "children_without_truth": int(len(frame) - len(with_truth))}


def compute(frame: pd.DataFrame, model: Any, as_of: date, truth_dir: Path | None) -> dict[str, Any]:
    """The card (`card_figures`) and the reference (`bayes_reference`) from one whole-city frame."""
    return {"card": card_figures(frame, model, as_of, truth_dir),
            "reference": bayes_reference(frame, model, truth_dir)}


def load(path: Path, key: CardKey) -> dict[str, Any] | None:
    """The stored figures for `key`, or None (no file, another build/model/truth, unreadable).

    A pickle: only files this product wrote into its own warehouse folder are read, as with the model.
    """
    try:
        with path.open("rb") as fh:
            stored = pickle.load(fh)  # noqa: S301 - our own file beside our own model file
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, ValueError, TypeError):
        return None
    if not isinstance(stored, dict) or stored.get("key") != asdict(key):
        return None
    return stored.get("figures")


def save(path: Path, key: CardKey, figures: dict[str, Any]) -> Path:
    """Write the figures atomically (another process may be reading or writing the same card)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    with tmp.open("wb") as fh:
        pickle.dump({"key": asdict(key), "figures": figures}, fh, protocol=pickle.HIGHEST_PROTOCOL)
    tmp.replace(path)
    return path


def store(path: Path, key: CardKey, frame: pd.DataFrame, model: Any, as_of: date,
          truth_dir: Path | None) -> dict[str, Any]:
    """Compute the figures for `key` from `frame` (the whole city) and write them; returns them."""
    figures = compute(frame, model, as_of, truth_dir)
    save(path, key, figures)
    return figures


def stored_or_computed(cur: Any, path: Path, key: CardKey, model: Any, as_of: date,
                       truth_dir: Path | None) -> dict[str, Any]:
    """The stored figures for `key`; computed from the whole city (one read) and stored when missing."""
    figures = load(path, key)
    if figures is None:
        figures = store(path, key, cohort_frame(cur, as_of, "all_children"), model, as_of, truth_dir)
    return figures
