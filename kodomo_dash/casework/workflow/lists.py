"""Accepting a screening run's list: where every child's trail starts.

A list is accepted once and never merged into, so what the funnel counts from never changes
silently; the run's own counts (cohort, per ward, after exclusions) are kept with it because the
funnel's first bars must come from the run, not be typed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

import duckdb

from kodomo_dash.casework.store import (
    AuditFn,
    CaseworkError,
    NotFoundError,
    actor_name,
    as_date,
    call_audit,
    no_audit,
    transaction,
    utcnow,
)
from kodomo_dash.casework.vocabulary import PATHS
from kodomo_dash.config.messages import msg


def accept_list(
    con: duckdb.DuckDBPyConnection,
    *,
    fy: int,
    run_id: str,
    method: str,
    path: str,
    members: Iterable[Mapping[str, Any]] | Any,
    actor: Any,
    accepted_on: date | str,
    cohort_size: int | None,
    eligible_size: int | None = None,
    cohort_label_ja: str | None = None,
    ward_cohort: Mapping[str, int] | None = None,
    screening_sheet_required: bool | None = None,
    list_id: str | None = None,
    note: str | None = None,
    programme: str | None = None,
    audit: AuditFn | None = no_audit,
) -> str:
    """Store a screening run's list as accepted by a manager: the start of every child's trail.

    cohort_size is how many children the run scored (Fukuoka: 1,327 unenrolled children aged 3-6);
    it is kept with the list because the funnel's first bar must come from the run, not be typed.
    eligible_size is the count left after the run's own exclusions when it reports one (Izumi: 6,500
    after excluding children already registered with 要対協). members: rows (dicts or a DataFrame)
    with resident_id and ward_code, optionally school_code, rank, score, selection_reason.
    Accepting the same list_id again is refused rather than merged, so a list never changes silently;
    so is a second list of the same programme (config/cities) in the same year: a year's funnel
    starts from one list per programme.
    """
    who = actor_name(actor)
    if path not in PATHS:
        raise CaseworkError(msg("wf.unknown_path", path=path))
    if hasattr(members, "to_dict"):
        members = members.to_dict("records")
    rows = [dict(m) for m in members]
    if not rows:
        raise CaseworkError(msg("wf.list_empty"))
    ids = [str(r["resident_id"]) for r in rows]
    if len(set(ids)) != len(ids):
        raise CaseworkError(msg("wf.list_duplicates"))
    if path == "school" and any(not r.get("school_code") for r in rows):
        raise CaseworkError(msg("wf.list_school_codes"))
    if cohort_size is not None and cohort_size < len(rows):
        raise CaseworkError(msg("wf.cohort_smaller", cohort=cohort_size, listed=len(rows)))
    list_id = list_id or f"{fy}-{method}-{run_id}"
    accepted = as_date(accepted_on)
    if screening_sheet_required is None:
        screening_sheet_required = path == "school"
    with transaction(con):
        if con.execute("select 1 from wf_list where list_id = ?", [list_id]).fetchone():
            raise CaseworkError(msg("wf.list_exists", list_id=list_id))
        same = con.execute(
            "select list_id, run_id, accepted_on, accepted_by from wf_list where programme = ? and fy = ?",
            [programme, fy],
        ).fetchone() if programme else None  # fmt: skip
        if same is not None:
            raise CaseworkError(msg("wf.programme_list_exists", fy=fy, run_id=same[1], date=same[2], by=same[3]))
        con.execute(
            "insert into wf_list (list_id, fy, run_id, method, path, screening_sheet_required, cohort_label_ja,"
            " cohort_size, eligible_size, list_size, accepted_on, accepted_at, accepted_by, note, programme)"
            " values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [list_id, fy, run_id, method, path, screening_sheet_required, cohort_label_ja, cohort_size,
             eligible_size, len(rows), accepted, utcnow(), who, note, programme],
        )  # fmt: skip
        con.executemany(
            "insert into wf_list_member (list_id, resident_id, ward_code, school_code, rank, score,"
            " selection_reason) values (?, ?, ?, ?, ?, ?, ?)",
            [[list_id, str(r["resident_id"]), _opt_str(r.get("ward_code")), _opt_str(r.get("school_code")),
              _opt_int(r.get("rank")), _opt_float(r.get("score")), _opt_str(r.get("selection_reason"))]
             for r in rows],
        )  # fmt: skip
        for ward_code, n in (ward_cohort or {}).items():
            con.execute(
                "insert into wf_list_ward (list_id, ward_code, cohort_size) values (?, ?, ?)",
                [list_id, str(ward_code), int(n)],
            )
        call_audit(
            audit,
            {"action": "form_save", "actor": who, "resident_id": None, "target": f"wf_list:{list_id}",
             "n_children": len(rows), "detail": {"op": "accept_list", "record": "wf_list", "fy": fy,
                                                 "method": method, "path": path, "programme": programme}},
            con=con,
        )  # fmt: skip
    return list_id


NO_AFFILIATION = "000000"  # a listed child with no school: the hearing goes to the nursery or the city


def accept_screening_run(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    *,
    fy: int,
    programme: str,
    actor: Any,
    role: str = "manager",
    accepted_on: date | str | None = None,
    audit: AuditFn | None = no_audit,
) -> str:
    """A manager's 確定: mark the screening run accepted and create the year's workflow list, together.

    One transaction does both, so there is never an accepted run without its list (the page used to
    say the list "enters the support flow" while no list existed). The list's path, cohort label
    and sheet rule come from the programme (config/cities); its cohort size, per-ward cohort and
    the count left after the run's own exclusions come from the run itself. A run accepted before
    this (status accepted, no list yet) is taken in as it is; a discarded run, a run of another
    method than the programme's, and a second list of the programme in the year are refused.
    Returns the list_id.
    """
    from kodomo_dash.config.cities import CityConfigError
    from kodomo_dash.config.cities import programme as programme_of
    from kodomo_dash.screening import runs
    from kodomo_dash.screening.errors import ScreeningError

    who = actor_name(actor)
    try:
        prog = programme_of(programme)
    except CityConfigError as exc:
        raise CaseworkError(getattr(exc, "message", str(exc))) from exc
    with transaction(con):
        row = con.execute(
            "select method, status, cohort_size, excluded_count, ward_cohort_json, as_of"
            " from screening_run where run_id = ?",
            [run_id],
        ).fetchone()
        if row is None:
            raise NotFoundError(msg("wf.run_not_found", run_id=run_id))
        method, status, cohort_size, excluded, ward_json, _as_of = row
        if method != prog.method:
            raise CaseworkError(msg("wf.run_method_differs", run_id=run_id, method=method, programme=prog.label_ja,
                                    programme_method=prog.method))  # fmt: skip
        listed = con.execute("select list_id from wf_list where run_id = ?", [run_id]).fetchone()
        if listed is not None:
            raise CaseworkError(msg("wf.run_already_listed", run_id=run_id, list_id=listed[0]))
        if status == "draft":
            try:
                runs.accept_run(con, run_id, who, role)
            except ScreeningError as exc:
                raise CaseworkError(getattr(exc, "message", str(exc))) from exc
        elif status != "accepted":
            raise CaseworkError(msg("wf.run_discarded", run_id=run_id))
        members = runs.workflow_members(con, run_id)
        if prog.path == "school":  # a preschooler on Beppu's list has no school
            members["school_code"] = members["school_code"].fillna(NO_AFFILIATION)
        return accept_list(
            con, fy=fy, run_id=run_id, method=method, path=prog.path, members=members, actor=who,
            accepted_on=accepted_on or date.today(), cohort_size=cohort_size,
            eligible_size=(cohort_size - excluded) if excluded else None, cohort_label_ja=prog.cohort_label_ja,
            ward_cohort={str(k): int(v) for k, v in json.loads(ward_json or "{}").items()},
            screening_sheet_required=prog.screening_sheet_required, programme=prog.key, audit=audit,
        )  # fmt: skip


def _missing(v: Any) -> bool:
    """None, NaN, pandas NA/NaT: what a list frame uses for "no value"."""
    if v is None:
        return True
    if isinstance(v, float):
        return v != v
    return type(v).__name__ in ("NAType", "NaTType")


def _opt_str(v: Any) -> str | None:
    return None if _missing(v) else str(v)


def _opt_int(v: Any) -> int | None:
    return None if _missing(v) else int(v)


def _opt_float(v: Any) -> float | None:
    return None if _missing(v) else float(v)
