"""The home page in a real browser: Japanese title, the ward chart drawn, a screenshot taken."""

from __future__ import annotations

import struct

import pytest
from playwright.sync_api import expect

from tests.browser.harness import open_app, sign_in, wait_for_app

pytestmark = pytest.mark.browser

TITLE = "こどもデータ連携ダッシュボード"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_MAGIC, "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_home_page_renders_in_japanese(page, streamlit_server, tmp_path):
    page.set_viewport_size({"width": 1400, "height": 2200})  # tall enough for the source table
    open_app(page, streamlit_server)
    sign_in(page, streamlit_server, streamlit_server.creds["manager"])

    assert page.title() == TITLE
    page.get_by_role("heading", name=TITLE).wait_for()
    page.get_by_role("heading", name="区別のこどもの数").wait_for()
    page.get_by_role("heading", name="資料別の取込件数").wait_for()

    # plotly.js draws the chart after its bundle loads: wait for the ward names on the axis.
    ward_ticks = page.locator(".st-key-ward_chart [data-testid='stPlotlyChart'] .xtick text")
    ward_ticks.first.wait_for(timeout=30_000)
    assert {"東区", "博多区", "中央区"} <= set(ward_ticks.all_text_contents())
    assert page.get_by_text("Traceback").count() == 0

    shot = tmp_path / "home.png"
    page.screenshot(path=str(shot), full_page=True)
    data = shot.read_bytes()
    width, height = png_size(data)
    assert width >= 1000 and height >= 1000
    assert len(data) > 50_000, "a screenshot this small is a blank page"


def test_english_toggle_in_the_browser(page, streamlit_server):
    open_app(page, streamlit_server)
    sign_in(page, streamlit_server, streamlit_server.creds["manager"])

    page.get_by_role("radio", name="English").click()
    wait_for_app(page, streamlit_server)
    try:
        page.get_by_role("heading", name="Child data linkage dashboard").wait_for()
        page.get_by_role("heading", name="Children per ward").wait_for()
    except Exception:  # noqa: BLE001 - report what the browser shows, not just the timeout
        pytest.fail(f"no English home page; the browser shows:\n{page.inner_text('body')[:1500]}\n--- server ---\n"
                    f"{streamlit_server.output()[-2000:]}")


def test_a_page_url_opened_first_still_goes_through_app_py(page, fresh_streamlit_server):
    """On a fresh server /home must be served through app.py (which holds the login and role
    gate), never by running screens/home.py alone (docs/decisions/053)."""
    open_app(page, fresh_streamlit_server, "home")
    sign_in(page, fresh_streamlit_server, fresh_streamlit_server.creds["manager"])

    page.get_by_role("radio", name="English").wait_for()  # drawn by app.py
    page.get_by_role("heading", name=TITLE).wait_for()
    expect(page).to_have_title(TITLE, timeout=30_000)  # set by app.py, not by the page
