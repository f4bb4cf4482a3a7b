"""Writing schema ``link``: links, the review queue, the unlinked, the step summary and the keys.

Its own module because these tables are the linkage's contract with the rest of the warehouse
(``core.student_link``, the review page, four-fact search, the build gate's link rate): every
school record ends in exactly one of ``link.student_link`` and ``link.unlinked``, and the step
summary is Amagasaki's 表 7-2. The decisions arrive as Python dicts from ``decide``, are uploaded
as work tables and joined with both sides in the SQL of ``sql/27 … 32``.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import duckdb
import pyarrow as pa

from kodomo_dash.warehouse.linkage.statements import statement
from kodomo_dash.warehouse.linkage.tables import put


def write_outputs(con, settings, links, review, unlinked, later) -> None:
    """``link.student_link``, ``link.review_queue`` and ``link.unlinked`` from ``decide``'s verdicts."""
    band = {"map": "auto_link", "exact": "auto_link", "probabilistic": "auto_link", "manual": "manual"}
    ls = sorted(links.items())
    put(
        con,
        "_kd_links",
        pa.table(
            {
                "student_no": pa.array([s for s, _ in ls], pa.string()),
                "resident_id": pa.array([v[0] for _, v in ls], pa.string()),
                "method": pa.array([v[1] for _, v in ls], pa.string()),
                "match_probability": pa.array([v[2] for _, v in ls], pa.float64()),
                "band": pa.array([band[v[1]] for _, v in ls], pa.string()),
            }
        ),
    )
    con.execute(statement("student_link"))

    # ---------- review queue: one row per candidate pair, both sides shown in full
    rows: dict[str, list] = defaultdict(list)
    for s, (reason, cs) in sorted(review.items()):
        shown = cs[: settings.max_review_candidates]
        for rank, c in enumerate(shown, start=1):
            rows["student_no"].append(s)
            rows["resident_id"].append(c.resident_id)
            rows["review_reason"].append(reason)
            rows["candidate_rank"].append(rank)
            rows["n_candidates"].append(len(cs))
            rows["decision"].append("later" if (s, c.resident_id) in later else None)
    put(
        con,
        "_kd_review",
        pa.table(
            {
                "student_no": pa.array(rows["student_no"], pa.string()),
                "resident_id": pa.array(rows["resident_id"], pa.string()),
                "review_reason": pa.array(rows["review_reason"], pa.string()),
                "candidate_rank": pa.array(rows["candidate_rank"], pa.int32()),
                "n_candidates": pa.array(rows["n_candidates"], pa.int32()),
                "decision": pa.array(rows["decision"], pa.string()),
            }
        ),
    )
    con.execute(statement("review_queue"), [settings.fiscal_year, settings.fiscal_year])

    # ---------- unlinked: every unique record not linked, plus the unusable ones
    us = sorted(unlinked.items())
    for s in sorted(review):
        us.append((s, ("in_review", review[s][1][0].resident_id if review[s][1] else None,
                       review[s][1][0].p if review[s][1] else None)))  # fmt: skip
    us.sort()
    put(
        con,
        "_kd_unlinked",
        pa.table(
            {
                "student_no": pa.array([s for s, _ in us], pa.string()),
                "reason": pa.array([v[0] for _, v in us], pa.string()),
                "best_resident_id": pa.array([v[1] for _, v in us], pa.string()),
                "best_probability": pa.array([v[2] for _, v in us], pa.float64()),
            }
        ),
    )
    con.execute(statement("unlinked"))


def step_summary(con: duckdb.DuckDBPyConnection, steps) -> list[dict[str, Any]]:
    """Amagasaki's 表 7-2 per step (records in, linked, failed, error rate) and the total.

    ``steps`` is ``link.STEPS``: (number, method, Japanese label) in the order the passes run.
    """
    total = con.execute(statement("school_records")).fetchone()[0]
    by_method = dict(con.execute("select method, count(*) from link.student_link group by 1").fetchall())
    in_review = con.execute("select count(*) from link.unlinked where reason = 'in_review'").fetchone()[0]
    rows = []
    remaining = total
    for no, step, step_ja in steps:
        linked = int(by_method.get(step, 0))
        failed = remaining - linked
        rows.append(
            {
                "step_no": no,
                "step": step,
                "step_ja": step_ja,
                "records_in": remaining,
                "linked": linked,
                "failed": failed,
                "error_rate": failed / remaining if remaining else 0.0,
                "in_review": in_review if step == "probabilistic" else 0,
            }
        )
        remaining = failed
    linked_all = total - remaining
    rows.append(
        {
            "step_no": 9,
            "step": "total",
            "step_ja": "合計（未突合率）",
            "records_in": total,
            "linked": linked_all,
            "failed": remaining,
            "error_rate": remaining / total if total else 0.0,
            "in_review": in_review,
        }
    )
    put(
        con,
        "link.step_summary",
        pa.table(
            {
                "step_no": pa.array([r["step_no"] for r in rows], pa.int32()),
                "step": pa.array([r["step"] for r in rows], pa.string()),
                "step_ja": pa.array([r["step_ja"] for r in rows], pa.string()),
                "records_in": pa.array([r["records_in"] for r in rows], pa.int64()),
                "linked": pa.array([r["linked"] for r in rows], pa.int64()),
                "failed": pa.array([r["failed"] for r in rows], pa.int64()),
                "error_rate": pa.array([r["error_rate"] for r in rows], pa.float64()),
                "in_review": pa.array([r["in_review"] for r in rows], pa.int64()),
            }
        ),
    )
    return rows


def write_keys(con: duckdb.DuckDBPyConnection) -> None:
    """The normalised keys stay in the warehouse for four-fact search and the review page."""
    con.execute(statement("link_pupil_key"))
    con.execute(statement("link_resident_key"))
