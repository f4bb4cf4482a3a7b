"""Reads and the one write of the 名寄せ review page (名寄せ確認).

The queue (``link.review_queue``) holds names, birth dates and addresses: it is read per
principal, through its unit of work's scope, and never cached. Decisions go to casework
(``linkage.decisions.record_decision``) with an audit row in the same transaction; the queue
shown leaves out pairs already decided there, so a decision disappears at once and the next
build re-applies it (``decisions_for_build``).
"""

from __future__ import annotations

import duckdb
import pandas as pd

from kodomo_dash.infra.db import casework_connection
from kodomo_dash.security.principal import Principal
from kodomo_dash.services.unit_of_work import unit_of_work
from kodomo_dash.warehouse.linkage.decisions import record_decision

__all__ = ["decided_pairs", "record_review_decision", "review_queue"]

PAGE = "linkage_review"

QUEUE_COLUMNS = (
    "review_id, student_no, resident_id, review_reason, candidate_rank, n_candidates, match_probability,"
    " lvl_name, lvl_birth, lvl_sex, lvl_address, lvl_guardian, lvl_arrival, is_exact, is_map, decision, resident_linked_to,"
    " s_name_kanji, s_name_kana, s_sex, s_birth_date, s_address_text, s_address_code, s_school_code, s_grade,"
    " s_class_name, s_guardian_name, s_arrival,"
    " r_name_kanji, r_name_kana, r_sex, r_birth_date, r_address_text, r_address_code, r_school_code, r_grade,"
    " r_guardian_name, r_arrival"
)


def decided_pairs() -> pd.DataFrame:
    """Decisions in force in casework: student_no, resident_id, decision, decided_at.

    Empty before casework exists or before migration 020.
    """
    cols = ["student_no", "resident_id", "decision", "decided_at"]
    try:
        with casework_connection() as con:
            return _decided(con)
    except duckdb.CatalogException:
        return pd.DataFrame(columns=cols)


def _decided(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.execute("select student_no, resident_id, decision, decided_at from link_decision_current").df()


def review_queue(principal: Principal) -> pd.DataFrame:
    """Candidate pairs still to decide, one row per pair, pupils in order, candidates by rank.

    A pair whose decision in force is ``link`` or ``not_same`` is left out, and so is every other
    candidate of a pupil already linked by a person. ``later`` stays, marked (``decision``) and
    sorted after the undecided pupils. Only the city's roles may open the page (authz_matrix); the
    rows still pass the principal's scope (the school side's school code; a ward-scoped role has no
    ward on this table and would see none), so a wider grant could never show more than the scope.
    """
    with unit_of_work(principal, PAGE, "view") as w:
        where, params = w.predicate(ward_col=None, school_col="s_school_code")
        df = w.analytics().execute(f"select {QUEUE_COLUMNS} from link.review_queue where {where}"  # noqa: S608 - built from code
                                   " order by student_no, candidate_rank", params).df()  # fmt: skip
        decided = _decided(w.con)  # casework is migrated when the unit opens it
    if len(decided) and len(df):
        final = decided[decided["decision"].isin(["link", "not_same"])]
        done = set(zip(final["student_no"], final["resident_id"], strict=True))
        linked_pupils = set(decided.loc[decided["decision"] == "link", "student_no"])
        keep = [
            (s, r) not in done and s not in linked_pupils
            for s, r in zip(df["student_no"], df["resident_id"], strict=True)
        ]
        df = df[keep]
        later = decided[decided["decision"] == "later"]
        later_pairs = set(zip(later["student_no"], later["resident_id"], strict=True))
        df = df.assign(
            decision=[
                "later" if (s, r) in later_pairs else d
                for s, r, d in zip(df["student_no"], df["resident_id"], df["decision"], strict=True)
            ]
        )
    if len(df):
        on_hold = df.groupby("student_no")["decision"].transform(lambda d: d.eq("later").all())
        df = (df.assign(_hold=on_hold.astype(bool))
              .sort_values(["_hold", "student_no", "candidate_rank"], kind="mergesort")
              .drop(columns="_hold"))
    return df.reset_index(drop=True)


def record_review_decision(
    principal: Principal,
    student_no: str,
    resident_id: str,
    decision: str,
    match_probability: float | None = None,
) -> int:
    """Save one decision in casework and audit it in the same connection; returns decision_id.

    Refuses (AccessDenied, audited) a principal without ``save`` on the page.
    """
    with unit_of_work(principal, PAGE, "save") as w:  # the decision and its audit row commit together
        decision_id = record_decision(
            w.con, str(student_no), str(resident_id), decision, principal.username,
            match_probability=None if match_probability is None or pd.isna(match_probability)
            else float(match_probability),
        )
        w.record("form_save", resident_id=str(resident_id), target=f"link_decision:{decision_id}",
                 detail={"decision": decision, "student_no": str(student_no)})  # fmt: skip
    return decision_id


def record_queue_view(principal: Principal, pupils: int) -> None:
    """Audit that the queue (names, birth dates, addresses of ``pupils`` pupils) was shown."""
    with unit_of_work(principal, PAGE, "view") as w:
        w.record("search", target="review_queue", n_children=int(pupils))
