"""Session lifetime: per-user epoch, idle timeout and absolute timeout.

streamlit-authenticator's re-login cookie is a JWT of (username, expiry) signed with the
cookie key: it survives a password change and a revoke. Each user therefore has a session
epoch in casework; a password change or revoke bumps it, and a session or cookie issued
before the bump is refused. Timeouts follow ASVS 5 V7.3 for sensitive data: idle at most
30 minutes, absolute at most 12 hours from the password being typed (a cookie re-login
does not restart the absolute clock).

The session record itself lives in st.session_state (one per browser tab, never in a
cache shared across users); the functions here are pure so they can be tested with an
injected clock.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import duckdb

from kodomo_dash.infra.transaction import transaction
from kodomo_dash.security.totp import utcnow

MAX_IDLE = timedelta(minutes=30)
MAX_ABSOLUTE = timedelta(hours=12)

_lock = threading.Lock()


@dataclass(frozen=True)
class SessionPolicy:
    idle: timedelta = MAX_IDLE
    absolute: timedelta = MAX_ABSOLUTE

    def __post_init__(self) -> None:
        if not (timedelta(0) < self.idle <= MAX_IDLE) or not (timedelta(0) < self.absolute <= MAX_ABSOLUTE):
            raise ValueError("idle must be in (0, 30 min] and absolute in (0, 12 h]")


@dataclass(frozen=True)
class SessionInfo:
    """What a signed-in tab remembers. authenticated_at is when the password was typed."""

    username: str
    epoch: int
    authenticated_at: datetime
    last_seen: datetime
    method: str = "password"  # or "cookie"


@dataclass(frozen=True)
class SessionCheck:
    ok: bool
    reason: str = ""  # idle | absolute | epoch | inactive

    def message_ja(self) -> str:
        return {
            "idle": "一定時間操作がなかったため、ログアウトしました。もう一度ログインしてください。",
            "absolute": "ログインから長時間が経過したため、ログアウトしました。もう一度ログインしてください。",
            "epoch": "パスワードの変更または権限の取り消しがあったため、ログアウトしました。",
            "inactive": "このアカウントは現在利用できません。管理者に連絡してください。",
        }.get(self.reason, "")


# --------------------------------------------------------------------------- epochs


def get_epoch(con: duckdb.DuckDBPyConnection, username: str) -> int:
    row = con.execute("select epoch from auth_session_epoch where username = ?", [username]).fetchone()
    return int(row[0]) if row else 0


def epoch_changed_at(con: duckdb.DuckDBPyConnection, username: str) -> datetime | None:
    row = con.execute("select changed_at from auth_session_epoch where username = ?", [username]).fetchone()
    return row[0] if row else None


def bump_epoch(
    con: duckdb.DuckDBPyConnection, username: str, reason: str, now: datetime | None = None
) -> int:
    """Invalidate every session and re-login cookie of `username`; returns the new epoch."""
    now = now or utcnow()
    with _lock, transaction(con):
        return int(
            con.execute(
                "insert into auth_session_epoch (username, epoch, changed_at, reason) values (?, 1, ?, ?) "
                "on conflict (username) do update set epoch = auth_session_epoch.epoch + 1, "
                "changed_at = excluded.changed_at, reason = excluded.reason returning epoch",
                [username, now, reason],
            ).fetchone()[0]
        )


# --------------------------------------------------------------------------- checks


def start(
    username: str,
    epoch: int,
    now: datetime | None = None,
    authenticated_at: datetime | None = None,
    method: str = "password",
) -> SessionInfo:
    now = now or utcnow()
    return SessionInfo(username, epoch, authenticated_at or now, now, method)


def check(
    info: SessionInfo,
    current_epoch: int,
    now: datetime | None = None,
    policy: SessionPolicy = SessionPolicy(),
    active: bool = True,
) -> SessionCheck:
    """Is this session still valid? Checked on every rerun before anything is shown."""
    now = now or utcnow()
    if not active:
        return SessionCheck(False, "inactive")
    if info.epoch != current_epoch:
        return SessionCheck(False, "epoch")
    if now - info.authenticated_at > policy.absolute:
        return SessionCheck(False, "absolute")
    if now - info.last_seen > policy.idle:
        return SessionCheck(False, "idle")
    return SessionCheck(True)


def touch(info: SessionInfo, now: datetime | None = None) -> SessionInfo:
    return replace(info, last_seen=now or utcnow())


def cookie_issued_at(exp_date: float, expiry_days: float) -> datetime:
    """When a streamlit-authenticator cookie was issued: its expiry minus its lifetime."""
    return datetime.fromtimestamp(exp_date, UTC).replace(tzinfo=None) - timedelta(days=expiry_days)


def cookie_acceptable(
    issued_at: datetime,
    changed_at: datetime | None,
    now: datetime | None = None,
    policy: SessionPolicy = SessionPolicy(),
) -> bool:
    """A re-login cookie counts only if issued after the last epoch bump and within the absolute limit."""
    now = now or utcnow()
    if changed_at is not None and issued_at <= changed_at:
        return False
    return -timedelta(minutes=1) <= now - issued_at <= policy.absolute
