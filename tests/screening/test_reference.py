"""The Bayes-optimal reference: exact expected AUC, and an honest reference on the city generator's truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kodomo_dash.screening import ScreeningError
from kodomo_dash.screening.evaluation import bayes_optimal_auc, expected_auc
from kodomo_dash.screening.reference import (
    attach_truth,
    label_probability,
    label_rates,
    observable_need_score,
    reference_figures,
    truth_dir_for,
)


def brute_force_expected_auc(score: np.ndarray, p: np.ndarray) -> float:
    num = den = 0.0
    for i in range(len(p)):
        for j in range(len(p)):
            if i == j:
                continue
            w = p[i] * (1 - p[j])
            den += w
            num += w * (1.0 if score[i] > score[j] else 0.5 if score[i] == score[j] else 0.0)
    return num / den


def test_expected_auc_matches_the_pairwise_definition_with_ties():
    rng = np.random.default_rng(3)
    p = rng.random(40) * 0.6
    score = np.round(rng.normal(size=40) + 3 * p, 1)  # rounded: ties on purpose
    assert expected_auc(score, p) == pytest.approx(brute_force_expected_auc(score, p), abs=1e-12)
    assert bayes_optimal_auc(p) == pytest.approx(brute_force_expected_auc(p, p), abs=1e-12)
    assert expected_auc(-p, p) < 0.5 < expected_auc(p, p)


def test_expected_auc_refuses_bad_input():
    with pytest.raises(ScreeningError):
        expected_auc([0.1, 0.2], [0.1, 1.2])
    with pytest.raises(ScreeningError):
        expected_auc([0.1, 0.2, 0.3], [0.1, 0.2])
    with pytest.raises(ScreeningError):
        expected_auc([0.1, 0.2], [0.0, 0.0])


def city_like(n: int = 6000, seed: int = 0) -> pd.DataFrame:
    """Like the city generator: latent z → P(need) → need → label; two features see z with noise."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=n)
    need_p = 1 / (1 + np.exp(-(-3.0 + 1.6 * z)))
    need = rng.random(n) < need_p
    label = rng.random(n) < np.where(need, 0.3, 0.005)
    return pd.DataFrame({
        "resident_id": [f"{i:06d}" for i in range(n)],
        "seen": z + rng.normal(0, 0.7, n),  # what a model can observe
        "noise": rng.normal(size=n),
        "past_support_case": label.astype(int),
        "true_need": need.astype(int),
        "truth_p": need_p,
    })


def test_label_probability_maps_need_onto_the_label():
    f = city_like()
    a, b = label_rates(f)
    assert 0.2 < a < 0.4 and b < 0.02
    p = label_probability(f)
    assert p == pytest.approx(a * f["truth_p"] + b * (1 - f["truth_p"]))
    assert p.sum() == pytest.approx(f["past_support_case"].sum(), rel=0.15)  # the label's own count


def test_reference_sits_between_a_useless_score_and_the_latent_oracle():
    f = city_like()
    rows = np.arange(0, len(f), 3)
    observable = observable_need_score(f, ["seen", "noise"], folds=3, max_iter=60)
    assert np.corrcoef(observable, f["truth_p"])[0, 1] > 0.5  # it learned P(need | seen), not noise
    good = reference_figures(f, f["seen"].to_numpy()[rows], rows, features=["seen", "noise"])
    noise = reference_figures(f, f["noise"].to_numpy()[rows], rows, features=["seen", "noise"])
    # Ranking by the one informative feature is the Bayes score here (monotone in it): close to 100 %.
    assert good.share == pytest.approx(1.0, abs=0.03)
    assert noise.model_expected_auc == pytest.approx(0.5, abs=0.05)
    # The latent oracle sees z without noise: a ceiling no feature model reaches.
    assert good.bayes_optimal_auc < good.latent_oracle_auc
    assert good.share_of_oracle < good.share
    assert set(good.as_dict()) >= {"bayes_optimal_auc", "model_expected_auc", "latent_oracle_auc",
                                   "model_auc_share_of_bayes"}


def test_truth_folder_is_found_only_beside_synthetic_extracts(tmp_path):
    extracts = tmp_path / "extracts"
    extracts.mkdir()
    assert truth_dir_for(extracts) is None and truth_dir_for(None) is None
    truth = tmp_path / "extracts_truth"
    truth.mkdir()
    pd.DataFrame({"resident_id": ["000001", "000002"], "household_id": [1, 1], "latent_z": [0.1, 0.2],
                  "true_need": [0, 1], "true_need_prob": [0.1, 0.6]}).to_csv(truth / "children.csv", index=False)
    assert truth_dir_for(str(extracts) + "/") == truth
    frame = pd.DataFrame({"resident_id": ["000001", "000003"], "x": [1, 2]})
    frame.attrs["as_of"] = "2025-09-01"
    out = attach_truth(frame, truth)
    assert list(out["resident_id"]) == ["000001"]  # a child without truth is left out, not guessed
    assert out.loc[0, "truth_p"] == pytest.approx(0.1) and out.attrs["as_of"] == "2025-09-01"


def test_compare_methods_reports_expected_precision_from_the_label_probability():
    from kodomo_dash.screening.base import Method, ParamSpec, ScoreResult, order_ranks
    from kodomo_dash.screening.evaluation import compare_methods

    class ByColumn(Method):
        name = "by_column"
        label_ja = "列の値の順"

        def param_specs(self) -> list[ParamSpec]:
            return []

        def _score(self, frame: pd.DataFrame, params: dict) -> ScoreResult:
            out = pd.DataFrame({"resident_id": frame["resident_id"], "score": frame["seen"]})
            out["rank"] = order_ranks(out, ["score"], [False])
            out["reasons"] = [[] for _ in range(len(out))]
            out["in_list"] = out["rank"] <= 10
            return ScoreResult(method=self.name, label_ja=self.label_ja, frame=out, params=params, version="1")

    f = city_like(500).assign(label_p=lambda d: label_probability(d))
    table = compare_methods(f, {"by_column": (ByColumn(), None)}, list_size=20, label_p="label_p")
    top = f.sort_values("seen", ascending=False).head(20)
    assert table.loc[0, "expected_precision"] == pytest.approx(top["label_p"].mean())
    assert "expected_precision" not in compare_methods(f, {"by_column": (ByColumn(), None)}, list_size=20).columns


def test_bench_on_the_screening_frame_compares_like_with_like():
    """screening.synthetic draws the label from truth_p itself: the reference is truth_p on the held-out rows."""
    from kodomo_dash.bench.screening import bench_screening

    out = bench_screening(n=6000, seed=2, list_size=50)
    assert out["bayes_optimal_auc"] > out["model_expected_auc"] > 0.6
    assert out["model_auc_share_of_bayes"] == pytest.approx(out["model_expected_auc"] / out["bayes_optimal_auc"])
    assert {f"precision_at_list_{m}" for m in ("similarity", "rule_points", "item_counts", "edu_welfare")} <= set(out)
    # The model is compared over every child not already in support, by cross-fitted scores.
    assert out["comparison_cohort_size"] > 0.9 * out["n"]
    assert out["comparison"].set_index("method").loc["similarity", "list_size"] == 50
    assert {"model_ahead_precision_at_list_every_size", "model_ahead_precision_at_list_every_size_label_free",
            "model_lead_precision_of_true_need_edu_welfare_label_free"} <= set(out)
