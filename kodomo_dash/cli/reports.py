"""`kodomo report funnel` and `kodomo report deck`: the year's figures from casework, from the shell.

`report funnel --fy 2025 --format json` prints ``casework.funnel.funnel_report`` (the same views the
funnel page reads), so after ``kodomo demo --scenario fukuoka-fy2025`` it prints the published
figures. `report deck` adapts the same funnel to ``reports.indicators.FunnelData``
(``reports.funnel_adapter``), builds the year-end deck and writes PPTX, PDF or the tables as Excel;
every export is audited (user "cli") in casework's audit log before the file is put in place.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

DECK_FORMATS = ("pptx", "pdf", "xlsx")


def register(subparsers: argparse._SubParsersAction) -> None:
    rep = subparsers.add_parser("report", help="year-end figures and decks from casework")
    sub = rep.add_subparsers(dest="report_command", required=True)
    f = sub.add_parser("funnel", help="the year's funnel in the published shape (図表 6-1, 6-2, 7-1, 7-3, 6-4)")
    f.add_argument("--fy", type=int, required=True, help="fiscal year, e.g. 2025 (令和7年度)")
    f.add_argument("--format", choices=("json", "table"), default="table")
    f.add_argument("--programme", default=None, help="only lists of this programme (config/cities)")
    f.add_argument("--scenario", default=None,
                   help="only the lists of this scenario's city (fukuoka-fy2025, izumi-fy2025, beppu-fy2025):"
                        " its programme")
    f.add_argument("--ward", default="all", help="ward code (default: all wards)")
    f.set_defaults(func=cmd_report_funnel)
    d = sub.add_parser("deck", help="the year-end report deck (PPTX/PDF) or its tables (Excel)")
    d.add_argument("--fy", type=int, required=True)
    d.add_argument("--format", choices=DECK_FORMATS, required=True)
    d.add_argument("--out", required=True, help="file to write")
    d.add_argument("--no-charts", action="store_true", help="tables only (no Chromium needed)")
    d.add_argument("--scenario", default=None, help="the deck of this scenario's city (its programme)")
    d.set_defaults(func=cmd_report_deck)


def cmd_report_funnel(args: argparse.Namespace) -> int:
    from kodomo_dash.casework.funnel import funnel_report, render_funnel_report

    report = funnel_report(args.fy, programme=scenario_programme(args.scenario, args.programme), ward_code=args.ward)
    sys.stdout.write(render_funnel_report(report, args.format))
    if args.format == "table" and not report["paths"]:
        return 1
    return 0


def scenario_programme(scenario: str | None, programme: str | None = None) -> str | None:
    """The programme a scenario's lists were accepted under (config/cities), never its method.

    The funnel and outcomes pages select the same key (``queries.outcomes.programme_options``).
    """
    if scenario is None:
        return programme
    from kodomo_dash.demo.simulate import get_workflow_scenario

    wf_programme = get_workflow_scenario(scenario).programme
    if programme is not None and programme != wf_programme:
        raise SystemExit(f"--scenario {scenario} の事業は {wf_programme} です（--programme {programme} と矛盾します）。")
    return wf_programme


def build_deck(fy: int, *, charts: bool = True, programme: str | None = None):
    """The deck of one fiscal year from the casework funnel (ward path: Fukuoka's shape).

    With ``programme`` (from ``--scenario``), the deck of that programme in its own shape, as
    the outcomes page shows it (``queries.outcomes.outcome_inputs``).
    """
    if programme is not None:
        return _programme_deck(fy, programme, charts=charts)
    from kodomo_dash.config.units import FUKUOKA_WARDS
    from kodomo_dash.infra.db import casework_connection
    from kodomo_dash.reports.deck import year_end_deck
    from kodomo_dash.reports.funnel_adapter import casework_paths, funnel_data, shape_for_path
    from kodomo_dash.reports.indicators import ReportContext
    from kodomo_dash.reports.suppression import PUBLISHED_TOP_LINE

    with casework_connection() as con:
        paths = [(p, sheet) for y, p, sheet in casework_paths(con) if y == fy]
        path, sheet = paths[0] if paths else ("ward", False)
        if "ward" in [p for p, _ in paths]:
            path, sheet = "ward", False
        data = funnel_data(con, path=path, unit_names=FUKUOKA_WARDS if path == "ward" else None)
    shape = shape_for_path(path, screening_sheet_required=sheet)
    context = ReportContext(as_of=f"{fy}年度", city=shape.city)
    return year_end_deck(data, fy, shape=shape, policy=PUBLISHED_TOP_LINE, context=context, charts=charts)


def _programme_deck(fy: int, programme: str, *, charts: bool):
    from kodomo_dash.config.units import CITY_UNITS
    from kodomo_dash.infra.db import casework_connection
    from kodomo_dash.reports.deck import year_end_deck
    from kodomo_dash.reports.funnel_adapter import (
        casework_programmes,
        funnel_data,
        shape_for_programme,
    )
    from kodomo_dash.reports.indicators import ReportContext
    from kodomo_dash.reports.suppression import PUBLISHED_TOP_LINE

    with casework_connection() as con:
        mine = [f for f in casework_programmes(con) if f.fy == fy and f.programme == programme]
        path, sheet = (mine[0].path, mine[0].screening_sheet_required) if mine else ("school", True)
        data = funnel_data(con, path=path, programme=programme, unit_names=CITY_UNITS if path == "school" else None)
    shape = shape_for_programme(programme, path, screening_sheet_required=sheet)
    context = ReportContext(as_of=f"{fy}年度", city=shape.city)
    return year_end_deck(data, fy, shape=shape, policy=PUBLISHED_TOP_LINE, context=context, charts=charts)


def export_audit(principal_or_user):
    """An export audit hook writing to casework's audit log (the ExportRecord's aggregate detail)."""
    from kodomo_dash.infra.db import casework_connection
    from kodomo_dash.infra.migrate import migrate
    from kodomo_dash.security import audit

    def hook(record) -> None:
        with casework_connection() as con:
            migrate(con)
            audit.record(con, principal_or_user, **record.as_audit_kwargs())

    return hook


def cmd_report_deck(args: argparse.Namespace) -> int:
    from kodomo_dash.reports import export

    deck = build_deck(args.fy, charts=not args.no_charts, programme=scenario_programme(args.scenario))
    hook = export_audit(f"cli:{getpass.getuser()}")
    out = Path(args.out)
    if args.format == "pptx":
        record = export.write_pptx(deck, out, audit=hook)
    elif args.format == "pdf":
        record = export.write_pdf(deck, out, audit=hook)
    else:
        record = export.write_xlsx(deck.tables(), out, audit=hook, fy=args.fy)
    print(f"{out}: {record.slides or len(record.tables)} {'slides' if record.slides else 'tables'}, "
          f"{record.size_bytes:,} bytes, {record.suppressed_cells} suppressed cells")  # fmt: skip
    return 0
