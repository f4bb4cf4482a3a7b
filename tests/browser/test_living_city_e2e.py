"""A month in a living city, in a real browser (issue 14, "How it is shown"): a list was accepted and a
ward nurse assigned; next month's build brings a move-out for her child. She signs in, sees the alert
and the 🔔 badge on her worklist, opens the child's card and finds the move in its timeline and the
household beside it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.harness import open_app, serve, sign_in, wait_for_app
from tests.casework_people import empty_casework
from tests.services.test_alerts import A, accept_and_assign, month

pytestmark = pytest.mark.browser


@pytest.fixture
def living_city(tmp_path, monkeypatch):
    warehouse = tmp_path / "warehouse"
    warehouse.mkdir()
    empty_casework(warehouse, monkeypatch)
    month(tmp_path / "m1", warehouse, "2025-09-01", moved_out_a=False, consult_b=False)
    accept_and_assign(warehouse, nurse_a="ward_staff")  # the demo ward nurse (東区) signs in as ward_staff
    month(tmp_path / "m2", warehouse, "2025-10-01", moved_out_a=True, consult_b=True)
    with serve(warehouse, tmp_path) as (server, creds):
        yield server, creds["ward_staff"]


def _text(page, server, text: str) -> None:
    try:
        page.get_by_text(text).first.wait_for(timeout=30_000)
    except Exception:  # noqa: BLE001 - report what the browser shows
        pytest.fail(f"{text!r} not shown; the browser shows:\n{page.inner_text('body')[-2000:]}\n--- server ---\n"
                    f"{server.output()[-3000:]}")


def test_the_nurse_sees_the_alert_then_the_timeline_and_the_household(page, living_city):
    server, cred = living_city
    open_app(page, server)
    sign_in(page, server, cred)
    page.get_by_role("link", name="担当一覧").click()
    wait_for_app(page, server)
    _text(page, server, "毎月の取込で届いた知らせ")
    grid = page.locator("[role='gridcell']")
    expect(grid.filter(has_text="🔔 1")).to_have_count(1)
    expect(grid.filter(has_text="転出")).not_to_have_count(0)  # the grid's cells carry its text

    # The card's link (/child_card?rid=…), as a colleague would send it: a new page asks to sign in
    # again (decision 060: nothing in the browser signs anyone in), then opens that child's card.
    open_app(page, server, f"child_card?rid={A}")
    sign_in(page, server, cred)
    wait_for_app(page, server)
    _text(page, server, A)
    _text(page, server, "転出（2025年9月10日）")  # the card says the child moved out, and keeps everything
    page.get_by_role("tab", name="経過（データ・スクリーニング・支援）").click()
    wait_for_app(page, server)
    expect(page.locator("[role='gridcell']").filter(has_text="転出")).not_to_have_count(0)
    page.get_by_role("tab", name="世帯・きょうだい（同一住所）").click()
    wait_for_app(page, server)
    expect(page.locator("[role='gridcell']").filter(has_text="山田 太郎")).not_to_have_count(0)  # the parent
