"""Model-card numbers (AUC, PR-AUC, precision@k, calibration, Bayes-optimal reference, the
methods side by side, fairness) and the capacity planner."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kodomo_dash.demo.synthetic_features import synthetic_child_features
from kodomo_dash.screening import ScreeningError
from kodomo_dash.screening.capacity import (
    FUKUOKA_FY2025,
    FunnelRates,
    plan_by_ward,
    plan_from_capacity,
    select_by_ward_capacity,
)
from kodomo_dash.screening.counts import ItemCountMethod
from kodomo_dash.screening.edu_welfare import EduWelfareMethod
from kodomo_dash.screening.evaluation import (
    auc,
    bayes_optimal_auc,
    calibration_curve_data,
    compare_methods,
    fairness_report,
    model_card_metrics,
    pr_auc,
    precision_at_k,
    recall_at_k,
)
from kodomo_dash.screening.points import RulePointsMethod

AS_OF = "2025-07-01"


def test_basic_metrics_on_known_values():
    y = [1, 0, 1, 0, 0]
    s = [0.9, 0.8, 0.7, 0.2, 0.1]
    assert auc(y, s) == pytest.approx(5 / 6)
    assert pr_auc(y, s) == pytest.approx((1 + 2 / 3) / 2)
    assert precision_at_k(y, s, 2) == 0.5
    assert precision_at_k(y, s, 3) == pytest.approx(2 / 3)
    assert recall_at_k(y, s, 1) == 0.5
    with pytest.raises(ScreeningError) as e:
        auc([0, 0, 0], [0.1, 0.2, 0.3])
    assert e.value.code == "one_class"
    with pytest.raises(ScreeningError):
        precision_at_k(y, s, 0)


def test_bayes_optimal_auc_expected_matches_simulation():
    rng = np.random.default_rng(0)
    p = 1 / (1 + np.exp(-rng.normal(-2, 1.2, 3000)))
    expected = bayes_optimal_auc(p)
    draws = [bayes_optimal_auc(p, (rng.random(len(p)) < p).astype(int)) for _ in range(40)]
    assert expected == pytest.approx(np.mean(draws), abs=0.01)
    assert bayes_optimal_auc(np.full(100, 0.3)) == pytest.approx(0.5)
    assert bayes_optimal_auc(np.r_[np.zeros(50), np.ones(50)]) == pytest.approx(1.0)
    with pytest.raises(ScreeningError):
        bayes_optimal_auc([0.2, 1.5])


def test_calibration_curve_and_card_metrics():
    rng = np.random.default_rng(1)
    p = rng.random(5000)
    y = (rng.random(5000) < p).astype(int)
    curve = calibration_curve_data(y, p, n_bins=10)
    assert curve["n"].sum() == 5000 and len(curve) == 10
    assert np.abs(curve["mean_predicted"] - curve["observed_rate"]).max() < 0.06
    card = model_card_metrics(y, p, ks=(100, 10000))
    assert {"auc", "pr_auc", "brier", "precision_at_100"} <= set(card) and "precision_at_10000" not in card


@pytest.fixture(scope="module")
def synthetic():
    return synthetic_child_features(6000, seed=11, as_of=AS_OF)


def test_methods_side_by_side_on_one_cohort(synthetic):
    methods = {
        "rule_points": (RulePointsMethod(as_of=AS_OF), None),
        "item_counts": (ItemCountMethod(as_of=AS_OF), None),
        "edu_welfare": (EduWelfareMethod(as_of=AS_OF), None),
    }
    table = compare_methods(synthetic, methods, list_size=100)
    assert table["method"].tolist() == list(methods)
    assert (table["list_size"] == 100).all()
    for _, row in table.iterrows():
        result = methods[row["method"]][0].score(synthetic)
        top = result.select(top_n=100)["resident_id"]
        truth = synthetic.set_index("resident_id")
        assert row["precision_at_list"] == pytest.approx(truth.loc[top, "past_support_case"].mean())
        assert row["recall_of_true_need"] == pytest.approx(truth.loc[top, "true_need"].sum()
                                                            / synthetic["true_need"].sum())
    own = compare_methods(synthetic, methods)  # each method's own list rule
    assert own.set_index("method").loc["item_counts", "list_size"] == 30
    assert own.set_index("method").loc["edu_welfare", "list_size"] == 206


def test_fairness_flags_gaps_beyond_tolerance():
    n = 400
    frame = pd.DataFrame(
        {
            "ward_code": ["40131"] * 200 + ["40132"] * 190 + ["40133"] * 10,
            "single_parent": [0, 1] * 200,
            "foreign_national": [0] * n,
            "any_disability": [0] * n,
            "past_support_case": ([1] * 20 + [0] * 180) * 2,
            "score": [0.1] * n,
        }
    )
    frame["in_list"] = False
    frame.loc[:99, "in_list"] = True  # half of ward 40131 selected
    frame.loc[200:209, "in_list"] = True  # 10 of 190 in ward 40132
    frame.loc[390:, "in_list"] = True  # tiny ward 40133: all selected, but too small to count
    report = fairness_report(frame, tolerance={"selection_rate": 0.1})
    ward = report.gaps[(report.gaps["attribute"] == "ward_code") & (report.gaps["metric"] == "selection_rate")]
    assert ward["warning"].item() and ward["max_group"].item() == "40131" and ward["min_group"].item() == "40132"
    assert any("区別の選定率" in w for w in report.warnings)
    small = report.table[(report.table["attribute"] == "ward_code") & (report.table["group"] == "40133")]
    assert small["small_group"].item()
    nationality = report.gaps[report.gaps["attribute"] == "foreign_national"]
    assert nationality.empty  # one group only: nothing to compare
    assert {"selection_rate", "tpr", "fpr", "calibration_gap"} <= set(report.table.columns)


def test_capacity_planner_reproduces_fukuoka_and_works_per_ward():
    rates = FunnelRates.fukuoka_fy2025()
    plan = plan_from_capacity(146, visits_per_family=2, rates=rates)  # 73 families approached
    assert plan.list_size == FUKUOKA_FY2025["listed"]
    assert plan.expected["approached"] == pytest.approx(73)
    assert plan.expected["needs"] == pytest.approx(45)
    assert plan.table()["stage_ja"].iloc[-1] == "ニーズあり"
    scored = plan_from_capacity(146, 2, rates, scores=np.linspace(1, 0, 1000))
    assert scored.expected_similar == pytest.approx(np.linspace(1, 0, 1000)[:217].sum())
    wards = plan_by_ward({"40131": 40, "40132": 20})
    assert wards["ward_code"].tolist() == ["40131", "40132", "合計"]
    assert wards["list_size"].iloc[-1] == wards["list_size"].iloc[0] + wards["list_size"].iloc[1]
    ranked = pd.DataFrame({"resident_id": list("abcde"), "ward_code": ["40131", "40131", "40132", "40131", "40132"],
                           "rank": [1, 2, 3, 4, 5]})
    assert select_by_ward_capacity(ranked, {"40131": 2, "40132": 1})["resident_id"].tolist() == ["a", "b", "c"]


@pytest.mark.parametrize(
    "call",
    [
        lambda: plan_from_capacity(-1),
        lambda: plan_from_capacity(100, visits_per_family=0),
        lambda: plan_from_capacity("100"),
        lambda: plan_from_capacity(100, rates=FunnelRates(1.2, 0.5, 0.9, 0.8, 0.8)),
        lambda: plan_by_ward({}),
        lambda: FunnelRates.from_counts({**FUKUOKA_FY2025, "listed": 0}),
    ],
)
def test_capacity_planner_bad_input(call):
    with pytest.raises(ScreeningError):
        call()


def test_label_free_twins_are_added_only_for_methods_that_read_the_label(synthetic):
    from kodomo_dash.screening.evaluation import label_columns_read, with_label_free_variants

    methods = with_label_free_variants({
        "rule_points": (RulePointsMethod(as_of=AS_OF), None),
        "item_counts": (ItemCountMethod(as_of=AS_OF), None),
        "edu_welfare": (EduWelfareMethod(as_of=AS_OF), None),
    })
    # Amagasaki's 相談歴 and 一時保護歴 are human assessments, not data: nothing to switch off.
    assert list(methods) == ["rule_points", "item_counts", "item_counts_label_free",
                             "edu_welfare", "edu_welfare_label_free"]
    assert "consultation_count" in label_columns_read(methods["item_counts"][0])
    assert label_columns_read(methods["item_counts_label_free"][0]) == []
    assert label_columns_read(methods["edu_welfare_label_free"][0]) == []
    # The twin is the same method with fewer items, not a different preset; the original is untouched.
    twin = methods["edu_welfare_label_free"][0]
    assert type(twin) is EduWelfareMethod and twin.version() != methods["edu_welfare"][0].version()
    assert "consultation_count" in methods["edu_welfare"][0].columns_read()
    table = compare_methods(synthetic, methods, list_size=100)
    rows = table.set_index("method")
    assert rows.loc["item_counts", "label_columns"].startswith("相談歴の件数")
    assert rows.loc["item_counts_label_free", "label_columns"] == ""
    assert rows.loc["edu_welfare_label_free", "label_ja"].endswith("（相談歴等を除く）")


def test_precision_curves_match_the_table_at_each_size(synthetic):
    from kodomo_dash.screening.evaluation import precision_curves, score_methods

    methods = {"item_counts": (ItemCountMethod(as_of=AS_OF), None), "edu_welfare": (EduWelfareMethod(as_of=AS_OF), None)}
    scored = score_methods(synthetic, methods)
    curves = precision_curves(synthetic, scored, sizes=(10, 50, 100, 10**7))
    assert set(curves["list_size"]) == {10, 50, 100}  # a size beyond the cohort is left out
    assert set(curves["measure"]) == {"precision_at_list", "precision_of_true_need"}
    for k in (10, 50, 100):
        table = compare_methods(synthetic, methods, list_size=k, scored=scored).set_index("method")
        at_k = curves[curves["list_size"] == k].pivot_table(index="method", columns="measure", values="value")
        for m in methods:
            assert at_k.loc[m, "precision_at_list"] == pytest.approx(table.loc[m, "precision_at_list"])
            assert at_k.loc[m, "precision_of_true_need"] == pytest.approx(table.loc[m, "precision_of_true_need"])


def test_model_lead_says_ahead_only_when_ahead_at_every_size():
    from kodomo_dash.bench.screening import model_lead

    rows = []
    for k, (sim, rule) in {50: (0.30, 0.20), 100: (0.25, 0.20), 200: (0.20, 0.21), 1000: (0.1, 0.05)}.items():
        rows += [{"method": "similarity", "label_ja": "", "list_size": k, "measure": "expected_precision", "value": sim},
                 {"method": "item_counts", "label_ja": "", "list_size": k, "measure": "expected_precision", "value": rule},
                 {"method": "item_counts_label_free", "label_ja": "", "list_size": k, "measure": "expected_precision",
                  "value": 0.0}]
    curves = pd.DataFrame(rows)
    lead = model_lead(curves, list_size=100)
    assert lead["model_lead_expected_precision_item_counts"] == pytest.approx(0.05)
    assert lead["model_ahead_expected_precision_every_size"] is False  # behind at 200
    lead = model_lead(curves[curves["list_size"] != 200], list_size=100)
    assert lead["model_ahead_expected_precision_every_size"] is True
    # The same against the label-free twin, which reads no 相談歴: far behind, so ahead everywhere.
    assert lead["model_lead_expected_precision_item_counts_label_free"] == pytest.approx(0.25)
    assert model_lead(curves, list_size=100)["model_ahead_expected_precision_every_size_label_free"] is True
    # A method without a twin (it reads no label-derived column) is its own label-free method.
    alone = model_lead(curves[curves["method"] != "item_counts_label_free"], list_size=100)
    assert alone["model_lead_expected_precision_item_counts_label_free"] == pytest.approx(0.05)


def test_a_comparison_copy_ranks_the_same_without_writing_reasons(synthetic):
    for method in (RulePointsMethod(as_of=AS_OF), ItemCountMethod(as_of=AS_OF), EduWelfareMethod(as_of=AS_OF)):
        full = method.score(synthetic).frame
        quiet = type(method)(as_of=AS_OF, explain=False).score(synthetic).frame
        assert (full["rank"] == quiet["rank"]).all() and (full["in_list"] == quiet["in_list"]).all()
        assert full["reasons"].map(len).sum() > 0 and quiet["reasons"].map(len).sum() == 0
        assert method.label_free().explain is True  # a twin keeps its original's setting
