"""Similarity model (Fukuoka): how much a child's data resembles past support cases, and why.

Fukuoka compared each child with past support cases (main complaint 養護相談（虐待）) using
machine learning and showed the similarity with its factors (図表 7-2). Here:

* Gradient-boosted trees (scikit-learn `HistGradientBoostingClassifier`, numeric features
  only: no `categorical_features`, whose splits TreeSHAP does not follow). The exact
  `GradientBoostingClassifier` took ~4 minutes on 168k rows on this machine; the
  histogram version trains in seconds and stays inside the 60-second budget at 210k.
  Trees are shallow (depth 3, 8 leaves, 100 of them): TreeSHAP costs grow with depth
  squared, and deeper trees gained no AUC on the synthetic city.
* Missing values are encoded as -1 (every feature is otherwise ≥ 0) before the trees see
  them, so missingness is an ordinary split SHAP explains exactly, and "no data" reads as
  such in the reasons.
* Calibrated on a stratified held-out split the trees never saw (which also gives honest
  held-out AUC / PR-AUC for the model card): Platt scaling by default, isotonic on request.
  Isotonic put exactly 1.0 ("類似度100%") on the top block of a 210k-child run, which no
  person should read on a screen; the sigmoid is smooth and keeps every rank distinct.
* Per-child reasons from SHAP (TreeExplainer, exact path-dependent). SHAP values plus the
  base value equal the trees' raw log-odds output (tested); the calibrated probability is
  a monotone map of that output, so rankings and reasons agree.
* Saved with its feature list, signature and version; loading against a different
  feature list fails with a Japanese message instead of scoring garbage.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
import sklearn
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, train_test_split

from kodomo_dash.config.messages import Joined, Localized, Message, msg
from kodomo_dash.screening.base import Method, ParamSpec, ScoreResult, order_ranks, validate_params
from kodomo_dash.screening.errors import ScreeningError
from kodomo_dash.screening.evaluation import auc, pr_auc
from kodomo_dash.screening.features import (
    LABEL,
    MODEL_FEATURES,
    REASON_GROUPS,
    describe_group,
    describe_value,
    feature_signature,
    label_ja,
    require_columns,
)
from kodomo_dash.screening.similarity_params import TRAIN_PARAMS, score_param_specs

FORMAT_VERSION = 1
MISSING = -1.0
# scikit-learn's histogram boosting runs OpenMP threads that spin while waiting for each other.
# On a machine shared with other work (2 cores, load 10) one fit took 33 s with the default
# threads and 0.6 s with one; the product and the benchmark both run on shared machines.
OPENMP_THREADS = 1


def _trees(p: Mapping[str, Any]) -> HistGradientBoostingClassifier:
    """The boosted trees with the training parameters (one place, so cross-fitting fits the same model)."""
    return HistGradientBoostingClassifier(
        max_iter=p["max_iter"],
        learning_rate=p["learning_rate"],
        max_leaf_nodes=p["max_leaf_nodes"],
        max_depth=p["max_depth"],
        min_samples_leaf=p["min_samples_leaf"],
        l2_regularization=p["l2_regularization"],
        early_stopping=False,
        random_state=p["random_state"],
    )


def cross_fitted_scores(
    frame: pd.DataFrame,
    folds: int = 5,
    params: Mapping[str, Any] | None = None,
    label: str = LABEL,
    features: Sequence[str] = MODEL_FEATURES,
) -> np.ndarray:
    """Every child's raw score from trees fitted without that child (stratified k-fold).

    Comparing the model with the rule methods over the whole city needs a score for everyone
    that is not in-sample: the rule methods never saw the label, so the model must not have
    seen it either. The list size a city works with (about 200 of 210,000) can then be compared
    as it is, instead of on the 20 % calibration split. Same trees and parameters as `train`.
    """
    p = validate_params(TRAIN_PARAMS, params)
    require_columns(frame, [*features, label], Localized("類似度モデルの交差推定", "The cross-fitted similarity model"))
    x = to_matrix(frame, features)
    y = frame[label].astype(int).to_numpy()
    out = np.empty(len(y))
    splits = StratifiedKFold(n_splits=folds, shuffle=True, random_state=p["random_state"]).split(x, y)
    with openmp_threads():
        for fit_rows, score_rows in splits:
            out[score_rows] = _trees(p).fit(x[fit_rows], y[fit_rows]).decision_function(x[score_rows])
    return out


@contextmanager
def openmp_threads(limit: int = OPENMP_THREADS) -> Iterator[None]:
    """Run the trees' fit/predict with `limit` OpenMP threads (see OPENMP_THREADS)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=limit, user_api="openmp"):
        yield



def to_matrix(frame: pd.DataFrame, features: Sequence[str]) -> np.ndarray:
    """Feature matrix with missing values as MISSING (-1): float64, C-contiguous."""
    require_columns(frame, features, Localized("類似度モデル", "The similarity model"))
    cols = []
    for f in features:
        s = frame[f]
        if s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
            s = pd.to_numeric(s, errors="coerce")
        cols.append(s.astype("Float64").to_numpy(dtype=float, na_value=np.nan))
    x = np.column_stack(cols) if cols else np.empty((len(frame), 0))
    return np.ascontiguousarray(np.where(np.isnan(x), MISSING, x))


def _calibrate(calibrator: Any, raw: np.ndarray) -> np.ndarray:
    if isinstance(calibrator, LogisticRegression):
        return calibrator.predict_proba(np.asarray(raw).reshape(-1, 1))[:, 1]
    return calibrator.predict(raw)


@lru_cache(maxsize=65536)
def _phrase(feature: str, value: float) -> str:
    return describe_value(feature, None if value == MISSING else value)


@lru_cache(maxsize=65536)
def _group_phrase(key: str, values: tuple[tuple[str, float], ...]) -> str:
    return describe_group(key, {f: (None if v == MISSING else v) for f, v in values})


@dataclass
class SimilarityModel:
    estimator: HistGradientBoostingClassifier
    calibrator: IsotonicRegression | LogisticRegression
    features: tuple[str, ...]
    model_version: str
    created_at: str
    metrics: dict[str, Any] = field(default_factory=dict)
    train_params: dict[str, Any] = field(default_factory=dict)
    importance: pd.DataFrame | None = None
    sklearn_version: str = sklearn.__version__
    _explainer: Any = field(default=None, repr=False, compare=False)
    # Positions (in the training frame) of the held-out children, for out-of-sample comparisons.
    # Not saved with the model.
    holdout_rows: np.ndarray | None = field(default=None, repr=False, compare=False)

    # ------------------------------------------------------------ training

    @classmethod
    def train(
        cls,
        frame: pd.DataFrame,
        label: str = LABEL,
        params: Mapping[str, Any] | None = None,
        features: Sequence[str] = MODEL_FEATURES,
    ) -> SimilarityModel:
        """Fit on past support cases (label 1) vs other children, calibrate on a held-out split."""
        p = validate_params(TRAIN_PARAMS, params)
        require_columns(frame, [*features, label], Localized("類似度モデルの学習", "Training the similarity model"))
        y_series = frame[label].astype("Float64")
        if y_series.isna().any() or not y_series.isin([0, 1]).all():
            raise ScreeningError(msg("sim.label_binary"), code="bad_label")
        y = y_series.to_numpy(dtype=int)
        n_pos = int(y.sum())
        if n_pos == 0:
            raise ScreeningError(msg("sim.no_positives"), code="no_positives")
        if n_pos == len(y):
            raise ScreeningError(msg("sim.no_negatives"), code="no_negatives")
        if n_pos < p["min_positives"]:
            raise ScreeningError(msg("sim.too_few_positives", n=n_pos, min=p["min_positives"]), code="too_few_positives")
        x = to_matrix(frame, features)
        fit_rows, cal_rows = train_test_split(
            np.arange(len(y)), test_size=p["calibration_fraction"], stratify=y, random_state=p["random_state"]
        )
        fit_rows, cal_rows = np.sort(fit_rows), np.sort(cal_rows)
        x_fit, x_cal, y_fit, y_cal = x[fit_rows], x[cal_rows], y[fit_rows], y[cal_rows]
        est = _trees(p)
        with openmp_threads():
            est.fit(x_fit, y_fit)
            raw_cal = est.decision_function(x_cal)
        if p["calibration"] == "isotonic":
            calibrator: Any = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(raw_cal, y_cal)
        else:
            calibrator = LogisticRegression(C=1e6).fit(raw_cal.reshape(-1, 1), y_cal)
        prob_cal = _calibrate(calibrator, raw_cal)
        metrics: dict[str, Any] = {
            "n_train": int(len(y_fit)),
            "n_holdout": int(len(y_cal)),
            "positives": n_pos,
            "base_rate": float(y.mean()),
        }
        if 0 < y_cal.sum() < len(y_cal):
            metrics.update(
                holdout_auc=auc(y_cal, raw_cal),
                holdout_pr_auc=pr_auc(y_cal, raw_cal),
                holdout_brier=float(np.mean((prob_cal - y_cal) ** 2)),
            )
        created = datetime.now().astimezone()
        version = f"sim-{created:%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:6]}"
        model = cls(
            estimator=est,
            calibrator=calibrator,
            features=tuple(features),
            model_version=version,
            created_at=created.isoformat(timespec="seconds"),
            metrics=metrics,
            train_params=p,
        )
        rng = np.random.default_rng(p["random_state"])
        sample = rng.choice(len(x), size=min(p["importance_sample"], len(x)), replace=False)
        model.importance = model.global_importance_from_matrix(x[np.sort(sample)])
        model.holdout_rows = cal_rows
        return model

    # ------------------------------------------------------------ prediction

    def raw_score(self, frame: pd.DataFrame) -> np.ndarray:
        """Log-odds output of the trees (what SHAP values add up to)."""
        x = to_matrix(frame, self.features)
        with openmp_threads():
            return self.estimator.decision_function(x)

    def probability(self, frame: pd.DataFrame) -> np.ndarray:
        return self.calibrate(self.raw_score(frame))

    def calibrate(self, raw: np.ndarray) -> np.ndarray:
        return _calibrate(self.calibrator, raw)

    # ------------------------------------------------------------ explanation

    @property
    def explainer(self) -> Any:
        if self._explainer is None:
            import shap  # imported late: shap's import costs ~2 s, scoring rule methods needs none of it

            self._explainer = shap.TreeExplainer(self.estimator)
        return self._explainer

    def explain_matrix(self, x: np.ndarray) -> tuple[np.ndarray, float]:
        """SHAP values (rows × features) in log-odds and the base value."""
        if len(x) == 0:
            return np.zeros((0, len(self.features))), self.base_value()
        sv = self.explainer.shap_values(x, check_additivity=False)
        sv = np.asarray(sv[1] if isinstance(sv, list) else sv)
        if sv.ndim == 3:  # (n, features, classes) in some shap versions
            sv = sv[:, :, -1]
        return sv, self.base_value()

    def explain(self, frame: pd.DataFrame) -> tuple[np.ndarray, float]:
        return self.explain_matrix(to_matrix(frame, self.features))

    def base_value(self) -> float:
        ev = np.atleast_1d(self.explainer.expected_value)
        return float(ev[-1])

    def factor_groups(self) -> list[tuple[str, list[int]]]:
        """Factors as a person reads them: single features, or REASON_GROUPS summed (e.g. nurse contacts)."""
        index = {f: j for j, f in enumerate(self.features)}
        grouped: set[str] = set()
        out: list[tuple[str, list[int]]] = []
        for key, members in REASON_GROUPS.items():
            if all(m in index for m in members):
                out.append((key, [index[m] for m in members]))
                grouped.update(members)
        out += [(f, [j]) for j, f in enumerate(self.features) if f not in grouped]
        return sorted(out, key=lambda g: g[1][0])

    def _grouped(self, shap_values: np.ndarray, groups: list[tuple[str, list[int]]]) -> np.ndarray:
        return np.column_stack([shap_values[:, idx].sum(axis=1) for _, idx in groups])

    def reasons_from_shap(
        self, x: np.ndarray, shap_values: np.ndarray, n_reasons: int = 3, min_contribution: float = 0.0
    ) -> list[list[str]]:
        """Plain-Japanese factors that raised each child's similarity, strongest first."""
        groups = self.factor_groups()
        g = self._grouped(shap_values, groups)
        k = min(n_reasons, g.shape[1])
        top = np.argsort(-g, axis=1, kind="stable")[:, :k]
        out: list[list[str]] = []
        feats = self.features
        for i in range(len(top)):
            row = []
            for j in top[i]:
                if g[i, j] <= min_contribution:
                    break
                key, idx = groups[j]
                if len(idx) == 1:
                    row.append(_phrase(key, float(x[i, idx[0]])))
                else:
                    row.append(_group_phrase(key, tuple((feats[c], float(x[i, c])) for c in idx)))
            out.append(row or ["目立った要因なし"])
        return out

    def reasons(self, frame: pd.DataFrame, n_reasons: int = 3) -> list[list[str]]:
        """Reasons for a few children on demand (the child card), outside a scored list."""
        x = to_matrix(frame, self.features)
        sv, _ = self.explain_matrix(x)
        return self.reasons_from_shap(x, sv, n_reasons)

    def global_importance_from_matrix(self, x: np.ndarray) -> pd.DataFrame:
        """Factor importance in the shape of 図表 7-2: items ranked by mean |SHAP|, with direction.

        Grouped features (nurse visits + calls + total) are one row, as in the report.
        """
        sv, _ = self.explain_matrix(x)
        groups = self.factor_groups()
        g = self._grouped(sv, groups)
        mean_abs = np.abs(g).mean(axis=0)
        total = mean_abs.sum() or 1.0
        rows = []
        for j, (f, idx) in enumerate(groups):
            v = x[:, idx[0]]
            present = v != MISSING
            direction = ""
            if present.sum() > 2 and np.std(v[present]) > 0 and np.std(g[present, j]) > 0:
                r = np.corrcoef(v[present], g[present, j])[0, 1]
                direction = "値が大きいほど類似度が高い" if r > 0.1 else "値が小さいほど類似度が高い" if r < -0.1 else "一定しない"
            rows.append({"feature": f, "label_ja": label_ja(f), "mean_abs_shap": float(mean_abs[j]),
                         "share": float(mean_abs[j] / total), "direction_ja": direction})
        out = pd.DataFrame(rows).sort_values("mean_abs_shap", ascending=False, kind="mergesort")
        out.insert(0, "rank", range(1, len(out) + 1))
        return out.reset_index(drop=True)

    def global_importance(self, frame: pd.DataFrame, sample: int = 5000, seed: int = 0) -> pd.DataFrame:
        x = to_matrix(frame, self.features)
        if len(x) > sample:
            x = x[np.sort(np.random.default_rng(seed).choice(len(x), size=sample, replace=False))]
        return self.global_importance_from_matrix(x)

    # ------------------------------------------------------------ persistence

    def save(self, path: Path | str) -> Path:
        """One file with the trees, the calibrator, the feature list and the version."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        bundle = {
            "format_version": FORMAT_VERSION,
            "kind": "kodomo_dash.similarity",
            "model_version": self.model_version,
            "created_at": self.created_at,
            "features": list(self.features),
            "feature_signature": feature_signature(self.features),
            "sklearn_version": self.sklearn_version,
            "metrics": self.metrics,
            "train_params": self.train_params,
            "importance": None if self.importance is None else self.importance.to_dict("records"),
            "estimator": self.estimator,
            "calibrator": self.calibrator,
        }
        tmp = path.with_suffix(path.suffix + ".tmp")
        joblib.dump(bundle, tmp)
        tmp.replace(path)
        return path

    @classmethod
    def load(cls, path: Path | str, expected_features: Sequence[str] = MODEL_FEATURES) -> SimilarityModel:
        """Load a saved model; refuse one made for another feature list.

        Model files are pickles: load only files this product wrote into its own warehouse folder.
        """
        path = Path(path)
        if not path.exists():
            raise ScreeningError(msg("sim.model_missing", file=path.name), code="model_missing")
        try:
            bundle = joblib.load(path)
        except Exception as exc:  # noqa: BLE001 - any unpickling failure means the same to the user
            raise ScreeningError(msg("sim.model_unreadable", file=path.name, error=type(exc).__name__),
                                 code="model_unreadable") from exc  # fmt: skip
        if not isinstance(bundle, dict) or bundle.get("kind") != "kodomo_dash.similarity":
            raise ScreeningError(msg("sim.not_a_model", file=path.name), code="model_unreadable")
        if bundle.get("format_version") != FORMAT_VERSION:
            raise ScreeningError(msg("sim.model_format", found=bundle.get("format_version"), expected=FORMAT_VERSION),
                                 code="model_format")  # fmt: skip
        saved = list(bundle["features"])
        check_features(saved, expected_features, bundle.get("model_version", "?"))
        importance = bundle.get("importance")
        return cls(
            estimator=bundle["estimator"],
            calibrator=bundle["calibrator"],
            features=tuple(saved),
            model_version=bundle["model_version"],
            created_at=bundle["created_at"],
            metrics=bundle.get("metrics", {}),
            train_params=bundle.get("train_params", {}),
            importance=None if importance is None else pd.DataFrame(importance),
            sklearn_version=bundle.get("sklearn_version", "?"),
        )

    def card(self) -> dict[str, Any]:
        """What the model card and casework's screening_model row show about this model."""
        return {
            "model_version": self.model_version,
            "created_at": self.created_at,
            "features": list(self.features),
            "feature_signature": feature_signature(self.features),
            "sklearn_version": self.sklearn_version,
            "metrics": self.metrics,
            "train_params": self.train_params,
        }

    def card_json(self) -> str:
        return json.dumps(self.card(), ensure_ascii=False)


def check_features(saved: Sequence[str], expected: Sequence[str], version: str = "?") -> None:
    if list(saved) == list(expected):
        return
    missing = [f for f in expected if f not in saved]
    extra = [f for f in saved if f not in expected]
    parts: list[Message] = []
    if missing:
        parts.append(msg("sim.features_not_in_model", features="、".join(label_ja(f) for f in missing)))
    if extra:
        parts.append(msg("sim.features_gone", features="、".join(label_ja(f) for f in extra)))
    if not parts:
        parts.append(msg("sim.features_order"))
    raise ScreeningError(msg("sim.feature_mismatch", version=version, parts=Joined(tuple(parts), sep="／")),
                         code="feature_mismatch")  # fmt: skip


class SimilarityMethod(Method):
    """Score = calibrated probability of resembling a past support case; rank by the raw output."""

    name = "similarity"
    label_ja = "類似度モデル（福岡市方式）"
    description_ja = "過去の支援ケース（養護相談（虐待））と各こどものデータの類似度を機械学習で求め、要因を示す。"

    def __init__(self, model: SimilarityModel) -> None:
        self.model = model

    def version(self) -> str:
        return self.model.model_version

    def columns_read(self) -> frozenset[str]:
        return frozenset(self.model.features)

    def param_specs(self) -> list[ParamSpec]:
        return score_param_specs()

    def _ranked(self, frame: pd.DataFrame, raw: np.ndarray, top_n: int) -> pd.DataFrame:
        """resident_id, raw_score, calibrated score, rank by the raw output, and the top-N flag."""
        out = pd.DataFrame({"resident_id": frame["resident_id"].to_numpy(), "raw_score": raw,
                            "score": self.model.calibrate(raw)})
        out["rank"] = order_ranks(out, ["raw_score"], [False])
        out["in_list"] = out["rank"] <= top_n
        return out

    def _score(self, frame: pd.DataFrame, params: dict[str, Any]) -> ScoreResult:
        x = to_matrix(frame, self.model.features)
        with openmp_threads():
            raw = self.model.estimator.decision_function(x)
        out = self._ranked(frame, raw, params["top_n"])
        explain = out["rank"].to_numpy() <= (params["explain_top"] or len(out))
        rows = np.flatnonzero(explain)
        sv, base = self.model.explain_matrix(x[rows])
        reasons: list[list[str]] = [[] for _ in range(len(out))]
        for pos, r in zip(rows, self.model.reasons_from_shap(x[rows], sv, params["n_reasons"],
                                                             params["min_contribution"]), strict=True):
            reasons[pos] = r
        out["reasons"] = pd.Series(reasons, dtype=object)
        return ScoreResult(
            method=self.name,
            label_ja=self.label_ja,
            frame=out,
            params=params,
            version=self.version(),
            meta={"base_value": base, "explained": int(len(rows)), "model": self.model.card()},
        )


class SimilarityFromScores(SimilarityMethod):
    """The similarity ranking from raw scores already computed, for comparisons only (no reasons, no run).

    Used with `cross_fitted_scores` by the benchmark and with `raw_score` by the model card, where
    SHAP reasons would only cost time. `scores` is indexed by resident_id; a child without a score
    is refused rather than ranked last.
    """

    def __init__(self, model: SimilarityModel, scores: pd.Series) -> None:
        super().__init__(model)
        self.scores = scores

    def _score(self, frame: pd.DataFrame, params: dict[str, Any]) -> ScoreResult:
        raw = self.scores.reindex(frame["resident_id"]).to_numpy(dtype=float)
        if np.isnan(raw).any():
            raise ScreeningError(msg("sim.missing_scores"), code="missing_scores")
        out = self._ranked(frame, raw, params["top_n"])
        out["reasons"] = pd.Series([[] for _ in range(len(out))], dtype=object)
        return ScoreResult(method=self.name, label_ja=self.label_ja, frame=out, params=params,
                           version=self.version(), meta={"precomputed": True})
