"""The manager exports the year-end deck from presentation mode in a real browser (a PPTX download)."""

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


@pytest.fixture
def deck_server(built_warehouse, tmp_path, monkeypatch):
    from kodomo_dash.demo.simulate import simulate_scenario
    from kodomo_dash.infra.migrate import migrate

    warehouse = private_warehouse(built_warehouse, tmp_path)
    con = duckdb.connect(str(warehouse / "casework.duckdb"))
    migrate(con)
    simulate_scenario(con, "fukuoka-fy2025", seed=2, scale=0.3)
    con.close()
    with serve(warehouse, tmp_path) as (server, creds):
        yield server, warehouse, creds


def test_manager_downloads_the_deck(page, deck_server, tmp_path):
    server, warehouse, creds = deck_server
    open_app(page, server)
    sign_in(page, server, creds["manager"])
    page.get_by_role("link", name="ホーム").wait_for(timeout=30_000)  # signed in, menu drawn
    more = page.get_by_test_id("stSidebarNavViewButton")  # a long menu is folded behind "View more"
    if more.count():
        more.click()
    page.get_by_role("link", name="成果報告会").click()
    wait_for_app(page, server)
    page.get_by_role("button", name="次へ").click()
    wait_for_app(page, server)
    page.get_by_role("button", name="PPTX を作成").click()
    wait_for_app(page, server)
    button = page.get_by_role("button", name="PPTX をダウンロード")
    expect(button).to_be_visible(timeout=60_000)
    with page.expect_download() as info:
        button.click()
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    assert path.suffix == ".pptx" and path.read_bytes()[:2] == b"PK"
    server.stop()
    con = duckdb.connect(str(warehouse / "casework.duckdb"), read_only=True)
    try:
        rows = con.execute("select username, page from audit_log where action = 'export'").fetchall()
    finally:
        con.close()
    assert ("manager", "presentation") in rows
