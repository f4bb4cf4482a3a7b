"""`kodomo backup --out FILE` and `kodomo restore --from FILE`: casework and its audit trail (decision 061).

The work is in services/backup.py; this prints what was done and exits 2 on a refusal, naming the
file and why. Nothing personal is printed: counts, sizes and the audit chain's head only.
"""

from __future__ import annotations

import argparse
import sys

from kodomo_dash.cli.text import refusal


def register(subparsers: argparse._SubParsersAction) -> None:
    b = subparsers.add_parser("backup", help="copy casework (forms, decisions, audit trail) to a verified file")
    b.add_argument("--out", required=True, help="the backup file to write (never overwritten)")
    b.set_defaults(func=cmd_backup)
    r = subparsers.add_parser("restore", help="put a verified backup in place of casework (stop the app first)")
    r.add_argument("--from", dest="source", required=True, help="a file written by kodomo backup")
    r.set_defaults(func=cmd_restore)


def cmd_backup(args: argparse.Namespace) -> int:
    from kodomo_dash.services import backup
    from kodomo_dash.services.errors import Unavailable
    from kodomo_dash.services.operator import cli_actor

    try:
        done = backup.backup(args.out, cli_actor())
    except (backup.BackupRefused, Unavailable) as e:
        print(refusal(e), file=sys.stderr)
        return 2
    print(f"バックアップを作成しました: {done.path}（{done.size_bytes:,} バイト、操作ログ {done.audit_rows:,} 行、検証済み）")
    print(f"操作ログの最新ハッシュ（ファイルとは別に控えてください）: {done.audit_head}")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from kodomo_dash.services import backup
    from kodomo_dash.services.operator import cli_actor

    try:
        done = backup.restore(args.source, cli_actor())
    except backup.BackupRefused as e:
        print(refusal(e, "{}（現在のケースワークはそのままです）", "{} (casework is as it was)"), file=sys.stderr)
        return 2
    print(f"復元しました: {done.check.path}（操作ログ {done.check.audit_rows:,} 行、検証済み）")
    if done.kept is not None:
        print(f"置き換えたケースワークは {done.kept} に残しました。")
    return 0
