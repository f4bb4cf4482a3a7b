"""The real app in a real browser over encrypted files, as a city runs it.

The server gets a database key and plaintext forbidden; the warehouse is the fixture city's
extracts built under that key. A manager signs in (the sign-in writes audit rows to the
encrypted casework), searches, opens a card and the funnel page, and nothing on disk holds a
name afterwards. A second server without the key refuses to open the files and says why.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from kodomo_dash.infra import encryption
from tests.browser.harness import (
    open_app,
    serve,
    sign_in,
    wait_for_app,
)
from tests.infra.test_encryption import needles

pytestmark = pytest.mark.browser
KEY = encryption.generate_key()


@pytest.fixture
def encrypted_warehouse(built_warehouse, tmp_path, monkeypatch):
    from kodomo_dash.warehouse.ingest.build import build_warehouse

    warehouse = tmp_path / "warehouse"
    monkeypatch.setenv("KODOMO_DB_KEY", KEY)
    monkeypatch.delenv("KODOMO_ALLOW_PLAINTEXT", raising=False)
    monkeypatch.setenv("KODOMO_WAREHOUSE", str(warehouse))
    build_warehouse(built_warehouse.parent / "extracts", target=warehouse / "kodomo.duckdb", log=lambda _m: None)
    return warehouse


def _a_child(warehouse) -> tuple[str, str]:
    from kodomo_dash.infra.db import open_read_only

    con = open_read_only(warehouse / "kodomo.duckdb")
    try:
        return con.execute(
            "with unique_names as (select name_kana from core.child group by name_kana having count(*) = 1)"
            " select resident_id, name_kana from core.child join unique_names using (name_kana)"
            " where age_years between 6 and 12 order by resident_id limit 1"
        ).fetchone()
    finally:
        con.close()


def test_a_manager_works_in_the_browser_over_encrypted_files(page, encrypted_warehouse, tmp_path):
    rid, kana = _a_child(encrypted_warehouse)
    keyed = {"KODOMO_DB_KEY": KEY, "KODOMO_ALLOW_PLAINTEXT": "0"}
    with serve(encrypted_warehouse, tmp_path, keyed) as (server, creds):
        open_app(page, server)
        sign_in(page, server, creds["manager"])
        page.get_by_role("link", name="こども検索").click()
        wait_for_app(page, server)
        page.get_by_label("氏名（漢字またはカナ）").fill(kana.replace("\u3000", " "))
        page.get_by_role("button", name="検索", exact=True).click()
        wait_for_app(page, server)
        expect(page.locator("[role='gridcell']").filter(has_text=rid)).to_have_count(1)
        page.get_by_role("button", name="カードを開く").click()
        wait_for_app(page, server)
        page.get_by_role("heading", name="こどもカード").wait_for(timeout=30_000)
        expect(page.locator("[data-testid='stMetricValue']", has_text=rid)).to_be_visible()
        assert page.get_by_text("Traceback").count() == 0
    assert encryption.is_encrypted(encrypted_warehouse / "casework.duckdb")
    spelled = needles([kana, kana.split("\u3000")[0]])
    leaks = [p.name for p in encrypted_warehouse.rglob("*") if p.is_file() and any(n in p.read_bytes() for n in spelled)]
    assert leaks == []


def test_without_the_key_the_app_says_so(page, encrypted_warehouse, tmp_path):
    # An empty KODOMO_DB_KEY is no key (the fixture's key stays in this process's environment).
    with serve(encrypted_warehouse, tmp_path, {"KODOMO_DB_KEY": "", "KODOMO_ALLOW_PLAINTEXT": "0"}) as (server, _):
        open_app(page, server)
        expect(page.get_by_text("暗号化キーが設定されていません")).to_be_visible(timeout=30_000)
        assert page.get_by_label("パスワード").count() == 0
