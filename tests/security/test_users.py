"""The user file: format, validation, re-read on change, demo users, password change and revoke."""

from __future__ import annotations

import os
import stat
from datetime import datetime

import duckdb
import pytest
import yaml

from kodomo_dash.infra.migrate import migrate
from kodomo_dash.security import audit, passwords, sessions, totp, users
from kodomo_dash.security.principal import ROLES

FAST = 4
REPO = users.REPO_ROOT


@pytest.fixture()
def con():
    c = duckdb.connect(":memory:")
    migrate(c)
    yield c
    c.close()


@pytest.fixture()
def demo(tmp_path):
    path = tmp_path / "users.yaml"
    creds = users.create_demo_users(
        path, ward_codes=("40131",), school_codes=("401001", "401002"), rounds=FAST
    )
    return path, creds


def test_demo_users_one_per_role_and_can_log_in(demo):
    path, creds = demo
    assert [c.role for c in creds] == list(ROLES)
    loaded = users.load_users(path)
    for c in creds:
        u = loaded[c.username]
        assert passwords.verify_password(c.password, u.password_hash)
        assert passwords.check_policy(c.password, c.username) == []
        assert u.totp_secret == c.totp_secret
    assert loaded["ward_staff"].ward_codes == ("40131",)
    assert loaded["school"].school_codes == ("401001",)
    assert loaded["ssw"].school_codes == ("401001", "401002")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    text = users.demo_login_text(creds, datetime(2026, 4, 1, 9, 0))
    for c in creds:
        assert c.username in text and c.password in text and c.totp_secret in text
        assert totp.current_code(c.totp_secret, datetime(2026, 4, 1, 9, 0)) in text
    assert "python -m kodomo_dash.security.users code" in text


def test_demo_never_overwrites_a_real_user_file(demo, tmp_path):
    path, _ = demo
    users.create_demo_users(path, rounds=FAST)  # a demo file may be regenerated
    real = tmp_path / "real.yaml"
    raw = yaml.safe_load(path.read_text())
    raw.pop("demo")
    real.write_text(yaml.safe_dump(raw))
    with pytest.raises(users.UserFileError):
        users.create_demo_users(real, rounds=FAST)


def test_file_is_reread_when_it_changes(demo):
    path, _ = demo
    first = users.load_users(path)
    assert users.load_users(path) is first  # cached while unchanged
    raw = yaml.safe_load(path.read_text())
    raw["users"]["ward_staff"]["ward_codes"] = ["40132"]
    path.write_text(yaml.safe_dump(raw, allow_unicode=True) + "\n# edited\n")
    assert users.load_users(path)["ward_staff"].principal(0).ward_codes == ("40132",)


@pytest.mark.parametrize(
    "patch, match",
    [
        ({"role": "root"}, "role"),
        ({"password_hash": "plaintext-password"}, "bcrypt"),
        ({"totp_secret": "not base32!"}, "base32"),
        ({"ward_codes": []}, "ward_codes"),
    ],
)
def test_invalid_user_file_refused(demo, patch, match):
    path, _ = demo
    raw = yaml.safe_load(path.read_text())
    raw["users"]["ward_staff"].update(patch)
    path.write_text(yaml.safe_dump(raw, allow_unicode=True) + f"\n# {match}\n")
    with pytest.raises(users.UserFileError, match=match):
        users.load_users(path)


def test_missing_user_file_says_what_to_do(tmp_path):
    with pytest.raises(users.UserFileError, match="users.example.yaml"):
        users.load_users(tmp_path / "none.yaml")


def test_users_path_env_override(monkeypatch, tmp_path):
    monkeypatch.setenv("KODOMO_USERS", str(tmp_path / "x.yaml"))
    assert users.users_path() == tmp_path / "x.yaml"
    monkeypatch.delenv("KODOMO_USERS")
    assert users.users_path() == REPO / ".streamlit" / "users.yaml"


def test_password_change_bumps_epoch_and_is_audited(demo, con):
    path, creds = demo
    admin = users.load_users(path)["admin"].principal(0)
    with pytest.raises(passwords.PasswordRejected):
        users.set_password(con, "ward_staff", "password1234", admin, path=path, rounds=FAST)
    epoch = users.set_password(con, "ward_staff", "new-long-passphrase-7", admin, path=path, rounds=FAST)
    assert epoch == 1 == sessions.get_epoch(con, "ward_staff")
    assert passwords.verify_password(
        "new-long-passphrase-7", users.load_users(path)["ward_staff"].password_hash
    )
    row = audit.query(con, action="setting_change")[0]
    assert row["target"] == "ward_staff" and "new-long" not in str(row)


def test_revoke_deactivates_and_ends_sessions(demo, con):
    path, _ = demo
    users.revoke(con, "school", "admin", path=path)
    assert users.load_users(path)["school"].active is False
    assert sessions.get_epoch(con, "school") == 1


def test_add_user(demo):
    path, _ = demo
    rec = users.add_user(
        "ward_hakata", "ward_staff", "hakata-river-lantern", ward_codes=["40132"], path=path, rounds=FAST
    )
    assert users.load_users(path)["ward_hakata"].totp_secret == rec.totp_secret
    with pytest.raises(users.UserFileError):
        users.add_user("ward_hakata", "ward_staff", "hakata-river-lantern", ward_codes=["40132"], path=path)


def test_example_file_parses_and_holds_no_usable_secret():
    example = REPO / ".streamlit" / "users.example.yaml"
    loaded = users.load_users(example)
    assert {u.role for u in loaded.values()} == set(ROLES)
    text = example.read_text()
    assert "example" in text.lower()


