"""Reads and saves for the push-support pages: funnel, forms, progress and worklist.

Everything here goes to casework (the file people's input lives in) through one
:func:`~kodomo_dash.services.unit_of_work.unit_of_work` per call, with the page the call serves
(the funnel, a form page, progress, the worklist): the matrix is asked there, and the viewer's ward
or school codes come from its scope, so a page can never ask for more than its viewer may see. Drill-downs, forms and worklists are about individual children and are never cached; the
funnel's counts per year, ward and stage are non-personal aggregates and are cached
(:func:`funnel_view`), keyed by the casework file and a fingerprint of the records they count.
Every save is audited through the unit's audit callback, in the save's own transaction (a refused
stale save is audited too).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb
import pandas as pd

from kodomo_dash.casework import form_store, forms, funnel, progress
from kodomo_dash.config.messages import msg
from kodomo_dash.config.units import unit_name
from kodomo_dash.infra.db import casework_path
from kodomo_dash.reports.funnel_adapter import casework_programmes, shape_for_programme
from kodomo_dash.security.principal import Principal
from kodomo_dash.services import aggregate_cache
from kodomo_dash.services.errors import OutOfScope
from kodomo_dash.services.unit_of_work import Work, casework, unit_of_work

ALL = "all"
DRILLDOWN_STAGES = funnel.DRILLDOWN_STAGES
FUNNEL = "funnel"
PROGRESS = "progress"
WORKLIST = "worklist"
# The page of each form type: a form is read and saved under its own page's rights.
FORM_PAGES = {"conference_sheet": "forms_conference", "home_visit_record": "forms_home_visit",
              "school_screening_sheet": "forms_school_sheet", "ssw_hearing_sheet": "forms_ssw_sheet"}  # fmt: skip


# ---------------------------------------------------------------------------------------------
# whether casework has begun
# ---------------------------------------------------------------------------------------------


def has_casework() -> bool:
    """True when at least one list has been accepted (otherwise pages show how to start)."""
    if not casework_path().exists():
        return False
    with casework() as con:
        return bool(con.execute("select count(*) from wf_list").fetchone()[0])


def ward_name(code: str) -> str:
    if code == ALL:
        return "全区"
    return unit_name(code)


# ---------------------------------------------------------------------------------------------
# funnel
# ---------------------------------------------------------------------------------------------


def funnel_fiscal_years(principal: Principal) -> list[int]:
    with unit_of_work(principal, FUNNEL, "view") as w:
        return [int(r[0]) for r in w.con.execute("select distinct fy from wf_list order by fy desc").fetchall()]


def funnel_paths(fy: int) -> list[str]:
    with casework() as con:
        return [r[0] for r in con.execute("select distinct path from wf_list where fy = ? order by path", [fy]).fetchall()]


def funnel_programmes(fy: int, path: str) -> dict[str, str]:
    """Programme → its city and label, of the year's lists on one path (Izumi and Beppu share the school path).

    The same filter as `kodomo report funnel --scenario` (a scenario is its city's programme).
    """
    with casework() as con:
        found = [f for f in casework_programmes(con) if f.fy == fy and f.path == path]
    return {f.programme: shape_for_programme(f.programme, f.path, screening_sheet_required=f.screening_sheet_required).city
            for f in found if f.programme}


def ward_options(principal: Principal) -> list[str]:
    """Wards the viewer may pick: 'all' (city) for city-wide roles, then every ward in their scope."""
    with unit_of_work(principal, FUNNEL, "view") as w:
        return _ward_options(w)


def _ward_options(w: Work) -> list[str]:
    scope = w.scope
    codes = [
        r[0]
        for r in w.con.execute(
            "select distinct ward_code from wf_list_member where ward_code is not null order by ward_code"
        ).fetchall()
    ]
    if scope.ward_codes is not None and scope.persons:
        return [c for c in codes if c in scope.ward_codes] or list(scope.ward_codes)
    if scope.school_codes is not None and scope.persons:
        return []
    return [ALL, *codes] if scope.persons else [ALL]


def _check_ward(w: Work, ward_code: str) -> None:
    if ward_code not in _ward_options(w):
        raise OutOfScope(msg("scope.ward", ward_code=ward_code))


@dataclass(frozen=True)
class FunnelView:
    """Everything the funnel page shows for one year, ward and path (aggregates only)."""

    bars: pd.DataFrame  # funnel_bars
    conversion: pd.DataFrame  # funnel_conversion
    exclusions: pd.DataFrame  # funnel_exclusions
    durations: pd.DataFrame  # stage_durations
    years: pd.DataFrame  # funnel_year_comparison


def casework_fingerprint(con: duckdb.DuckDBPyConnection) -> tuple:
    """What the funnel views count, in a few numbers: it changes whenever a count can change.

    The funnel views read only wf_list, wf_list_ward, wf_list_member and wf_event (plus label
    tables written by migrations). Lists and members are only inserted, events are append-only
    (a correction is a new event superseding the old), so row counts and the highest event id
    change on every write that can move a count. The file and today's date are part of it too.
    """
    row = con.execute(
        "select (select count(*) from wf_list), (select count(*) from wf_list_ward),"
        " (select count(*) from wf_list_member), (select count(*) from wf_event), (select max(event_id) from wf_event)"
    ).fetchone()
    return (str(casework_path()), date.today().isoformat(), *[int(v or 0) for v in row])


def funnel_view(fy: int, ward_code: str, principal: Principal, path: str = "ward",
                programme: str | None = None) -> FunnelView:
    """The funnel page's aggregates in one call: scope checked here, counts cached across users.

    The views are recomputed over all casework on every read (several hundred ms each at city
    scale), so the aggregates of one (fy, ward, path) are cached, keyed by
    :func:`casework_fingerprint` — never anything about a child. The scope check runs on every
    call, before the cache.
    """
    with unit_of_work(principal, FUNNEL, "view") as w:
        _check_ward(w, ward_code)
        fingerprint = casework_fingerprint(w.con)
        return _funnel_view_cached(fingerprint, fy, ward_code, path, programme)


@aggregate_cache
def _funnel_view_cached(fingerprint: tuple, fy: int, ward_code: str, path: str, programme: str | None) -> FunnelView:
    with casework() as con:
        counts = _of_programme(funnel.funnel_counts(con, fy=None, path=path, ward_code=ward_code), programme)
        conv = funnel.funnel_conversion(con, fy=fy, ward_code=ward_code)
        excl = funnel.funnel_exclusions(con, fy=fy, ward_code=ward_code)
        durations = funnel.stage_durations(con, fy=fy, ward_code=ward_code)
    return FunnelView(
        bars=_bars_from_counts(counts[counts["fy"] == fy]),
        conversion=_conversion(conv, path, programme),
        exclusions=_exclusions(excl, path, programme),
        durations=_of_programme(durations[durations["path"] == path], programme)[
            ["label_ja", "n", "median_days", "p90_days", "max_days"]
        ],
        years=_years_from_counts(counts),
    )


_BAR_COLUMNS = ["stage", "sort_no", "kind", "parent_stage", "label_ja", "report_ref", "n"]


def _bars_from_counts(counts: pd.DataFrame) -> pd.DataFrame:
    """funnel_bars from funnel_counts rows of one year, path and ward (methods summed)."""
    if counts.empty:
        return pd.DataFrame(columns=_BAR_COLUMNS)
    out = counts.groupby("stage", as_index=False).agg(
        sort_no=("sort_no", "min"), kind=("kind", "min"), parent_stage=("parent_stage", "min"),
        label_ja=("label_ja", "min"), report_ref=("report_ref", "min"), n=("n", "sum"),
    )  # fmt: skip
    out["n"] = out["n"].astype("int64")
    return out.sort_values("sort_no").reset_index(drop=True)[_BAR_COLUMNS]


def _years_from_counts(counts: pd.DataFrame) -> pd.DataFrame:
    """The year comparison (funnel.funnel_years) from funnel_counts rows of one path and ward."""
    main = counts[counts["kind"] == "main"]
    if main.empty:
        return pd.DataFrame()
    frame = main.groupby(["fy", "sort_no", "stage", "label_ja"], as_index=False)["n"].sum()
    frame["fy"] = frame["fy"].astype(int)
    return frame.pivot_table(index=["sort_no", "stage", "label_ja"], columns="fy", values="n").reset_index()


def _conversion(frame: pd.DataFrame, path: str, programme: str | None = None) -> pd.DataFrame:
    frame = _of_programme(frame[frame["path"] == path], programme)
    out = frame.groupby(["sort_no", "from_stage", "to_stage", "to_label_ja"], as_index=False)[["from_n", "to_n"]].sum()
    out["rate"] = (out["to_n"] / out["from_n"].where(out["from_n"] > 0)).round(4)
    return out


def _exclusions(frame: pd.DataFrame, path: str, programme: str | None = None) -> pd.DataFrame:
    frame = _of_programme(frame[frame["path"] == path], programme)
    cols = ["stage", "stage_label_ja", "department_label_ja", "reason_label_ja"]
    return frame.fillna({"department_label_ja": "", "reason_label_ja": "理由なし"}).groupby(
        cols, as_index=False, sort=False
    )["n"].sum()


def funnel_bars(fy: int, ward_code: str, principal: Principal, path: str = "ward",
                programme: str | None = None) -> pd.DataFrame:  # fmt: skip
    """Bars and branches of one year (methods summed unless one is given): stage, kind, parent_stage,
    label_ja, report_ref, n."""
    with unit_of_work(principal, FUNNEL, "view") as w:
        _check_ward(w, ward_code)
        return w.con.execute(
            "select stage, min(sort_no) as sort_no, min(kind) as kind, min(parent_stage) as parent_stage,"
            " min(label_ja) as label_ja, min(report_ref) as report_ref, sum(n)::bigint as n"
            " from funnel_counts where fy = ? and path = ? and ward_code = ? and (?::varchar is null or programme = ?)"
            " group by stage order by sort_no",
            [fy, path, ward_code, programme, programme],
        ).df()


def funnel_conversion(fy: int, ward_code: str, principal: Principal, path: str = "ward",
                      programme: str | None = None) -> pd.DataFrame:  # fmt: skip
    """Conversion between consecutive main bars: from_stage, to_stage, to_label_ja, from_n, to_n, rate."""
    with unit_of_work(principal, FUNNEL, "view") as w:
        _check_ward(w, ward_code)
        return _conversion(funnel.funnel_conversion(w.con, fy=fy, ward_code=ward_code), path, programme)


def _of_programme(frame: pd.DataFrame, programme: str | None) -> pd.DataFrame:
    return frame if programme is None else frame[frame["programme"] == programme]


def funnel_exclusions(fy: int, ward_code: str, principal: Principal, path: str = "ward",
                      programme: str | None = None) -> pd.DataFrame:  # fmt: skip
    with unit_of_work(principal, FUNNEL, "view") as w:
        _check_ward(w, ward_code)
        return _exclusions(funnel.funnel_exclusions(w.con, fy=fy, ward_code=ward_code), path, programme)


def stage_durations(fy: int, ward_code: str, principal: Principal, path: str = "ward",
                    programme: str | None = None) -> pd.DataFrame:  # fmt: skip
    with unit_of_work(principal, FUNNEL, "view") as w:
        _check_ward(w, ward_code)
        frame = funnel.stage_durations(w.con, fy=fy, ward_code=ward_code)
    return _of_programme(frame[frame["path"] == path], programme)[["label_ja", "n", "median_days", "p90_days", "max_days"]]


def funnel_year_comparison(ward_code: str, principal: Principal, path: str = "ward",
                           programme: str | None = None) -> pd.DataFrame:  # fmt: skip
    with unit_of_work(principal, FUNNEL, "view") as w:
        _check_ward(w, ward_code)
        return funnel.funnel_years(w.con, path=path, ward_code=ward_code, programme=programme)


def pending_contacts(fy: int, ward_code: str, principal: Principal) -> pd.DataFrame:
    """Children approached and not yet reached, longest waiting first, within the viewer's wards."""
    with unit_of_work(principal, FUNNEL, "view") as w:
        scope = w.require_persons()
        _check_ward(w, ward_code)
        wards = scope.wards if ward_code == ALL else [ward_code]
        frame = funnel.contacts_pending(w.con, fy=fy, ward_codes=wards)
    return frame[["resident_id", "ward_code", "assigned_staff", "approach_on", "attempts", "last_attempt_on",
                  "last_attempt_result", "days_since_approach"]]  # fmt: skip


def funnel_children(fy: int, stage: str, ward_code: str, principal: Principal,
                    programme: str | None = None) -> pd.DataFrame:  # fmt: skip
    """The children behind one bar (drill-down), never outside the viewer's wards or schools."""
    with unit_of_work(principal, FUNNEL, "view") as w:
        scope = w.require_persons()
        _check_ward(w, ward_code)
        wards = scope.wards if ward_code == ALL else [ward_code]
        return funnel.funnel_children(w.con, fy, stage, programme=programme, ward_codes=wards, school_codes=scope.schools)


def funnel_report(fy: int, ward_code: str, principal: Principal) -> dict[str, Any]:
    with unit_of_work(principal, FUNNEL, "view") as w:
        _check_ward(w, ward_code)
        return funnel.funnel_report(fy, con=w.con, ward_code=ward_code)


# ---------------------------------------------------------------------------------------------
# forms
# ---------------------------------------------------------------------------------------------


def form_definition(form_type: str) -> forms.FormDefinition:
    return forms.get_definition(form_type)


def form_definitions() -> dict[str, forms.FormDefinition]:
    """Every form type the city uses, by key (the progress screen's titles)."""
    return forms.load_definitions()


def forms_in_scope(form_type: str, principal: Principal, *, mine_only: bool = False) -> list[form_store.FormRecord]:
    with unit_of_work(principal, _form_page(form_type), "view") as w:
        if not w.scope.persons:
            return []
        return form_store.list_forms(
            w.con,
            form_type=form_type,
            school_codes=w.scope.schools,
            ward_codes=w.scope.wards,
            assignee=principal.username if mine_only else None,
        )


def _form_page(form_type: str) -> str:
    """The page whose rights govern a form type; an unknown type names no page and is refused."""
    return FORM_PAGES.get(form_type, f"form:{form_type}")


def load_form(form_id: str, principal: Principal, page: str) -> form_store.FormRecord:
    """The form as saved now, read under the rights of the page showing it (its own type's page)."""
    with unit_of_work(principal, page, "view") as w:
        rec = form_store.get_form(w.con, form_id)
        _check_form(w, rec)
        return rec


def _check_form(w: Work, rec: form_store.FormRecord) -> None:
    """Refuse a form of another page's type, or one outside the principal's wards or schools.

    The page's rights cover its own form type only: a teacher saving through the school-sheet page
    may not open or save the SSW's hearing sheet of the same child.
    """
    scope = w.scope
    ok = (
        _form_page(rec.form_type) == w.page
        and scope.persons
        and (scope.ward_codes is None or rec.ward_code in scope.ward_codes)
        and (scope.school_codes is None or rec.school_code in scope.school_codes)
    )
    if not ok:
        raise OutOfScope(msg("scope.form"))


def candidates_for_new_form(form_type: str, principal: Principal) -> pd.DataFrame:
    """Children for whom a new sheet may be started: list_id, resident_id, ward_code.

    Conference sheets: children past secondary screening with no conference sheet yet. Home-visit
    records: children whose approach has started. School and SSW sheets are requested by the city,
    so none are started here. Asked under the page's save right: the list exists to start a sheet.
    """
    empty = pd.DataFrame(columns=["list_id", "resident_id", "ward_code"])
    with unit_of_work(principal, _form_page(form_type), "save") as w:
        stage = {"conference_sheet": "secondary_passed", "home_visit_record": "approached"}.get(form_type)
        if stage is None or not w.scope.persons:
            return empty
        con = w.con
        fys = [r[0] for r in con.execute("select distinct fy from wf_list where path = 'ward'").fetchall()]
        frames = [funnel.funnel_children(con, fy, stage, ward_codes=w.scope.wards) for fy in fys]
        if not frames:
            return empty
        frame = pd.concat(frames, ignore_index=True)[["list_id", "resident_id", "ward_code"]]
        if form_type == "conference_sheet":  # one conference sheet per child and list; home visits are many
            have = con.execute(
                "select distinct list_id, resident_id from form_record where form_type = ?", [form_type]
            ).fetchdf()
            frame = frame.merge(have.assign(_have=True), on=["list_id", "resident_id"], how="left")
            frame = frame[frame["_have"].isna()].drop(columns="_have")
    return frame.reset_index(drop=True)


def start_form(form_type: str, list_id: str, resident_id: str, principal: Principal, page: str,
               client_token: str | None = None) -> form_store.FormRecord:  # fmt: skip
    with unit_of_work(principal, page, "save") as w:
        if _form_page(form_type) != page:
            raise OutOfScope(msg("scope.form_here"))
        member = w.con.execute(
            "select ward_code, school_code from wf_list_member where list_id = ? and resident_id = ?",
            [list_id, resident_id],
        ).fetchone()
        if member is None:
            raise OutOfScope(msg("scope.child_not_on_list"))
        scope = w.scope
        if (scope.ward_codes is not None and member[0] not in scope.ward_codes) or (
            scope.school_codes is not None and member[1] not in scope.school_codes
        ):
            raise OutOfScope(msg("scope.child"))
        return form_store.request_form(
            w.con, form_type, list_id, resident_id, actor=principal, assignee=principal.username,
            client_token=client_token or uuid.uuid4().hex, audit=w.audit,
        )  # fmt: skip


def save_form(
    form_id: str,
    data: Mapping[str, Any],
    *,
    expected_version: int,
    principal: Principal,
    page: str,
    submit: bool,
    submit_token: str | None = None,
    today: date | None = None,
) -> form_store.SaveResult:
    """Save a draft or submit; raises FormValidationError / StaleVersionError / CaseworkError (Japanese).

    Returns only after the casework COMMIT (and the audit row) — the page says 「保存しました」 after this.
    """
    with unit_of_work(principal, page, "save", library_tx=True) as w:  # a stale save's refusal row is kept
        rec = form_store.get_form(w.con, form_id)
        _check_form(w, rec)
        if submit:
            return form_store.submit_form(
                w.con, form_id, data, expected_version=expected_version, actor=principal,
                submit_token=submit_token, audit=w.audit, today=today,
            )  # fmt: skip
        return form_store.save_draft(w.con, form_id, data, expected_version=expected_version, actor=principal,
                                     audit=w.audit)  # fmt: skip


# ---------------------------------------------------------------------------------------------
# progress and worklist
# ---------------------------------------------------------------------------------------------


def form_progress(principal: Principal, by: str, form_type: str | None = None) -> pd.DataFrame:
    """Requested / draft / submitted per school or ward, within the viewer's scope."""
    with unit_of_work(principal, PROGRESS, "view") as w:
        if not w.scope.persons:
            return pd.DataFrame(columns=["group_code", "form_type", "requested", "draft", "submitted", "total",
                                         "overdue", "submitted_pct", "last_updated_at"])  # fmt: skip
        return progress.form_progress(
            w.con, by=by, form_type=form_type, school_codes=w.scope.schools, ward_codes=w.scope.wards
        )


def worklist(principal: Principal, departments: tuple[str, ...] = ()) -> pd.DataFrame:
    with unit_of_work(principal, WORKLIST, "view") as w:
        return progress.worklist(
            w.con, principal.username, departments=departments, ward_codes=w.scope.wards,
            school_codes=w.scope.schools,
        )  # fmt: skip
