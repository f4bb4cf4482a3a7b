"""The `kodomo` command: every batch step a city runs, one subcommand each.

Subcommands import their module lazily so `kodomo --help` stays fast and a broken
optional part cannot stop the others. The work is the services' (``kodomo_dash.services``); this
package parses arguments, prints and sets the exit code. `synth`, `demo`, `bench` and `link-eval`
are the demo's and the bench's own commands and call them directly.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import sys
from pathlib import Path

from kodomo_dash.cli.text import refusal


def _cmd_synth(args: argparse.Namespace) -> int:
    if args.follow_on:  # next month of a city already generated (decision 066)
        from kodomo_dash.demo.synth.follow_on import generate_follow_on

        follow = generate_follow_on(Path(args.follow_on), Path(args.out), months=args.months, seed=args.seed)
        print(follow.summary())
        return 0
    from kodomo_dash.demo.synth.city import generate

    result = generate(scenario=args.scenario, scale=args.scale, seed=args.seed, out_dir=Path(args.out))
    print(result.summary())
    return 0


def _cmd_build(args: argparse.Namespace) -> int:
    accept = set(args.accept_drop or ())
    if accept and not (args.reason or "").strip():
        print("--accept-drop には --reason（減少を受け入れる理由）が必要です / --accept-drop needs --reason.",
              file=sys.stderr)  # fmt: skip
        return 2
    from kodomo_dash.services import build

    # Each accepted drop of a build that is swapped in is audited as the shell account.
    report = build.build(Path(args.source), as_of=args.as_of, accept_drop=accept, reason=args.reason)
    print(report.summary())
    return 0 if report.ok else 2


def _cmd_demo(args: argparse.Namespace) -> int:
    from kodomo_dash.demo.run import run_demo

    return run_demo(scenario=args.scenario, scale=args.scale, seed=args.seed)


def _cmd_bench(args: argparse.Namespace) -> int:
    from kodomo_dash.bench.run import run_bench

    run_bench(scale=args.scale, seed=args.seed, out=Path(args.out), doc=Path(args.doc) if args.doc else None)
    return 0


def _cmd_contracts_docs(args: argparse.Namespace) -> int:
    from kodomo_dash.services.build import write_contract_docs

    paths = write_contract_docs(Path(args.out))
    print(f"{len(paths)} files written to {args.out}")
    return 0


def _cmd_link_eval(args: argparse.Namespace) -> int:
    import json

    from kodomo_dash.demo.linkage_evaluation import evaluate_current_build

    m = evaluate_current_build(Path(args.truth))
    print(json.dumps({k: v for k, v in m.items() if k.startswith("link_") or k == "review_pupils"}, indent=2))
    return 0


# Capabilities that bring their own subcommands, each as register(subparsers).
AREA_COMMANDS: tuple[str, ...] = (
    "kodomo_dash.cli.reports", "kodomo_dash.cli.auth", "kodomo_dash.cli.extract", "kodomo_dash.cli.lists",
    "kodomo_dash.cli.backup",
)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kodomo", description="kodomo-dash: こどもデータ連携ダッシュボード")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("synth", help="generate a synthetic city (one CSV per contract)")
    s.add_argument("--scenario", default="fukuoka-fy2025")
    s.add_argument("--scale", type=float, default=1.0)
    s.add_argument("--seed", type=int, default=1)
    s.add_argument("--out", required=True)
    s.add_argument("--follow-on", metavar="PREV_EXTRACTS", default=None,
                   help="write the next month of the city in PREV_EXTRACTS (same people, a month's events)")
    s.add_argument("--months", type=int, default=1, help="with --follow-on: how many months later (default 1)")
    s.set_defaults(func=_cmd_synth)

    b = sub.add_parser("build", help="load extracts and build the analytical warehouse")
    b.add_argument("--source", required=True, help="folder of extracts, one CSV per contract")
    b.add_argument("--as-of", default=None, help="as-of date (YYYY-MM-DD); default: from the extracts")
    b.add_argument("--accept-drop", action="append", metavar="SOURCE",
                   help="accept on purpose a drop the gate refuses (a source, core.child or linkage); repeatable")
    b.add_argument("--reason", default=None, help="why the drop is accepted (with --accept-drop; audited)")
    b.set_defaults(func=_cmd_build)

    d = sub.add_parser("demo", help="synth + build (+ later steps) for a scenario, without starting the app")
    d.add_argument("--scenario", default="fukuoka-fy2025")
    d.add_argument("--scale", type=float, default=1.0)
    d.add_argument("--seed", type=int, default=1)
    d.set_defaults(func=_cmd_demo)

    be = sub.add_parser("bench", help="measure each step at a scale and write JSON")
    be.add_argument("--scale", type=float, default=1.0)
    be.add_argument("--seed", type=int, default=1)
    be.add_argument("--out", default="bench.json")
    be.add_argument("--doc", default=None, help="also append the run to this markdown file")
    be.set_defaults(func=_cmd_bench)

    c = sub.add_parser("contracts-docs", help="write docs/contracts/ from the contracts")
    c.add_argument("--out", default="docs/contracts")
    c.set_defaults(func=_cmd_contracts_docs)

    le = sub.add_parser("link-eval", help="名寄せ accuracy of the current build against a synthetic truth file")
    le.add_argument("--truth", required=True, help="student_identity.csv from the synthetic city's truth folder")
    le.set_defaults(func=_cmd_link_eval)

    for module in AREA_COMMANDS:
        importlib.import_module(module).register(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    """Run one subcommand; every failure ends in a message, never a Python traceback.

    A refusal a person can act on (a bad value, a missing folder, a refused save) is printed as it
    is — the library's messages name what to fix; a coded one in Japanese and then English
    (``cli.text.refusal``) — with exit 2. Anything else prints its kind and a way to see the details
    (KODOMO_DEBUG=1), with exit 1.
    """
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130
    except Exception as e:  # noqa: BLE001 - the last line of defence: a message, not a traceback
        from kodomo_dash.services.errors import KeyMissing

        if isinstance(e, KeyMissing):
            # No database key and plaintext not allowed: say where the key goes, not a traceback.
            print(refusal(e), file=sys.stderr)
            return 2
        if os.environ.get("KODOMO_DEBUG"):
            raise
        return _explain(e)


def _explain(e: Exception) -> int:
    from kodomo_dash.services.errors import SaveRefused

    if isinstance(e, SaveRefused):
        print(f"エラー / error: {refusal(e)}", file=sys.stderr)
        return 2
    if isinstance(e, (ValueError, LookupError, FileNotFoundError, PermissionError)):
        text = refusal(e).strip() or type(e).__name__
        if not any(ord(ch) > 0x3000 for ch in text):  # a message of Python's own (e.g. a date out of range)
            text = f"入力を確認してください / please check the input: {text}"
        print(f"エラー / error: {text}", file=sys.stderr)
        return 2
    print(f"予期しないエラーで止まりました / stopped on an unexpected error: {type(e).__name__}: {e}\n"
          "  詳細は KODOMO_DEBUG=1 を付けて実行すると表示されます / run with KODOMO_DEBUG=1 for details.",
          file=sys.stderr)  # fmt: skip
    return 1


if __name__ == "__main__":
    sys.exit(main())
