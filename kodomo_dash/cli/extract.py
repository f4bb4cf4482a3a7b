"""`kodomo extract …`: pseudonymised extracts for analysts, taken and deleted from the command line.

The rules live in ``security.pseudonymise`` (keyed-hash pseudonyms per project, birth date cut to
year and month, no names or addresses, k >= 5 on the quasi-identifiers, formula-safe cells, one key
file per project, a record of who took it and when it must be deleted); ``services.extracts`` picks
the rows from the analytical build. This module names the person taking the extract: ``--as`` is a
user of the users file (``services.operator.principal_for``), and the authorisation matrix decides
whether that role may take one — the same check the library applies for any caller. Only counts
and file paths are printed, never a row.

* ``extract create --as USER --project P --purpose TEXT --delete-by YYYY-MM-DD [--columns a,b]``
* ``extract list`` — every extract with who took it, when, and when it must be deleted
* ``extract delete --as USER ID`` / ``extract delete --as USER --due`` — delete files (and the
  project key with the project's last live extract)
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from kodomo_dash.cli.text import INDENT, refusal

# Services are imported inside each command: `kodomo --help` builds every parser and stays fast.


def register(subparsers: argparse._SubParsersAction) -> None:
    ex = subparsers.add_parser("extract", help="pseudonymised extracts for analysts (k-anonymous CSV)")
    esub = ex.add_subparsers(dest="extract_command", required=True)
    c = esub.add_parser("create", help="take a pseudonymised extract of the per-child features")
    c.add_argument("--as", dest="username", required=True, help="the user taking it (users file)")
    c.add_argument("--project", required=True, help="project name: a-z, 0-9, _ or -, up to 40 characters")
    c.add_argument("--purpose", required=True, help="what the extract is for (purpose limitation)")
    c.add_argument("--delete-by", required=True, help="date by which it must be deleted (YYYY-MM-DD)")
    c.add_argument("--columns", default=None,
                   help="comma-separated feature columns (default: the evaluator's set, services.extracts)")
    c.add_argument("--out", default=None, help="folder for the project's files (default: warehouse/extracts)")
    c.set_defaults(func=cmd_create)
    ls = esub.add_parser("list", help="every extract, who took it and when it must be deleted")
    ls.set_defaults(func=cmd_list)
    d = esub.add_parser("delete", help="delete an extract (and the project key with its last extract)")
    d.add_argument("--as", dest="username", required=True, help="the user deleting it (users file)")
    d.add_argument("extract_id", nargs="?", default=None)
    d.add_argument("--due", action="store_true", help="delete every extract past its deletion date")
    d.set_defaults(func=cmd_delete)


def _fail(message: str) -> int:
    print(message, file=sys.stderr)
    return 2


def cmd_create(args: argparse.Namespace) -> int:
    from kodomo_dash.services import extracts
    from kodomo_dash.services.errors import AccessDenied, WarehouseMissing
    from kodomo_dash.services.operator import principal_for

    try:
        delete_by = date.fromisoformat(args.delete_by)
    except ValueError:
        return _fail("--delete-by は YYYY-MM-DD の形式で指定してください。\n"
                     f"{INDENT}Give --delete-by as YYYY-MM-DD.")
    columns = (extracts.DEFAULT_COLUMNS if args.columns is None
               else tuple(c.strip() for c in args.columns.split(",") if c.strip()))  # fmt: skip
    try:
        principal = principal_for(args.username)
        rec = extracts.create_extract(principal, project=args.project, purpose=args.purpose, delete_by=delete_by,
                                      columns=columns, out=Path(args.out) if args.out else None)  # fmt: skip
    except AccessDenied:
        return _fail(f"利用者 {args.username} の役割には仮名化データを抽出する権限がありません。\n"
                     f"{INDENT}The role of user {args.username} may not take pseudonymised extracts.")
    except WarehouseMissing:
        return _fail("ウェアハウスがまだありません。先に kodomo build を実行してください。\n"
                     f"{INDENT}There is no warehouse yet: run kodomo build first.")
    except (LookupError, ValueError) as e:  # ExtractRefused is a ValueError
        return _fail(refusal(e, "抽出できません: {}", "Cannot extract: {}"))
    print(f"仮名化データを作成しました: {rec.extract_id}")
    print(f"  ファイル {rec.file_path}（{rec.row_count:,} 行, k = {rec.k_achieved}, 秘匿 {rec.suppressed:,} 行）")
    print(f"  鍵 {rec.key_path} — ファイルと鍵を {rec.delete_by.isoformat()} までに削除してください（kodomo extract delete）")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from kodomo_dash.services import extracts

    rows = extracts.extract_log()
    if not rows:
        print("仮名化データの抽出記録はありません。")
    for eid, by, at, due, n, k, deleted in rows:
        state = f"削除済み {deleted:%Y-%m-%d}" if deleted else f"削除期限 {due.isoformat()}"
        print(f"{eid}\t{by}\t{at:%Y-%m-%d %H:%M}\t{n:,} 行\tk={k}\t{state}")
    return 0


def cmd_delete(args: argparse.Namespace) -> int:
    from kodomo_dash.services import extracts
    from kodomo_dash.services.errors import AccessDenied
    from kodomo_dash.services.operator import principal_for

    if bool(args.extract_id) == bool(args.due):
        return _fail("削除する抽出のIDか --due のどちらか一方を指定してください。\n"
                     f"{INDENT}Give either the extract id to delete or --due, not both.")
    try:
        principal = principal_for(args.username)
        n = extracts.delete_extracts(principal, args.extract_id, due=args.due)
    except AccessDenied:
        return _fail(f"利用者 {args.username} の役割には仮名化データを扱う権限がありません。\n"
                     f"{INDENT}The role of user {args.username} may not handle pseudonymised extracts.")
    except (LookupError, ValueError) as e:
        return _fail(refusal(e, "削除できません: {}", "Cannot delete: {}"))
    print(f"{n} 件の抽出を削除しました。")
    return 0
