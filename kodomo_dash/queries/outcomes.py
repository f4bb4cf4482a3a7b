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
from kodomo_dash.auth import matrix
from kodomo_dash.auth.principal import Principal
from kodomo_dash.auth.users import FUKUOKA_WARDS
from kodomo_dash.queries import aggregate_cache
from kodomo_dash.queries.workflow import casework, casework_fingerprint, has_casework
from kodomo_dash.reports import export
from kodomo_dash.reports.deck import Deck, year_end_deck
from kodomo_dash.reports.funnel_adapter import casework_paths, funnel_data, shape_for_path
from kodomo_dash.reports.indicators import FunnelData, ReportContext, build_tables, year_pair
from kodomo_dash.reports.published import PUBLISHED_TOP_LINE
from kodomo_dash.reports.shapes import ProgrammeShape
from kodomo_dash.reports.suppression import NDB_POLICY, TOTAL, SuppressionPolicy
from kodomo_dash.reports.tables import ReportTable, is_hidden

__all__ = ["OutcomeInputs", "SafeFunnel", "deck_bytes", "deck_for_year", "has_casework", "outcome_inputs",
           "outcome_tables", "safe_funnel"]

# The tables of the outcomes page, in the order of the report.
PAGE_TABLES = ("indicators", "funnel", "support_acts", "exclusions", "funnel_by_unit", "outcomes_by_unit",
               "acts_by_unit")  # fmt: skip


@dataclass
class OutcomeInputs:
    years: list[int]
    path: str
    shape: ProgrammeShape
    data: FunnelData
    fingerprint: tuple = ()  # casework state the inputs were read from (cache key of the tables)


def outcome_inputs(principal: Principal) -> OutcomeInputs:
    """Every year of the main path (the ward path when there is one) as protected-report input.

    Counts only (no child), cached across users keyed by the casework fingerprint, so a page
    run does not recount the views when nothing has been recorded since.
    """
    with casework() as con:
        fingerprint = casework_fingerprint(con)
    return _outcome_inputs_cached(fingerprint)


@aggregate_cache
def _outcome_inputs_cached(fingerprint: tuple) -> OutcomeInputs:
    with casework() as con:
        found = casework_paths(con)
        paths = {p: sheet for _, p, sheet in found}
        path = "ward" if "ward" in paths else (next(iter(paths)) if paths else "ward")
        data = funnel_data(con, path=path, unit_names=FUKUOKA_WARDS if path == "ward" else None)
    years = sorted({y for y, p, _ in found if p == path}, reverse=True)
    shape = shape_for_path(path, screening_sheet_required=paths.get(path, True))
    return OutcomeInputs(years, path, shape, data, fingerprint)


def outcome_tables(inputs: OutcomeInputs, fy: int, unit: str = TOTAL) -> dict[str, ReportTable]:
    """The report's tables for ``fy`` (this year beside last year), suppressed for everyone."""
    tables = build_tables(inputs.data, fy, shape=inputs.shape, policy=PUBLISHED_TOP_LINE, unit=unit,
                          context=ReportContext(city=inputs.shape.city))  # fmt: skip
    return {k: tables[k] for k in PAGE_TABLES if k in tables}


def deck_for_year(inputs: OutcomeInputs, fy: int, *, charts: bool = False) -> Deck:
    """The year-end deck; the chart-less deck the presentation page shows is cached like the tables."""
    if inputs.fingerprint and not charts:
        return _deck_cached(inputs.fingerprint, fy, inputs)
    return _deck(inputs, fy, charts)


@aggregate_cache
def _deck_cached(fingerprint: tuple, fy: int, _inputs: OutcomeInputs) -> Deck:
    return _deck(_inputs, fy, False)


def _deck(inputs: OutcomeInputs, fy: int, charts: bool) -> Deck:
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


def safe_funnel(principal: Principal, fy: int, path: str = "ward") -> SafeFunnel:
    """The funnel page's figures for evaluators: city-wide, suppressed, cached by casework state."""
    matrix.require(principal, "funnel", "view")
    with casework() as con:
        fingerprint = casework_fingerprint(con)
    return _safe_funnel_cached(fingerprint, fy, path)


@aggregate_cache
def _safe_funnel_cached(fingerprint: tuple, fy: int, path: str) -> SafeFunnel:
    with casework() as con:
        sheets = {p: sheet for _, p, sheet in casework_paths(con)}
        data = funnel_data(con, path=path, unit_names=FUKUOKA_WARDS if path == "ward" else None)
    shape = shape_for_path(path, screening_sheet_required=sheets.get(path, True))
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
