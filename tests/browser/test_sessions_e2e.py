"""Signed out means signed out, in a real browser (decision 060).

Nothing the browser holds signs anyone in: no cookie or storage entry of ours, a copy of the
browser's cookies and local storage opens the sign-in form, and so does a new tab; ログアウト ends the
session on the server; an administrator ends another user's session and that tab's next click shows the sign-in
form (audited as a refused stale session); and a form being typed when the idle timeout passes
comes back, filled, after the same person signs in again, with nothing saved by the late click.
"""

from __future__ import annotations

import time

import duckdb
import pytest
from playwright.sync_api import expect

from tests.browser.harness import open_app, private_warehouse, serve, sign_in, wait_for_app

pytestmark = pytest.mark.browser
SCHOOL = "401001"
IDLE_S = 20


def _context(chromium, **kw):
    return chromium.new_context(viewport={"width": 1400, "height": 1000}, locale="ja-JP", **kw)


def _rows(warehouse, sql: str, params=()) -> list[tuple]:
    con = duckdb.connect(str(warehouse / "casework.duckdb"), read_only=True)
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


def _signed_out(page) -> None:
    """The sign-in form, and nothing of a signed-in user (no user badge, no ログアウト)."""
    expect(page.get_by_label("ユーザー名")).to_be_visible(timeout=30_000)
    expect(page.get_by_role("button", name="ログアウト")).to_have_count(0)


@pytest.fixture
def session_server(built_warehouse, tmp_path):
    warehouse = private_warehouse(built_warehouse, tmp_path)
    with serve(warehouse, tmp_path) as (server, creds):
        yield server, warehouse, creds


def test_nothing_in_the_browser_signs_in_and_sign_out_ends_the_session(chromium, session_server):
    server, warehouse, creds = session_server
    ctx = _context(chromium)
    page = ctx.new_page()
    open_app(page, server)
    sign_in(page, server, creds["manager"])
    ours = [c["name"] for c in ctx.cookies() if "kodomo" in c["name"].lower() or "auth" in c["name"].lower()]
    assert ours == [] and "kodomo" not in page.evaluate("document.cookie")
    stored = page.evaluate("JSON.stringify([Object.keys(localStorage), Object.keys(sessionStorage)])")
    assert "kodomo" not in stored and "auth" not in stored

    copy = _context(chromium, storage_state=ctx.storage_state()).new_page()  # all this browser holds
    open_app(copy, server, "child_search")
    _signed_out(copy)
    copy.context.close()

    other_tab = ctx.new_page()  # a new tab of the same browser holds nothing either
    open_app(other_tab, server, "child_search")
    _signed_out(other_tab)
    other_tab.close()

    page.get_by_role("button", name="ログアウト").click()
    wait_for_app(page, server)
    _signed_out(page)
    ctx.close()
    server.stop()
    ends = _rows(warehouse, "select end_reason from auth_session where username = 'manager' and ended_at is not null")
    assert ("user",) in ends


def test_an_administrator_ends_another_users_session(chromium, session_server):
    server, warehouse, creds = session_server
    manager = _context(chromium).new_page()
    open_app(manager, server)
    sign_in(manager, server, creds["manager"])
    admin = _context(chromium).new_page()
    open_app(admin, server, "admin_users")
    sign_in(admin, server, creds["admin"])  # and lands on the page the link asked for
    try:
        admin.get_by_role("heading", name="ログイン中のセッション").wait_for(timeout=30_000)
    except Exception:  # noqa: BLE001 - say what the page showed instead
        pytest.fail(f"no session list:\n{admin.inner_text('body')[:2500]}\n--- server ---\n{server.output()[-2500:]}")
    admin.get_by_role("button", name="このセッションを終了").click()
    wait_for_app(admin, server)
    expect(admin.get_by_text("を終了しました", exact=False)).to_be_visible(timeout=20_000)

    manager.get_by_role("link", name="ホーム").click()
    wait_for_app(manager, server)
    _signed_out(manager)
    server.stop()
    refused = _rows(warehouse, "select detail from audit_log where username = 'manager' and action = 'login_failed'")
    assert any("stale_session" in d for (d,) in refused)
    ended = _rows(warehouse, "select end_reason, ended_by from auth_session where username = 'manager'")
    assert ("admin", "admin") in ended


@pytest.fixture
def short_idle_server(built_warehouse, tmp_path):
    from kodomo_dash.casework import form_store, workflow
    from kodomo_dash.infra.migrate import migrate

    warehouse = private_warehouse(built_warehouse, tmp_path)
    con = duckdb.connect(str(warehouse / "casework.duckdb"))
    migrate(con)
    list_id = workflow.accept_list(
        con, fy=2025, run_id="e2e", method="rules", path="school", actor="manager",
        members=[{"resident_id": "R0000001", "ward_code": "40131", "school_code": SCHOOL}],
        accepted_on="2025-09-01", cohort_size=10,
    )  # fmt: skip
    form_store.request_forms_for_list(con, "school_screening_sheet", list_id, actor="manager",
                                      assignee_for={SCHOOL: "school"})  # fmt: skip
    form_id = form_store.list_forms(con)[0].form_id
    con.close()
    city = tmp_path / "city"
    city.mkdir()
    (city / "sessions.yaml").write_text(f"idle_minutes: {IDLE_S / 60}\n", encoding="utf-8")
    with serve(warehouse, tmp_path, {"KODOMO_CITIES": str(city)}) as (server, creds):
        yield server, warehouse, creds, form_id


def _open_sheet(page, server) -> None:
    page.get_by_role("link", name="スクリーニングシート").click(timeout=20_000)
    wait_for_app(page, server)
    page.get_by_role("heading", name="スクリーニングシート（教職員記入）").first.wait_for(timeout=20_000)


def test_the_idle_timeout_signs_out_and_what_was_typed_comes_back(chromium, short_idle_server):
    server, warehouse, creds, form_id = short_idle_server
    teacher = _context(chromium).new_page()
    open_app(teacher, server)
    sign_in(teacher, server, creds["school"])
    _open_sheet(teacher, server)
    note = teacher.locator(f".st-key-kdf_{form_id}_1_observations textarea")
    note.fill("朝食を食べていない様子。担任が声をかけている。")
    time.sleep(IDLE_S + 3)
    teacher.get_by_role("button", name="下書き保存").click()
    wait_for_app(teacher, server)
    _signed_out(teacher)
    expect(teacher.get_by_text("入力中の内容は", exact=False)).to_be_visible()

    sign_in(teacher, server, creds["school"])
    _open_sheet(teacher, server)
    expect(teacher.locator(f".st-key-kdf_{form_id}_1_observations textarea")).to_have_value(
        "朝食を食べていない様子。担任が声をかけている。")
    server.stop()
    version, data = _rows(warehouse, "select version, data from form_record where form_id = ?", [form_id])[0]
    assert "朝食" not in data  # the late click saved nothing; the text waits in the form
