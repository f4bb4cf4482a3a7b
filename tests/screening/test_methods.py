"""The three rule-based methods on small hand-built cohorts with known ranks, the Amagasaki
preset against 表 8-2 / 8-3, rule-set editing and validation, and parameter validation."""

from __future__ import annotations

import pandas as pd
import pytest

from kodomo_dash.demo.synthetic_features import child_frame
from kodomo_dash.screening import ScreeningError
from kodomo_dash.screening.counts import ItemCountMethod
from kodomo_dash.screening.edu_welfare import EduWelfareMethod
from kodomo_dash.screening.points import RulePointsMethod, suggest_assessments
from kodomo_dash.screening.registry import build_method, method_labels
from kodomo_dash.screening.rules import RuleSet
from kodomo_dash.screening.runs import diff_rule_sets, rule_set_changes

AS_OF = "2025-07-01"

# 表 8-2: key -> (number in the table, points, target). ① and ⑪ have levels.
TABLE_8_2 = {
    "checkup_3y": (1, 5, "all"),
    "checkup_other": (1, 1, "all"),
    "single_parent": (2, 1, "all"),
    "public_assistance": (3, 1, "all"),
    "caries": (4, 1, "school"),
    "disability": (5, 1, "all"),
    "guardian_disability": (6, 1, "all"),
    "young_mother": (7, 1, "all"),
    "many_children": (8, 1, "all"),
    "multiple_birth": (9, 1, "all"),
    "age_zero": (10, 1, "preschool"),
    "unenrolled_oldest": (11, 40, "preschool"),
    "unenrolled_middle": (11, 20, "preschool"),
    "unenrolled_youngest": (11, 10, "preschool"),
    "attendance_ratio": (12, 99, "school"),
    "height": (13, 99, "school"),
    "weight": (14, 99, "school"),
    "consecutive_absence": (15, 1, "school"),
}
# 表 8-3: number -> points.
TABLE_8_3 = {1: 10, 2: 1, 3: 1, 4: 1, 5: 1, 6: 1, 7: 10, 8: 1, 9: 99, 10: 1, 11: 10, 12: 1, 13: 10, 14: 99, 15: 99,
             16: 1}

# One child per system item, hitting that item only (as-of 2025-07-01: 年長 born 2019-04-02..2020-04-01).
ONE_ITEM_CHILDREN = {
    "checkup_3y": {"missed_checkup_3y": 1},
    "checkup_other": {"missed_checkup_18m": 1},
    "single_parent": {"single_parent": 1},
    "public_assistance": {"public_assistance": 1},
    "caries": {"age_years": 9, "grade": 4, "untreated_caries": 6},
    "disability": {"disability_handbook": 1},
    "guardian_disability": {"guardian_disability": 1},
    "young_mother": {"mother_age_at_notification": 18},
    "many_children": {"n_children_household": 3},
    "multiple_birth": {"multiple_birth": 1},
    "age_zero": {"age_years": 0},
    "unenrolled_oldest": {"birth_date": "2019-10-10", "enrolled_any": 0, "enrolled_licensed": 0},
    "unenrolled_middle": {"birth_date": "2020-10-10", "enrolled_any": 0, "enrolled_licensed": 0},
    "unenrolled_youngest": {"birth_date": "2021-10-10", "enrolled_any": 0, "enrolled_licensed": 0},
    "attendance_ratio": {"age_years": 11, "grade": 5, "attendance_ratio": 0.05},
    "height": {"age_years": 7, "grade": 2, "height_pct": 0.5},
    "weight": {"age_years": 7, "grade": 2, "weight_pct": 0.5},
    "consecutive_absence": {"age_years": 9, "grade": 4, "max_consecutive_absence": 10},
}


@pytest.fixture(scope="module")
def amagasaki() -> RuleSet:
    return RuleSet.preset("amagasaki")


def _ranks(result) -> dict[str, int]:
    return dict(zip(result.frame["resident_id"], result.frame["rank"], strict=True))


# ---------------------------------------------------------------- Amagasaki preset


def test_preset_reproduces_table_8_2(amagasaki):
    system = {i.key: (i.item_no, i.points, i.target) for i in amagasaki.items if i.section == "system"}
    assert system == TABLE_8_2
    assert {no for no, _, _ in system.values()} == set(range(1, 16))  # the 15 items


def test_preset_reproduces_table_8_3(amagasaki):
    assessment = {i.item_no: i.points for i in amagasaki.items if i.section == "assessment"}
    assert assessment == TABLE_8_3
    assert all(i.when is None for i in amagasaki.items if i.section == "assessment")
    table = amagasaki.point_table()
    assert (table.loc[table["section"] == "assessment", "condition_ja"] == "職員が記録").all()


@pytest.mark.parametrize("key", list(ONE_ITEM_CHILDREN))
def test_each_system_item_scores_its_points_alone(amagasaki, key):
    frame = child_frame([{"resident_id": "0000000001"}, {"resident_id": "0000000002", **ONE_ITEM_CHILDREN[key]}],
                        as_of=AS_OF)
    result = RulePointsMethod(amagasaki, as_of=AS_OF).score(frame)
    scores = dict(zip(result.frame["resident_id"], result.frame["score"], strict=True))
    assert scores["0000000001"] == 0
    assert scores["0000000002"] == TABLE_8_2[key][1]
    assert result.meta["hits_per_item"][key] == 1


def test_targets_limit_items_to_preschool_or_school(amagasaki):
    frame = child_frame(
        [
            {"resident_id": "0000000001", "untreated_caries": 8},  # preschooler: ★ caries does not apply
            {"resident_id": "0000000002", "age_years": 9, "grade": 4, "enrolled_any": 0},  # school: ● unenrolled no
        ],
        as_of=AS_OF,
    )
    result = RulePointsMethod(amagasaki, as_of=AS_OF).score(frame)
    assert result.frame["score"].tolist() == [0, 0]


def test_rule_points_known_ranks_reasons_and_list(amagasaki):
    frame = child_frame(
        [
            {"resident_id": "A", "birth_date": "2019-10-10", "enrolled_any": 0, "single_parent": 1},  # 40 + 1
            {"resident_id": "B", "age_years": 11, "grade": 5, "attendance_ratio": 0.05},  # 99
            {"resident_id": "C", "mother_age_at_notification": 18},  # 1
            {"resident_id": "D"},  # 0
        ],
        as_of=AS_OF,
    )
    result = RulePointsMethod(amagasaki, as_of=AS_OF).score(frame)
    assert _ranks(result) == {"B": 1, "A": 2, "C": 3, "D": 4}
    assert result.own_list()["resident_id"].tolist() == ["B", "A"]  # list threshold 10 points
    reasons = dict(zip(result.frame["resident_id"], result.frame["reasons"], strict=True))
    assert reasons["A"] == ["年長の年齢で保育園・幼稚園等に未所属（+40点）", "ひとり親世帯（+1点）"]
    assert reasons["B"] == ["出席比率 5%（10%未満）（+99点）"]
    assert reasons["C"] == ["母親の妊娠届出時年齢が18歳（20歳未満）（+1点）"]
    assert reasons["D"] == []
    assert result.version.startswith("amagasaki:")


def test_recorded_assessment_adds_points_and_a_reason(amagasaki):
    frame = child_frame([{"resident_id": "A", "single_parent": 1}, {"resident_id": "D"}], as_of=AS_OF)
    recorded = pd.DataFrame({"resident_id": ["D", "D"], "item_key": ["dv_report", "stepfamily"], "value": [1, 0]})
    result = RulePointsMethod(amagasaki, assessments=recorded, as_of=AS_OF).score(frame)
    row = result.frame.set_index("resident_id").loc["D"]
    assert row["assessment_points"] == 99 and row["system_points"] == 0 and row["score"] == 99
    assert row["reasons"] == ["【人によるアセスメント】DVの通告歴がある（+99点）"]
    without = RulePointsMethod(amagasaki, assessments=recorded, as_of=AS_OF).score(frame,
                                                                                   {"include_assessment": False})
    assert without.frame.set_index("resident_id").loc["D", "score"] == 0


def test_bad_assessment_records_are_refused(amagasaki):
    with pytest.raises(ScreeningError) as e:
        RulePointsMethod(amagasaki, assessments=pd.DataFrame({"resident_id": ["A"], "item_key": ["nope"],
                                                               "value": [1]}))
    assert e.value.code == "bad_assessment"
    with pytest.raises(ScreeningError):
        RulePointsMethod(amagasaki, assessments=pd.DataFrame({"resident_id": ["A"], "item_key": ["dv_report"],
                                                               "value": [2]}))


def test_assessment_suggestions_come_from_data_but_do_not_score(amagasaki):
    frame = child_frame([{"resident_id": "A", "past_temporary_protection": 1}, {"resident_id": "B"}], as_of=AS_OF)
    hints = suggest_assessments(amagasaki, frame, AS_OF)
    assert ("A", "temporary_protection") in set(zip(hints["resident_id"], hints["item_key"], strict=True))
    assert RulePointsMethod(amagasaki, as_of=AS_OF).score(frame).frame["score"].tolist() == [0, 0]


def test_unlicensed_trap_reproduced_only_when_the_rule_is_edited_to_licensed_only(amagasaki):
    # An unlicensed-nursery child is enrolled: no 未就園 points with the shipped preset.
    frame = child_frame([{"resident_id": "A", "birth_date": "2019-10-10", "enrolled_any": 1,
                          "enrolled_licensed": 0}], as_of=AS_OF)
    assert RulePointsMethod(amagasaki, as_of=AS_OF).score(frame).frame["score"].iloc[0] == 0
    d = amagasaki.to_dict()
    for item in d["items"]:
        if item["key"].startswith("unenrolled_"):
            item["when"]["all"][0]["column"] = "enrolled_licensed"
    trap = RuleSet.from_dict(d)
    assert RulePointsMethod(trap, as_of=AS_OF).score(frame).frame["score"].iloc[0] == 40


# ---------------------------------------------------------------- editing and validating rule sets


def test_with_changes_edits_weights_and_parameters(amagasaki):
    edited = amagasaki.with_changes(points={"single_parent": 3}, params={"young_mother_age": 22},
                                    enabled={"multiple_birth": False})
    assert edited.item("single_parent").points == 3
    assert edited.param_value("young_mother_age") == 22
    assert edited.checksum() != amagasaki.checksum()
    changes = rule_set_changes(amagasaki, edited)
    assert set(zip(changes["kind"], changes["key"], strict=True)) == {
        ("points", "single_parent"), ("param", "young_mother_age"), ("enabled", "multiple_birth")}
    frame = child_frame([{"resident_id": "A", "multiple_birth": 1, "mother_age_at_notification": 21}], as_of=AS_OF)
    assert RulePointsMethod(edited, as_of=AS_OF).score(frame).frame["score"].iloc[0] == 1  # young, not twins


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"points": {"single_parent": -1}}, "negative_weight"),
        ({"points": {"single_parent": "10"}}, "not_numeric"),
        ({"points": {"single_parent": True}}, "not_numeric"),
        ({"points": {"single_parent": float("nan")}}, "not_numeric"),
        ({"points": {"single_parent": 5000}}, "out_of_range"),
        ({"params": {"young_mother_age": 50}}, "out_of_range"),
        ({"params": {"young_mother_age": "二十"}}, "not_numeric"),
        ({"params": {"young_mother_age": 19.5}}, "bad_param"),
        ({"params": {"no_such": 1}}, "unknown_param"),
        ({"points": {"no_such": 1}}, "unknown_item"),
    ],
)
def test_bad_rule_edits_are_refused_in_japanese(amagasaki, change, code):
    with pytest.raises(ScreeningError) as e:
        amagasaki.with_changes(**change)
    assert e.value.code == code
    assert any("\u3040" <= ch <= "\u30ff" for ch in str(e.value))  # the message is Japanese


def test_negative_weight_message_names_the_item(amagasaki):
    with pytest.raises(ScreeningError, match="ひとり親.*0以上"):
        amagasaki.with_changes(points={"single_parent": -1})


@pytest.mark.parametrize(
    "edit",
    [
        lambda d: d["items"][0].update(when={"column": "no_such_column", "op": "eq", "value": 1}),
        lambda d: d["items"][0].update(when={"column": "single_parent", "op": "like", "value": 1}),
        lambda d: d["items"][0].update(when={"column": "single_parent", "op": "eq", "param": "nope"}),
        lambda d: d["items"][0].update(when={"column": "single_parent", "op": "eq"}),
        lambda d: d["items"].append(dict(d["items"][0])),  # duplicate key
        lambda d: d["items"][0].update(target="adults"),
        lambda d: d["items"][0].update(reason_ja="{unknown}"),
        lambda d: d["params"]["caries_min"].update(min=10, max=1),
    ],
)
def test_malformed_rule_sets_are_refused(amagasaki, edit):
    d = amagasaki.to_dict()
    edit(d)
    with pytest.raises(ScreeningError):
        RuleSet.from_dict(d)


def test_unreadable_yaml_is_refused():
    with pytest.raises(ScreeningError) as e:
        RuleSet.from_yaml("name: [unclosed")
    assert e.value.code == "bad_rule_set"
    with pytest.raises(ScreeningError):
        RuleSet.preset("nagoya")


def test_changing_a_rule_shows_who_enters_and_leaves(amagasaki):
    frame = child_frame(
        [
            {"resident_id": "A", "mother_age_at_notification": 18},  # young under both
            {"resident_id": "B", "mother_age_at_notification": 21},  # young only when the age limit is 22
            {"resident_id": "C", "n_children_household": 3},  # many children only while the minimum is 3
            {"resident_id": "D"},
        ],
        as_of=AS_OF,
    )
    after = amagasaki.with_changes(params={"young_mother_age": 22, "many_children_min": 4})
    diff = diff_rule_sets(frame, amagasaki, after, params={"threshold": 1})
    change = dict(zip(diff["resident_id"], diff["change"], strict=True))
    assert change == {"A": "stayed", "B": "entered", "C": "left"}
    assert diff["change"].tolist() == ["entered", "left", "stayed"]
    assert set(diff["change_ja"]) == {"新たにリストに入る", "リストから外れる", "引き続きリストに残る"}


# ---------------------------------------------------------------- Beppu


def _beppu_frame():
    return child_frame(
        [
            {"resident_id": "P1", "public_assistance": 1, "child_rearing_allowance": 1, "epds_max": 12},  # basic 3
            {"resident_id": "P2", "yotaikyo_open": 1, "missed_checkup_18m": 1},  # basic 2
            {"resident_id": "P3", "guardian_disability": 1, "dv_report_household": 1, "consultation_count": 2,
             "special_child_allowance": 1},  # basic 1, other 3
            {"resident_id": "P4", "single_parent_loan": 1, "medical_subsidy_single_parent": 1},  # other 2
            {"resident_id": "P5"},
        ],
        as_of=AS_OF,
    )


def test_item_counts_known_ranks_and_top_lists():
    result = ItemCountMethod(as_of=AS_OF).score(_beppu_frame(), {"top_basic": 2, "top_other": 1})
    f = result.frame.set_index("resident_id")
    assert f["basic_hits"].to_dict() == {"P1": 3, "P2": 2, "P3": 1, "P4": 0, "P5": 0}
    assert f["other_hits"].to_dict() == {"P1": 0, "P2": 0, "P3": 3, "P4": 2, "P5": 0}
    assert _ranks(result) == {"P1": 1, "P2": 2, "P3": 3, "P4": 4, "P5": 5}
    assert result.own_list()["resident_id"].tolist() == ["P1", "P2", "P3"]
    assert f.loc["P3", "list_part"] == "other"
    assert "【基本項目】生活保護受給世帯" in f.loc["P1", "reasons"]
    # Check-up questionnaire answers (basic items 4-8) and prenatal check-ups (16) are not in the warehouse.
    assert len(result.meta["unavailable_items"]) == 6


def test_item_counts_default_is_top_20_plus_top_10():
    result = ItemCountMethod(as_of=AS_OF).score(_beppu_frame())
    assert result.params == {"top_basic": 20, "top_other": 10, "min_hits": 1}
    assert result.own_list()["resident_id"].tolist() == ["P1", "P2", "P3", "P4"]  # P5 has no hits


# ---------------------------------------------------------------- Izumi


def _izumi_frame():
    return child_frame(
        [
            {"resident_id": "Q1", "age_years": 11, "grade": 5, "absence_days": 40, "public_assistance": 1},  # 3+2
            {"resident_id": "Q2", "age_years": 9, "grade": 3, "lunch_arrears_months": 4, "school_expense_aid": 1},
            {"resident_id": "Q3", "dv_report_household": 1},  # welfare 4
            {"resident_id": "Q4", "single_parent": 1},  # welfare 1
            {"resident_id": "Q5", "age_years": 8, "grade": 2, "late_days": 20},  # education 1
        ],
        as_of=AS_OF,
    )


def test_edu_welfare_sum_top_n_plus_welfare_only():
    result = EduWelfareMethod(as_of=AS_OF).score(_izumi_frame(), {"top_n": 2, "extra_welfare_n": 1})
    f = result.frame.set_index("resident_id")
    assert f["education_score"].to_dict() == {"Q1": 3, "Q2": 3, "Q3": 0, "Q4": 0, "Q5": 1}
    assert f["welfare_score"].to_dict() == {"Q1": 2, "Q2": 0, "Q3": 4, "Q4": 1, "Q5": 0}
    assert (f["score"] == f["education_score"] + f["welfare_score"]).all()
    assert result.own_list()["resident_id"].tolist() == ["Q1", "Q3", "Q4"]
    assert f.loc["Q4", "list_part"] == "welfare_only"
    assert _ranks(result) == {"Q1": 1, "Q3": 2, "Q4": 3, "Q2": 4, "Q5": 5}
    assert f.loc["Q1", "reasons"][0] == "【教育】欠席 40日（30日以上）（+3点）"


# ---------------------------------------------------------------- parameters and the interface


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"top_n": -1}, "out_of_range"),
        ({"top_n": 2.5}, "bad_param"),
        ({"top_n": "3"}, "not_numeric"),
        ({"top_n": True}, "not_numeric"),
        ({"top_m": 3}, "unknown_param"),
    ],
)
def test_bad_parameters_are_refused(params, code):
    with pytest.raises(ScreeningError) as e:
        EduWelfareMethod(as_of=AS_OF).score(_izumi_frame(), params)
    assert e.value.code == code


def test_empty_or_duplicated_frames_are_refused():
    method = ItemCountMethod(as_of=AS_OF)
    with pytest.raises(ScreeningError) as e:
        method.score(_beppu_frame().head(0))
    assert e.value.code == "empty_cohort"
    frame = _beppu_frame()
    with pytest.raises(ScreeningError) as e:
        method.score(pd.concat([frame, frame.head(1)]))
    assert e.value.code == "duplicate_ids"


def test_missing_as_of_is_explained():
    frame = _beppu_frame()
    frame.attrs.clear()
    with pytest.raises(ScreeningError) as e:
        ItemCountMethod().score(frame)
    assert e.value.code == "missing_as_of"


def test_missing_column_is_named_in_japanese():
    frame = _beppu_frame().drop(columns=["epds_max"])
    with pytest.raises(ScreeningError, match="EPDS"):
        ItemCountMethod(as_of=AS_OF).score(frame)


def test_registry_builds_each_rule_method():
    assert set(method_labels()) == {"similarity", "rule_points", "item_counts", "edu_welfare"}
    for name in ("rule_points", "item_counts", "edu_welfare"):
        method = build_method(name, as_of=AS_OF)
        assert method.name == name
        specs = method.param_specs()
        assert specs and all(s.label_ja for s in specs)
    with pytest.raises(ScreeningError):
        build_method("astrology")


def test_select_top_n_and_threshold_override_the_own_list():
    result = EduWelfareMethod(as_of=AS_OF).score(_izumi_frame(), {"top_n": 2, "extra_welfare_n": 1})
    assert result.select(top_n=1)["resident_id"].tolist() == ["Q1"]
    assert result.select(threshold=3)["resident_id"].tolist() == ["Q1", "Q3", "Q2"]
