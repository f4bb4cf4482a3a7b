"""The Bayes-optimal reference for the similarity model — on synthetic data only.

The model learns the label "past support case" (養護相談（虐待）) from the features the
warehouse holds. The best any model can do with those features is to rank children by
P(label | features); its AUC is the reference the model's AUC is compared with. Only the
synthetic generator can tell us that probability, and only approximately:

* The generator draws each child's latent need z, then `true_need ~ Bernoulli(P(need | z))`
  (kept as `true_need_prob` in the truth folder), then the label from `true_need` alone
  (`past_case_given_need` / `past_case_given_no_need`). So P(label | z) is an affine map of
  P(need | z): `a * P(need | z) + b * (1 - P(need | z))`, with a and b the label rates among
  children with and without true need — measured here on the warehouse's own label, so
  window and data-quality effects are included.
* The features are drawn from z (household and child level), never from the label, so
  P(label | features) = a * P(need | features) + b * (1 - ...), and
  P(need | features) = E[P(need | z) | features]. We estimate that conditional expectation
  by regressing the generator's `true_need_prob` on the model's own features with boosted
  trees fitted on the children the model trained on and scoring its held-out children (no
  child is scored by trees that saw it). The target is a probability, not a rare 0/1 label,
  so this needs far fewer children than the model.

Two figures, both over the *same* children (the model's held-out split) and the *same*
label distribution P(label | z), and both as expected AUC over label draws (`expected_auc`),
so no single draw of ~600 positives moves them:

* `bayes_optimal_auc` — the reference score above. Being an estimate it can only fall short
  of the true optimum, so `model / bayes_optimal_auc` can overstate the share a little.
* `latent_oracle_auc` — ranking by P(label | z) itself: what a model could reach if it saw the
  latent need. No model of the features can reach it; `model / latent_oracle_auc`
  understates the share. The true share lies between the two.

The figure benchmarks reported before this module (0.880) was `bayes_optimal_auc` of
`true_need_prob` against labels drawn from `true_need_prob` — another label (true need, 5.5 %
of children, not past support cases, 1.5 %) and an unobservable score. It was never a level
the model could reach. See docs/decisions/030-screening-methods.md.

Nothing here is used to train or score the product's model: truth columns are read only to
measure it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from kodomo_dash.config.messages import msg
from kodomo_dash.screening.errors import ScreeningError
from kodomo_dash.screening.evaluation import expected_auc
from kodomo_dash.screening.features import LABEL, MODEL_FEATURES

NEED = "true_need"
NEED_P = "truth_p"  # the generator's P(true need | z), true_need_prob in the truth folder
TRUTH_FILE = "children.csv"


def truth_dir_for(source_dir: str | Path | None) -> Path | None:
    """The synthetic generator's truth folder for a build's extracts (`<extracts>_truth`), if any.

    Real extracts have none: the reference then does not exist and the model card says so.
    """
    if not source_dir:
        return None
    path = Path(str(source_dir).rstrip("/") + "_truth")
    return path if (path / TRUTH_FILE).is_file() else None


def attach_truth(frame: pd.DataFrame, truth_dir: Path) -> pd.DataFrame:
    """The frame with `true_need` and `truth_p` from the truth folder; children without truth dropped."""
    truth = pd.read_csv(truth_dir / TRUTH_FILE, dtype={"resident_id": str},
                        usecols=["resident_id", "true_need", "true_need_prob"])
    out = frame.drop(columns=[c for c in (NEED, NEED_P) if c in frame.columns])
    out = out.merge(truth.rename(columns={"true_need_prob": NEED_P}), on="resident_id", how="left")
    out = out[out[NEED_P].notna()].reset_index(drop=True)
    out.attrs.update(frame.attrs)
    return out


def label_rates(frame: pd.DataFrame, label: str = LABEL, need: str = NEED) -> tuple[float, float]:
    """(P(label | true need), P(label | no true need)), measured on the frame."""
    y = frame[label].astype(float).to_numpy()
    n = frame[need].astype(bool).to_numpy()
    if n.all() or not n.any():
        raise ScreeningError(msg("sc.need_one_class"), code="one_class")
    return float(y[n].mean()), float(y[~n].mean())


def label_probability(frame: pd.DataFrame, label: str = LABEL) -> np.ndarray:
    """P(label | latent need) per child: the generator's need probability mapped onto the label."""
    a, b = label_rates(frame, label)
    p = frame[NEED_P].to_numpy(dtype=float)
    return a * p + b * (1 - p)


def observable_need_score(frame: pd.DataFrame, features: Sequence[str] = MODEL_FEATURES, folds: int = 3,
                          seed: int = 0, max_iter: int = 200, max_leaf_nodes: int = 31,
                          rows: np.ndarray | None = None) -> np.ndarray:
    """Estimate of P(true need | features), each child's from trees that never saw that child.

    Squared-error boosting on the generator's `true_need_prob` estimates its conditional mean
    given the features, which is P(need | features). Missing values as in the model (-1).
    `rows` given: one fit on every other child, scores for `rows` only (what the bench and the
    model card need: the model's held-out children, fitted on the children the model trained
    on). Otherwise cross-fitted over `folds`, scores for every child.
    """
    from sklearn.ensemble import HistGradientBoostingRegressor
    from sklearn.model_selection import KFold

    from kodomo_dash.screening.similarity import openmp_threads, to_matrix

    x = to_matrix(frame, features)
    target = frame[NEED_P].to_numpy(dtype=float)
    if rows is not None:
        held_mask = np.zeros(len(frame), dtype=bool)
        held_mask[np.asarray(rows)] = True
        splits = [(np.flatnonzero(~held_mask), np.asarray(rows))]
    else:
        splits = list(KFold(folds, shuffle=True, random_state=seed).split(x))
    out = np.zeros(len(frame))
    for fit, held in splits:
        reg = HistGradientBoostingRegressor(max_iter=max_iter, learning_rate=0.1, max_leaf_nodes=max_leaf_nodes,
                                            min_samples_leaf=50, early_stopping=False, random_state=seed)
        with openmp_threads():
            reg.fit(x[fit], target[fit])
            out[held] = reg.predict(x[held])
    return out[np.asarray(rows)] if rows is not None else out


@dataclass(frozen=True)
class ReferenceFigures:
    """Expected AUCs on one set of children against P(label | z); see the module docstring."""

    model_expected_auc: float
    bayes_optimal_auc: float
    latent_oracle_auc: float
    children: int
    expected_positives: float
    # The reference score of each child of `rows` (for precision at a list size); not a figure.
    reference_score: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False, compare=False)

    @property
    def share(self) -> float:
        """model / estimated Bayes optimum (may overstate the true share a little)."""
        return self.model_expected_auc / self.bayes_optimal_auc

    @property
    def share_of_oracle(self) -> float:
        """model / latent oracle (understates the true share)."""
        return self.model_expected_auc / self.latent_oracle_auc

    def as_dict(self) -> dict[str, float]:
        return {"model_expected_auc": self.model_expected_auc, "bayes_optimal_auc": self.bayes_optimal_auc,
                "latent_oracle_auc": self.latent_oracle_auc, "model_auc_share_of_bayes": self.share,
                "model_auc_share_of_latent_oracle": self.share_of_oracle, "reference_children": self.children,
                "reference_expected_positives": self.expected_positives}


def reference_figures(frame: pd.DataFrame, model_score: np.ndarray, rows: np.ndarray,
                      features: Sequence[str] = MODEL_FEATURES, label: str = LABEL) -> ReferenceFigures:
    """The model's score on `rows` of `frame` next to the two references on the same rows.

    `frame` needs the truth columns (`attach_truth`). The observable reference is fitted on the
    other children of the frame — for the model's held-out rows, the children it trained on.
    """
    rows = np.asarray(rows)
    p_label = label_probability(frame, label)[rows]
    observable = observable_need_score(frame, features, rows=rows)
    return ReferenceFigures(
        model_expected_auc=expected_auc(np.asarray(model_score, dtype=float), p_label),
        bayes_optimal_auc=expected_auc(observable, p_label),
        latent_oracle_auc=expected_auc(p_label, p_label),
        children=int(len(rows)),
        expected_positives=float(p_label.sum()),
        reference_score=observable,
    )
