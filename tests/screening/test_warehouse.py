"""Screening against a real build of the tiny synthetic city (conftest's `built_warehouse`):
the features table the build writes is the one this library reads, the cohort SQL agrees with
its pandas twin there, and every method scores the Fukuoka cohort into a saved run."""

from __future__ import annotations

import shutil

import duckdb
import pandas as pd
import pytest

from kodomo_dash.infra.migrate import migrate
from kodomo_dash.screening.cohorts import COHORTS_SQL, cohort_query, derive, fukuoka_unenrolled_3_6
from kodomo_dash.screening.counts import ItemCountMethod
from kodomo_dash.screening.edu_welfare import EduWelfareMethod
from kodomo_dash.screening.features import COLUMN_NAMES
from kodomo_dash.screening.points import RulePointsMethod
from kodomo_dash.screening.runs import create_run, run_list
from kodomo_dash.screening.similarity import SimilarityMethod, SimilarityModel


@pytest.fixture(scope="module")
def warehouse(built_warehouse, tmp_path_factory):
    # A private copy: the shared fixture build is read-only by convention, and the cohort views are created here.
    path = tmp_path_factory.mktemp("screening") / "kodomo.duckdb"
    shutil.copy(built_warehouse / "kodomo.duckdb", path)
    con = duckdb.connect(str(path))
    con.execute(COHORTS_SQL)
    as_of = con.execute("select as_of from meta.build_info").fetchone()[0]
    frame = derive(con.execute("select * from features.child_features").df(), as_of)
    yield con, frame, as_of
    con.close()


def test_the_build_writes_every_column_screening_reads(warehouse):
    _, frame, _ = warehouse
    assert [c for c in COLUMN_NAMES if c not in frame.columns] == []
    assert frame["resident_id"].is_unique


def test_cohort_sql_matches_pandas_on_the_build(warehouse):
    con, frame, as_of = warehouse
    sql_ids = set(con.execute(cohort_query("fukuoka_unenrolled_3_6")).df()["resident_id"])
    assert sql_ids == set(fukuoka_unenrolled_3_6(frame, as_of)["resident_id"])
    assert sql_ids


def test_every_method_scores_the_fukuoka_cohort_into_a_run(warehouse, tmp_path):
    _, frame, as_of = warehouse
    cohort = fukuoka_unenrolled_3_6(frame, as_of)
    casework = duckdb.connect(str(tmp_path / "casework.duckdb"))
    migrate(casework)
    methods = [RulePointsMethod(as_of=as_of), ItemCountMethod(as_of=as_of), EduWelfareMethod(as_of=as_of)]
    if frame["past_support_case"].sum() >= 20:
        model = SimilarityModel.train(frame, params={"max_iter": 30, "importance_sample": 300})
        methods.append(SimilarityMethod(model))
    for method in methods:
        run = create_run(casework, cohort, method, cohort="fukuoka_unenrolled_3_6", as_of=as_of, top_n=10,
                         exclusions=("already_in_support",), created_by="manager1")
        saved = run_list(casework, run.run_id)
        assert 0 < len(saved) <= 10
        assert saved["reasons"].map(len).gt(0).any()
    casework.close()


def test_a_school_principal_reads_city_percentiles_through_the_page_query(built_warehouse):
    """The screening page's read of two schools' pupils: each child's percentile is the city's (the
    value in the whole city's frame), not a rank among the two schools' pupils. A manager screens
    them: no school-scoped role may open the screening page (authz_matrix / config/pages.yaml)."""
    from kodomo_dash.services import screening as q
    from kodomo_dash.services.home import current_build
    from tests.signin import principal_for

    build = current_build().build_id
    city = q.cohort_frame(principal_for("manager"), build, "all_children").set_index("resident_id")
    schools = tuple(city["school_code"].dropna().value_counts().index[:2])
    mine = q.cohort_frame(principal_for("manager"), build, "school_children", school_codes=schools)
    assert len(mine) > 20 and set(mine["school_code"]) == set(schools)
    same = city.loc[mine["resident_id"]]
    for col in ("height_pct", "weight_pct", "fiscal_age", "stage"):
        pd.testing.assert_series_equal(mine[col].reset_index(drop=True), same[col].reset_index(drop=True),
                                       check_names=False, check_exact=True, check_dtype=False)
    assert mine["height_pct"].notna().sum() > 10
    within = derive(mine.drop(columns=["height_pct", "weight_pct"]), q.as_of(build))
    assert not within["height_pct"].equals(mine["height_pct"])  # what the page computed before
    # A ward-scoped reader of the Fukuoka cohort: the same values as the city's frame, for their ward only.
    ward = principal_for("ward_staff")
    cohort = q.cohort_frame(ward, build, "fukuoka_unenrolled_3_6")
    assert len(cohort) and set(cohort["ward_code"]) == set(ward.ward_codes)
    pd.testing.assert_series_equal(cohort["height_pct"].reset_index(drop=True),
                                   city.loc[cohort["resident_id"], "height_pct"].reset_index(drop=True),
                                   check_names=False, check_exact=True, check_dtype=False)
