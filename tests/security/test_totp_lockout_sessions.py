"""TOTP single use, time-based lockout with an injected clock, session epoch and timeouts."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import duckdb
import pyotp
import pytest

from kodomo_dash.infra.migrate import migrate
from kodomo_dash.security import lockout, sessions, totp

T0 = datetime(2026, 4, 1, 9, 0, 0)  # a step boundary: 09:00:00 UTC


@pytest.fixture()
def con():
    c = duckdb.connect(":memory:")
    migrate(c)
    yield c
    c.close()


# ------------------------------------------------------------------ TOTP


def test_codes_are_rfc6238_six_digits_thirty_seconds():
    secret = totp.new_secret()
    assert len(secret) == 32
    ref = pyotp.TOTP(secret)
    code = totp.current_code(secret, T0)
    assert len(code) == 6 and code.isdigit()
    assert code == ref.at(T0.replace(tzinfo=UTC))
    assert totp.current_code(secret, T0 + timedelta(seconds=29)) == code
    assert totp.current_code(secret, T0 + timedelta(seconds=30)) == ref.at(
        T0.replace(tzinfo=UTC) + timedelta(seconds=30)
    )
    assert totp.provisioning_uri(secret, "ward1").startswith("otpauth://totp/kodomo-dash:ward1?")


def test_code_is_single_use(con):
    secret = totp.new_secret()
    code = totp.current_code(secret, T0)
    assert totp.verify_and_consume(con, "ward1", secret, code, T0)
    assert not totp.verify_and_consume(con, "ward1", secret, code, T0 + timedelta(seconds=5))
    # Another user with their own secret is unaffected.
    other = totp.new_secret()
    assert totp.verify_and_consume(con, "ward2", other, totp.current_code(other, T0), T0)
    # The next step's code works once.
    nxt = T0 + timedelta(seconds=30)
    assert totp.verify_and_consume(con, "ward1", secret, totp.current_code(secret, nxt), nxt)


def test_an_older_code_after_a_newer_one_is_refused(con):
    secret = totp.new_secret()
    old_code = totp.current_code(secret, T0)
    new_at = T0 + timedelta(seconds=30)
    assert totp.verify_and_consume(con, "u", secret, totp.current_code(secret, new_at), new_at)
    # old_code is still inside the drift window but its step is not after the last used one.
    assert not totp.verify_and_consume(con, "u", secret, old_code, new_at)


def test_drift_window_and_expiry(con):
    secret = totp.new_secret()
    code = totp.current_code(secret, T0)
    assert totp.matching_step(secret, code, T0 + timedelta(seconds=45)) is not None  # one step late: ok
    assert totp.matching_step(secret, code, T0 + timedelta(seconds=90)) is None  # three steps late: expired
    assert totp.matching_step(secret, code, T0 - timedelta(seconds=30)) is not None  # one step early: ok


@pytest.mark.parametrize(
    "bad", ["", "12345", "1234567", "abcdef", "12 34 5x", "' or 1=1 --", "１２３４５６７"]
)
def test_malformed_codes_refused(con, bad):
    assert not totp.verify_and_consume(con, "u", totp.new_secret(), bad, T0)


def test_full_width_code_accepted(con):
    secret = totp.new_secret()
    code = totp.current_code(secret, T0)
    wide = "".join(chr(ord(c) + 0xFEE0) for c in code[:3]) + " " + code[3:]
    assert totp.verify_and_consume(con, "u", secret, wide, T0)


def test_same_code_in_two_sessions_at_once_wins_once(tmp_path):
    db = duckdb.connect(str(tmp_path / "c.duckdb"))
    migrate(db)
    secret = totp.new_secret()
    code = totp.current_code(secret, T0)
    results = []

    def go():
        cur = db.cursor()
        results.append(totp.verify_and_consume(cur, "u", secret, code, T0))
        cur.close()

    threads = [threading.Thread(target=go) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False] * 7 + [True]


# ------------------------------------------------------------------ lockout


def test_six_failures_lock_for_thirty_minutes_then_unlock(con):
    for i in range(5):
        s = lockout.record_failure(con, "Ward1 ", T0 + timedelta(seconds=i))
        assert not s.locked and s.failures == i + 1
    s = lockout.record_failure(con, "ward1", T0 + timedelta(seconds=5))
    assert s.locked and s.locked_until == T0 + timedelta(seconds=5, minutes=30)
    assert "ロック" in s.message_ja()
    assert lockout.status(con, "WARD1", T0 + timedelta(minutes=29)).locked
    # Attempts while locked do not extend the lock.
    lockout.record_failure(con, "ward1", T0 + timedelta(minutes=20))
    assert lockout.status(con, "ward1", T0 + timedelta(minutes=30, seconds=6)).locked is False
    # After the lock the count starts again: one failure does not re-lock.
    s = lockout.record_failure(con, "ward1", T0 + timedelta(minutes=31))
    assert not s.locked and s.failures == 1


def test_success_resets_and_admin_unlock(con):
    for _ in range(5):
        lockout.record_failure(con, "u", T0)
    lockout.record_success(con, "u")
    assert lockout.status(con, "u", T0).failures == 0
    for _ in range(6):
        lockout.record_failure(con, "u", T0)
    assert lockout.status(con, "u", T0).locked
    lockout.unlock(con, "u")
    assert not lockout.status(con, "u", T0).locked


def test_unknown_usernames_are_counted_but_not_stored_as_text(con):
    typed = "MySecretPassword123"  # someone typed their password into the username box
    for _ in range(6):
        lockout.record_failure(con, typed, T0)
    assert lockout.status(con, typed, T0).locked
    dump = str(con.execute("select * from auth_login_failure").fetchall()).lower()
    assert "mysecretpassword" not in dump


def test_custom_policy(con):
    pol = lockout.LockoutPolicy(max_failures=2, lock_for=timedelta(minutes=1))
    lockout.record_failure(con, "u", T0, pol)
    assert lockout.record_failure(con, "u", T0, pol).locked
    assert not lockout.status(con, "u", T0 + timedelta(minutes=2), pol).locked


# ------------------------------------------------------------------ sessions


def test_epoch_bump_ends_sessions_and_their_rows(con):
    assert sessions.get_epoch(con, "u") == 0
    info = sessions.start(con, "u", 0, T0)
    assert sessions.validate(con, info, T0)[0].ok
    assert sessions.bump_epoch(con, "u", "password_change", T0 + timedelta(minutes=1)) == 1
    chk, epoch = sessions.validate(con, info, T0 + timedelta(minutes=1))
    assert epoch == 1 and not chk.ok and chk.reason == "epoch" and "パスワード" in chk.message_ja()
    assert con.execute("select end_reason from auth_session").fetchall() == [("password_change",)]
    assert sessions.bump_epoch(con, "u", "revoke") == 2
    assert sessions.epoch_changed_at(con, "u") is not None


def test_idle_timeout_thirty_minutes(con):
    info = sessions.start(con, "u", 0, T0)
    info = sessions.touch(con, info, T0 + timedelta(minutes=25))
    assert sessions.check(info, 0, T0 + timedelta(minutes=54)).ok
    chk = sessions.check(info, 0, T0 + timedelta(minutes=55, seconds=1))
    assert chk.reason == "idle" and "操作がなかった" in chk.message_ja()


def test_a_click_writes_last_seen_at_most_once_a_minute(con):
    info = sessions.start(con, "u", 0, T0)
    same = sessions.touch(con, info, T0 + timedelta(seconds=30))
    assert same is info
    later = sessions.touch(con, info, T0 + timedelta(seconds=61))
    assert later.last_seen == T0 + timedelta(seconds=61)
    assert con.execute("select last_seen_at from auth_session").fetchone()[0] == T0 + timedelta(seconds=61)


def test_absolute_timeout_twelve_hours_even_when_active(con):
    info = sessions.start(con, "u", 0, T0)
    t = T0
    while t < T0 + timedelta(hours=12):
        assert sessions.check(info, 0, t).ok
        t += timedelta(minutes=20)
        info = sessions.touch(con, info, t)
    chk = sessions.check(info, 0, T0 + timedelta(hours=12, minutes=1))
    assert chk.reason == "absolute"


def test_inactive_user_is_out(con):
    assert sessions.check(sessions.start(con, "u", 0, T0), 0, T0, active=False).reason == "inactive"


def test_an_ended_or_unknown_session_is_refused_and_only_its_hash_is_stored(con):
    info = sessions.start(con, "u", 0, T0)
    assert info.token not in str(con.execute("select * from auth_session").fetchall())
    assert sessions.end(con, info.session_id, "user", by="u", now=T0 + timedelta(minutes=1))
    assert not sessions.end(con, info.session_id, "user", by="u")  # once
    assert sessions.validate(con, info, T0 + timedelta(minutes=2))[0].reason == "ended"
    forged = sessions.SessionInfo("u", 0, T0, T0, "password", "not-a-session-the-server-opened")
    assert sessions.validate(con, forged, T0)[0].reason == "unknown"


def test_a_session_is_refused_from_another_address_and_keeps_only_an_hmac(con):
    info = sessions.start(con, "u", 0, T0, address="192.0.2.10")
    stored = con.execute("select client_address_hash from auth_session").fetchone()[0]
    assert "192.0.2" not in stored and stored == sessions.address_hash("192.0.2.10")
    assert sessions.validate(con, info, T0, address="192.0.2.10")[0].ok
    check, _epoch = sessions.validate(con, info, T0, address="192.0.2.11")
    assert (check.ok, check.reason) == (False, "address_changed") and "接続元" in check.message_ja()
    # An ended row says so first; a row opened without an address is not bound.
    sessions.end(con, info.session_id, "user", by="u", now=T0)
    assert sessions.validate(con, info, T0, address="192.0.2.11")[0].reason == "ended"
    unbound = sessions.start(con, "u", 0, T0)
    assert sessions.validate(con, unbound, T0, address="192.0.2.11")[0].ok


def test_the_client_address_is_the_peer_unless_a_trusted_proxy_forwards_it():
    peer, xff = "10.0.0.7", ["203.0.113.9, 10.1.1.1", "10.2.2.2"]
    assert sessions.client_address(peer, xff) == "10.0.0.7"  # an untrusted header is ignored
    assert sessions.client_address(peer, xff, trusted_proxy=True) == "10.2.2.2"  # the proxy's own entry
    assert sessions.client_address(None, None) == sessions.LOCAL  # Streamlit's loopback
    assert sessions.client_address("::1") == sessions.LOCAL
    assert sessions.client_address("::ffff:10.0.0.7") == "10.0.0.7"
    assert sessions.client_address(None, [], trusted_proxy=True) == sessions.LOCAL
    assert sessions.client_address(peer, ["not-an-address"], trusted_proxy=True) == "10.0.0.7"


def test_trusted_proxy_must_be_a_yes_or_no(tmp_path, monkeypatch):
    monkeypatch.setenv("KODOMO_CITIES", str(tmp_path))
    (tmp_path / "sessions.yaml").write_text("trusted_proxy: true\n", encoding="utf-8")
    assert sessions.configured_policy().trusted_proxy is True
    (tmp_path / "sessions.yaml").write_text("trusted_proxy: 'yes please'\n", encoding="utf-8")
    with pytest.raises(ValueError, match="trusted_proxy"):
        sessions.configured_policy()


def test_policy_limits_cannot_be_loosened():
    with pytest.raises(ValueError):
        sessions.SessionPolicy(idle=timedelta(minutes=31))
    with pytest.raises(ValueError):
        sessions.SessionPolicy(absolute=timedelta(hours=13))
    sessions.SessionPolicy(idle=timedelta(minutes=10), absolute=timedelta(hours=8))


