"""Reads for the evaluation pages: outcome indicators and the year-end deck, as safe aggregates.

Everything here is an aggregate over casework, adapted to the published shape by
``reports.funnel_adapter`` and protected by ``reports.suppression`` (counts 1–9 and the cells
that would give them away are 「秘匿」; the published top-line totals are exempt by name). No
function here returns a row about a child, and evaluators see exactly what an export holds.
Exports go through ``reports.export`` with an audit hook writing ``security.audit.record``.

The year-end deck has one road: :func:`outcome_inputs` → :func:`deck_for_year` →
:func:`export_deck`. The presentation page takes it for the signed-in principal (bytes to
download, :func:`deck_bytes`); ``kodomo report deck`` takes it as the shell account (a file), so
the deck shown at the meeting and the deck a city files cannot drift apart.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from kodomo_dash.casework import funnel, visit_plan
from kodomo_dash.config.units import CITY_UNITS, FUKUOKA_WARDS
from kodomo_dash.reports import evaluation, export
from kodomo_dash.reports.deck import Deck, year_end_deck
from kodomo_dash.reports.funnel_adapter import casework_programmes, funnel_data, shape_for_programme
from kodomo_dash.reports.indicators import FunnelData, ReportContext, build_tables, year_pair
from kodomo_dash.reports.shapes import ProgrammeShape
from kodomo_dash.reports.suppression import NDB_POLICY, PUBLISHED_TOP_LINE, TOTAL, SuppressionPolicy
from kodomo_dash.reports.tables import ReportTable, is_hidden
from kodomo_dash.security import audit as auth_audit
from kodomo_dash.security.principal import Principal
from kodomo_dash.services import aggregate_cache
from kodomo_dash.services.unit_of_work import casework, unit_of_work
from kodomo_dash.services.workflow import casework_fingerprint, has_casework

__all__ = ["DECK_FORMATS", "TOTAL", "OutcomeInputs", "SafeFunnel", "deck_bytes", "deck_for_year", "export_deck",
           "funnel_report", "has_casework", "outcome_inputs", "outcome_tables", "programme_options",
           "render_funnel_report", "safe_funnel", "save_visit_plan", "visit_plan_wards"]  # fmt: skip

# The tables of the outcomes page, in the order of the report, then the evaluation helpers
# (conversion with confidence intervals, contacted vs still pending per ward, last year beside this
# year, visits planned vs made).
PAGE_TABLES = ("indicators", "funnel", "support_acts", "exclusions", "funnel_by_unit", "outcomes_by_unit",
               "acts_by_unit", "conversion", "contact_comparison", "year_over_year", "capacity")  # fmt: skip


@dataclass
class OutcomeInputs:
    years: list[int]
    path: str
    shape: ProgrammeShape
    data: FunnelData
    programme: str | None = None
    fingerprint: tuple = ()  # casework state the inputs were read from (cache key of the tables)


def programme_options() -> dict[str, str]:
    """Programme → city of every programme in casework (the ward path first).

    The programme each list was accepted under (config/cities), never its screening method, so two
    programmes that screen the same way stay apart; `kodomo report funnel --scenario` filters on the
    same key: page and CLI agree.
    """
    with casework() as con:
        found = casework_programmes(con)
    out: dict[str, str] = {}
    for f in found:
        if f.programme:
            out.setdefault(f.programme, shape_for_programme(f.programme, f.path,
                                                            screening_sheet_required=f.screening_sheet_required).city)
    return out


def outcome_inputs(principal: Principal | str, programme: str | None = None, *,
                   page: str = "outcomes") -> OutcomeInputs:  # fmt: skip
    """Every year of one programme as protected-report input: its own shape (図表 7-3 for Fukuoka,
    the school path's stages for Izumi and Beppu). Default: the ward path when there is one.

    A programme named but absent from casework gives that programme's shape with no figures (a
    deck asked for by ``--scenario`` before its lists exist says データなし, not another city's
    figures). ``principal`` is the signed-in user, read under the view right of ``page`` (the
    outcomes page, or the presentation page), or the shell account's name for the command line:
    the shell has no role in the matrix, and whoever runs it can open the casework file anyway.

    Counts only (no child), cached across users keyed by the casework fingerprint, so a page
    run does not recount the views when nothing has been recorded since.
    """
    if isinstance(principal, str):
        with casework() as con:
            return _outcome_inputs_cached(casework_fingerprint(con), programme)
    with unit_of_work(principal, page, "view") as w:
        return _outcome_inputs_cached(casework_fingerprint(w.con), programme)


@aggregate_cache
def _outcome_inputs_cached(fingerprint: tuple, programme: str | None) -> OutcomeInputs:
    with casework() as con:
        found = casework_programmes(con)
        if programme is None:
            ward = [f.programme for f in found if f.path == "ward"]
            programme = ward[0] if ward else (found[0].programme if found else None)
        mine = [f for f in found if f.programme == programme]
        path = mine[0].path if mine else "ward"
        sheet = any(f.screening_sheet_required for f in mine) if mine else True
        units = FUKUOKA_WARDS if path == "ward" else _present_units(con, path, programme)
        data = funnel_data(con, path=path, unit_names=units, programme=programme)
    years = sorted({f.fy for f in mine}, reverse=True)
    shape = shape_for_programme(programme, path, screening_sheet_required=sheet)
    return OutcomeInputs(years, path, shape, data, programme, fingerprint)


def _present_units(con, path: str, programme: str | None) -> dict[str, str]:
    """Names of the units that have lists of this programme (a city without wards: the city)."""
    codes = [r[0] for r in con.execute(
        "select distinct ward_code from wf_list_member join wf_list using (list_id) where path = ? and programme = ?",
        [path, programme]).fetchall()]  # fmt: skip
    return {c: CITY_UNITS.get(c, c) for c in codes if c is not None}


def outcome_tables(inputs: OutcomeInputs, fy: int, unit: str = TOTAL) -> dict[str, ReportTable]:
    """The report's tables for ``fy`` (this year beside last year), suppressed for everyone."""
    this, prev = year_pair(inputs.data, fy, shape=inputs.shape, policy=PUBLISHED_TOP_LINE)
    tables = build_tables(inputs.data, fy, shape=inputs.shape, policy=PUBLISHED_TOP_LINE, unit=unit,
                          context=ReportContext(city=inputs.shape.city), figures=(this, prev))  # fmt: skip
    tables["conversion"] = evaluation.conversion_table(this, unit=unit)
    tables["contact_comparison"] = evaluation.contact_comparison(this, inputs.data, policy=PUBLISHED_TOP_LINE)
    if prev.has_data:
        tables["year_over_year"] = evaluation.year_over_year(this, prev, unit=unit)
    if inputs.path == "ward":
        with casework() as con:
            visits = visit_plan.capacity(con, fy, ward_codes=visit_plan_wards(inputs))
        tables["capacity"] = evaluation.capacity_view(visits, this, inputs.data, policy=PUBLISHED_TOP_LINE)
    keys = [k for k in PAGE_TABLES if k in tables]
    if len([u for u in inputs.data.units() if u != "unknown"]) <= 1:  # a city without wards: no breakdown
        keys = [k for k in keys if not k.endswith("_by_unit")]
    if not inputs.shape.acts:  # Izumi reports the decision taken, not support acts
        keys = [k for k in keys if k != "support_acts"]
    return {k: tables[k] for k in keys}


def visit_plan_wards(inputs: OutcomeInputs) -> dict[str, str]:
    """Ward code → name, for the plan form (the wards of the casework data, else the city's)."""
    units = [u for u in inputs.data.units() if u != "unknown"] or sorted(FUKUOKA_WARDS)
    return {u: inputs.data.unit_label(u) for u in units}


def save_visit_plan(principal: Principal, inputs: OutcomeInputs, fy: object, ward_code: object,
                    planned: object) -> tuple[int, str, int]:
    """Record the visits planned for one ward and year; refused unless the role may save here; audited.

    Raises visit_plan.VisitPlanError with a Japanese message for a bad value (nothing is saved).
    """
    with unit_of_work(principal, "outcomes", "save") as w:  # the plan and its audit row commit together
        row = visit_plan.set_plan(w.con, fy, ward_code, planned, actor=principal.username,
                                  wards=visit_plan_wards(inputs))  # fmt: skip
        w.record("setting_change", target="visit_plan", detail={"fy": row[0], "ward_code": row[1], "planned": row[2]})
    return row


def deck_for_year(inputs: OutcomeInputs, fy: int, *, charts: bool = False) -> Deck:
    """The year-end deck of the presentation page and ``kodomo report deck`` alike.

    The chart-less deck the presentation page shows is cached like the tables (keyed by the
    casework state, the programme and the year).
    """
    if inputs.fingerprint and not charts:
        return _deck_cached(inputs.fingerprint, inputs.programme, fy, inputs)
    return _deck(inputs, fy, charts)


@aggregate_cache
def _deck_cached(fingerprint: tuple, programme: str | None, fy: int, _inputs: OutcomeInputs) -> Deck:
    return _deck(_inputs, fy, False)


def _deck(inputs: OutcomeInputs, fy: int, charts: bool) -> Deck:
    context = ReportContext(city=inputs.shape.city, as_of=f"{fy}年度")
    return year_end_deck(inputs.data, fy, shape=inputs.shape, policy=PUBLISHED_TOP_LINE, context=context,
                         charts=charts)  # fmt: skip


DECK_FORMATS = ("pptx", "pdf", "xlsx")  # the slides, or the deck's tables as one Excel workbook


def export_deck(deck: Deck, fmt: str, actor: Principal | str, dest: export.Destination, *,
                page: str | None = None) -> export.ExportRecord:  # fmt: skip
    """Write the deck as PPTX, PDF or its tables as Excel to a file or stream; audited first.

    The audit row (aggregates only: format, year, tables, suppressed cells, size) is written to
    casework under ``actor`` — the signed-in principal, or the shell account — before the file is
    put in place or the bytes handed over; ``page`` names the screen it came from (none for the
    command line). ValueError for another format.
    """
    if fmt not in DECK_FORMATS:
        raise ValueError(f"形式は {'・'.join(DECK_FORMATS)} のどれかです（{fmt!r}）")

    def hook(record: export.ExportRecord) -> None:
        kwargs: dict[str, Any] = record.as_audit_kwargs()
        if page is not None:
            kwargs["detail"]["page"] = page
        with casework() as con:
            auth_audit.record(con, actor, page=page, **kwargs)

    if fmt == "pptx":
        return export.write_pptx(deck, dest, audit=hook)
    if fmt == "pdf":
        return export.write_pdf(deck, dest, audit=hook)
    return export.write_xlsx(deck.tables(), dest, audit=hook, fy=deck.fy)


def deck_bytes(deck: Deck, fmt: str, principal: Principal, page: str) -> bytes:
    """The deck as PPTX or PDF bytes for a download button, under the page's export right.

    The export's audit row joins the unit's transaction (its casework is bound before the deck is
    written), which commits before the bytes are handed over.
    """
    with unit_of_work(principal, page, "export") as w:
        if fmt not in ("pptx", "pdf"):
            raise ValueError(fmt)
        buf = io.BytesIO()
        w.con  # noqa: B018 - open and bind casework now, so the export's audit hook writes in this unit
        export_deck(deck, fmt, principal, buf, page=page)
    return buf.getvalue()


# --------------------------------------------------------------------------- the published funnel


def funnel_report(fy: int, *, programme: str | None = None, ward_code: str = "all") -> dict[str, Any]:
    """The year's funnel in the published shape (図表 6-1, 6-2, 7-1, 7-3, 6-4), read from the casework views.

    The same counts the funnel page reads; casework is opened read-only, and a city without one
    gets an empty report. For ``kodomo report funnel``, where the shell account reads aggregates.
    """
    return funnel.funnel_report(fy, programme=programme, ward_code=ward_code)


def render_funnel_report(report: dict[str, Any], fmt: str = "table") -> str:
    """The report as JSON (Japanese readable) or a text table in the order of the report's figures."""
    return funnel.render_funnel_report(report, fmt)


# --------------------------------------------------------------------------- the funnel for evaluators

# The funnel page shows evaluators the city line only, under the plain NDB rule: every count 1–9 and
# every cell that would give one away is hidden, with no exempt totals. Every city cell it publishes
# is one the outcomes page and the deck publish anyway (their policy exempts every city total), so
# the two pages together reveal nothing either reveals alone.
FUNNEL_PAGE_POLICY: SuppressionPolicy = NDB_POLICY


@dataclass
class SafeFunnel:
    """The funnel of one year for a viewer who may see aggregates only: suppressed tables, no children."""

    funnel: ReportTable  # 図表 7-1: each stage, this year and last, rates (hidden cells 「秘匿」)
    exclusions: ReportTable  # exclusion reasons per stage, this year and last
    chart: list[tuple[str, int]]  # (stage label, count) of the published main stages, in order
    hidden_stages: int  # main stages left out of the chart because their count is hidden


def safe_funnel(principal: Principal, fy: int, path: str = "ward", programme: str | None = None) -> SafeFunnel:
    """The funnel page's figures for evaluators: city-wide, suppressed, cached by casework state.

    ``programme`` picks one when a path has more than one (Izumi and Beppu are both on the school
    path); without it, the path's first programme.
    """
    with unit_of_work(principal, "funnel", "view") as w:
        fingerprint = casework_fingerprint(w.con)
        if programme is None:
            on_path = [f.programme for f in casework_programmes(w.con) if f.path == path]
            programme = on_path[0] if on_path else None
        return _safe_funnel_cached(fingerprint, fy, programme)


@aggregate_cache
def _safe_funnel_cached(fingerprint: tuple, fy: int, programme: str | None) -> SafeFunnel:
    inputs = _outcome_inputs_cached(fingerprint, programme)
    data, shape = inputs.data, inputs.shape
    this, prev = year_pair(data, fy, shape=shape, policy=FUNNEL_PAGE_POLICY)
    tables = build_tables(data, fy, shape=shape, policy=FUNNEL_PAGE_POLICY, figures=(this, prev),
                          context=ReportContext(city=shape.city))  # fmt: skip
    chart, hidden = [], 0
    for stage in shape.funnel:
        value = this.cell("funnel", stage)
        if value is None or is_hidden(value):
            hidden += value is not None
            continue
        chart.append((shape.stage(stage).short, int(value)))
    return SafeFunnel(tables["funnel"], tables["exclusions"], chart, hidden)
