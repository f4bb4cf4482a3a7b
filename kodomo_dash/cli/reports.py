"""`kodomo report funnel` and `kodomo report deck`: the year's figures from casework, from the shell.

`report funnel --fy 2025 --format json` prints the published funnel (``services.outcomes.funnel_report``:
the same views the funnel page reads), so after ``kodomo demo --scenario fukuoka-fy2025`` it prints
the published figures. `report deck` builds the year-end deck along the presentation page's own road
(``services.outcomes.outcome_inputs`` → ``deck_for_year`` → ``export_deck``) and writes PPTX, PDF
or the tables as Excel; every export is audited (the shell account, ``cli:<user>``) in casework's
audit log before the file is put in place.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

# Services are imported inside each command: `kodomo --help` builds every parser and stays fast.
DECK_FORMATS = ("pptx", "pdf", "xlsx")  # what services.outcomes.export_deck writes


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
    from kodomo_dash.services import outcomes

    report = outcomes.funnel_report(args.fy, programme=scenario_programme(args.scenario, args.programme),
                                    ward_code=args.ward)  # fmt: skip
    sys.stdout.write(outcomes.render_funnel_report(report, args.format))
    if args.format == "table" and not report["paths"]:
        return 1
    return 0


def scenario_programme(scenario: str | None, programme: str | None = None) -> str | None:
    """The programme a scenario's lists were accepted under (config/cities), never its method.

    The funnel and outcomes pages select the same key (``services.outcomes.programme_options``).
    """
    if scenario is None:
        return programme
    from kodomo_dash.demo.simulate import get_workflow_scenario

    wf_programme = get_workflow_scenario(scenario).programme
    if programme is not None and programme != wf_programme:
        raise SystemExit(f"--scenario {scenario} の事業は {wf_programme} です（--programme {programme} と矛盾します）。"
                         f"\n  The scenario {scenario} is programme {wf_programme}, not {programme}.")
    return wf_programme


def cmd_report_deck(args: argparse.Namespace) -> int:
    from kodomo_dash.services import outcomes
    from kodomo_dash.services.operator import cli_actor

    actor = cli_actor()
    inputs = outcomes.outcome_inputs(actor, scenario_programme(args.scenario))
    deck = outcomes.deck_for_year(inputs, args.fy, charts=not args.no_charts)
    out = Path(args.out)
    record = outcomes.export_deck(deck, args.format, actor, out)
    print(f"{out}: {record.slides or len(record.tables)} {'slides' if record.slides else 'tables'}, "
          f"{record.size_bytes:,} bytes, {record.suppressed_cells} suppressed cells")  # fmt: skip
    return 0
