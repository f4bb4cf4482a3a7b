"""`kodomo audit …`, `kodomo users demo` and `kodomo keys …`: the security chores of a city's operator.

* ``audit verify [--anchor SEQ:HASH]`` walks the casework audit chain (``auth.audit.verify``). It
  prints the head (``seq:hash``) on success, so a cron job can append it to the syslog and feed it
  back as ``--anchor`` later; on a break it prints the first bad row and every problem to stderr
  and exits 1, so a cron job or monitoring check notices.
* ``audit prune [--days N]`` applies the retention period (default: ``app_setting``
  ``audit.retention_days``, else 3 years). ``audit.prune`` refuses a chain that does not verify and
  leaves a checkpoint plus a chained ``retention`` row, so the remaining chain still verifies.
* ``audit retention --days N`` stores the retention period (audited as a setting change).
* ``users demo [--force]`` writes one demo user per role and prints how to log in
  (``auth.users.create_demo_users`` / ``demo_login_text``); it never overwrites a real users file.
* ``keys generate`` prints a fresh random key (for secrets.toml or the environment).
* ``keys rotate --db casework|analytics`` re-encrypts one database file
  (``auth.encryption.rotate_key``). Keys are read from environment variables only — never from
  the command line, where they would land in the shell history and ``ps`` — and never printed.

Nothing here prints personal data: audit rows are summarised by sequence number and problem,
never by content.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys

DEFAULT_NEW_KEY_ENV = "KODOMO_NEW_KEY"
DEFAULT_OLD_KEY_ENV = "KODOMO_OLD_KEY"


def cli_actor() -> str:
    """Who is acting in the audit log when the shell, not a signed-in user, does something."""
    try:
        who = getpass.getuser()
    except Exception:  # no login name (container without /etc/passwd entry)
        who = "unknown"
    return f"cli:{who}"[:64]


def principal_for(username: str):
    """The principal of `--as USER` as the app would build it (role, scope, session epoch).

    Every command that acts for a person (extracts, list acceptance) names them this way, and the
    authorisation matrix then decides as it would in the app. LookupError: unknown or inactive.
    """
    from kodomo_dash.security import sessions
    from kodomo_dash.security.users import UserFileError, load_users
    from kodomo_dash.services.workflow import casework

    try:
        user = load_users().get(username)
    except UserFileError as e:
        raise LookupError(f"利用者ファイルを読めません: {e}") from None
    if user is None or not user.active:
        raise LookupError(f"利用者 {username!r} は存在しないか無効です。")
    with casework() as con:
        return user.principal(sessions.get_epoch(con, username))


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
                     help=f"variable holding the current key (default {DEFAULT_OLD_KEY_ENV}, else the "
                          "database's usual variable, e.g. KODOMO_CASEWORK_KEY)")
    rot.add_argument("--new-key-env", default=DEFAULT_NEW_KEY_ENV, help="variable holding the new key")
    rot.add_argument("--from-plaintext", action="store_true", help="the file is not encrypted yet")
    rot.add_argument("--keep-backup", action="store_true", help="keep <file>.old (readable with the old key)")
    rot.set_defaults(func=cmd_keys_rotate)


# --------------------------------------------------------------------------- audit


def _casework_or_explain(read_only: bool):
    """casework_connection(), or None with a message when there is no casework file yet."""
    from kodomo_dash.infra.db import casework_connection, casework_path

    if not casework_path().exists():
        print(f"casework が見つかりません: {casework_path()} / no casework database yet", file=sys.stderr)
        return None
    return casework_connection(read_only=read_only)


def _has_audit_tables(con) -> bool:
    return bool(con.execute(
        "select count(*) from duckdb_tables() where table_name in ('audit_log', 'audit_head')").fetchone()[0] == 2)


def cmd_audit_verify(args: argparse.Namespace) -> int:
    from kodomo_dash.security import audit

    anchor = None
    if args.anchor:
        try:
            anchor = audit.parse_anchor(args.anchor)
        except ValueError as e:
            print(str(e), file=sys.stderr)
            return 2
    ctx = _casework_or_explain(read_only=True)
    if ctx is None:
        return 2
    with ctx as con:
        if not _has_audit_tables(con):
            print("audit trail not created yet (no audit_log table) / 操作ログはまだありません", file=sys.stderr)
            return 2
        result = audit.verify(con, anchor=anchor)
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
    from kodomo_dash.infra.migrate import migrate
    from kodomo_dash.security import audit

    if args.days is not None and args.days < 1:
        print("--days must be at least 1", file=sys.stderr)
        return 2
    ctx = _casework_or_explain(read_only=False)
    if ctx is None:
        return 2
    with ctx as con:
        migrate(con)
        days = args.days if args.days is not None else audit.load_config(con).retention_days
        try:
            result = audit.prune(con, cli_actor(), retention_days=days)
        except audit.AuditTampered as e:
            print("操作ログが検証できないため削除しません（証拠を残します）/ refusing to prune a broken chain:",
                  file=sys.stderr)
            print(str(e), file=sys.stderr)
            return 1
        check = audit.verify(con)
    if result.pruned:
        print(f"pruned {result.pruned} rows older than {days} days (through seq {result.through_seq})")
    else:
        print(f"nothing older than {days} days")
    print("audit chain OK after prune" if check.ok else "audit chain BROKEN after prune")
    return 0 if check.ok else 1


def cmd_audit_retention(args: argparse.Namespace) -> int:
    from kodomo_dash.infra.migrate import migrate
    from kodomo_dash.security import audit

    ctx = _casework_or_explain(read_only=args.days is None)
    if ctx is None:
        return 2
    with ctx as con:
        if args.days is None:
            print(f"retention: {audit.load_config(con).retention_days} days")
            return 0
        if args.days < 1:
            print("--days must be at least 1", file=sys.stderr)
            return 2
        migrate(con)
        set_retention_days(con, args.days, cli_actor())
    print(f"retention set to {args.days} days")
    return 0


def set_retention_days(con, days: int, actor) -> None:
    """Store audit.retention_days and audit the change (the admin page and the CLI share this)."""
    from kodomo_dash.security import audit

    key = audit.SETTING_KEYS["retention_days"]
    who = actor.username if hasattr(actor, "username") else str(actor)
    from kodomo_dash.infra.transaction import transaction

    with transaction(con):  # the setting and its audit row commit together
        con.execute(
            "insert into app_setting (key, value, updated_by, updated_at) values (?, ?, ?, current_timestamp) "
            "on conflict (key) do update set value = excluded.value, updated_by = excluded.updated_by, "
            "updated_at = excluded.updated_at",
            [key, str(int(days)), who],
        )
        audit.record(con, actor, "setting_change", target=key, detail={"setting": key, "value": int(days)})


# --------------------------------------------------------------------------- users


def cmd_users_demo(args: argparse.Namespace) -> int:
    from kodomo_dash.security.users import UserFileError, create_demo_users, demo_login_text

    try:
        creds = create_demo_users(force=args.force)
    except UserFileError as e:
        print(str(e), file=sys.stderr)
        return 2
    print(demo_login_text(creds))
    return 0


# --------------------------------------------------------------------------- keys


def cmd_keys_generate(args: argparse.Namespace) -> int:
    from kodomo_dash.infra.encryption import generate_key

    print(generate_key())
    return 0


def _old_key(args: argparse.Namespace) -> str | None:
    from kodomo_dash.infra import encryption

    if args.from_plaintext:
        return None
    if args.old_key_env:
        value = os.environ.get(args.old_key_env)
        if not value:
            raise encryption.KeyMissing(f"環境変数 {args.old_key_env} が空です / {args.old_key_env} is not set")
        return value
    if os.environ.get(DEFAULT_OLD_KEY_ENV):
        return os.environ[DEFAULT_OLD_KEY_ENV]
    return encryption.load_key(args.db, secrets=None)


def cmd_keys_rotate(args: argparse.Namespace) -> int:
    from kodomo_dash.infra import encryption
    from kodomo_dash.infra.db import analytics_path, casework_path

    path = casework_path() if args.db == "casework" else analytics_path()
    if not path.exists():
        print(f"{path} が見つかりません / not found", file=sys.stderr)
        return 2
    new_key = os.environ.get(args.new_key_env or "")
    if not new_key:
        print(f"新しいキーを環境変数 {args.new_key_env} に設定してください（`kodomo keys generate` で作成）"
              f" / set the new key in ${args.new_key_env}", file=sys.stderr)
        return 2
    old_key = None
    try:
        old_key = _old_key(args)
        if old_key is not None and old_key == new_key:
            print("新旧のキーが同じです / the new key equals the old key", file=sys.stderr)
            return 2
        result = encryption.rotate_key(path, old_key, new_key, keep_backup=args.keep_backup)
    except encryption.EncryptionError as e:
        print(str(e), file=sys.stderr)
        return 2
    except Exception as e:  # a wrong old key surfaces as a duckdb error; never echo a key
        message = str(e)
        for key in (old_key, new_key):
            if key:
                message = message.replace(key, "***")
        print(f"キーの切替に失敗しました（元のファイルはそのままです）/ rotation failed: {message}", file=sys.stderr)
        return 1
    rows = sum(result.tables.values())
    print(f"{path}: re-encrypted under the new key ({len(result.tables)} tables, {rows:,} rows)")
    if result.backup is not None:
        print(f"backup (old key) kept at {result.backup}: delete it once checked")
    print("次に: 新しいキーを secrets/環境変数に設定し、古いキーを削除してください。"
          " / next: put the new key in secrets or the environment and remove the old one.")
    return 0
