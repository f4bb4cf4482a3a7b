"""A city operator's chores from the shell: the audit chain, its retention, demo users and keys.

`kodomo audit …`, `kodomo users demo` and `kodomo keys …` (``cli/auth.py``) parse arguments and
print; the work is here, so it is the same work whichever driver asks and so the CLI never opens
a database file itself. Two kinds of actor appear:

* :func:`cli_actor` — the shell account, for what nobody signed in does (pruning the audit trail,
  a setting changed from cron, a build's accepted drop, an export from the command line);
* :func:`principal_for` — a user of the users file named with ``--as``, built exactly as the app
  builds a signed-in principal, so the authorisation matrix decides as it would in the app.

Nothing here prints. A refusal is an exception whose message is the operator's, with nothing
personal in it: audit rows are reported by sequence number and problem, never by content, and
keys are read from environment variables only and never appear in a message.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from kodomo_dash.config.messages import CodedError, msg
from kodomo_dash.infra import encryption
from kodomo_dash.infra.db import analytics_path, casework_connection, casework_path, release_casework
from kodomo_dash.infra.migrate import migrate
from kodomo_dash.infra.transaction import transaction
from kodomo_dash.security import audit, sessions
from kodomo_dash.security import users as users_mod
from kodomo_dash.security.principal import Principal
from kodomo_dash.services.errors import KeyRotationFailed, Unavailable
from kodomo_dash.services.workflow import casework

__all__ = ["DEFAULT_NEW_KEY_ENV", "DEFAULT_OLD_KEY_ENV", "PruneOutcome", "cli_actor", "create_demo_users",
           "generate_key", "parse_anchor", "principal_for", "prune_audit", "require_casework", "retention_days",
           "rotate_key", "set_retention_days", "verify_audit_chain"]  # fmt: skip

# Keys travel in environment variables, never on the command line (shell history, `ps`).
DEFAULT_NEW_KEY_ENV = "KODOMO_NEW_KEY"
DEFAULT_OLD_KEY_ENV = "KODOMO_OLD_KEY"
DATABASES = ("casework", "analytics")


# --------------------------------------------------------------------------- who is acting


def cli_actor() -> str:
    """Who is acting in the audit log when the shell, not a signed-in user, does something."""
    try:
        who = getpass.getuser()
    except Exception:  # no login name (container without /etc/passwd entry)
        who = "unknown"
    return f"cli:{who}"[:64]


class UnknownPrincipal(CodedError, LookupError):
    """``--as USER`` names nobody who may act: the users file cannot be read, or the user is unknown or
    inactive. A LookupError, worded in both languages for the command line (decision 065)."""


def principal_for(username: str) -> Principal:
    """The principal of `--as USER` as the app would build it (role, scope, session epoch).

    Every command that acts for a person (extracts, list acceptance) names them this way, and the
    authorisation matrix then decides as it would in the app. LookupError: unknown or inactive.
    """
    try:
        user = users_mod.load_users().get(username)
    except users_mod.UserFileError as e:
        raise UnknownPrincipal(msg("op.users_unreadable", reason=getattr(e, "message", str(e)))) from None
    if user is None or not user.active:
        raise UnknownPrincipal(msg("op.unknown_user", username=username))
    with casework() as con:
        return user.principal(sessions.get_epoch(con, username))


# --------------------------------------------------------------------------- the audit chain


def require_casework() -> None:
    """Refuse (Unavailable) before there is a casework file: a chore must not create an empty one."""
    if not casework_path().exists():
        raise Unavailable(f"casework が見つかりません: {casework_path()} / no casework database yet")


@contextmanager
def _existing_casework(read_only: bool) -> Iterator[duckdb.DuckDBPyConnection]:
    require_casework()
    with casework_connection(read_only=read_only) as con:
        yield con


def parse_anchor(text: str) -> tuple[int, str]:
    """`seq:hash` as printed by an earlier verify; ValueError (with the expected form) otherwise."""
    return audit.parse_anchor(text)


def verify_audit_chain(anchor: tuple[int, str] | None = None) -> audit.VerifyResult:
    """Walk the whole chain (read-only); with an anchor kept elsewhere, also find a rewritten chain.

    Unavailable without a casework file or before the audit trail exists: there is nothing to verify,
    which a monitoring check must not mistake for an intact chain.
    """
    with _existing_casework(read_only=True) as con:
        present = con.execute(
            "select count(*) from duckdb_tables() where table_name in ('audit_log', 'audit_head')").fetchone()[0]
        if present != 2:
            raise Unavailable("audit trail not created yet (no audit_log table) / 操作ログはまだありません")
        return audit.verify(con, anchor=anchor)


@dataclass(frozen=True)
class PruneOutcome:
    """What a retention run did, and whether the chain still verifies afterwards."""

    days: int  # the retention period applied
    pruned: int  # rows deleted
    through_seq: int | None  # the newest deleted row
    chain_ok: bool  # the chain verified after the prune


def prune_audit(days: int | None = None, actor: Principal | str | None = None) -> PruneOutcome:
    """Delete audit rows older than the retention period (default: the stored setting, else 3 years).

    ``audit.prune`` refuses a chain that does not verify (AuditTampered: the evidence is kept) and
    leaves a checkpoint plus a chained ``retention`` row, so the remaining chain still verifies;
    that is checked again here. Unavailable without a casework file.
    """
    if days is not None and days < 1:
        raise ValueError(f"保存期間は1日以上で指定してください（{days}日） / retention must be at least 1 day")
    with _existing_casework(read_only=False) as con:
        migrate(con)
        days = days if days is not None else audit.load_config(con).retention_days
        result = audit.prune(con, actor or cli_actor(), retention_days=days)
        check = audit.verify(con)
    return PruneOutcome(days, result.pruned, result.through_seq, check.ok)


def retention_days() -> int:
    """The retention period prune applies (app_setting, else the default), read without writing."""
    with _existing_casework(read_only=True) as con:
        return audit.load_config(con).retention_days


def set_retention_days(days: int, actor: Principal | str | None = None) -> None:
    """Store audit.retention_days; the setting and its audit row commit together. Unavailable without casework."""
    if int(days) < 1:
        raise ValueError(f"保存期間は1日以上で指定してください（{days}日） / retention must be at least 1 day")
    actor = actor or cli_actor()
    key = audit.SETTING_KEYS["retention_days"]
    who = actor.username if isinstance(actor, Principal) else str(actor)
    with _existing_casework(read_only=False) as con:
        migrate(con)
        with transaction(con):
            con.execute(
                "insert into app_setting (key, value, updated_by, updated_at) values (?, ?, ?, current_timestamp)"
                " on conflict (key) do update set value = excluded.value, updated_by = excluded.updated_by,"
                " updated_at = excluded.updated_at",
                [key, str(int(days)), who],
            )
            audit.record(con, actor, "setting_change", target=key, detail={"setting": key, "value": int(days)})


# --------------------------------------------------------------------------- users


def busiest_units(con, rows: str, params: list | None = None) -> dict[str, tuple[str, ...]]:
    """The ward and the two schools with most rows in ``rows`` (a FROM clause written in code), as
    the scope of the demo's ward-staff, school and SSW accounts; empty parts are left out.
    """
    top = "select {col} from " + rows + " and {col} is not null group by 1 order by count(*) desc, 1 limit {n}"  # noqa: S608 - rows and columns are written in code
    wards = [r[0] for r in con.execute(top.format(col="ward_code", n=1), params or []).fetchall()]
    schools = [r[0] for r in con.execute(top.format(col="school_code", n=2), params or []).fetchall()]
    return {k: tuple(v) for k, v in (("ward_codes", wards), ("school_codes", schools)) if v}


def built_city_scope() -> dict[str, tuple[str, ...]]:
    """The ward and the two schools with most children in the built city, for the scoped demo accounts.

    So ward staff, the teacher and the SSW of ``kodomo users demo`` see children of the city that is
    built, not codes that exist only in Fukuoka's demo. Empty when no warehouse is built yet (the
    accounts' defaults apply then).
    """
    from contextlib import closing

    from kodomo_dash.infra.db import WarehouseMissing, analytics_cursor

    try:
        with closing(analytics_cursor()) as cur:
            return busiest_units(cur, "features.child_features where true")
    except (WarehouseMissing, duckdb.CatalogException):
        return {}


def create_demo_users(path: Path | None = None, force: bool = False, **scope: tuple[str, ...]) -> str:
    """Write one demo user per role to the users file and return how to log in as each.

    The ward and school accounts get ``scope`` (ward_codes / school_codes, e.g. a scenario's own),
    else the built city's (``built_city_scope``). UserFileError
    (its message says why) for a users file not written by the demo, unless ``force``: running the
    demo never overwrites a city's real accounts.
    """
    return users_mod.demo_login_text(users_mod.create_demo_users(path, force=force, **(scope or built_city_scope())))


# --------------------------------------------------------------------------- keys


def generate_key() -> str:
    """A fresh random key (256 bits) for secrets.toml or the environment."""
    return encryption.generate_key()


def _old_key(db: str, old_key_env: str | None, from_plaintext: bool) -> str | None:
    """The current key: none for a plaintext file, else the named variable, KODOMO_OLD_KEY, or the usual one."""
    if from_plaintext:
        return None
    if old_key_env:
        value = os.environ.get(old_key_env)
        if not value:
            raise encryption.KeyMissing(f"環境変数 {old_key_env} が空です / {old_key_env} is not set")
        return value
    if os.environ.get(DEFAULT_OLD_KEY_ENV):
        return os.environ[DEFAULT_OLD_KEY_ENV]
    return encryption.load_key(db, secrets=None)


def rotate_key(db: str, *, new_key_env: str | None = None, old_key_env: str | None = None,
               from_plaintext: bool = False, keep_backup: bool = False) -> encryption.RotationResult:  # fmt: skip
    """Re-encrypt the casework or analytics file under the key held in ``new_key_env`` (app stopped).

    The new key is read from ``new_key_env`` (default KODOMO_NEW_KEY); the current one from
    ``old_key_env``, else KODOMO_OLD_KEY, else the database's usual variable — none with
    ``from_plaintext``.

    Unavailable when the file does not exist; EncryptionError (KeyMissing among them) for a key
    problem — the new key not set, the same key twice, a bad key; KeyRotationFailed for anything
    else (a wrong old key surfaces as a DuckDB error), with both keys blanked out of the message.
    The original file is kept whenever it fails.
    """
    if db not in DATABASES:
        raise ValueError(f"データベースは casework か analytics です（{db!r}）")
    path = casework_path() if db == "casework" else analytics_path()
    if not path.exists():
        raise Unavailable(f"{path} が見つかりません / not found")
    new_key_env = DEFAULT_NEW_KEY_ENV if new_key_env is None else new_key_env
    new_key = os.environ.get(new_key_env or "")
    if not new_key:
        raise encryption.KeyMissing(
            f"新しいキーを環境変数 {new_key_env} に設定してください（`kodomo keys generate` で作成）"
            f" / set the new key in ${new_key_env}")  # fmt: skip
    old_key = None
    try:
        old_key = _old_key(db, old_key_env, from_plaintext)
        if old_key is not None and old_key == new_key:
            raise encryption.EncryptionError("新旧のキーが同じです / the new key equals the old key")
        if db == "casework":
            release_casework(path)  # this process's lingering attachment must not hold the old file
        return encryption.rotate_key(path, old_key, new_key, keep_backup=keep_backup)
    except encryption.EncryptionError:
        raise
    except Exception as e:  # never echo a key, not even in a chained traceback
        message = str(e)
        for key in (old_key, new_key):
            if key:
                message = message.replace(key, "***")
        raise KeyRotationFailed(f"キーの切替に失敗しました（元のファイルはそのままです）/ rotation failed: {message}") from None
