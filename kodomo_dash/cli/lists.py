"""`kodomo list …`: accept a screening run into the year's workflow, and see the lists, from the shell.

The same service the screening page's 確定 button calls (``services.support.accept_run``): ``--as`` is
a user of the users file, the authorisation matrix decides whether that role may accept, and the
run's acceptance, the list and its audit row commit together. Messages are Japanese and name what
to fix; no child's row is printed.

* ``list accept --as USER --run ID --fy 2025 [--programme KEY] [--on YYYY-MM-DD]``
* ``list show`` — every accepted list (year, programme, size, who accepted it and when)
"""

from __future__ import annotations

import argparse
import sys
from datetime import date

from kodomo_dash.cli.text import refusal

# Services are imported inside each command: `kodomo --help` builds every parser and stays fast.


def register(subparsers: argparse._SubParsersAction) -> None:
    ls = subparsers.add_parser("list", help="accept a screening run as the year's workflow list; show lists")
    lsub = ls.add_subparsers(dest="list_command", required=True)
    a = lsub.add_parser("accept", help="accept a draft screening run: the run and the year's list, together")
    a.add_argument("--as", dest="username", required=True, help="the manager accepting it (users file)")
    a.add_argument("--run", dest="run_id", required=True, help="the screening run id (run-...)")
    a.add_argument("--fy", type=int, required=True, help="fiscal year (年度) the list belongs to, e.g. 2025")
    a.add_argument("--programme", default=None, help="programme key from config/cities (default: the one"
                   " matching the run's method and cohort)")
    a.add_argument("--on", default=None, help="acceptance date YYYY-MM-DD (default: today)")
    a.set_defaults(func=cmd_accept)
    s = lsub.add_parser("show", help="every accepted list")
    s.set_defaults(func=cmd_show)


def _fail(message: str) -> int:
    print(message, file=sys.stderr)
    return 2


def cmd_accept(args: argparse.Namespace) -> int:
    from kodomo_dash.services import support
    from kodomo_dash.services.errors import AccessDenied, CaseworkError, NotFoundError
    from kodomo_dash.services.operator import principal_for

    try:
        principal = principal_for(args.username)
    except LookupError as e:
        return _fail(refusal(e))
    try:
        on = date.fromisoformat(args.on) if args.on else None
    except ValueError:
        return _fail(f"--on の日付「{args.on}」が読めません。YYYY-MM-DD の形で指定してください。\n  Cannot read the --on date {args.on!r}: give it as YYYY-MM-DD.")
    if not 2000 <= args.fy <= 2100:
        return _fail(f"--fy「{args.fy}」は年度ではありません（例: 2025）。\n  --fy {args.fy!r} is not a fiscal year (e.g. 2025).")
    programme = args.programme
    if programme is None:
        try:
            found = support.run_programmes(args.run_id)
        except NotFoundError:
            return _fail(f"スクリーニングの実行 {args.run_id} が見つかりません（kodomo list show で確定済みのリストを確認できます）。"
                         f"\n  Screening run {args.run_id} was not found (kodomo list show lists the accepted lists).")
        if len(found) != 1:
            names = "、".join(found) or "なし"
            return _fail(f"実行 {args.run_id} に合うプログラムを1つに決められません（候補: {names}）。--programme で指定してください。"
                         f"\n  More than one programme fits run {args.run_id} ({names}): choose one with --programme.")
        programme = found[0]
    try:
        list_id = support.accept_run(principal, args.run_id, fy=args.fy, programme=programme, accepted_on=on)
    except AccessDenied as e:
        return _fail(refusal(e))
    except CaseworkError as e:
        return _fail(refusal(e))
    print(f"対象者リスト {list_id} を確定しました（{args.fy}年度、{programme}、{support.list_size(list_id)}人）。")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from kodomo_dash.services import support

    rows = support.list_register()
    if not rows:
        print("確定済みの対象者リストはありません。")
        return 0
    for list_id, fy, programme, path, n, on, by in rows:
        print(f"{list_id}\t{fy}年度\t{programme}\t{path}\t{n}人\t{on}\t{by}")
    return 0
