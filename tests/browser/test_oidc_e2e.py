"""Sign-in through the city's identity provider, in a real browser against a real provider (decision 064).

The provider is panva's oidc-provider (OpenID Certified), started from tests/oidc_provider on
127.0.0.1 with one client whose redirect URI is this app's /oauth2callback; the app server runs
with an ``[auth]`` secrets file pointing at it. A person signs in at the provider and lands with
the role the product's user list gives their subject; ログアウト ends the session and clears
Streamlit's identity cookie; a copy of that cookie taken before sign-out, put into a fresh
browser after it, shows the sign-in form with no data and leaves an audit row; an identity the
user list does not know is refused with the Japanese message.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import duckdb
import pytest
from playwright.sync_api import expect

from kodomo_dash.testing import oidc_provider as provider
from kodomo_dash.testing.oidc_provider import HANAKO, OIDC_BUTTON, STRANGER
from kodomo_dash.testing.server import ServerDidNotStart, start_app
from tests.browser.harness import (
    StreamlitServer,
    auth_env,
    free_port,
    open_app,
    private_warehouse,
    wait_for_app,
)

pytestmark = pytest.mark.browser


@contextmanager
def oidc_provider(app_port: int, log_path: Path) -> Iterator[str]:
    """The provider (kodomo_dash.testing.oidc_provider): skipped without node, failed if broken."""
    try:
        with provider.running_provider(app_port, log_path) as issuer:
            yield issuer
    except provider.ProviderUnavailable as e:
        if e.node_missing:
            pytest.skip(str(e))
        pytest.fail(str(e))


@pytest.fixture
def oidc_app(built_warehouse, tmp_path):
    """(server, warehouse) with the provider configured in [auth]; hanako's subject is the admin's."""
    from kodomo_dash.security.users import load_users, save_users

    warehouse = private_warehouse(built_warehouse, tmp_path)
    env, _creds = auth_env(tmp_path)
    users_file = Path(env["KODOMO_USERS"])
    people = dict(load_users(users_file))
    people["admin"] = replace(people["admin"], oidc_subject=HANAKO["sub"])
    save_users(people, users_file, demo=True)
    app_port = free_port()
    with oidc_provider(app_port, tmp_path / "provider.log") as issuer:
        secrets_file = tmp_path / "secrets.toml"
        secrets_file.write_text(provider.auth_secrets(app_port, issuer, secrets.token_urlsafe(32)), encoding="utf-8")
        env["STREAMLIT_SECRETS_FILES"] = str(secrets_file)
        try:
            server = start_app(warehouse, tmp_path / "server.log", extra_env=env, port=app_port)
        except ServerDidNotStart as e:
            pytest.fail(str(e))
        try:
            yield server, warehouse, tmp_path
        finally:
            server.stop()


def _context(chromium, **kw):
    ctx = chromium.new_context(viewport={"width": 1400, "height": 1000}, locale="ja-JP", **kw)
    ctx.set_default_timeout(60_000)
    return ctx


def _rows(warehouse: Path, sql: str, params=()) -> list[tuple]:
    con = duckdb.connect(str(warehouse / "casework.duckdb"), read_only=True)
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


def _at_the_provider(page, server: StreamlitServer, account: dict) -> None:
    """Click the OIDC button, sign in on the provider's form, come back to the app."""
    page.get_by_role("button", name=OIDC_BUTTON).click()
    try:
        provider.sign_in_at_provider(page, account)
    except Exception:  # noqa: BLE001 - say what the browser shows instead
        pytest.fail(f"no provider login form at {page.url}:\n{page.inner_text('body')[:1500]}\n--- server ---\n"
                    f"{server.output()[-3000:]}")
    page.wait_for_url(f"{server.url}/**", timeout=30_000)
    wait_for_app(page, server)


def _signed_out(page) -> None:
    expect(page.get_by_label("ユーザー名")).to_be_visible(timeout=30_000)
    expect(page.get_by_role("button", name="ログアウト")).to_have_count(0)
    expect(page.get_by_role("link", name="こども検索")).to_have_count(0)


def test_oidc_sign_in_lands_with_the_role_from_the_user_list_and_a_copied_cookie_is_refused_after_sign_out(
    chromium, oidc_app
):
    server, warehouse, folder = oidc_app
    ctx = _context(chromium)
    page = ctx.new_page()
    open_app(page, server)
    _at_the_provider(page, server, HANAKO)
    try:
        page.get_by_role("link", name="ホーム").wait_for(timeout=30_000)
    except Exception:  # noqa: BLE001
        pytest.fail(f"not signed in:\n{page.inner_text('body')[:1500]}\n--- server ---\n{server.output()[-3000:]}")
    # The admin's pages (only the admin role may open 操作履歴) and the admin's badge: the role came
    # from the product's user list, matched on the provider's subject.
    expect(page.get_by_text("デモ 管理者（admin）")).to_be_visible()
    open_app(page, server, "audit_log")
    expect(page.get_by_role("heading", name="操作履歴").first).to_be_visible(timeout=30_000)
    expect(page.get_by_text("権限がありません", exact=False)).to_have_count(0)

    identity = [c for c in ctx.cookies() if c["name"].startswith("_streamlit_user")]
    assert identity and all(c["httpOnly"] for c in identity)  # Streamlit's cookie, not readable by scripts
    assert "_streamlit_user" not in page.evaluate("document.cookie")

    page.get_by_role("button", name="ログアウト").click()
    page.wait_for_url(f"{server.url}/**", timeout=30_000)
    wait_for_app(page, server)
    _signed_out(page)
    assert not [c for c in ctx.cookies() if c["name"].startswith("_streamlit_user")]  # st.logout cleared it
    ctx.close()

    replay_ctx = _context(chromium)
    replay_ctx.add_cookies(identity)  # the copy taken before sign-out, in a fresh browser
    replay = replay_ctx.new_page()
    open_app(replay, server, "child_search")
    _signed_out(replay)
    expect(replay.get_by_text("この認証情報によるログインは既に終了しています", exact=False)).to_be_visible()
    replay_ctx.close()
    server.stop()

    sessions = _rows(warehouse, "select method, end_reason from auth_session where username = 'admin'")
    # The page opened by URL is a new browser session: the same provider sign-in opened a second
    # tab session from Streamlit's cookie; ログアウト ended both.
    assert sessions and set(sessions) == {("oidc", "user")}
    signins = _rows(warehouse, "select end_reason from auth_oidc_signin where username = 'admin'")
    assert signins == [("user",)]
    audit = [(a, json.loads(d)) for a, d in
             _rows(warehouse, "select action, detail from audit_log where username = 'admin' order by seq")]
    logins = [d for a, d in audit if a == "login"]
    assert [(d["method"], d["new_provider_sign_in"]) for d in logins] == [("oidc", True)] + [("oidc", False)] * (
        len(logins) - 1)
    assert [d["reason"] for a, d in audit if a == "logout"] == ["user"]
    refused = [d for a, d in audit if a == "login_failed"]
    assert [(d["reason"], d["method"]) for d in refused] == [("stale_session", "oidc")]


def test_an_identity_not_in_the_user_list_is_refused_in_japanese(chromium, oidc_app):
    server, warehouse, _folder = oidc_app
    ctx = _context(chromium)
    page = ctx.new_page()
    open_app(page, server)
    _at_the_provider(page, server, STRANGER)
    expect(page.get_by_text("このシステムの利用者として登録されていません", exact=False)).to_be_visible(timeout=30_000)
    _signed_out(page)
    ctx.close()
    server.stop()
    refused = [json.loads(d) for (d,) in
               _rows(warehouse, "select detail from audit_log where action = 'login_failed' and username = 'unknown'")]
    assert [(d["reason"], d["method"]) for d in refused] == [("oidc_unknown", "oidc")]
    assert _rows(warehouse, "select count(*) from auth_session") == [(0,)]
