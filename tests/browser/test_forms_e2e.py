"""A teacher fills and submits a screening sheet in a real browser; the manager's progress page shows it.

Same set-up as the other sign-in browser tests: a private warehouse folder (its own casework with a
small school list and sheets requested from the demo teacher), a throw-away demo users file and a
secrets file.
"""

from __future__ import annotations

import duckdb
import pytest
from playwright.sync_api import expect

from tests.browser.harness import (
    open_app,
    private_warehouse,
    serve,
    sign_in,
    wait_for_app,
)

pytestmark = pytest.mark.browser
SCHOOL = "401001"


@pytest.fixture
def forms_server(built_warehouse, tmp_path, monkeypatch):
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
    with serve(warehouse, tmp_path) as (server, creds):
        yield server, warehouse, creds, form_id


def choose(page, key: str, option: str) -> None:
    box = page.locator(f".st-key-{key}").get_by_role("combobox")
    box.scroll_into_view_if_needed()
    box.click()
    page.get_by_role("listbox").wait_for(timeout=10_000)  # typed before the list opens, keys are lost
    page.keyboard.type(option)
    page.get_by_role("option", name=option, exact=True).wait_for(timeout=10_000)
    page.keyboard.press("Enter")
    expect(page.get_by_role("listbox")).to_have_count(0)


def test_teacher_submits_and_manager_sees_it(chromium, forms_server):
    server, warehouse, creds, form_id = forms_server
    teacher = chromium.new_context(viewport={"width": 1400, "height": 1000}, locale="ja-JP").new_page()
    open_app(teacher, server)
    sign_in(teacher, server, creds["school"])
    try:
        teacher.get_by_role("link", name="スクリーニングシート").click(timeout=20_000)
        wait_for_app(teacher, server)
        teacher.get_by_role("heading", name="スクリーニングシート（教職員記入）").first.wait_for(timeout=20_000)
    except Exception:  # noqa: BLE001 - say what the page showed instead
        pytest.fail(f"no sheet page:\n{teacher.inner_text('body')[:2000]}\n--- server ---\n{server.output()[-3000:]}")
    prefix = f"kdf_{form_id}_1_"
    date_box = teacher.locator(f".st-key-{prefix}observed_on")
    date_box.get_by_text("yyyy").click()
    teacher.keyboard.type("20250910")
    teacher.keyboard.press("Tab")
    expect(date_box.get_by_text("yyyy")).to_have_count(0)
    choose(teacher, prefix + "attendance", "ときどきある")
    choose(teacher, prefix + "appearance", "気になる点はない")
    choose(teacher, prefix + "emotional", "やや気になる")
    choose(teacher, prefix + "injury_signs", "見られない")
    choose(teacher, prefix + "concern_level", "中程度")
    teacher.locator(f".st-key-{prefix}observations textarea").fill("<b>朝食</b>を食べていない様子")
    teacher.get_by_role("button", name="提出").click()
    wait_for_app(teacher, server)
    try:
        expect(teacher.get_by_text("保存しました。", exact=False)).to_be_visible(timeout=20_000)
    except AssertionError:
        pytest.fail(f"not saved:\n{teacher.inner_text('body')[:3000]}\n--- server ---\n{server.output()[-2000:]}")
    teacher.context.close()

    manager = chromium.new_context(viewport={"width": 1400, "height": 1000}, locale="ja-JP").new_page()
    open_app(manager, server)
    sign_in(manager, server, creds["manager"])
    manager.get_by_role("link", name="ホーム").wait_for(timeout=30_000)  # signed in, menu drawn
    more = manager.get_by_test_id("stSidebarNavViewButton")  # a long menu is folded behind "View more"
    if more.count():
        more.click()
    manager.get_by_role("link", name="提出状況").click()
    wait_for_app(manager, server)
    expect(manager.get_by_role("heading", name="様式の提出状況")).to_be_visible(timeout=20_000)
    submitted = manager.locator("[data-testid='stMetric']").filter(has_text="提出済み")
    expect(submitted).to_contain_text("1")
    manager.context.close()
    server.stop()
    con = duckdb.connect(str(warehouse / "casework.duckdb"), read_only=True)
    try:
        status, data = con.execute("select status, data from form_record where form_id = ?", [form_id]).fetchone()
    finally:
        con.close()
    assert status == "submitted" and "<b>朝食</b>" in data
