"""名寄せ: link every school record (児童生徒番号) to a registry child (宛名番号), or say why not.

Order of work, cheapest and most certain first (Fukuoka: a tool, then people; Amagasaki 表 7-1):

1. **対応表** (``stg.student_resident_map``) — the school's own pairing since entry.
2. **Exact four facts** — strict kana, address code, birth date and sex all equal.
3. **Probabilistic** — Splink 5 on the same DuckDB connection, for everyone the 対応表 did not
   settle, with fixed m/u values (``model.py``). Three bands: auto-link, review, reject.
4. **Manual** — decisions people took on the review page (casework ``link_decision``),
   re-applied on every rebuild.

A wrong automatic link is worse than a review, so these always go to review: one pupil with
two plausible children (a rival within ``rival_margin_bits`` of the best), a child whose loose
kana and birth date are shared with another registry child, a child claimed by two school
records, and 対応表 conflicts. Every school record ends in exactly one state: linked (with its
method) or unlinked with a reason — none is dropped.

Inputs are the staged tables ``stg.resident_registry``, ``stg.student_roster`` and (optional)
``stg.student_resident_map`` / ``stg.school_age_register``. Outputs go to schema ``link``.

This module holds the vocabulary and the order of work; each step has its own module:
``prepare`` (both sides as work tables), ``exact``, ``probabilistic`` (Splink and the candidate
table), ``decide`` (the 対応表, the decisions in force and the rules) and ``outputs`` (schema
``link``). Their fixed SQL is in ``sql/``, numbered in the order a run executes it.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field, replace
from typing import Any

import duckdb

from kodomo_dash.config import calendar
from kodomo_dash.warehouse.linkage.decide import decide, map_and_decisions
from kodomo_dash.warehouse.linkage.decisions import as_decisions
from kodomo_dash.warehouse.linkage.exact import exact_pass
from kodomo_dash.warehouse.linkage.model import LinkSettings
from kodomo_dash.warehouse.linkage.outputs import step_summary, write_keys, write_outputs
from kodomo_dash.warehouse.linkage.prepare import infer_fiscal_year, prepare, school_age
from kodomo_dash.warehouse.linkage.probabilistic import candidate_table, prior_probability, splink_pass
from kodomo_dash.warehouse.linkage.tables import drop_work_tables

__all__ = ["LinkResult", "link_students", "METHODS", "UNLINKED_REASONS", "REVIEW_REASONS", "STEPS"]

log = logging.getLogger(__name__)

METHODS = ("map", "exact", "probabilistic", "manual")
UNLINKED_REASONS = (
    "in_review",  # waiting for a person on the review page
    "rejected",  # candidates exist but all fell below the review threshold (or were declined)
    "no_candidate",  # nobody in the registry shares a blocking key (graduates, out of city)
    "duplicate_student_no",  # one student number on two different school records
    "missing_student_no",  # a school record without a student number
)
REVIEW_REASONS = (
    "map_conflict",  # the 対応表 pairs one number with two children, or one child with two numbers
    "multiple_candidates",  # a second child scores close to the best one
    "same_name_birth_date",  # the best child shares loose kana and birth date with another child
    "child_claimed_twice",  # the best child is already linked to another school record
    "probability_band",  # the best pair is between the review and the auto-link thresholds
)
STEPS = (
    (1, "map", "対応表による突合"),
    (2, "exact", "4情報の完全一致"),
    (3, "probabilistic", "確率的照合（自動）"),
    (4, "manual", "目視確認による突合"),
)


@dataclass
class LinkResult:
    """What one run did; ``step_summary`` is the same table as ``link.step_summary``."""

    fiscal_year: int
    school_records: int
    linked: dict[str, int]
    review_pairs: int
    review_pupils: int
    unlinked: dict[str, int]
    decisions_applied: int
    decisions_ignored: int
    scored_pairs: int
    seconds: dict[str, float] = field(default_factory=dict)
    step_summary: list[dict[str, Any]] = field(default_factory=list)

    @property
    def linked_total(self) -> int:
        return sum(self.linked.values())

    @property
    def unlinked_total(self) -> int:
        return sum(self.unlinked.values())

    @property
    def unlinked_rate(self) -> float:
        return self.unlinked_total / self.school_records if self.school_records else 0.0


def link_students(
    con: duckdb.DuckDBPyConnection,
    decisions: Any = None,
    settings: LinkSettings | None = None,
    *,
    keep_work_tables: bool = False,
) -> LinkResult:
    """Link ``stg.student_roster`` to ``stg.resident_registry``; write schema ``link``.

    ``decisions``: the manual decisions in force (``load_decisions(casework)``, or tuples
    ``(student_no, resident_id, decision)``); applied on every run so a decided pair never
    returns to the queue. Deterministic: the same inputs give the same tables, row for row.
    """
    settings = settings or LinkSettings()
    decs = as_decisions(decisions)
    t0 = time.perf_counter()
    cpu0 = time.process_time()
    seconds: dict[str, float] = {}

    fy = settings.fiscal_year or infer_fiscal_year(con)
    if settings.fiscal_year != fy:
        settings = replace(settings, fiscal_year=fy)
    calendar.register_sql_functions(con)  # first_grade_year: the school-year cut of config/calendar.py
    prepare(con, fy, decs, settings.prior_floor_population)
    school_age(con)
    seconds["prepare"] = time.perf_counter() - t0

    t = time.perf_counter()
    map_conflict, manual_link, later, applied, ignored = map_and_decisions(con, decs)
    exact_pass(con)
    seconds["deterministic"] = time.perf_counter() - t

    t = time.perf_counter()
    scored = splink_pass(con, settings)
    seconds["probabilistic"] = time.perf_counter() - t

    t = time.perf_counter()
    candidate_table(con, settings, prior_probability(con, settings))
    links, review, unlinked = decide(con, settings, map_conflict, manual_link)
    write_outputs(con, settings, links, review, unlinked, later)
    steps = step_summary(con, STEPS)
    write_keys(con)
    if not keep_work_tables:
        drop_work_tables(con)
    seconds["resolve"] = time.perf_counter() - t
    seconds["total"] = time.perf_counter() - t0
    seconds["cpu"] = time.process_time() - cpu0  # all threads: what an idle machine would need

    linked = {m: 0 for m in METHODS}
    linked.update(dict(con.execute("select method, count(*) from link.student_link group by 1").fetchall()))
    reasons = dict(con.execute("select reason, count(*) from link.unlinked group by 1 order by 1").fetchall())
    review_pairs = con.execute("select count(*) from link.review_queue").fetchone()[0]
    result = LinkResult(
        fiscal_year=fy,
        school_records=steps[0]["records_in"],
        linked=linked,
        review_pairs=int(review_pairs),
        review_pupils=len(review),
        unlinked={k: int(v) for k, v in reasons.items()},
        decisions_applied=applied,
        decisions_ignored=ignored,
        scored_pairs=int(scored),
        seconds={k: round(v, 3) for k, v in seconds.items()},
        step_summary=steps,
    )
    log.info("linkage: %s", result)
    return result
