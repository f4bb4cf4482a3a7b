"""Sessions the server can end: per-user epoch, a row per signed-in session, idle and absolute timeouts.

A signed-in browser tab holds a random session id in Streamlit's server-side session state (never
in a cookie or anywhere a page script can read it); casework keeps one ``auth_session`` row per
id (its SHA-256, not the id). Every rerun checks the row: ended (sign-out, an administrator, a
password change or deactivation), idle past the policy, older than the absolute limit, or from
before the user's session epoch moved — any of these signs the tab out (decision 060). Timeouts
follow ASVS 5 V7.3 for sensitive data: idle at most 30 minutes, absolute at most 12 hours from the
password being typed. A reload of the page starts a new Streamlit session, so it asks again.

A session is also bound to the client address it was opened from (the connection's peer, or behind
a trusted reverse proxy the last X-Forwarded-For entry): Streamlit reconnects a tab to its server
session by an id kept in the tab's sessionStorage, so a copy of that id used from another machine
would reach the same session; the row keeps an HMAC of the address under a key that lives only in
this process's memory (sessions do not outlive the process), and a rerun from another address ends
the session.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
import threading
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import duckdb

from kodomo_dash.config.messages import CodedError, Message, msg
from kodomo_dash.infra.transaction import transaction
from kodomo_dash.security.totp import utcnow

MAX_IDLE = timedelta(minutes=30)
MAX_ABSOLUTE = timedelta(hours=12)
# last_seen_at is written at most this often: a click is not a write, the idle clock stays exact
# to the minute.
TOUCH_EVERY = timedelta(seconds=60)
WARN_BEFORE = timedelta(minutes=5)  # the page warns this long before the idle timeout

_lock = threading.Lock()
SHORT_ID = 12  # characters of the stored id shown to people and written to the audit trail
# Why a session check fails; each has its message, session.<reason> in security/errors.yaml.
REASONS = frozenset({"idle", "absolute", "epoch", "inactive", "ended", "unknown", "address_changed"})
EPOCH_REASONS = frozenset({"password_change", "revoke"})  # bump_epoch's reasons (users.py)
LOCAL = "local"  # the address of a connection from this machine (Streamlit reports loopback as none)
# The key of the address HMACs: random per process, never written anywhere. A Streamlit session
# lives in this process's memory only, so no session needs its row's address after a restart, and a
# copy of casework (a backup) holds nothing from which the addresses can be recovered.
_ADDRESS_KEY = secrets.token_bytes(32)


@dataclass(frozen=True)
class SessionPolicy:
    idle: timedelta = MAX_IDLE
    absolute: timedelta = MAX_ABSOLUTE
    # True only where the city's reverse proxy is the one way to the server (deploy.md §4): then the
    # client's address is the last entry of X-Forwarded-For, which that proxy appends.
    trusted_proxy: bool = False

    def __post_init__(self) -> None:
        if not (timedelta(0) < self.idle <= MAX_IDLE) or not (timedelta(0) < self.absolute <= MAX_ABSOLUTE):
            raise SessionConfigError(msg("session_cfg.limits"))


class SessionConfigError(CodedError, ValueError):
    """The city's sessions.yaml asks for what the policy does not allow (coded, decision 065)."""


def configured_policy() -> SessionPolicy:
    """The city's timeouts (config/sessions.yaml, overlaid by the city's copy); ValueError if too long."""
    from kodomo_dash.config.settings import city_settings

    raw = city_settings("sessions")
    trusted = raw.get("trusted_proxy", False)
    if not isinstance(trusted, bool):
        raise SessionConfigError(msg("session_cfg.trusted_proxy"))
    return SessionPolicy(idle=timedelta(minutes=float(raw.get("idle_minutes", 30))),
                         absolute=timedelta(hours=float(raw.get("absolute_hours", 12))),
                         trusted_proxy=trusted)  # fmt: skip


# --------------------------------------------------------------------------- client address


def client_address(peer: str | None, forwarded_for: list[str] | None = None, trusted_proxy: bool = False) -> str:
    """The address a request comes from, as sessions are bound to it.

    ``peer`` is the connection's address (None for this machine, as Streamlit reports loopback);
    ``forwarded_for`` the X-Forwarded-For header values in order. Only with ``trusted_proxy`` is the
    header read, and then only its last entry: the one the city's proxy appended; entries before
    it are whatever the client sent. An entry that is not an IP address is ignored.
    """
    if trusted_proxy and forwarded_for:
        entries = [e.strip() for value in forwarded_for for e in value.split(",") if e.strip()]
        if entries:
            last = _normalise(entries[-1])
            if last is not None:
                return last
    return _normalise(peer) or LOCAL


def _normalise(address: str | None) -> str | None:
    if not address:
        return None
    try:
        ip = ipaddress.ip_address(address.strip().strip("[]").split("%")[0])
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return LOCAL if ip.is_loopback else str(ip)


def address_hash(address: str) -> str:
    """What the session row keeps of an address: an HMAC under this process's own key."""
    return hmac.new(_ADDRESS_KEY, address.encode("utf-8"), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class SessionInfo:
    """What a signed-in tab remembers (server side). authenticated_at is when the password was typed."""

    username: str
    epoch: int
    authenticated_at: datetime
    last_seen: datetime
    method: str = "password"
    token: str = ""  # the random id; casework stores only its hash

    @property
    def session_id(self) -> str:
        return session_hash(self.token)

    @property
    def short_id(self) -> str:
        """The id as the audit trail and the user page show it (enough to tell sessions apart)."""
        return self.session_id[:SHORT_ID]


@dataclass(frozen=True)
class SessionCheck:
    ok: bool
    reason: str = ""  # one of REASONS

    def message(self) -> Message | None:
        """Why the session ended, for the sign-in page to word in the viewer's language (None if ok)."""
        return msg(f"session.{self.reason}") if self.reason in REASONS else None

    def message_ja(self) -> str:
        m = self.message()
        return "" if m is None else m.text("ja")


def session_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


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
    """Invalidate every session of `username` (their rows end with the reason); returns the new epoch."""
    now = now or utcnow()
    with _lock, transaction(con):
        epoch = int(
            con.execute(
                "insert into auth_session_epoch (username, epoch, changed_at, reason) values (?, 1, ?, ?) "
                "on conflict (username) do update set epoch = auth_session_epoch.epoch + 1, "
                "changed_at = excluded.changed_at, reason = excluded.reason returning epoch",
                [username, now, reason],
            ).fetchone()[0]
        )
        con.execute(
            "update auth_session set ended_at = ?, end_reason = ?, ended_by = 'system'"
            " where username = ? and ended_at is null",
            [now, reason, username],
        )
        return epoch


# --------------------------------------------------------------------------- session rows


def start(
    con: duckdb.DuckDBPyConnection,
    username: str,
    epoch: int,
    now: datetime | None = None,
    authenticated_at: datetime | None = None,
    method: str = "password",
    address: str | None = None,
) -> SessionInfo:
    """Open a session for a user who just passed every step of sign-in; its row is written first.

    ``address`` (``client_address``) binds the session to where sign-in came from; None leaves the
    row unbound (library callers that have no connection, such as kodomo_dash.testing).
    """
    now = now or utcnow()
    info = SessionInfo(username, epoch, authenticated_at or now, now, method, secrets.token_urlsafe(32))
    con.execute(
        "insert into auth_session (session_id, username, method, started_at, authenticated_at, last_seen_at,"
        " client_address_hash) values (?, ?, ?, ?, ?, ?, ?)",
        [info.session_id, username, method, now, info.authenticated_at, now,
         None if address is None else address_hash(address)],
    )
    return info


def check(
    info: SessionInfo,
    current_epoch: int,
    now: datetime | None = None,
    policy: SessionPolicy = SessionPolicy(),
    active: bool = True,
    ended: str | None = None,
    address_changed: bool = False,
) -> SessionCheck:
    """Is this session still valid? Checked on every rerun before anything is shown.

    ``ended`` is the row's end reason (``"unknown"`` when there is no row at all); a row ended by a
    password change or a revoke reads as the epoch moving, which is what happened.
    ``address_changed``: this rerun comes from another address than the session was opened from.
    """
    now = now or utcnow()
    if not active:
        return SessionCheck(False, "inactive")
    if info.epoch != current_epoch or ended in EPOCH_REASONS:
        return SessionCheck(False, "epoch")
    if ended is not None:
        return SessionCheck(False, "unknown" if ended == "unknown" else "ended")
    if address_changed:
        return SessionCheck(False, "address_changed")
    if now - info.authenticated_at > policy.absolute:
        return SessionCheck(False, "absolute")
    if now - info.last_seen > policy.idle:
        return SessionCheck(False, "idle")
    return SessionCheck(True)


def validate(
    con: duckdb.DuckDBPyConnection,
    info: SessionInfo,
    now: datetime | None = None,
    policy: SessionPolicy = SessionPolicy(),
    active: bool = True,
    address: str | None = None,
) -> tuple[SessionCheck, int]:
    """Check a session against its row and the user's epoch in one read; returns (check, epoch).

    ``address`` is where this rerun comes from (``client_address``); a row opened from another
    address is refused as ``address_changed``. None skips the comparison (no connection to ask).
    """
    known, reason, epoch, bound = con.execute(
        "select (select count(*) from auth_session where session_id = ?),"
        " (select coalesce(end_reason, 'ended') from auth_session where session_id = ? and ended_at is not null),"
        " coalesce((select epoch from auth_session_epoch where username = ?), 0),"
        " (select client_address_hash from auth_session where session_id = ?)",
        [info.session_id, info.session_id, info.username, info.session_id],
    ).fetchone()
    state = "unknown" if not known else reason
    changed = address is not None and bound is not None and not hmac.compare_digest(bound, address_hash(address))
    return check(info, int(epoch), now, policy, active=active, ended=state, address_changed=changed), int(epoch)


def touch(
    con: duckdb.DuckDBPyConnection, info: SessionInfo, now: datetime | None = None,
    policy: SessionPolicy = SessionPolicy(),
) -> SessionInfo:
    """Note activity: written to the row at most once a minute (or a tenth of a shorter idle limit)."""
    now = now or utcnow()
    if now - info.last_seen < min(TOUCH_EVERY, policy.idle / 10):
        return info
    con.execute("update auth_session set last_seen_at = ? where session_id = ? and ended_at is null",
                [now, info.session_id])  # fmt: skip
    return replace(info, last_seen=now)


def idle_left(info: SessionInfo, now: datetime | None = None, policy: SessionPolicy = SessionPolicy()) -> timedelta:
    return policy.idle - ((now or utcnow()) - info.last_seen)


def end(
    con: duckdb.DuckDBPyConnection, session_id: str, reason: str, by: str, now: datetime | None = None
) -> bool:
    """End one session by its stored id; False when it had already ended or never existed."""
    row = con.execute(
        "update auth_session set ended_at = ?, end_reason = ?, ended_by = ?"
        " where session_id = ? and ended_at is null returning username",
        [now or utcnow(), reason, by, session_id],
    ).fetchone()
    return row is not None


def end_by_short_id(
    con: duckdb.DuckDBPyConnection, short_id: str, reason: str, by: str, now: datetime | None = None
) -> str | None:
    """End the open session shown as ``short_id``; returns whose it was, or None if none is open."""
    row = con.execute("select session_id, username from auth_session where left(session_id, ?) = ?"
                      " and ended_at is null", [SHORT_ID, short_id]).fetchone()  # fmt: skip
    if row is None:
        return None
    end(con, row[0], reason, by, now)
    return row[1]


def open_sessions(
    con: duckdb.DuckDBPyConnection,
    username: str | None = None,
    now: datetime | None = None,
    policy: SessionPolicy = SessionPolicy(),
):
    """Sessions still alive (not ended, not past a timeout), newest first, as a DataFrame."""
    now = now or utcnow()
    return con.execute(
        "select left(session_id, ?) as short_id, session_id, username, method, started_at, last_seen_at"
        " from auth_session where ended_at is null and last_seen_at > ? and authenticated_at > ?"
        " and (?::varchar is null or username = ?) order by started_at desc",
        [SHORT_ID, now - policy.idle - TOUCH_EVERY, now - policy.absolute, username, username],
    ).df()
