"""Reads for the evaluation pages: outcome indicators and the year-end deck, as safe aggregates.

Everything here is an aggregate over casework, adapted to the published shape by
``reports.funnel_adapter`` and protected by ``reports.suppression`` (counts 1–9 and the cells
that would give them away are 「秘匿」; the published top-line totals are exempt by name). No
function here returns a row about a child, and evaluators see exactly what an export holds.
Exports go through ``reports.export`` with an audit hook writing ``auth.audit.record``.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from kodomo_dash.auth import audit as auth_audit
from kodomo_dash.auth.matrix import require
from kodomo_dash.auth.principal import Principal
from kodomo_dash.auth.users import FUKUOKA_WARDS
from kodomo_dash.casework import visit_plan
from kodomo_dash.queries.workflow import casework, has_casework
from kodomo_dash.reports import evaluation, export
from kodomo_dash.reports.deck import Deck, year_end_deck
from kodomo_dash.reports.funnel_adapter import casework_paths, funnel_data, shape_for_path
from kodomo_dash.reports.indicators import FunnelData, ReportContext, build_tables, year_pair
from kodomo_dash.reports.published import PUBLISHED_TOP_LINE
from kodomo_dash.reports.shapes import ProgrammeShape
from kodomo_dash.reports.suppression import TOTAL
from kodomo_dash.reports.tables import ReportTable

__all__ = ["OutcomeInputs", "deck_bytes", "deck_for_year", "has_casework", "outcome_inputs", "outcome_tables",
           "save_visit_plan", "visit_plan_wards"]  # fmt: skip

# The tables of the outcomes page, in the order of the report, then the evaluation helpers
# (conversion with confidence intervals, last year beside this year, visits planned vs made).
PAGE_TABLES = ("indicators", "funnel", "support_acts", "exclusions", "funnel_by_unit", "outcomes_by_unit",
               "acts_by_unit", "conversion", "year_over_year", "capacity")  # fmt: skip


@dataclass
class OutcomeInputs:
    years: list[int]
    path: str
    shape: ProgrammeShape
    data: FunnelData


def outcome_inputs(principal: Principal) -> OutcomeInputs:
    """Every year of the main path (the ward path when there is one) as protected-report input."""
    with casework() as con:
        found = casework_paths(con)
        paths = {p: sheet for _, p, sheet in found}
        path = "ward" if "ward" in paths else (next(iter(paths)) if paths else "ward")
        data = funnel_data(con, path=path, unit_names=FUKUOKA_WARDS if path == "ward" else None)
    years = sorted({y for y, p, _ in found if p == path}, reverse=True)
    return OutcomeInputs(years, path, shape_for_path(path, screening_sheet_required=paths.get(path, True)), data)


def outcome_tables(inputs: OutcomeInputs, fy: int, unit: str = TOTAL) -> dict[str, ReportTable]:
    """The report's tables for ``fy`` (this year beside last year), suppressed for everyone."""
    this, prev = year_pair(inputs.data, fy, shape=inputs.shape, policy=PUBLISHED_TOP_LINE)
    tables = build_tables(inputs.data, fy, shape=inputs.shape, policy=PUBLISHED_TOP_LINE, unit=unit,
                          context=ReportContext(city=inputs.shape.city), figures=(this, prev))  # fmt: skip
    tables["conversion"] = evaluation.conversion_table(this, unit=unit)
    if prev.has_data:
        tables["year_over_year"] = evaluation.year_over_year(this, prev, unit=unit)
    if inputs.path == "ward":
        with casework() as con:
            visits = visit_plan.capacity(con, fy)
        tables["capacity"] = evaluation.capacity_view(visits, this, inputs.data, policy=PUBLISHED_TOP_LINE)
    return {k: tables[k] for k in PAGE_TABLES if k in tables}


def visit_plan_wards(inputs: OutcomeInputs) -> dict[str, str]:
    """Ward code → name, for the plan form (the wards of the casework data, else the city's)."""
    units = [u for u in inputs.data.units() if u != "unknown"] or sorted(FUKUOKA_WARDS)
    return {u: inputs.data.unit_label(u) for u in units}


def save_visit_plan(principal: Principal, inputs: OutcomeInputs, fy: object, ward_code: object,
                    planned: object) -> tuple[int, str, int]:
    """Record the visits planned for one ward and year; refused unless the role may save here; audited.

    Raises visit_plan.VisitPlanError with a Japanese message for a bad value (nothing is saved).
    """
    require(principal, "outcomes", "save")
    with casework() as con:
        row = visit_plan.set_plan(con, fy, ward_code, planned, actor=principal.username,
                                  wards=visit_plan_wards(inputs))  # fmt: skip
        auth_audit.record(con, principal, "setting_change", page="outcomes", target="visit_plan",
                          detail={"fy": row[0], "ward_code": row[1], "planned": row[2]})  # fmt: skip
    return row


def deck_for_year(inputs: OutcomeInputs, fy: int, *, charts: bool = False) -> Deck:
    return year_end_deck(inputs.data, fy, shape=inputs.shape, policy=PUBLISHED_TOP_LINE,
                         context=ReportContext(city=inputs.shape.city), charts=charts)  # fmt: skip


def deck_bytes(deck: Deck, fmt: str, principal: Principal, page: str) -> bytes:
    """The deck as PPTX or PDF bytes; the export is audited before the bytes are handed over."""

    def hook(record: export.ExportRecord) -> None:
        kwargs = record.as_audit_kwargs()
        kwargs["detail"]["page"] = page
        with casework() as con:
            auth_audit.record(con, principal, page=page, **kwargs)

    buf = io.BytesIO()
    if fmt == "pptx":
        export.write_pptx(deck, buf, audit=hook)
    elif fmt == "pdf":
        export.write_pdf(deck, buf, audit=hook)
    else:
        raise ValueError(fmt)
    return buf.getvalue()
