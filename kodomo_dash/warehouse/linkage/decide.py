"""Resolution: what the 対応表 settles, which decisions are in force, and the verdict per pupil.

Its own module because these are the rules people read and argue about (decision 020: bands and
forced review): a link with its method, a review with its reason and candidates, or a reason for
leaving a pupil unlinked. The rules are plain Python over rows the SQL in ``sql/14 … 17`` and
``sql/21 … 26`` hands over, sorted, so they read like the decision record.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import duckdb

from kodomo_dash.warehouse.linkage.decisions import Decision
from kodomo_dash.warehouse.linkage.model import LinkSettings
from kodomo_dash.warehouse.linkage.statements import statement


@dataclass(frozen=True)
class Candidate:
    """One registry child for one pupil, as the rules see it."""

    resident_id: str
    p: float
    w: float
    is_exact: bool
    is_map: bool
    twin_like: bool


def map_and_decisions(con: duckdb.DuckDBPyConnection, decisions: list[Decision]):
    """Split the 対応表 into clean pairs (in SQL) and conflicts; sort the decisions in force."""
    con.execute(statement("map_clean"))
    # everyone the 対応表 did not settle goes on to the exact and the probabilistic pass
    con.execute(statement("pupil_rest"))
    map_conflict = {r[0] for r in con.execute(statement("map_conflict")).fetchall()}

    # ---------- manual decisions in force (oldest first, so the latest 'link' of a pupil wins)
    known = set(con.execute(statement("decisions_known")).fetchall())
    manual_link: dict[str, str] = {}
    later: set[tuple[str, str]] = set()
    applied = ignored = 0
    for d in decisions:
        if (d.student_no, d.resident_id) not in known:
            ignored += 1  # the school record or the registry child is gone
            continue
        applied += 1
        if d.decision == "link":
            manual_link[d.student_no] = d.resident_id
        elif d.decision == "later":
            later.add((d.student_no, d.resident_id))
    return map_conflict, manual_link, later, applied, ignored


def decide(con, settings: LinkSettings, map_conflict, manual_link):
    """Per pupil the 対応表 did not settle: a link, a review (reason + candidates) or a reason.

    Plain Python over sorted rows: the rules read like the issue, and the ten thousand or so
    pupils left after the 対応表 at city scale take well under a second.
    """
    # Registry children sharing loose kana and birth date with another child: id → the others.
    namesakes: dict[str, set[str]] = defaultdict(set)
    for members in con.execute(statement("namesakes")).fetchall():
        for rid in members[0]:
            namesakes[rid] = set(members[0]) - {rid}
    declined: dict[str, set[str]] = defaultdict(set)
    for s, r in con.execute(statement("declined")).fetchall():
        declined[s].add(r)
    twin_like = set(namesakes)
    cands: dict[str, list[Candidate]] = defaultdict(list)
    for s, r, p, w, ex, mp in con.execute(statement("candidates")).fetchall():
        cands[s].append(Candidate(r, float(p), float(w), bool(ex), bool(mp), r in twin_like))
    probs = {(s, c.resident_id): c.p for s, cs in cands.items() for c in cs}
    nearest = {s: (r, float(p)) for s, r, p in con.execute(statement("nearest")).fetchall()}

    pupils = [r[0] for r in con.execute(statement("pupils_left")).fetchall()]
    links: dict[str, tuple[str, str, float | None]] = {
        s: (r, "manual", probs.get((s, r))) for s, r in sorted(manual_link.items())
    }
    review: dict[str, tuple[str, list[Candidate]]] = {}
    unlinked: dict[str, tuple[str, str | None, float | None]] = {}

    def close_namesakes(s: str, best: Candidate, cs: list[Candidate]) -> bool:
        """Whether a namesake of the best child still makes this pupil ambiguous.

        A namesake a person already declined for this pupil does not. Nor does one the other
        facts set far apart (``namesake_margin_bits``, decision 063): the margin is more than a
        matching address alone gives, so it takes the address and the guardian or the arrival
        date too. A namesake the model did not keep as a candidate is further still.
        """
        weights = {c.resident_id: c.w for c in cs}
        return any(
            n in weights and best.w - weights[n] < settings.namesake_margin_bits
            for n in namesakes[best.resident_id] - declined.get(s, set())
        )

    def plausible(cs: list[Candidate]) -> list[Candidate]:
        return [c for c in cs if c.is_exact or c.is_map or c.p >= settings.review_threshold]

    for s in pupils:
        cs = cands.get(s, [])
        if s in manual_link:
            continue
        if s in map_conflict:
            review[s] = ("map_conflict", plausible(cs))
            continue
        if not cs:
            if s in nearest:
                unlinked[s] = ("rejected", *nearest[s])
            else:
                unlinked[s] = ("rejected" if declined.get(s) else "no_candidate", None, None)
            continue
        exact = [c for c in cs if c.is_exact]
        best = exact[0] if exact else cs[0]
        method = "exact" if exact else "probabilistic"
        if not exact and best.p < settings.review_threshold:
            unlinked[s] = ("rejected", best.resident_id, best.p)
            continue
        rivals = [
            c
            for c in plausible(cs)
            if c is not best
            and (
                c.is_exact or (c.p >= settings.review_threshold and best.w - c.w < settings.rival_margin_bits)
            )
        ]
        if rivals:
            review[s] = ("multiple_candidates", plausible(cs))
        elif settings.review_namesakes and best.twin_like and close_namesakes(s, best, cs):
            review[s] = ("same_name_birth_date", plausible(cs))
        elif not exact and best.p < settings.auto_threshold:
            review[s] = ("probability_band", plausible(cs))
        else:
            links[s] = (best.resident_id, method, best.p)

    # ---------- one child, two school records: automatic claims give way to review
    claims: dict[str, list[str]] = defaultdict(list)
    for s, r in con.execute(statement("map_claims")).fetchall():
        if s not in manual_link:
            claims[r].append(s)
    for s, (r, _method, _p) in links.items():
        claims[r].append(s)
    for _r, ss in sorted(claims.items()):
        if len(ss) < 2:
            continue
        for s in ss:
            if s in links and links[s][1] in ("exact", "probabilistic"):
                del links[s]
                review[s] = ("child_claimed_twice", plausible(cands.get(s, [])))
    return links, review, unlinked
