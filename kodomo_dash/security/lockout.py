"""Time-based account lockout, counted per username in casework.

streamlit-authenticator's own `max_login_attempts` locks an account for good (until
someone edits the config) and its re-login cookie bypasses the counter. Here, after
MAX_FAILURES consecutive failures on any login path (password form, re-login cookie, TOTP
step) the account is refused for LOCK_MINUTES, then the count starts again. Attempts
while locked are refused without checking the password and do not extend the lock, so an
attacker cannot keep a colleague locked out by hammering the form (only delay them).

Unknown usernames are counted the same way, so "locked" does not reveal whether an account
exists. Usernames are normalised like streamlit-authenticator does (strip, lower case)
and stored only as a sha256 key: people do type their password into the username box,
and that must not end up in a table.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

import duckdb

from kodomo_dash.config.messages import Message, msg
from kodomo_dash.infra.transaction import transaction
from kodomo_dash.security.totp import utcnow

MAX_FAILURES = 6
LOCK_MINUTES = 30
MAX_USERNAME = 256

_lock = threading.Lock()


@dataclass(frozen=True)
class LockoutPolicy:
    max_failures: int = MAX_FAILURES
    lock_for: timedelta = timedelta(minutes=LOCK_MINUTES)


@dataclass(frozen=True)
class LockStatus:
    locked: bool
    failures: int
    locked_until: datetime | None

    def message(self) -> Message | None:
        """The refusal the sign-in page words in the viewer's language (None when not locked)."""
        if not self.locked or self.locked_until is None:
            return None
        return msg("signin.locked")

    def message_ja(self) -> str:
        m = self.message()
        return "" if m is None else m.text("ja")


def normalise_username(username: str | None) -> str:
    return (username or "").strip().lower()[:MAX_USERNAME]


def user_key(username: str | None) -> str:
    """The row key for a typed username: a hash, never the text itself."""
    return hashlib.sha256(("kodomo-lockout\x1f" + normalise_username(username)).encode("utf-8")).hexdigest()


def status(
    con: duckdb.DuckDBPyConnection,
    username: str,
    now: datetime | None = None,
    policy: LockoutPolicy = LockoutPolicy(),
) -> LockStatus:
    now = now or utcnow()
    row = con.execute(
        "select failures, locked_until from auth_login_failure where user_key = ?", [user_key(username)]
    ).fetchone()
    if row is None:
        return LockStatus(False, 0, None)
    failures, until = row
    if until is not None and until > now:
        return LockStatus(True, failures, until)
    if until is not None:  # the lock has run out: a fresh start
        return LockStatus(False, 0, None)
    return LockStatus(False, failures, None)


def record_failure(
    con: duckdb.DuckDBPyConnection,
    username: str,
    now: datetime | None = None,
    policy: LockoutPolicy = LockoutPolicy(),
) -> LockStatus:
    """Count one failed attempt; returns the status after it (locked when the limit is hit)."""
    now = now or utcnow()
    key = user_key(username)
    with _lock, transaction(con):
        current = status(con, username, now, policy)
        if current.locked:
            con.execute("update auth_login_failure set last_failure_at = ? where user_key = ?", [now, key])
            return current
        failures = current.failures + 1
        until = now + policy.lock_for if failures >= policy.max_failures else None
        con.execute(
            "insert into auth_login_failure (user_key, failures, first_failure_at, last_failure_at, locked_until) "
            "values (?, ?, ?, ?, ?) on conflict (user_key) do update set failures = excluded.failures, "
            "first_failure_at = case when excluded.failures = 1 then excluded.first_failure_at "
            "else auth_login_failure.first_failure_at end, "
            "last_failure_at = excluded.last_failure_at, locked_until = excluded.locked_until",
            [key, failures, now, now, until],
        )
    return LockStatus(until is not None, failures, until)


def record_success(con: duckdb.DuckDBPyConnection, username: str) -> None:
    """A complete sign-in (password and TOTP) clears the count."""
    with _lock, transaction(con):
        con.execute("delete from auth_login_failure where user_key = ?", [user_key(username)])


def unlock(con: duckdb.DuckDBPyConnection, username: str) -> None:
    """Admin action (audited by the caller as setting_change)."""
    record_success(con, username)
