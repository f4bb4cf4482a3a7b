"""Accuracy of 名寄せ against a synthetic truth file (``kodomo link-eval`` / ``kodomo bench``).

The truth file has one row per school record: ``student_no, resident_id_true, noise_kinds``,
``resident_id_true`` empty for pupils who are not in the registry (graduates, out of city).
Only *automatic* links (対応表, exact, probabilistic) are judged: the goal is that the
automatic step alone is right (precision) and leaves few linkable records behind.
"""

from __future__ import annotations

from contextlib import closing
from pathlib import Path
from typing import Any

import duckdb

__all__ = ["evaluate", "evaluate_current_build"]

_AUTO = ("map", "exact", "probabilistic")


def evaluate(con: duckdb.DuckDBPyConnection, truth_csv_path: str | Path) -> dict[str, Any]:
    """Precision/recall of automatic links, review-queue size and unlinked rate, overall and by noise kind.

    * ``link_precision`` — correct automatic links / automatic links (a link for a pupil who is
      not in the registry counts as wrong).
    * ``link_recall`` — correct automatic links / linkable records.
    * ``link_unlinked_rate`` — linkable records without an automatic link (in review or not) /
      linkable records: Fukuoka's 0.28% is the bar.
    * ``link_review_queue`` — candidate pairs in ``link.review_queue``; ``review_pupils`` the
      school records they belong to; ``review_has_truth`` how many of those have the true child
      among their candidates.
    * ``by_noise`` — the same counts per noise kind (a record with two kinds counts in both).
    """
    con.execute(
        "create or replace temp table _link_truth as"
        " select student_no, any_value(nullif(trim(resident_id_true), '')) as resident_id_true,"
        " string_agg(distinct coalesce(nullif(trim(noise_kinds), ''), 'clean'), ';') as noise_kinds"
        " from read_csv(?, all_varchar = true, header = true) group by student_no",
        [str(truth_csv_path)],
    )
    con.execute(
        """
        create or replace temp table _link_judged as
        select t.student_no, t.resident_id_true, t.noise_kinds,
               l.resident_id as linked_to, l.method,
               l.method in ('map', 'exact', 'probabilistic') as auto,
               u.reason as unlinked_reason,
               exists (select 1 from link.review_queue q where q.student_no = t.student_no
                       and q.resident_id = t.resident_id_true) as truth_in_queue
        from _link_truth t
        left join link.student_link l using (student_no)
        left join (select student_no, any_value(reason) as reason from link.unlinked
                   where student_no is not null group by 1) u using (student_no)
        """
    )
    (
        n,
        linkable,
        auto_links,
        correct,
        wrong_nonlinkable,
        review_pupils,
        review_has_truth,
        unlinked_linkable,
    ) = con.execute(
        """
            select count(*),
                   count(resident_id_true),
                   count(*) filter (where auto),
                   count(*) filter (where auto and linked_to = resident_id_true),
                   count(*) filter (where auto and resident_id_true is null),
                   count(*) filter (where unlinked_reason = 'in_review'),
                   count(*) filter (where unlinked_reason = 'in_review' and truth_in_queue),
                   count(*) filter (where resident_id_true is not null and not coalesce(auto, false))
            from _link_judged
            """
    ).fetchone()
    queue = con.execute("select count(*) from link.review_queue").fetchone()[0]
    by_noise: dict[str, dict[str, int]] = {}
    for kind, total, lk, ok, bad, rev, unl in con.execute(
        """
        select kind, count(*), count(resident_id_true),
               count(*) filter (where auto and linked_to = resident_id_true),
               count(*) filter (where auto and linked_to is distinct from resident_id_true),
               count(*) filter (where unlinked_reason = 'in_review'),
               count(*) filter (where linked_to is null and unlinked_reason is distinct from 'in_review')
        from (select *, unnest(string_split(noise_kinds, ';')) as kind from _link_judged)
        group by kind order by kind
        """
    ).fetchall():
        by_noise[kind] = {
            "records": total,
            "linkable": lk,
            "auto_correct": ok,
            "auto_wrong": bad,
            "in_review": rev,
            "unlinked": unl,
        }
    wrong_examples = [
        dict(zip(("student_no", "resident_id_true", "linked_to", "method", "noise_kinds"), r, strict=True))
        for r in con.execute(
            "select student_no, resident_id_true, linked_to, method, noise_kinds from _link_judged"
            " where auto and linked_to is distinct from resident_id_true order by student_no limit 20"
        ).fetchall()
    ]
    con.execute("drop table if exists _link_truth")
    con.execute("drop table if exists _link_judged")
    return {
        "records": n,
        "linkable": linkable,
        "auto_links": auto_links,
        "auto_correct": correct,
        "auto_wrong": auto_links - correct,
        "auto_wrong_not_in_registry": wrong_nonlinkable,
        "link_precision": correct / auto_links if auto_links else 1.0,
        "link_recall": correct / linkable if linkable else 1.0,
        "link_unlinked_rate": unlinked_linkable / linkable if linkable else 0.0,
        "link_review_queue": queue,
        "review_pupils": review_pupils,
        "review_has_truth": review_has_truth,
        "by_noise": by_noise,
        "wrong_examples": wrong_examples,
    }


def evaluate_current_build(truth_csv_path: str | Path) -> dict[str, Any]:
    """:func:`evaluate` on the build being served (``kodomo link-eval``), on a cursor of its own."""
    from kodomo_dash.infra.db import analytics_cursor

    with closing(analytics_cursor()) as cur:
        return evaluate(cur, truth_csv_path)
