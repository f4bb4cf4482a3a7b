"""Sign-in through the city's identity provider: who an identity is, and a copied cookie refused (decision 064).

The claims are what Streamlit's st.login puts into st.user from a verified identity token; the
end-to-end flow against a real provider is tests/browser/test_oidc_e2e.py.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import duckdb
import pytest

from kodomo_dash.infra.migrate import migrate
from kodomo_dash.security import oidc, sessions, users
from kodomo_dash.security.sessions import SessionPolicy

T0 = datetime(2026, 4, 1, 9, 0, 0)
ISS = "https://idp.city.example.jp"


def _claims(sub="idp-0001", email="hanako@city.example.jp", at=T0, nonce="n1", **extra):
    return {"iss": ISS, "sub": sub, "email": email, "iat": int(at.replace(tzinfo=UTC).timestamp()),
            "nonce": nonce, "aud": "kodomo", **extra}  # fmt: skip


@pytest.fixture()
def con():
    c = duckdb.connect(":memory:")
    migrate(c)
    yield c
    c.close()


@pytest.fixture()
def people(tmp_path):
    creds = users.create_demo_users(tmp_path / "users.yaml", rounds=4)
    assert creds
    found = dict(users.load_users(tmp_path / "users.yaml"))
    found["ward_staff"] = replace(found["ward_staff"], oidc_subject="idp-0001")
    found["school"] = replace(found["school"], email="Taro@City.example.jp")
    found["ssw"] = replace(found["ssw"], email="ssw@city.example.jp", active=False)
    return found


def _audit(con, action="login_failed"):
    return [(u, json.loads(d)) for u, d in
            con.execute("select username, detail from audit_log where action = ? order by seq", [action]).fetchall()]


def test_the_subject_names_the_user_and_role_and_scope_come_from_the_user_list(people):
    match = oidc.match_user(people, oidc.Identity.from_claims(_claims(email="someone.else@city.example.jp")))
    assert match.ok and match.user.username == "ward_staff"
    assert match.user.principal(0).ward_codes == people["ward_staff"].ward_codes


def test_the_email_names_the_user_when_no_subject_is_recorded(people):
    match = oidc.match_user(people, oidc.Identity.from_claims(_claims(sub="idp-0002", email="taro@city.example.jp")))
    assert match.ok and match.user.username == "school"
    unverified = _claims(sub="idp-0002", email="taro@city.example.jp", email_verified=False)
    assert oidc.match_user(people, oidc.Identity.from_claims(unverified)).reason == "unknown"


def test_an_unknown_or_ambiguous_identity_is_refused(people):
    stranger = oidc.Identity.from_claims(_claims(sub="idp-9999", email="stranger@elsewhere.example.jp"))
    assert oidc.match_user(people, stranger).reason == "unknown"
    no_email = oidc.Identity.from_claims(_claims(sub="idp-9999", email=""))
    assert oidc.match_user(people, no_email).reason == "unknown"
    twice = dict(people, manager=replace(people["manager"], email="taro@city.example.jp"))
    assert oidc.match_user(twice, oidc.Identity.from_claims(_claims(sub="x", email="taro@city.example.jp"))).reason \
        == "ambiguous"


def test_an_inactive_user_is_refused(people):
    match = oidc.match_user(people, oidc.Identity.from_claims(_claims(sub="idp-0003", email="ssw@city.example.jp")))
    assert not match.ok and match.reason == "inactive"


def test_sign_in_opens_an_oidc_session_and_refusals_are_audited(con, people):
    out = oidc.sign_in(con, people, _claims(), T0)
    assert out.ok and out.first and out.session.method == "oidc" and out.username == "ward_staff"
    row = con.execute("select method from auth_session where session_id = ?", [out.session.session_id]).fetchone()
    assert row == ("oidc",)
    (user, detail), = _audit(con, "login")
    assert user == "ward_staff" and detail["method"] == "oidc" and detail["new_provider_sign_in"] is True

    assert oidc.sign_in(con, people, _claims(sub="idp-9", email="stranger@x.example.jp"), T0).reason == "unknown"
    assert oidc.sign_in(con, people, _claims(sub="idp-3", email="ssw@city.example.jp"), T0).reason == "inactive"
    assert oidc.sign_in(con, people, {"iss": ISS, "email": "a@b"}, T0).reason == "claims"
    refused = _audit(con)
    assert [(u, d["reason"]) for u, d in refused] == [("unknown", "oidc_unknown"), ("ssw", "oidc_inactive"),
                                                     ("unknown", "claims")]
    assert all(d["method"] == "oidc" and "mail" not in json.dumps(d) for _u, d in refused)


def test_a_cookie_copied_before_sign_out_signs_nobody_in_after_it(con, people):
    first = oidc.sign_in(con, people, _claims(), T0)
    other_tab = oidc.sign_in(con, people, _claims(), T0 + timedelta(minutes=1))  # same cookie, a new tab
    assert other_tab.ok and not other_tab.first
    assert other_tab.session.authenticated_at == T0  # the absolute timeout counts from the provider sign-in

    sessions.end(con, first.session.session_id, "user", by="ward_staff", now=T0 + timedelta(minutes=2))
    assert oidc.end_for_session(con, first.session.session_id, "user", by="ward_staff", now=T0 + timedelta(minutes=2))
    check, _ = sessions.validate(con, other_tab.session, T0 + timedelta(minutes=3))
    assert not check.ok  # sign-out ended every tab of that provider sign-in

    replay = oidc.sign_in(con, people, _claims(), T0 + timedelta(minutes=5))
    assert not replay.ok and replay.reason == "stale_session"
    (user, detail), = _audit(con)
    assert user == "ward_staff" and detail["reason"] == "stale_session" and detail["method"] == "oidc"

    again = oidc.sign_in(con, people, _claims(at=T0 + timedelta(minutes=6), nonce="n2"), T0 + timedelta(minutes=6))
    assert again.ok and again.first  # a new sign-in at the provider has a new iat and nonce


def test_a_session_ended_elsewhere_or_timed_out_refuses_the_cookie(con, people):
    one = oidc.sign_in(con, people, _claims(), T0)
    sessions.end_by_short_id(con, one.session.short_id, "admin", by="admin", now=T0 + timedelta(minutes=1))
    assert oidc.sign_in(con, people, _claims(), T0 + timedelta(minutes=2)).reason == "stale_session"

    policy = SessionPolicy(idle=timedelta(minutes=30))
    two = oidc.sign_in(con, people, _claims(nonce="n2"), T0)
    assert two.ok
    assert oidc.sign_in(con, people, _claims(nonce="n2"), T0 + timedelta(minutes=31), policy).reason == "idle"
    three = oidc.sign_in(con, people, _claims(nonce="n3"), T0)
    sessions.touch(con, three.session, T0 + timedelta(hours=11, minutes=50))
    late = oidc.sign_in(con, people, _claims(nonce="n3"), T0 + timedelta(hours=12, minutes=1))
    assert late.reason == "absolute"

    four = oidc.sign_in(con, people, _claims(nonce="n4"), T0)
    assert four.ok
    sessions.bump_epoch(con, "ward_staff", "password_change", T0 + timedelta(minutes=1))
    assert oidc.sign_in(con, people, _claims(nonce="n4"), T0 + timedelta(minutes=2)).reason == "stale_session"
