"""The user administration services directly: admin only, scope shown, sessions ended with an audit row,
and the refusals a page must not get wrong (yourself, an unknown user, a session already ended)."""

from __future__ import annotations

import pytest

from kodomo_dash.security import sessions
from kodomo_dash.security import users as users_mod
from kodomo_dash.security.matrix import AccessDenied
from kodomo_dash.security.principal import Principal
from kodomo_dash.services import users
from kodomo_dash.services.unit_of_work import casework
from tests.casework_people import empty_casework, rows

ADMIN = Principal("admin", "admin")


@pytest.fixture
def folder(tmp_path, monkeypatch):
    folder = empty_casework(tmp_path, monkeypatch)
    path = tmp_path / "users.yaml"
    users_mod.create_demo_users(path, rounds=4)
    monkeypatch.setenv("KODOMO_USERS", str(path))
    return folder


def test_the_table_lists_every_account_without_secrets_and_only_for_the_admin(folder):
    table = users.user_table(ADMIN)
    assert {"admin", "manager", "ward_staff"} <= set(table["username"])
    assert not {"password_hash", "totp_secret"} & set(table.columns)
    with pytest.raises(AccessDenied):
        users.user_table(Principal("manager", "manager"))


def test_an_admin_ends_a_session_and_the_end_is_audited(folder):
    with casework() as con:
        info = sessions.start(con, "manager", sessions.get_epoch(con, "manager"))
    short = info.short_id
    assert short in set(users.open_sessions(ADMIN)["short_id"])
    assert users.end_session(ADMIN, short) == "manager"
    assert short not in set(users.open_sessions(ADMIN)["short_id"])
    assert rows(folder, "select username, action, target from audit_log where action = 'logout'") == [
        ("admin", "logout", "manager")]
    with pytest.raises(users.UserActionRefused):
        users.end_session(ADMIN, short)  # already ended


def test_refusals_for_yourself_and_for_nobody(folder):
    with pytest.raises(users.UserActionRefused):
        users.revoke_user(ADMIN, "admin")
    with pytest.raises(users.UserActionRefused):
        users.unlock_user(ADMIN, "nobody")
    users.unlock_user(ADMIN, "manager")
    assert rows(folder, "select target from audit_log where action = 'setting_change'") == [("manager",)]
