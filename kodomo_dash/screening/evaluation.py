"""Numbers for the model card: discrimination, calibration, the four methods side by side, fairness.

All functions take plain arrays or frames so the model card page, `kodomo bench` and the
tests compute the same figures. Anchors the issue cites for context: AUC 0.76 (New
Zealand), 0.83 (Los Angeles 2023), above 0.87 (Denmark 2024). On synthetic data the
generator's truth gives the Bayes-optimal AUC — computed for the label being compared and from
what the model can observe (`screening.reference`), never from the latent need alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, roc_auc_score

from kodomo_dash.config.messages import Localized, msg
from kodomo_dash.screening.base import Method, ScoreResult
from kodomo_dash.screening.errors import ScreeningError
from kodomo_dash.screening.features import LABEL_DERIVED, label_ja, require_columns

PUBLISHED_AUC = {"ニュージーランド": 0.76, "ロサンゼルス（2023）": 0.83, "デンマーク（2024）": 0.87}


COMPARING = Localized("手法の比較", "The comparison of methods")
THE_LABEL = Localized("正解ラベル", "The label")


def _binary(y: Any, what: Any = THE_LABEL) -> np.ndarray:
    arr = pd.Series(y).astype("Float64")
    if arr.isna().any() or not arr.isin([0, 1]).all():
        raise ScreeningError(msg("sc.label_binary", what=what), code="bad_label")
    out = arr.to_numpy(dtype=int)
    if out.min() == out.max():
        raise ScreeningError(msg("sc.label_one_class", what=what), code="one_class")
    return out


def auc(y: Any, score: Any) -> float:
    return float(roc_auc_score(_binary(y), np.asarray(score, dtype=float)))


def pr_auc(y: Any, score: Any) -> float:
    """Average precision: the PR-curve area, which stays honest when positives are rare."""
    return float(average_precision_score(_binary(y), np.asarray(score, dtype=float)))


def _top_k_mask(score: np.ndarray, k: int) -> np.ndarray:
    order = np.argsort(-score, kind="mergesort")
    mask = np.zeros(len(score), dtype=bool)
    mask[order[: max(0, min(k, len(score)))]] = True
    return mask


def precision_at_k(y: Any, score: Any, k: int) -> float:
    if k <= 0:
        raise ScreeningError(msg("sc.k_positive"), code="out_of_range")
    y = np.asarray(y, dtype=int)
    mask = _top_k_mask(np.asarray(score, dtype=float), k)
    return float(y[mask].mean())


def recall_at_k(y: Any, score: Any, k: int) -> float:
    y = np.asarray(y, dtype=int)
    if y.sum() == 0:
        return float("nan")
    mask = _top_k_mask(np.asarray(score, dtype=float), k)
    return float(y[mask].sum() / y.sum())


def calibration_curve_data(y: Any, prob: Any, n_bins: int = 10, strategy: str = "quantile") -> pd.DataFrame:
    """Per bin: mean predicted probability vs observed rate and count (for the calibration chart)."""
    y = np.asarray(y, dtype=float)
    p = np.asarray(prob, dtype=float)
    if strategy == "quantile":
        edges = np.unique(np.quantile(p, np.linspace(0, 1, n_bins + 1)))
    elif strategy == "uniform":
        edges = np.linspace(0, 1, n_bins + 1)
    else:
        raise ScreeningError(msg("sc.strategy"), code="bad_param")
    if len(edges) < 2:
        edges = np.array([p.min(), p.max() + 1e-12])
    idx = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, len(edges) - 2)
    df = pd.DataFrame({"bin": idx, "p": p, "y": y})
    out = df.groupby("bin").agg(mean_predicted=("p", "mean"), observed_rate=("y", "mean"), n=("y", "size"))
    out["bin_low"] = edges[out.index]
    out["bin_high"] = edges[out.index + 1]
    return out.reset_index()


def expected_auc(score: Any, label_p: Any) -> float:
    """AUC of `score` expected over label draws y_i ~ Bernoulli(label_p_i), exactly.

    sum over pairs p_i (1 - p_j) [s_i > s_j] (ties half) divided by sum over pairs p_i (1 - p_j),
    i != j, in O(n log n). On synthetic data the generator knows each child's label probability,
    so two scores can be compared without the noise of one label draw (a held-out AUC on ~600
    positives moves by ±0.01 from the draw alone).
    """
    s = np.asarray(score, dtype=float)
    p = np.asarray(label_p, dtype=float)
    if s.shape != p.shape:
        raise ScreeningError(msg("sc.score_p_lengths"), code="bad_label")
    if np.any((p < 0) | (p > 1)) or np.isnan(p).any() or np.isnan(s).any():
        raise ScreeningError(msg("sc.p_range"), code="bad_label")
    _, inv = np.unique(s, return_inverse=True)
    pos_w = np.bincount(inv, weights=p)  # expected positives per distinct score
    neg_w = np.bincount(inv, weights=1 - p)  # expected negatives per distinct score
    neg_below = np.concatenate([[0.0], np.cumsum(neg_w)[:-1]])
    # Same-child pairs (i == j) sit in the tie term: take them out of numerator and denominator.
    num = float((pos_w * neg_below).sum() + 0.5 * (pos_w * neg_w).sum() - 0.5 * (p * (1 - p)).sum())
    den = float(p.sum() * (1 - p).sum() - (p * (1 - p)).sum())
    if den <= 0:
        raise ScreeningError(msg("sc.p_one_class"), code="one_class")
    return num / den


def bayes_optimal_auc(truth_p: Any, y: Any | None = None) -> float:
    """The ceiling for labels drawn from truth_p: the AUC of truth_p itself.

    With labels it is the empirical AUC of truth_p. Without, the expected AUC over label draws
    (`expected_auc(truth_p, truth_p)`) — no sampling noise, so it is the stable reference for a
    benchmark. truth_p must be the probability *of the label being compared* (see
    `screening.reference` for how the past-support-case label's probability is derived).
    """
    if y is not None:
        return auc(y, np.asarray(truth_p, dtype=float))
    return expected_auc(truth_p, truth_p)


def model_card_metrics(y: Any, prob: Any, ks: Sequence[int] = (100, 200, 500)) -> dict[str, float]:
    y_arr = _binary(y)
    p = np.asarray(prob, dtype=float)
    out = {"auc": auc(y_arr, p), "pr_auc": pr_auc(y_arr, p), "base_rate": float(y_arr.mean()),
           "brier": float(np.mean((p - y_arr) ** 2)), "n": int(len(y_arr)), "positives": int(y_arr.sum())}
    for k in ks:
        if k <= len(y_arr):
            out[f"precision_at_{k}"] = precision_at_k(y_arr, p, k)
    return out


# ---------------------------------------------------------------- the four methods side by side


LABEL_FREE_SUFFIX = "_label_free"
LABEL_FREE_JA = "（相談歴等を除く）"
CURVE_SIZES: tuple[int, ...] = (10, 20, 50, 100, 200, 500, 1000)

Methods = Mapping[str, tuple[Method, Mapping[str, Any] | None]]


def label_columns_read(method: Method) -> list[str]:
    """The label-derived columns (相談歴, 一時保護歴 …) a method scores from, in contract order."""
    read = method.columns_read() or frozenset()
    return [c for c in LABEL_DERIVED if c in read]


def with_label_free_variants(methods: Methods) -> dict[str, tuple[Method, Mapping[str, Any] | None]]:
    """The methods, each followed by its label-free twin when it reads a label-derived column.

    Every past support case has a consultation by definition, so a rule set scoring 相談歴 is
    partly reading the label it is compared on; its twin shows what it finds without it.
    """
    out: dict[str, tuple[Method, Mapping[str, Any] | None]] = {}
    for key, (method, params) in methods.items():
        out[key] = (method, params)
        twin = getattr(method, "label_free", None)
        if twin is not None and label_columns_read(method):
            out[key + LABEL_FREE_SUFFIX] = (twin(), params)
    return out


def score_methods(frame: pd.DataFrame, methods: Methods) -> dict[str, ScoreResult]:
    """Each method scored once on the same frame, so a table and a curve share the work."""
    return {key: method.score(frame, params) for key, (method, params) in methods.items()}


def _method_label(key: str, result: ScoreResult) -> str:
    return result.label_ja + (LABEL_FREE_JA if key.endswith(LABEL_FREE_SUFFIX) else "")


def compare_methods(
    frame: pd.DataFrame,
    methods: Methods,
    list_size: int | None = None,
    label: str = "past_support_case",
    truth: str | None = "true_need",
    label_p: str | None = None,
    scored: Mapping[str, ScoreResult] | None = None,
) -> pd.DataFrame:
    """One row per method on the same cohort: its list size, precision, recall of true need.

    list_size None: each method's own list rule (Beppu's 30, Izumi's 206, ...). Given: every
    method's top `list_size` by its own rank, which is the fair comparison at equal effort.
    `label_p` (synthetic data only): a column with each child's true probability of the label;
    then `expected_precision` is its mean over the list — the precision expected over label
    draws. It cannot be earned by reading the drawn label (相談歴 holds it for every past case),
    and it does not move by ±0.02 with one draw of a few hits in 200. `label_columns` names the
    label-derived columns a method reads (see `with_label_free_variants`).
    """
    require_columns(frame, ["resident_id", label], COMPARING)
    y = frame.set_index("resident_id")[label]
    need = frame.set_index("resident_id")[truth] if truth and truth in frame.columns else None
    lp = frame.set_index("resident_id")[label_p] if label_p and label_p in frame.columns else None
    scored = scored if scored is not None else score_methods(frame, methods)
    rows = []
    for key, (method, _) in methods.items():
        result = scored[key]
        chosen = result.select(top_n=list_size) if list_size else result.own_list()
        ids = chosen["resident_id"]
        hits = y.reindex(ids).fillna(0)
        row = {
            "method": key,
            "label_ja": _method_label(key, result),
            "list_size": int(len(ids)),
            "positives_in_list": int(hits.sum()),
            "precision_at_list": float(hits.mean()) if len(ids) else float("nan"),
            "recall_of_label": float(hits.sum() / max(int(y.sum()), 1)),
            "version": result.version,
            "label_columns": "、".join(label_ja(c) for c in label_columns_read(method)),
        }
        row["auc"] = _ranking_auc(result, y)
        if lp is not None:
            row["expected_precision"] = float(lp.reindex(ids).mean()) if len(ids) else float("nan")
        if need is not None:
            found = need.reindex(ids).fillna(0)
            row["true_need_in_list"] = int(found.sum())
            row["precision_of_true_need"] = float(found.mean()) if len(ids) else float("nan")
            row["recall_of_true_need"] = float(found.sum() / max(int(need.sum()), 1))
        rows.append(row)
    return pd.DataFrame(rows)


def _ranking_auc(result: ScoreResult, y: pd.Series) -> float:
    """AUC of a method's ranking for label y; kept on the result, since it does not depend on
    the list size and one result is compared at several sizes."""
    key = f"auc:{y.name}:{len(y)}"
    if key not in result.meta:
        ranked = result.frame.set_index("resident_id")["rank"].reindex(y.index)
        try:
            result.meta[key] = auc(y.to_numpy(), -ranked.to_numpy(dtype=float))
        except ScreeningError:
            result.meta[key] = float("nan")
    return result.meta[key]


def precision_curves(
    frame: pd.DataFrame,
    scored: Mapping[str, ScoreResult],
    sizes: Sequence[int] = CURVE_SIZES,
    label: str = "past_support_case",
    truth: str | None = "true_need",
    label_p: str | None = None,
) -> pd.DataFrame:
    """Precision of each method's top k for several k (long format, one row per method and k).

    A single list size can flatter one method; the curve shows whether the order holds from a
    short list (one ward's visits) to a long one. Columns as in `compare_methods`:
    precision_at_list, and with synthetic truth expected_precision and precision_of_true_need.
    """
    require_columns(frame, ["resident_id", label], COMPARING)
    by_id = frame.set_index("resident_id")
    targets = {"precision_at_list": label}
    if label_p and label_p in frame.columns:
        targets["expected_precision"] = label_p
    if truth and truth in frame.columns:
        targets["precision_of_true_need"] = truth
    sizes = sorted({int(k) for k in sizes if 0 < k <= len(frame)})
    rows = []
    for key, result in scored.items():
        order = result.ranked()["resident_id"]
        for column, source in targets.items():
            cum = by_id[source].astype(float).fillna(0).reindex(order).to_numpy().cumsum()
            for k in sizes:
                rows.append({"method": key, "label_ja": _method_label(key, result), "list_size": k,
                             "measure": column, "value": float(cum[k - 1] / k)})
    return pd.DataFrame(rows, columns=["method", "label_ja", "list_size", "measure", "value"])


# ---------------------------------------------------------------- fairness

FAIRNESS_GROUPS: dict[str, str] = {
    "ward_code": "区",
    "single_parent": "ひとり親世帯",
    "foreign_national": "外国籍",
    "any_disability": "障害",
}
DEFAULT_TOLERANCE = {"selection_rate": 0.05, "tpr": 0.15, "fpr": 0.05, "calibration_gap": 0.05}
METRIC_JA = {"selection_rate": "選定率", "tpr": "真陽性率（TPR）", "fpr": "偽陽性率（FPR）",
             "calibration_gap": "予測と実績の差（較正）"}


@dataclass
class FairnessReport:
    table: pd.DataFrame  # one row per (attribute, group)
    gaps: pd.DataFrame  # one row per (attribute, metric): max - min across groups, warning flag
    warnings: list[str] = field(default_factory=list)


def fairness_report(
    frame: pd.DataFrame,
    selected: str = "in_list",
    label: str = "past_support_case",
    prob: str | None = "score",
    groups: Mapping[str, str] | None = None,
    tolerance: Mapping[str, float] | None = None,
    min_group_size: int = 30,
) -> FairnessReport:
    """Selection rate, TPR, FPR and calibration per group, with a warning when a gap exceeds tolerance.

    Groups smaller than min_group_size are shown but left out of the gaps: their rates are noise.
    A gap is not proof of unfairness (base rates differ between groups); it is a prompt to look.
    """
    groups = dict(groups or FAIRNESS_GROUPS)
    tol = {**DEFAULT_TOLERANCE, **(tolerance or {})}
    require_columns(frame, [selected, label, *groups], Localized("公平性の確認", "The fairness check"))
    rows = []
    for attr, attr_ja in groups.items():
        for value, g in frame.groupby(attr, dropna=False):
            sel = g[selected].astype(bool).to_numpy()
            y = g[label].astype("Float64").fillna(0).to_numpy(dtype=int)
            row = {
                "attribute": attr,
                "attribute_ja": attr_ja,
                "group": "不明" if pd.isna(value) else str(value),
                "n": int(len(g)),
                "selection_rate": float(sel.mean()),
                "base_rate": float(y.mean()),
                "tpr": float(sel[y == 1].mean()) if (y == 1).any() else float("nan"),
                "fpr": float(sel[y == 0].mean()) if (y == 0).any() else float("nan"),
            }
            if prob and prob in g.columns and frame[prob].between(0, 1).all():  # probabilities only
                row["mean_predicted"] = float(g[prob].mean())
                row["calibration_gap"] = row["mean_predicted"] - row["base_rate"]
            row["small_group"] = len(g) < min_group_size
            rows.append(row)
    table = pd.DataFrame(rows)
    gap_rows, warnings = [], []
    metrics = [m for m in ("selection_rate", "tpr", "fpr", "calibration_gap") if m in table.columns]
    for attr, attr_ja in groups.items():
        t = table[(table["attribute"] == attr) & ~table["small_group"]]
        for m in metrics:
            vals = t[m].dropna()
            if len(vals) < 2:
                continue
            gap = float(vals.max() - vals.min())
            warn = gap > tol[m]
            gap_rows.append({"attribute": attr, "attribute_ja": attr_ja, "metric": m, "metric_ja": METRIC_JA[m],
                             "gap": gap, "tolerance": tol[m], "warning": warn,
                             "max_group": str(t.loc[vals.idxmax(), "group"]),
                             "min_group": str(t.loc[vals.idxmin(), "group"])})
            if warn:
                warnings.append(f"{attr_ja}別の{METRIC_JA[m]}の差が{gap:.3f}で、許容値{tol[m]:.3f}を超えています"
                                f"（最大: {t.loc[vals.idxmax(), 'group']}、最小: {t.loc[vals.idxmin(), 'group']}）。")
    return FairnessReport(table=table, gaps=pd.DataFrame(gap_rows), warnings=warnings)
