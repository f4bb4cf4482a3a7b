"""`kodomo audit …`, `kodomo users demo` and `kodomo keys …`: the security chores of a city's operator.

* ``audit verify [--anchor SEQ:HASH]`` walks the casework audit chain (``security.audit.verify``). It
  prints the head (``seq:hash``) on success, so a cron job can append it to the syslog and feed it
  back as ``--anchor`` later; on a break it prints the first bad row and every problem to stderr
  and exits 1, so a cron job or monitoring check notices.
* ``audit prune [--days N]`` applies the retention period (default: ``app_setting``
  ``audit.retention_days``, else 3 years). ``audit.prune`` refuses a chain that does not verify and
  leaves a checkpoint plus a chained ``retention`` row, so the remaining chain still verifies.
* ``audit retention --days N`` stores the retention period (audited as a setting change).
* ``users demo [--force]`` writes one demo user per role and prints how to log in
  (``security.users.create_demo_users`` / ``demo_login_text``); it never overwrites a real users file.
* ``keys generate`` prints a fresh random key (for secrets.toml or the environment).
* ``keys rotate --db casework|analytics`` re-encrypts one database file
  (``infra.encryption.rotate_key``). Keys are read from environment variables only — never from
  the command line, where they would land in the shell history and ``ps`` — and never printed.

The work is ``services.operator``'s; this module parses arguments, prints and chooses the exit
code. Nothing here prints personal data: audit rows are summarised by sequence number and problem,
never by content.
"""

from __future__ import annotations

import argparse
import sys

from kodomo_dash.cli.text import refusal

# Services are imported inside each command: `kodomo --help` builds every parser and stays fast.


def register(subparsers: argparse._SubParsersAction) -> None:
    au = subparsers.add_parser("audit", help="the audit trail: verify the hash chain, apply retention")
    asub = au.add_subparsers(dest="audit_command", required=True)
    v = asub.add_parser("verify", help="check the hash chain; exit 1 naming the first bad row if tampered")
    v.add_argument("--anchor", default=None, help="'seq:hash' printed by an earlier verify (kept elsewhere)")
    v.set_defaults(func=cmd_audit_verify)
    p = asub.add_parser("prune", help="delete rows older than the retention period, keeping the chain verifiable")
    p.add_argument("--days", type=int, default=None,
                   help="retention in days (default: the stored setting, else 3 years)")
    p.set_defaults(func=cmd_audit_prune)
    r = asub.add_parser("retention", help="show or store the retention period used by prune")
    r.add_argument("--days", type=int, default=None, help="new retention in days (at least 1)")
    r.set_defaults(func=cmd_audit_retention)

    us = subparsers.add_parser("users", help="user accounts")
    usub = us.add_subparsers(dest="users_command", required=True)
    d = usub.add_parser("demo", help="write one demo user per role and print how to log in")
    d.add_argument("--force", action="store_true", help="overwrite a users file not written by the demo")
    d.set_defaults(func=cmd_users_demo)

    ks = subparsers.add_parser("keys", help="encryption keys of the two database files")
    ksub = ks.add_subparsers(dest="keys_command", required=True)
    g = ksub.add_parser("generate", help="print a new random key (256 bits)")
    g.set_defaults(func=cmd_keys_generate)
    rot = ksub.add_parser("rotate", help="re-encrypt a database file under a new key (stop the app first)")
    rot.add_argument("--db", choices=("casework", "analytics"), required=True)
    rot.add_argument("--old-key-env", default=None,
                     help="variable holding the current key (default KODOMO_OLD_KEY, else the "
                          "database's usual variable, e.g. KODOMO_CASEWORK_KEY)")
    rot.add_argument("--new-key-env", default=None, help="variable holding the new key (default KODOMO_NEW_KEY)")
    rot.add_argument("--from-plaintext", action="store_true", help="the file is not encrypted yet")
    rot.add_argument("--keep-backup", action="store_true", help="keep <file>.old (readable with the old key)")
    rot.set_defaults(func=cmd_keys_rotate)


# --------------------------------------------------------------------------- audit


def _fail(message: str, code: int = 2) -> int:
    print(message, file=sys.stderr)
    return code


def cmd_audit_verify(args: argparse.Namespace) -> int:
    from kodomo_dash.services import operator
    from kodomo_dash.services.errors import Unavailable

    anchor = None
    if args.anchor:
        try:
            anchor = operator.parse_anchor(args.anchor)
        except ValueError as e:
            return _fail(refusal(e))
    try:
        result = operator.verify_audit_chain(anchor)
    except Unavailable as e:
        return _fail(refusal(e))
    if result.ok:
        head = f"{result.head_seq}:{result.head_hash}" if result.head_seq is not None else "empty"
        print(f"audit chain OK: {result.checked} rows verified; head {head}")
        print("操作ログの改ざんは検出されませんでした。最新ハッシュ（外部に控えてください）: " + head)
        return 0
    where = f"seq {result.first_bad_seq}" if result.first_bad_seq is not None else "the chain head"
    print(f"audit chain BROKEN: first bad row is {where}", file=sys.stderr)
    print(f"操作ログの改ざん・削除を検出しました（最初の異常: {where}）", file=sys.stderr)
    for problem in result.problems:
        print(f"  - {problem}", file=sys.stderr)
    return 1


def cmd_audit_prune(args: argparse.Namespace) -> int:
    from kodomo_dash.services import operator
    from kodomo_dash.services.errors import AuditTampered, Unavailable

    if args.days is not None and args.days < 1:
        return _fail("--days は 1 以上で指定してください。\n  --days must be at least 1.")
    try:
        result = operator.prune_audit(args.days, operator.cli_actor())
    except Unavailable as e:
        return _fail(refusal(e))
    except AuditTampered as e:
        print("操作ログが検証できないため削除しません（証拠を残します）/ refusing to prune a broken chain:",
              file=sys.stderr)
        return _fail(refusal(e), 1)
    if result.pruned:
        print(f"pruned {result.pruned} rows older than {result.days} days (through seq {result.through_seq})")
    else:
        print(f"nothing older than {result.days} days")
    print("audit chain OK after prune" if result.chain_ok else "audit chain BROKEN after prune")
    return 0 if result.chain_ok else 1


def cmd_audit_retention(args: argparse.Namespace) -> int:
    from kodomo_dash.services import operator
    from kodomo_dash.services.errors import Unavailable

    try:
        if args.days is None:
            print(f"retention: {operator.retention_days()} days")
            return 0
        operator.require_casework()
    except Unavailable as e:
        return _fail(refusal(e))
    if args.days < 1:
        return _fail("--days は 1 以上で指定してください。\n  --days must be at least 1.")
    operator.set_retention_days(args.days, operator.cli_actor())
    print(f"retention set to {args.days} days")
    return 0


# --------------------------------------------------------------------------- users


def cmd_users_demo(args: argparse.Namespace) -> int:
    from kodomo_dash.services import operator
    from kodomo_dash.services.errors import UserFileError

    try:
        text = operator.create_demo_users(force=args.force)
    except UserFileError as e:
        return _fail(refusal(e))
    print(text)
    return 0


# --------------------------------------------------------------------------- keys


def cmd_keys_generate(args: argparse.Namespace) -> int:
    from kodomo_dash.services import operator

    print(operator.generate_key())
    return 0


def cmd_keys_rotate(args: argparse.Namespace) -> int:
    from kodomo_dash.services import operator
    from kodomo_dash.services.errors import EncryptionError, KeyRotationFailed, Unavailable

    try:
        result = operator.rotate_key(args.db, new_key_env=args.new_key_env, old_key_env=args.old_key_env,
                                     from_plaintext=args.from_plaintext, keep_backup=args.keep_backup)  # fmt: skip
    except (Unavailable, EncryptionError) as e:
        return _fail(refusal(e))
    except KeyRotationFailed as e:
        return _fail(refusal(e), 1)
    rows = sum(result.tables.values())
    print(f"{result.path}: re-encrypted under the new key ({len(result.tables)} tables, {rows:,} rows)")
    if result.backup is not None:
        print(f"backup (old key) kept at {result.backup}: delete it once checked")
    print("次に: 新しいキーを secrets/環境変数に設定し、古いキーを削除してください。"
          " / next: put the new key in secrets or the environment and remove the old one.")
    return 0
