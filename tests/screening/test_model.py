"""Similarity model (Fukuoka): SHAP additivity, calibration, Japanese reasons, known ranks on a
hand-built cohort, persistence with its feature list, and every bad-input case."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kodomo_dash.demo.synthetic_features import child_frame, synthetic_child_features
from kodomo_dash.screening import ScreeningError
from kodomo_dash.screening.features import MODEL_FEATURES, describe_value
from kodomo_dash.screening.similarity import SimilarityMethod, SimilarityModel, to_matrix

AS_OF = "2025-07-01"
FAST = {"max_iter": 60, "importance_sample": 1000}
FIGURE_7_2 = {"mother_age_at_notification", "nurse_contacts", "n_children_household", "single_parent",
              "child_rearing_allowance", "days_notification_to_due", "latest_checkup_result"}


@pytest.fixture(scope="module")
def frame():
    return synthetic_child_features(8000, seed=3, as_of=AS_OF)


@pytest.fixture(scope="module")
def model(frame):
    return SimilarityModel.train(frame, params=FAST)


def test_shap_values_plus_base_value_equal_the_raw_output(model, frame):
    sample = frame.sample(400, random_state=1)
    shap_values, base = model.explain(sample)
    assert shap_values.shape == (400, len(MODEL_FEATURES))
    np.testing.assert_allclose(shap_values.sum(axis=1) + base, model.raw_score(sample), atol=1e-6)


def test_shap_additivity_holds_for_missing_values_too(model):
    kids = child_frame([{"resident_id": "A", "mother_age_at_notification": None, "epds_max": None,
                         "latest_checkup_result": None}], as_of=AS_OF)
    sv, base = model.explain(kids)
    np.testing.assert_allclose(sv.sum(axis=1) + base, model.raw_score(kids), atol=1e-6)


def test_calibrated_probability_is_monotone_in_the_raw_output(model, frame):
    raw = model.raw_score(frame)
    prob = model.calibrate(raw)
    assert ((prob >= 0) & (prob <= 1)).all()
    order = np.argsort(raw)
    assert (np.diff(prob[order]) >= -1e-12).all()
    # Calibration in the large: the mean probability is near the base rate.
    assert abs(prob.mean() - frame["past_support_case"].mean()) < 0.01


def test_isotonic_calibration_is_available(frame):
    m = SimilarityModel.train(frame, params={**FAST, "calibration": "isotonic"})
    prob = m.probability(frame.head(100))
    assert ((prob >= 0) & (prob <= 1)).all()


def test_model_learns_the_generators_signal(model, frame):
    assert model.metrics["holdout_auc"] > 0.75
    assert model.metrics["n_train"] + model.metrics["n_holdout"] == len(frame)
    assert len(model.holdout_rows) == model.metrics["n_holdout"]


def test_known_ranks_on_a_hand_built_cohort(model):
    kids = child_frame(
        [
            {"resident_id": "low"},
            {"resident_id": "high", "mother_age_at_notification": 16, "single_parent": 1,
             "child_rearing_allowance": 1, "public_assistance": 1, "nurse_contacts": 9, "nurse_visits": 5,
             "nurse_calls": 4, "n_children_household": 4, "latest_checkup_result": 4, "epds_max": 16,
             "missed_checkup_3y": 1, "enrolled_any": 0, "enrolled_licensed": 0, "dv_report_household": 1},
            {"resident_id": "middle", "single_parent": 1, "child_rearing_allowance": 1, "nurse_contacts": 3,
             "nurse_calls": 3, "latest_checkup_result": 3},
        ],
        as_of=AS_OF,
    )
    result = SimilarityMethod(model).score(kids)
    ranks = dict(zip(result.frame["resident_id"], result.frame["rank"], strict=True))
    assert ranks == {"high": 1, "middle": 2, "low": 3}
    reasons = dict(zip(result.frame["resident_id"], result.frame["reasons"], strict=True))
    assert len(reasons["high"]) == 3
    phrases = {"母親の妊娠届出時年齢が16歳", "ひとり親世帯", "保健師の訪問・電話 9回（訪問 5回・電話 4回）", "世帯内のこども 4人",
               "直近の乳幼児健診の総合判定が「要精密」", "産婦健診のEPDSが16点", "世帯にDVの通告歴あり",
               "3歳児健診が未受診", "生活保護受給世帯", "児童扶養手当を受給", "保育園・幼稚園等に未所属"}
    assert set(reasons["high"]) <= phrases
    assert result.frame.set_index("resident_id").loc["high", "score"] > result.frame.set_index(
        "resident_id").loc["low", "score"]
    assert result.version == model.model_version


def test_reasons_only_for_the_top_when_asked(model, frame):
    result = SimilarityMethod(model).score(frame.head(300), {"explain_top": 10, "top_n": 20})
    explained = result.frame["reasons"].map(len) > 0
    assert explained.sum() == 10
    assert (result.frame.loc[explained, "rank"] <= 10).all()
    assert result.own_list().shape[0] == 20
    assert model.reasons(frame.head(2), n_reasons=2)[0]


@pytest.mark.parametrize(
    ("feature", "value", "text"),
    [
        ("mother_age_at_notification", 18.0, "母親の妊娠届出時年齢が18歳"),
        ("single_parent", 1, "ひとり親世帯"),
        ("nurse_contacts", 5, "保健師の訪問・電話 5回"),
        ("latest_checkup_result", 3, "直近の乳幼児健診の総合判定が「要観察」"),
        ("attendance_ratio", 0.85, "出席比率 85%"),
        ("enrolled_any", 0, "保育園・幼稚園等に未所属"),
        ("epds_max", None, "産婦健診のEPDS評価点数（最大）のデータなし"),
    ],
)
def test_factors_read_as_plain_japanese(feature, value, text):
    assert describe_value(feature, value) == text


def test_nurse_contacts_read_as_one_factor():
    from kodomo_dash.screening.features import describe_group

    assert describe_group("nurse_contacts", {"nurse_contacts": 5, "nurse_visits": 2, "nurse_calls": 3}) == (
        "保健師の訪問・電話 5回（訪問 2回・電話 3回）")


def test_global_importance_has_the_shape_of_figure_7_2(model):
    imp = model.importance
    assert list(imp.columns) == ["rank", "feature", "label_ja", "mean_abs_shap", "share", "direction_ja"]
    assert imp["rank"].tolist() == list(range(1, len(MODEL_FEATURES) - 1))  # nurse visits/calls/total: one row
    assert "nurse_visits" not in set(imp["feature"])
    assert abs(imp["share"].sum() - 1) < 1e-9
    top = set(imp.head(10)["feature"])
    assert len(top & FIGURE_7_2) >= 4  # the generator's drivers include the report's factors
    mother = imp.set_index("feature").loc["mother_age_at_notification"]
    assert mother["label_ja"] == "母親の妊娠届における妊娠時の年齢"
    assert mother["direction_ja"] == "値が小さいほど類似度が高い"


def test_save_and_load_round_trip(model, frame, tmp_path):
    path = model.save(tmp_path / "models" / "sim.joblib")
    loaded = SimilarityModel.load(path)
    assert loaded.model_version == model.model_version
    assert loaded.features == tuple(MODEL_FEATURES)
    np.testing.assert_allclose(loaded.probability(frame.head(50)), model.probability(frame.head(50)))
    assert loaded.importance is not None and len(loaded.importance) == len(model.importance)
    assert loaded.card()["metrics"]["holdout_auc"] == model.metrics["holdout_auc"]


def test_loading_against_different_features_is_refused(model, tmp_path):
    path = model.save(tmp_path / "sim.joblib")
    current = [f for f in MODEL_FEATURES if f != "epds_max"] + ["new_feature"]
    with pytest.raises(ScreeningError) as e:
        SimilarityModel.load(path, expected_features=current)
    assert e.value.code == "feature_mismatch"
    assert "一致しません" in str(e.value) and "学習し直して" in str(e.value)
    assert "産婦健診のEPDS評価点数（最大）" in str(e.value)


def test_unreadable_or_missing_model_files(tmp_path):
    with pytest.raises(ScreeningError) as e:
        SimilarityModel.load(tmp_path / "none.joblib")
    assert e.value.code == "model_missing"
    bad = tmp_path / "bad.joblib"
    bad.write_bytes(b"not a model")
    with pytest.raises(ScreeningError) as e:
        SimilarityModel.load(bad)
    assert e.value.code == "model_unreadable"


def test_scoring_a_frame_without_a_model_feature_is_refused(model, frame):
    with pytest.raises(ScreeningError) as e:
        SimilarityMethod(model).score(frame.head(20).drop(columns=["nurse_contacts"]))
    assert e.value.code == "missing_columns"
    assert "保健師" in str(e.value)


def test_a_cohort_with_no_positives_cannot_train(frame):
    none = frame[frame["past_support_case"] == 0].head(500)
    with pytest.raises(ScreeningError) as e:
        SimilarityModel.train(none, params=FAST)
    assert e.value.code == "no_positives"
    assert "過去の支援ケース" in str(e.value) and "1人もいません" in str(e.value)


def test_too_few_positives_all_positives_and_bad_labels(frame):
    few = frame[frame["past_support_case"] == 0].head(300)
    few = few.assign(past_support_case=[1] * 5 + [0] * (len(few) - 5))
    with pytest.raises(ScreeningError) as e:
        SimilarityModel.train(few, params=FAST)
    assert e.value.code == "too_few_positives"
    with pytest.raises(ScreeningError) as e:
        SimilarityModel.train(few.assign(past_support_case=1), params=FAST)
    assert e.value.code == "no_negatives"
    with pytest.raises(ScreeningError) as e:
        SimilarityModel.train(few.assign(past_support_case=2), params=FAST)
    assert e.value.code == "bad_label"
    with pytest.raises(ScreeningError) as e:
        SimilarityModel.train(frame, params={"max_iter": 0})
    assert e.value.code == "out_of_range"


def test_missing_values_become_a_sentinel_below_every_real_value():
    kids = child_frame([{"resident_id": "A", "epds_max": None}], as_of=AS_OF)
    x = to_matrix(kids, MODEL_FEATURES)
    assert x[0, MODEL_FEATURES.index("epds_max")] == -1.0
    assert np.isfinite(x).all()


def test_cross_fitted_scores_never_score_a_child_with_trees_that_saw_it():
    """Out-of-fold scores rank about as well as the held-out split, and differ from in-sample ones."""
    from kodomo_dash.screening.evaluation import auc
    from kodomo_dash.screening.similarity import SimilarityFromScores, cross_fitted_scores

    frame = synthetic_child_features(6000, seed=5, as_of="2025-07-01")
    oof = cross_fitted_scores(frame, folds=3)
    assert oof.shape == (len(frame),) and np.isfinite(oof).all()
    model = SimilarityModel.train(frame)
    in_sample = model.raw_score(frame)
    y = frame["past_support_case"].astype(int)
    assert auc(y, in_sample) > auc(y, oof) > 0.6  # the in-sample score flatters itself; the cross-fit does not
    method = SimilarityFromScores(model, pd.Series(oof, index=frame["resident_id"]))
    result = method.score(frame, {"top_n": 25})
    assert result.frame.loc[result.frame["rank"] == 1, "raw_score"].item() == oof.max()
    assert int(result.frame["in_list"].sum()) == 25
    with pytest.raises(ScreeningError) as e:
        SimilarityFromScores(model, pd.Series(oof[:10], index=frame["resident_id"][:10])).score(frame)
    assert e.value.code == "missing_scores"
