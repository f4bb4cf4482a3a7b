"""Sign-in through the city's identity provider (OpenID Connect via Streamlit's st.login; decision 064).

Streamlit does the protocol: it redirects to the provider, checks the identity token (signature,
issuer, audience, nonce) and keeps its claims in its own signed HttpOnly cookie, which it reads
into ``st.user`` whenever a new browser session starts. This module decides what those claims
may open, with no Streamlit import:

* **Who**: the person is the product's user whose ``oidc_subject`` is the token's ``sub``, or,
  failing that, whose ``email`` is the token's ``email`` (one user only, and not when the provider
  says the address is unverified). Role and scope come from the product's user list, never from
  the provider. An unknown, ambiguous or inactive identity is refused and audited.
* **Which sign-in**: each sign-in at the provider is bound to a row of ``auth_oidc_signin``, keyed
  by the SHA-256 of the token's issuer, subject, ``iat`` and ``nonce``; every tab it opens gets its
  own ``auth_session`` row (method ``oidc``) linked to it. Signing out ends the row. A cookie
  whose row has ended — or one of whose sessions was ended by sign-out, an administrator, a
  password change, deactivation or a timeout — is refused as ``stale_session`` and audited: a
  copy of the cookie taken before sign-out signs nobody in after it. A new sign-in at the
  provider has a new ``iat`` and ``nonce``, so a new row.
* **How long**: the absolute timeout counts from the provider sign-in for every tab it opens;
  a cookie presented after the idle timeout has passed for all its tabs is refused too.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import duckdb

from kodomo_dash.config.messages import Message, msg
from kodomo_dash.infra.transaction import transaction
from kodomo_dash.security import audit, sessions
from kodomo_dash.security.sessions import SessionPolicy
from kodomo_dash.security.totp import utcnow
from kodomo_dash.security.users import UserRecord

METHOD = "oidc"


@dataclass(frozen=True)
class Identity:
    """What the provider said about the person, from the identity token's claims."""

    issuer: str
    subject: str
    email: str
    email_verified: bool | None
    issued_at: datetime
    nonce: str

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any]) -> Identity:
        """ValueError when a claim the binding needs (sub, iat) is missing."""
        sub, iat = claims.get("sub"), claims.get("iat")
        if not sub or not isinstance(iat, int | float) or isinstance(iat, bool):
            raise ValueError("identity token claims lack sub or iat")
        verified = claims.get("email_verified")
        return cls(
            issuer=str(claims.get("iss") or ""),
            subject=str(sub),
            email=str(claims.get("email") or "").strip(),
            email_verified=verified if isinstance(verified, bool) else None,
            issued_at=datetime.fromtimestamp(float(iat), UTC).replace(tzinfo=None),
            nonce=str(claims.get("nonce") or ""),
        )

    @property
    def binding(self) -> str:
        """The SHA-256 that names this one sign-in at the provider (stored instead of the claims)."""
        raw = json.dumps([self.issuer, self.subject, self.issued_at.isoformat(), self.nonce])
        return hashlib.sha256(raw.encode("utf-8")).hexdigest()

    @property
    def short_subject(self) -> str:
        """The subject as the audit trail keeps it: a hash prefix, enough to tell identities apart."""
        return hashlib.sha256(f"{self.issuer}|{self.subject}".encode()).hexdigest()[:12]


@dataclass(frozen=True)
class Match:
    user: UserRecord | None
    reason: str = ""  # unknown | ambiguous | inactive

    @property
    def ok(self) -> bool:
        return self.user is not None and not self.reason


def match_user(users: Mapping[str, UserRecord], identity: Identity) -> Match:
    """The product's user this identity is: by subject first, then by a verified-or-unstated e-mail."""
    by_subject = [u for u in users.values() if u.oidc_subject and u.oidc_subject == identity.subject]
    found = by_subject
    if not found and identity.email and identity.email_verified is not False:
        email = identity.email.casefold()
        found = [u for u in users.values() if u.email and u.email.strip().casefold() == email]
    if not found:
        return Match(None, "unknown")
    if len(found) > 1:
        return Match(None, "ambiguous")
    if not found[0].active:
        return Match(found[0], "inactive")
    return Match(found[0])


@dataclass(frozen=True)
class Outcome:
    """The result of presenting an identity: a session, or why not (and what the person is told)."""

    session: sessions.SessionInfo | None
    reason: str = ""  # unknown | ambiguous | inactive | stale_session | idle | absolute | epoch | claims
    username: str = ""
    first: bool = False  # True for a new provider sign-in, False for a new tab of an existing one

    @property
    def ok(self) -> bool:
        return self.session is not None

    def message(self) -> Message | None:
        """What the person is told of a refusal, worded where it is shown (None for a session)."""
        return None if self.ok else msg(f"oidc.refused.{self.reason}")


def _binding_state(con: duckdb.DuckDBPyConnection, binding: str) -> tuple | None:
    """(username, epoch, started_at, ended_at, any session ended, last seen of its sessions) or None."""
    return con.execute(
        "select b.username, b.epoch, b.started_at, b.ended_at,"
        " (select count(*) from auth_oidc_session l join auth_session s using (session_id)"
        "   where l.binding = b.binding and s.ended_at is not null),"
        " (select max(s.last_seen_at) from auth_oidc_session l join auth_session s using (session_id)"
        "   where l.binding = b.binding)"
        " from auth_oidc_signin b where b.binding = ?",
        [binding],
    ).fetchone()


def sign_in(
    con: duckdb.DuckDBPyConnection,
    users: Mapping[str, UserRecord],
    claims: Mapping[str, Any],
    now: datetime | None = None,
    policy: SessionPolicy | None = None,
    address: str | None = None,
) -> Outcome:
    """Open a session for the identity in ``claims`` (st.user), or refuse it; both are audited.

    ``address`` binds the new tab session to the client address, as for a password sign-in.
    """
    now = now or utcnow()
    policy = policy or SessionPolicy()
    try:
        identity = Identity.from_claims(claims)
    except ValueError:
        audit.record(con, "unknown", "login_failed", detail={"reason": "claims", "method": METHOD}, now=now)
        return Outcome(None, "claims")
    binding = identity.binding
    state = _binding_state(con, binding)
    if state is not None:
        username, epoch, started_at, ended_at, ended_sessions, last_seen = state
        reason = ""
        if ended_at is not None or ended_sessions:
            reason = "stale_session"
        elif now - started_at > policy.absolute:
            reason = "absolute"
        elif last_seen is not None and now - last_seen > policy.idle:
            reason = "idle"
        elif epoch != sessions.get_epoch(con, username):
            reason = "epoch"
        if reason:
            end(con, binding, reason if reason != "stale_session" else "ended", by="system", now=now)
            audit.record(con, username, "login_failed",
                         detail={"reason": "stale_session", "method": METHOD, "why": reason,
                                 "oidc_signin": binding[: sessions.SHORT_ID]}, now=now)  # fmt: skip
            return Outcome(None, reason, username)
    match = match_user(users, identity)
    if not match.ok:
        who = match.user.username if match.user is not None else "unknown"
        audit.record(con, who, "login_failed",
                     detail={"reason": f"oidc_{match.reason}", "method": METHOD,
                             "subject": identity.short_subject}, now=now)  # fmt: skip
        return Outcome(None, match.reason, who)
    user = match.user
    if state is not None and state[0] != user.username:  # the user list changed under a live sign-in
        end(con, binding, "ended", by="system", now=now)
        audit.record(con, user.username, "login_failed",
                     detail={"reason": "stale_session", "method": METHOD, "why": "user_changed"}, now=now)
        return Outcome(None, "stale_session", user.username)
    with transaction(con):
        epoch = sessions.get_epoch(con, user.username)
        first = state is None
        if first:
            con.execute(
                "insert into auth_oidc_signin (binding, username, epoch, issued_at, started_at) values (?, ?, ?, ?, ?)",
                [binding, user.username, epoch, identity.issued_at, now],
            )
        authenticated_at = now if first else state[2]
        info = sessions.start(con, user.username, epoch, now, authenticated_at, METHOD, address)
        con.execute("insert into auth_oidc_session (session_id, binding) values (?, ?)", [info.session_id, binding])
    audit.record(con, user.principal(epoch), "login",
                 detail={"method": METHOD, "session": info.short_id, "oidc_signin": binding[: sessions.SHORT_ID],
                         "new_provider_sign_in": first}, now=now)  # fmt: skip
    return Outcome(info, "", user.username, first)


def end(con: duckdb.DuckDBPyConnection, binding: str, reason: str, by: str, now: datetime | None = None) -> None:
    """End a provider sign-in and every open tab session it opened."""
    now = now or utcnow()
    con.execute("update auth_oidc_signin set ended_at = ?, end_reason = ?, ended_by = ?"
                " where binding = ? and ended_at is null", [now, reason, by, binding])  # fmt: skip
    con.execute(
        "update auth_session set ended_at = ?, end_reason = ?, ended_by = ? where ended_at is null"
        " and session_id in (select session_id from auth_oidc_session where binding = ?)",
        [now, reason, by, binding],
    )


def end_for_session(
    con: duckdb.DuckDBPyConnection, session_id: str, reason: str, by: str, now: datetime | None = None
) -> bool:
    """End the provider sign-in a tab session came from (sign-out, a timeout); False if it had none."""
    row = con.execute("select binding from auth_oidc_session where session_id = ?", [session_id]).fetchone()
    if row is None:
        return False
    end(con, row[0], reason, by, now)
    return True
