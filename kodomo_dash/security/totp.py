"""Second factor: 6-digit TOTP (RFC 6238, 30-second step) with single use.

Why TOTP and not e-mailed codes (as streamlit-authenticator, used before decision 060, offers):
those are 4-digit codes sent through a remote service, which a closed municipal network cannot
reach and which is weaker. Any authenticator app (or the demo helper) produces these codes offline.

Single use: the last accepted time step per user is kept in casework
(auth_totp_used); a code is accepted only for a step strictly later than that, with a
conditional upsert so two sessions submitting the same code at once cannot both win.
One step of clock drift either side is tolerated (valid_window=1), as RFC 6238 advises.
"""

from __future__ import annotations

import threading
import unicodedata
from datetime import UTC, datetime

import duckdb
import pyotp

from kodomo_dash.infra.transaction import transaction

DIGITS = 6
INTERVAL = 30
ISSUER = "kodomo-dash"

_lock = threading.Lock()


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _ts(now: datetime) -> float:
    """Naive datetimes are UTC throughout the auth package."""
    return now.replace(tzinfo=UTC).timestamp()


def new_secret() -> str:
    """A fresh 160-bit base32 secret (the RFC 4226 recommended length)."""
    return pyotp.random_base32(32)


def _totp(secret: str) -> pyotp.TOTP:
    return pyotp.TOTP(secret, digits=DIGITS, interval=INTERVAL)


def provisioning_uri(secret: str, username: str, issuer: str = ISSUER) -> str:
    """otpauth:// URI for an authenticator app (show as a QR code on enrolment)."""
    return _totp(secret).provisioning_uri(name=username, issuer_name=issuer)


def current_code(secret: str, now: datetime | None = None) -> str:
    """The code for `now`; the demo prints it so a reviewer can log in without a phone."""
    return _totp(secret).at(_ts(now or utcnow()))


def normalise_code(code: str) -> str | None:
    """'１２３ ４５６' (full-width, spaced) -> '123456'; anything else but 6 digits -> None."""
    c = unicodedata.normalize("NFKC", code or "").replace(" ", "").replace("-", "")
    if len(c) != DIGITS or not c.isascii() or not c.isdigit():
        return None
    return c


def matching_step(secret: str, code: str, now: datetime, valid_window: int = 1) -> int | None:
    """The time step whose code equals `code` (within the drift window), else None."""
    c = normalise_code(code)
    if c is None:
        return None
    t = _totp(secret)
    step = int(_ts(now)) // INTERVAL
    for s in range(step - valid_window, step + valid_window + 1):
        if pyotp.utils.strings_equal(t.generate_otp(s), c):
            return s
    return None


def verify_and_consume(
    con: duckdb.DuckDBPyConnection,
    username: str,
    secret: str,
    code: str,
    now: datetime | None = None,
    valid_window: int = 1,
) -> bool:
    """True exactly once per accepted time step: the code is correct and not used before.

    The caller counts a False as a failed login (lockout.record_failure), so TOTP guesses
    are throttled like password guesses.
    """
    now = now or utcnow()
    step = matching_step(secret, code, now, valid_window)
    if step is None:
        return False
    with _lock, transaction(con):
        changed = con.execute(
            "insert into auth_totp_used (username, last_step, used_at) values (?, ?, ?) "
            "on conflict (username) do update set last_step = excluded.last_step, used_at = excluded.used_at "
            "where auth_totp_used.last_step < excluded.last_step",
            [username, step, now],
        ).fetchone()[0]
    return changed == 1
