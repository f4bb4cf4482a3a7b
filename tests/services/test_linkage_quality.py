"""Direct tests of the 名寄せ review service and the data-quality service (the screens are in
test_pages_linkage.py and test_pages_quality.py): scope, refusal, audit, and counts that are the SQL's."""

from __future__ import annotations

import shutil

import duckdb
import pytest

from kodomo_dash.infra.db import casework_connection
from kodomo_dash.infra.migrate import ensure_casework
from kodomo_dash.security.matrix import AccessDenied
from kodomo_dash.services import home, quality
from kodomo_dash.services import linkage as review
from kodomo_dash.testing.apptest import principal_for


@pytest.fixture
def private_warehouse(built_warehouse, tmp_path, monkeypatch):
    """A copy of the fixture city with its own casework: decisions must not leak between tests."""
    shutil.copy(built_warehouse / "kodomo.duckdb", tmp_path / "kodomo.duckdb")
    monkeypatch.setenv("KODOMO_WAREHOUSE", str(tmp_path))
    ensure_casework()
    return tmp_path


def _sql(warehouse, sql: str) -> list[tuple]:
    con = duckdb.connect(str(warehouse / "kodomo.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_the_queue_is_the_review_table_in_scope(private_warehouse):
    everything = _sql(private_warehouse, "select student_no, resident_id from link.review_queue")
    assert everything, "the fixture city must have pairs to review"
    manager = review.review_queue(principal_for("manager"))
    assert sorted(zip(manager["student_no"], manager["resident_id"], strict=True)) == sorted(everything)
    assert list(manager["student_no"]) == sorted(manager["student_no"])  # pupils in order
    # The page is the city's (admin and manager): a school or a ward never reads the queue, whatever its codes.
    school_code = _sql(private_warehouse, "select s_school_code from link.review_queue limit 1")[0][0]
    for refused in (principal_for("school", school_codes=(school_code,)), principal_for("ward_staff")):
        with pytest.raises(AccessDenied):
            review.review_queue(refused)


def test_a_decision_is_saved_audited_and_leaves_the_queue(private_warehouse):
    manager = principal_for("manager")
    first = review.review_queue(manager).iloc[0]
    decision_id = review.record_review_decision(manager, first["student_no"], first["resident_id"], "link")
    after = review.review_queue(manager)
    assert first["student_no"] not in set(after["student_no"])  # every candidate of a linked pupil goes
    with casework_connection() as con:
        assert con.execute("select decision, decided_by from link_decision where decision_id = ?",
                           [decision_id]).fetchone() == ("link", "manager")  # fmt: skip
        assert con.execute("select count(*) from audit_log where page = 'linkage_review' and action = 'form_save'"
                           " and target = ?", [f"link_decision:{decision_id}"]).fetchone()[0] == 1  # fmt: skip


def test_a_role_without_save_is_refused_and_nothing_is_written(private_warehouse):
    first = review.review_queue(principal_for("manager")).iloc[0]
    with pytest.raises(AccessDenied):
        review.record_review_decision(principal_for("evaluator"), first["student_no"], first["resident_id"], "link")
    assert review.decided_pairs().empty


def test_quality_counts_come_from_the_quarantine_table(private_warehouse):
    build_id = home.current_build().build_id
    by_rule = quality.quarantine_by_source_rule(build_id)
    assert int(by_rule["entries"].sum()) == _sql(private_warehouse, "select count(*) from meta.quarantine")[0][0]
    steps = quality.linkage_steps(build_id)
    assert len(steps) == _sql(private_warehouse, "select count(*) from link.step_summary")[0][0]


def test_quarantined_values_are_hidden_from_a_role_that_may_not_see_their_column(private_warehouse):
    manager = quality.quarantine_examples(principal_for("manager"))
    evaluator = quality.quarantine_examples(principal_for("evaluator"))
    assert len(manager) == len(evaluator) > 0
    assert evaluator["hidden"].any() and not manager["hidden"].all()
    assert all(examples == [] for examples in evaluator.loc[evaluator["hidden"], "examples"])
    shown = manager.loc[~manager["hidden"], "examples"]
    assert all(0 < len(examples) <= quality.EXAMPLES_PER_GROUP for examples in shown)


def test_build_attempts_are_refused_to_a_role_without_the_page(private_warehouse):
    with pytest.raises(AccessDenied):
        quality.build_attempts(principal_for("school"))
