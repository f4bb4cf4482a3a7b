"""Screening runs in casework: saved lists, accepting, versioned rule sets, the enter/leave diff,
recorded assessments — and that bad input writes nothing."""

from __future__ import annotations

import duckdb
import pytest

from kodomo_dash.demo.synthetic_features import child_frame
from kodomo_dash.infra.migrate import migrate
from kodomo_dash.screening import ScreeningError
from kodomo_dash.screening.counts import ItemCountMethod
from kodomo_dash.screening.points import RulePointsMethod
from kodomo_dash.screening.rules import RuleSet
from kodomo_dash.screening.runs import (
    accept_run,
    create_run,
    diff_runs,
    discard_run,
    execute_run,
    get_run,
    latest_assessments,
    latest_rule_set,
    list_runs,
    load_rule_set,
    model_versions,
    record_assessment,
    register_model,
    rule_set_changes,
    rule_set_versions,
    run_exclusions,
    run_list,
    save_rule_set,
    workflow_members,
)

AS_OF = "2025-07-01"


@pytest.fixture
def con(tmp_path):
    c = duckdb.connect(str(tmp_path / "casework.duckdb"))
    assert "030_screening_runs.sql" in migrate(c)
    yield c
    c.close()


@pytest.fixture
def cohort():
    frame = child_frame(
        [
            {"resident_id": "P1", "public_assistance": 1, "child_rearing_allowance": 1, "epds_max": 12},
            {"resident_id": "P2", "missed_checkup_18m": 1, "mother_age_at_notification": 21},
            {"resident_id": "P3", "dv_report_household": 1, "consultation_count": 2, "n_children_household": 3},
            {"resident_id": "P4", "single_parent_loan": 1},
            {"resident_id": "P5"},
            {"resident_id": "S1", "yotaikyo_open": 1, "public_assistance": 1},  # already in support
            {"resident_id": "E1", "open_consultation": 1, "enrolled_any": 1},  # two exclusion reasons
        ],
        as_of=AS_OF,
    )
    frame["enrolled_any"] = (frame["resident_id"] == "E1").astype(int)  # others: no nursery (age 4)
    frame["enrolled_licensed"] = frame["enrolled_any"]
    return frame


def _counts(con) -> tuple[int, int, int]:
    return tuple(con.execute(f"select count(*) from {t}").fetchone()[0]  # noqa: S608
                 for t in ("screening_run", "screening_list", "screening_exclusion"))


def test_a_run_is_saved_as_a_draft_with_its_list_and_exclusions(con, cohort):
    run = create_run(con, cohort, ItemCountMethod(as_of=AS_OF), {"top_basic": 2, "top_other": 1},
                     cohort="all_children", exclusions=("already_in_support",), created_by="manager1")
    saved = get_run(con, run.run_id)
    assert saved["status"] == "draft" and saved["created_by"] == "manager1"
    assert saved["method"] == "item_counts" and saved["params"] == {"top_basic": 2, "top_other": 1, "min_hits": 1}
    assert saved["method_version"].startswith("beppu:")
    assert saved["exclusions"] == ["already_in_support"]
    assert (saved["cohort_size"], saved["excluded_count"], saved["scored_count"], saved["list_size"]) == (7, 2, 5, 3)
    lst = run_list(con, run.run_id)
    assert lst["resident_id"].tolist() == ["P1", "P2", "P3"]
    assert lst["rank"].tolist() == [1, 2, 3]
    assert lst.loc[0, "reasons"][0].startswith("【基本項目】")
    assert {"basic_hits", "other_hits", "list_part"} <= set(lst.columns)
    assert lst["ward_code"].eq("40131").all()
    assert saved["ward_cohort"] == {"40131": 7}
    members = workflow_members(con, run.run_id)
    assert list(members.columns) == ["resident_id", "ward_code", "school_code", "rank", "score", "selection_reason"]
    assert members.loc[0, "selection_reason"].startswith("【基本項目】")
    exc = run_exclusions(con, run.run_id)
    assert set(zip(exc["resident_id"], exc["reason"], strict=True)) == {("S1", "already_in_support"),
                                                                       ("E1", "already_in_support")}
    assert list_runs(con)["run_id"].tolist() == [run.run_id]


def test_accepting_is_a_separate_call_for_managers(con, cohort):
    run = create_run(con, cohort, ItemCountMethod(as_of=AS_OF), cohort="all_children", created_by="staff1")
    with pytest.raises(ScreeningError) as e:
        accept_run(con, run.run_id, "staff1", role="ward_staff")
    assert e.value.code == "forbidden"
    assert get_run(con, run.run_id)["status"] == "draft"
    accept_run(con, run.run_id, "manager1", role="manager")
    saved = get_run(con, run.run_id)
    assert saved["status"] == "accepted" and saved["decided_by"] == "manager1" and saved["decided_at"] is not None
    with pytest.raises(ScreeningError) as e:
        accept_run(con, run.run_id, "manager1")
    assert e.value.code == "not_draft"
    with pytest.raises(ScreeningError) as e:
        discard_run(con, "run-none", "manager1")
    assert e.value.code == "unknown_run"
    assert list_runs(con, status="accepted")["run_id"].tolist() == [run.run_id]


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"params": {"top_basic": -1}}, "out_of_range"),
        ({"params": {"top_basci": 3}}, "unknown_param"),
        ({"top_n": 0}, "out_of_range"),
        ({"top_n": "10"}, "not_numeric"),
        ({"threshold": 99}, "empty_list"),
        ({"cohort": "adults"}, "unknown_cohort"),
        ({"exclusions": ("bad_luck",)}, "unknown_exclusion"),
        ({"created_by": ""}, "missing_actor"),
    ],
)
def test_bad_input_writes_no_list(con, cohort, kwargs, code):
    args = {"cohort": "all_children", "created_by": "manager1", **kwargs}
    params = args.pop("params", None)
    with pytest.raises(ScreeningError) as e:
        create_run(con, cohort, ItemCountMethod(as_of=AS_OF), params, **args)
    assert e.value.code == code
    assert _counts(con) == (0, 0, 0)


def test_everyone_excluded_writes_no_list(con, cohort):
    only_supported = cohort[cohort["resident_id"].isin(["S1", "E1"])]
    only_supported.attrs.update(cohort.attrs)
    with pytest.raises(ScreeningError) as e:
        create_run(con, only_supported, ItemCountMethod(as_of=AS_OF), cohort="all_children", created_by="m")
    assert e.value.code == "empty_cohort"
    assert _counts(con) == (0, 0, 0)


def test_moved_out_children_are_excluded_against_the_current_build(cohort):
    run = execute_run(cohort, ItemCountMethod(as_of=AS_OF), cohort="all_children",
                      current_resident_ids=["P1", "P2", "P3", "P5", "S1", "E1"])
    assert ("P4", "moved_out") in set(zip(run.excluded["resident_id"], run.excluded["reason"], strict=True))
    assert "P4" not in set(run.list["resident_id"])


def test_rule_set_versions_who_when_parent(con):
    v1, preset = latest_rule_set(con, "amagasaki", created_by="system")
    assert (v1.version, v1.parent_id, v1.created_by) == (1, None, "system")
    edited = preset.with_changes(points={"single_parent": 5})
    v2 = save_rule_set(con, edited, "manager1", parent_id=v1.rule_set_id, note="ひとり親を重視")
    assert (v2.version, v2.parent_id, v2.created_by) == (2, v1.rule_set_id, "manager1")
    assert v2.created_at is not None
    again = save_rule_set(con, edited, "manager2", parent_id=v2.rule_set_id)
    assert again == v2  # nothing changed: no new version
    latest_v, latest = latest_rule_set(con, "amagasaki")
    assert latest_v.rule_set_id == v2.rule_set_id and latest.checksum() == edited.checksum()
    assert load_rule_set(con, v1.rule_set_id).checksum() == preset.checksum()
    assert rule_set_versions(con, "amagasaki")["version"].tolist() == [2, 1]
    changes = rule_set_changes(load_rule_set(con, v1.rule_set_id), load_rule_set(con, v2.rule_set_id))
    assert changes[["kind", "key", "before", "after"]].values.tolist() == [["points", "single_parent", 1, 5]]
    with pytest.raises(ScreeningError):
        save_rule_set(con, edited, "manager1", parent_id="amagasaki-v9-none")
    with pytest.raises(ScreeningError):
        load_rule_set(con, "amagasaki-v9-none")


def test_diff_of_two_runs_with_two_rule_versions(con, cohort):
    v1, rs1 = latest_rule_set(con, "amagasaki")
    rs2 = rs1.with_changes(params={"young_mother_age": 22, "many_children_min": 4})
    v2 = save_rule_set(con, rs2, "manager1", parent_id=v1.rule_set_id)
    # No 未就園 or check-up points: only the edited items (young-mother age, many children) move.
    cohort = cohort.assign(enrolled_any=1, enrolled_licensed=1, missed_checkup_18m=0)
    cohort.attrs["as_of"] = AS_OF
    common = {"cohort": "all_children", "created_by": "manager1", "exclusions": ("already_in_support",)}
    run1 = create_run(con, cohort, RulePointsMethod(rs1, as_of=AS_OF), {"threshold": 1},
                      rule_set_id=v1.rule_set_id, **common)
    run2 = create_run(con, cohort, RulePointsMethod(rs2, as_of=AS_OF), {"threshold": 1},
                      rule_set_id=v2.rule_set_id, **common)
    assert get_run(con, run2.run_id)["rule_set_id"] == v2.rule_set_id
    with pytest.raises(ScreeningError) as e:  # the rules run must be the saved version named
        create_run(con, cohort, RulePointsMethod(rs2, as_of=AS_OF), {"threshold": 1},
                   rule_set_id=v1.rule_set_id, **common)
    assert e.value.code == "rule_set_mismatch"
    diff = diff_runs(con, run1.run_id, run2.run_id)
    change = dict(zip(diff["resident_id"], diff["change"], strict=True))
    assert change == {"P1": "stayed", "P2": "entered", "P3": "left"}


def test_recorded_assessments_latest_wins_and_score(con, cohort):
    record_assessment(con, "P5", "dv_report", 1, "ssw1")
    record_assessment(con, "P5", "stepfamily", 1, "ssw1")
    record_assessment(con, "P5", "stepfamily", 0, "ssw2", note="確認の結果、該当しない")
    latest = latest_assessments(con)
    assert set(zip(latest["item_key"], latest["value"], latest["recorded_by"], strict=True)) == {
        ("dv_report", 1, "ssw1"), ("stepfamily", 0, "ssw2")}
    result = RulePointsMethod(assessments=latest, as_of=AS_OF).score(cohort)
    assert result.frame.set_index("resident_id").loc["P5", "assessment_points"] == 99
    with pytest.raises(ScreeningError):
        record_assessment(con, "P5", "stepfamily", 2, "ssw1")
    with pytest.raises(ScreeningError):
        record_assessment(con, "P5", "horoscope", 1, "ssw1")
    with pytest.raises(ScreeningError):
        record_assessment(con, "P5", "dv_report", 1, "")


def test_models_are_registered_with_their_card(con, tmp_path):
    from kodomo_dash.demo.synthetic_features import synthetic_child_features
    from kodomo_dash.screening.similarity import SimilarityMethod, SimilarityModel

    frame = synthetic_child_features(3000, seed=9, as_of=AS_OF)
    model = SimilarityModel.train(frame, params={"max_iter": 20, "importance_sample": 200})
    path = model.save(tmp_path / "sim.joblib")
    register_model(con, model, path, "manager1")
    assert model_versions(con)["model_version"].tolist() == [model.model_version]
    run = create_run(con, frame.head(500), SimilarityMethod(model), {"top_n": 25}, cohort="all_children",
                     created_by="manager1")
    saved = get_run(con, run.run_id)
    assert saved["model_version"] == model.model_version and saved["list_size"] == 25
    lst = run_list(con, run.run_id)
    assert lst["score"].is_monotonic_decreasing or lst["raw_score"].is_monotonic_decreasing
    assert all(isinstance(r, list) and r for r in lst["reasons"])


def test_rule_set_saved_in_casework_round_trips_exactly(con):
    rs = RuleSet.preset("izumi").with_changes(points={"dv_report": 6})
    v = save_rule_set(con, rs, "manager1")
    assert load_rule_set(con, v.rule_set_id).to_dict() == rs.to_dict()
