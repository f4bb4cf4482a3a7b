"""`kodomo synth --follow-on` (issue 14, point 1; decision 066): next month of the same synthetic city.

A small city is generated and built, its next month generated and built over the same warehouse:
the gate accepts the month, the build chain holds both builds, and ``core.child_change`` is exactly
the truth's list of changes — every kind, the check-ups overdue by ageing included. A month of
school absence is the pupil's (student_no) in the truth; the warehouse attributes it to a child
through 名寄せ, so the truth's pupils are read through the warehouse's own link (linkage accuracy
is tested apart, tests/warehouse/test_linkage.py); a pupil it leaves unlinked has no change on
either side.
"""

from __future__ import annotations

import pandas as pd
import pytest

from kodomo_dash.demo.synth.city import generate
from kodomo_dash.demo.synth.follow_on import generate_follow_on
from kodomo_dash.warehouse.ingest.build import build_warehouse
from tests.warehouse.test_ingest import query


def _none(v):
    return None if pd.isna(v) else v


@pytest.fixture(scope="module")
def two_months(tmp_path_factory):
    root = tmp_path_factory.mktemp("follow-on")
    generate("fukuoka-fy2025", 0.02, 7, root / "m1")
    follow = generate_follow_on(root / "m1", root / "m2", months=1, seed=7)
    wh = root / "wh"
    wh.mkdir()
    first = build_warehouse(root / "m1", target=wh / "kodomo.duckdb", log=lambda _m: None)
    second = build_warehouse(root / "m2", target=wh / "kodomo.duckdb", log=lambda _m: None)
    return root, follow, first, second, wh


def test_the_next_month_builds_and_its_changes_are_exactly_the_truth(two_months):
    root, follow, first, second, wh = two_months
    assert first.swapped and second.swapped, second.summary()
    assert not second.refusals  # the gate accepts a realistic month
    assert str(follow.as_of) == "2025-10-01" == (root / "m2" / "extract_date.txt").read_text().strip()

    truth = pd.read_csv(root / "m2_truth" / "changes.csv", dtype=str)
    link = dict(query(wh, "select student_no, resident_id from core.student_link"))
    pupil = truth["kind"] == "school_absence"
    truth.loc[pupil, "resident_id"] = truth.loc[pupil, "student_no"].map(link)
    truth = truth[truth["resident_id"].notna()]
    expected = {(r.resident_id, r.kind, _none(r.event_date), _none(r.code), None if pd.isna(r.value) else float(r.value))
                for r in truth.itertuples()}  # fmt: skip
    got = set(query(wh, "select resident_id, kind, event_date::varchar, code, value from core.child_change"))
    assert got == expected
    assert second.changes == len(expected)
    # every kind the month writes is there, ageing into an overdue check-up included
    assert {"moved_out", "moved_in", "checkup", "missed_checkup", "newborn_visit", "consultation", "allowance",
            "nursery_start", "school_absence"} <= {k for _, k, *_ in got}  # fmt: skip
    chain = query(wh, "select as_of::varchar, changes from meta.build_chain order by built_at")
    assert chain == [("2025-09-01", 0), ("2025-10-01", len(expected))]


def test_the_same_people_keep_their_rows_and_keys(two_months):
    root, follow, *_ = two_months
    for f in sorted((root / "m1").glob("*.csv")):
        old = f.read_bytes().splitlines()
        new = (root / "m2" / f.name).read_bytes().splitlines()
        if f.name == "resident_registry.csv":  # only the move-out date of those who left changes
            assert len(new) == len(old) + follow.rows["resident_registry"]
            assert [ln.rsplit(b",", 1)[0] for ln in new[: len(old)]] == [ln.rsplit(b",", 1)[0] for ln in old]
        else:
            assert new[: len(old)] == old, f.name
    ids = query(two_months[4], "select count(*), count(distinct resident_id) from core.person")[0]
    assert ids[0] == ids[1]
    births, moved_in = follow.counts["births"], follow.counts["households_moved_in"]
    assert births > 0 and moved_in > 0 and follow.counts["children_moved_out"] > 0


def test_a_follow_on_month_is_the_same_for_the_same_seed(two_months, tmp_path):
    root, *_ = two_months
    generate_follow_on(root / "m1", tmp_path / "again", months=1, seed=7)
    for f in sorted((root / "m2").iterdir()):
        assert (tmp_path / "again" / f.name).read_bytes() == f.read_bytes(), f.name
    for f in sorted((root / "m2_truth").iterdir()):
        assert (tmp_path / "again_truth" / f.name).read_bytes() == f.read_bytes(), f.name
