"""Reads and actions of the user administration page (admin only, authz_matrix.yaml: admin_users).

Accounts live in the users file (kodomo_dash.security.users); lockout counters and session epochs in
casework. Every action is audited as a setting_change by kodomo_dash.security (revoke, reactivate) or
here (unlock). An administrator cannot revoke or deactivate their own account from the page, so
the last administrator cannot lock everyone out by a slip of the mouse.

A revoke bumps the user's session epoch; app.py re-reads the epoch on every rerun, so the user's
next click ends their session (tests/pages/test_admin.py proves it).
"""

from __future__ import annotations

import pandas as pd

from kodomo_dash.config.messages import CodedError, msg
from kodomo_dash.config.units import FUKUOKA_WARDS
from kodomo_dash.security import lockout, sessions
from kodomo_dash.security import users as users_mod
from kodomo_dash.security.principal import Principal
from kodomo_dash.services.unit_of_work import unit_of_work

PAGE = "admin_users"
COLUMNS = ["username", "display_name", "role", "ward_codes", "school_codes", "active", "locked", "failures",
           "locked_until", "epoch"]


class UserActionRefused(CodedError, ValueError):
    """An action the page must not do (e.g. revoke yourself); ``.message`` a Message, str() Japanese."""


def user_table(principal: Principal) -> pd.DataFrame:
    """Every account with role, scope, active flag, lock state and session epoch (no hashes, no secrets)."""
    with unit_of_work(principal, PAGE, "view") as w:
        users = users_mod.load_users()
        rows = []
        con = w.con
        for u in users.values():
            lock = lockout.status(con, u.username)
            rows.append({
                "username": u.username, "display_name": u.display_name, "role": u.role,
                "ward_codes": ", ".join(f"{c} {FUKUOKA_WARDS.get(c, '')}".strip() for c in u.ward_codes),
                "school_codes": ", ".join(u.school_codes), "active": u.active, "locked": lock.locked,
                "failures": lock.failures, "locked_until": lock.locked_until,
                "epoch": sessions.get_epoch(con, u.username),
            })
    return pd.DataFrame(rows, columns=COLUMNS)


def _known(username: str) -> None:
    if username not in users_mod.load_users():
        raise UserActionRefused(msg("user.no_such_user", username=username))


def revoke_user(principal: Principal, username: str, *, deactivate: bool = True) -> int:
    """End every session of the user now (and deactivate the account unless told not to).

    The session library bumps the epoch in a transaction of its own, under its lock, as before.
    """
    with unit_of_work(principal, PAGE, "save", library_tx=True) as w:
        _known(username)
        if username == principal.username:
            raise UserActionRefused(msg("user.not_yourself"))
        return users_mod.revoke(w.con, username, principal, deactivate=deactivate)


def reactivate_user(principal: Principal, username: str) -> None:
    with unit_of_work(principal, PAGE, "save") as w:
        _known(username)
        users_mod.reactivate(w.con, username, principal)


def unlock_user(principal: Principal, username: str) -> None:
    """Clear the failure count and any lock now (the user still needs password and TOTP)."""
    with unit_of_work(principal, PAGE, "save") as w:  # the unlock and its audit row commit together
        _known(username)
        lockout.unlock(w.con, username)
        w.record("setting_change", target=username, detail={"setting": "unlock"})


def open_sessions(principal: Principal) -> pd.DataFrame:
    """Every session still signed in: short id, user, how, started, last seen (never the full id)."""
    with unit_of_work(principal, PAGE, "view") as w:
        return sessions.open_sessions(w.con).drop(columns=["session_id"])


def end_session(principal: Principal, short_id: str) -> str:
    """End one session now (the user's next click shows the sign-in form); returns whose it was.

    The row's end and its audit row commit together.
    """
    with unit_of_work(principal, PAGE, "save") as w:
        who = sessions.end_by_short_id(w.con, short_id, "admin", by=principal.username)
        if who is None:
            raise UserActionRefused(msg("user.session_ended", session=short_id))
        w.record("logout", target=who, detail={"reason": "admin", "session": short_id})
    return who
