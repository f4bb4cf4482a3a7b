"""Cohorts and exclusions: the pandas functions on hand-built children, and the SQL views
(sql/40_cohorts/ text) agreeing with them on a synthetic frame."""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd
import pytest

from kodomo_dash.demo.synthetic_features import child_frame, synthetic_child_features
from kodomo_dash.screening import ScreeningError
from kodomo_dash.screening.cohorts import (
    COHORTS_SQL,
    apply_exclusions,
    cohort_frame,
    cohort_query,
    derive,
    exclusion_reasons,
    fiscal_age,
    fukuoka_unenrolled_3_6,
    moved_out_ids,
    school_children,
    select_cohort,
)

AS_OF = "2025-07-01"


@pytest.mark.parametrize(
    ("birth", "expected"),
    [("2020-04-01", 5), ("2020-04-02", 4), ("2019-04-02", 5), ("2021-10-10", 3), ("2019-04-01", 6)],
)
def test_fiscal_age_cuts_school_years_at_april_first(birth, expected):
    assert fiscal_age(pd.Series([birth]), date(2025, 7, 1)).iloc[0] == expected
    assert fiscal_age(pd.Series([birth]), date(2026, 2, 1)).iloc[0] == expected  # same fiscal year


def _fukuoka_children():
    return child_frame(
        [
            {"resident_id": "in_4", "age_years": 4, "enrolled_any": 0, "enrolled_licensed": 0},
            {"resident_id": "unlicensed", "age_years": 4, "enrolled_any": 1, "enrolled_licensed": 0},
            {"resident_id": "licensed", "age_years": 5, "enrolled_any": 1, "enrolled_licensed": 1},
            {"resident_id": "first_grader", "age_years": 6, "grade": 1, "enrolled_any": 0},
            {"resident_id": "first_grader_enrolled", "age_years": 6, "grade": 1, "enrolled_any": 1},
            {"resident_id": "age_2", "age_years": 2, "enrolled_any": 0, "enrolled_licensed": 0},
            {"resident_id": "age_6", "age_years": 6, "enrolled_any": 0, "enrolled_licensed": 0},
            {"resident_id": "second_grader", "age_years": 7, "grade": 2},
        ],
        as_of=AS_OF,
    )


def test_fukuoka_cohort_counts_unlicensed_as_enrolled_and_first_graders_in_first_half():
    frame = _fukuoka_children()
    first_half = set(fukuoka_unenrolled_3_6(frame, "2025-07-01")["resident_id"])
    assert first_half == {"in_4", "first_grader", "age_6"}
    second_half = set(fukuoka_unenrolled_3_6(frame, "2025-10-01")["resident_id"])
    assert second_half == {"in_4", "age_6"}


def test_school_children_of_chosen_schools():
    frame = child_frame(
        [
            {"resident_id": "a", "age_years": 8, "grade": 2, "school_code": "401001"},
            {"resident_id": "b", "age_years": 8, "grade": 2, "school_code": "401002"},
            {"resident_id": "c", "age_years": 4},
        ],
        as_of=AS_OF,
    )
    assert set(school_children(frame, ["401001"])["resident_id"]) == {"a"}
    assert set(school_children(frame)["resident_id"]) == {"a", "b"}
    with pytest.raises(ScreeningError):
        school_children(frame, [])
    assert len(select_cohort(frame, "all_children")) == 3
    with pytest.raises(ScreeningError) as e:
        select_cohort(frame, "fukuoka_unenrolled_3_6")
    assert e.value.code == "missing_as_of"
    with pytest.raises(ScreeningError):
        select_cohort(frame, "everyone_over_18")


def test_exclusion_reasons_per_child():
    frame = child_frame(
        [
            {"resident_id": "yotaikyo", "yotaikyo_open": 1, "enrolled_any": 0},
            {"resident_id": "consulting", "open_consultation": 1, "enrolled_any": 1},  # two reasons
            {"resident_id": "enrolled", "enrolled_any": 1},
            {"resident_id": "free", "enrolled_any": 0},
            {"resident_id": "gone", "enrolled_any": 0},
        ],
        as_of=AS_OF,
    )
    reasons = exclusion_reasons(frame, current_resident_ids=["yotaikyo", "consulting", "enrolled", "free"])
    got = set(zip(reasons["resident_id"], reasons["reason"], strict=True))
    assert got == {("yotaikyo", "already_in_support"), ("consulting", "already_in_support"),
                   ("consulting", "enrolled"), ("enrolled", "enrolled"), ("gone", "moved_out")}
    assert reasons["reason_ja"].notna().all()
    kept, excluded = apply_exclusions(frame, ("already_in_support",))
    assert set(kept["resident_id"]) == {"enrolled", "free", "gone"}
    assert set(excluded["resident_id"]) == {"yotaikyo", "consulting"}
    with pytest.raises(ScreeningError):
        apply_exclusions(frame, ("unlucky",))
    assert moved_out_ids(["a", "b", "c"], ["a", "c"]) == ["b"]


def test_derive_adds_stage_and_percentiles():
    frame = derive(synthetic_child_features(3000, seed=5, as_of=AS_OF), AS_OF)
    assert set(frame["stage"].unique()) <= {"preschool", "school", "school_age_no_record"}
    assert (frame.loc[frame["grade"].notna(), "stage"] == "school").all()
    school = frame[frame["stage"] == "school"]
    assert school["height_pct"].notna().mean() > 0.9
    assert frame.loc[frame["stage"] == "preschool", "height_pct"].isna().all()
    assert frame.attrs["as_of"] == date(2025, 7, 1)


@pytest.fixture(scope="module")
def warehouse():
    frame = synthetic_child_features(4000, seed=6, as_of=AS_OF)
    if "class_age" not in frame.columns:  # the build's registry school year (sql/20_core_person.sql)
        b = pd.to_datetime(frame["birth_date"])
        as_of = pd.Timestamp(AS_OF)
        fy = as_of.year if as_of.month >= 4 else as_of.year - 1
        frame["class_age"] = fy - (b.dt.year - ((b.dt.month * 100 + b.dt.day) <= 401).astype(int)) - 1
    cols = [c for c in frame.columns if c not in ("truth_p", "true_need", "latent")]
    con = duckdb.connect()
    con.execute("create schema features")
    con.execute("create schema meta")
    con.register("src", frame[cols])
    con.execute("create table features.child_features as select * from src")
    con.execute("create table meta.build_info (as_of date)")
    yield con, frame
    con.close()


@pytest.mark.parametrize("as_of", ["2025-07-01", "2025-11-01"])
def test_sql_cohorts_match_pandas(warehouse, as_of):
    con, frame = warehouse
    con.execute("delete from meta.build_info")
    con.execute("insert into meta.build_info values (?)", [as_of])
    con.execute(COHORTS_SQL)
    sql_ids = set(con.execute(cohort_query("fukuoka_unenrolled_3_6")).df()["resident_id"])
    assert sql_ids == set(fukuoka_unenrolled_3_6(frame, as_of)["resident_id"])
    assert len(sql_ids) > 20
    codes = sorted(frame["school_code"].dropna().unique())[:3]
    sql_school = set(con.execute(cohort_query("school_children"), {"school_codes": codes}).df()["resident_id"])
    assert sql_school == set(school_children(frame, codes)["resident_id"])
    assert con.execute(cohort_query("all_children") + " limit 0").df().shape[1] == len(con.execute(
        "select * from features.child_features limit 0").df().columns)
    sql_reasons = set(map(tuple, con.execute("select resident_id, reason from cohorts.exclusion_reason").fetchall()))
    pd_reasons = exclusion_reasons(frame)
    assert sql_reasons == set(zip(pd_reasons["resident_id"], pd_reasons["reason"], strict=True))


# ---------------------------------------------------------------- one cohort read, city-wide percentiles


def _built(warehouse, as_of: str = AS_OF):
    con, frame = warehouse
    con.execute("delete from meta.build_info")
    con.execute("insert into meta.build_info values (?)", [as_of])
    con.execute(COHORTS_SQL)
    return con, frame


def test_cohort_frame_of_the_whole_city_is_derive_over_every_child(warehouse):
    """For a city-wide reader the one read gives exactly what `derive` over every child gives."""
    con, _ = _built(warehouse)
    city = derive(con.execute("select * from features.child_features order by resident_id").df(), AS_OF)
    pd.testing.assert_frame_equal(cohort_frame(con, AS_OF, "all_children"), city, check_exact=True)
    assert city["height_pct"].notna().sum() > 100  # the comparison is not over missing values


@pytest.mark.parametrize(("name", "scope_col"), [("school_children", "school_code"), ("all_children", "ward_code"),
                                                 ("fukuoka_unenrolled_3_6", "ward_code")])
def test_a_scoped_reader_gets_the_city_percentiles_not_a_rank_among_their_own(warehouse, name, scope_col):
    con, frame = _built(warehouse)
    city = derive(con.execute("select * from features.child_features").df(), AS_OF).set_index("resident_id")
    schools = sorted(frame["school_code"].dropna().unique())[:2]
    codes = schools if scope_col == "school_code" else sorted(frame["ward_code"].dropna().unique())[:1]
    scope = (f"{scope_col} IN (?, ?)" if len(codes) == 2 else f"{scope_col} IN (?)", codes)
    params = {"school_codes": schools} if name == "school_children" else {}
    scoped = cohort_frame(con, AS_OF, name, params, scope)
    assert len(scoped) > 10 and scoped[scope_col].isin(codes).all()
    assert scoped["resident_id"].is_monotonic_increasing
    same = city.loc[scoped["resident_id"]]
    for col in ("height_pct", "weight_pct", "fiscal_age", "stage", "any_disability"):
        pd.testing.assert_series_equal(scoped[col].reset_index(drop=True), same[col].reset_index(drop=True),
                                       check_names=False, check_exact=True, check_dtype=False)
    # The test has teeth: ranked within the reader's own children the percentiles would differ.
    within = derive(scoped.drop(columns=["height_pct", "weight_pct"]), AS_OF)
    assert not within["height_pct"].equals(scoped["height_pct"])


def test_cohort_frame_refuses_an_unknown_cohort_and_no_schools(warehouse):
    con, _ = _built(warehouse)
    with pytest.raises(ScreeningError) as e:
        cohort_frame(con, AS_OF, "everyone_but")
    assert e.value.code == "unknown_cohort"
    for params in ({}, {"school_codes": []}):
        with pytest.raises(ScreeningError) as e:
            cohort_frame(con, AS_OF, "school_children", params)
        assert e.value.code == "bad_cohort" and "1校以上" in str(e.value)
