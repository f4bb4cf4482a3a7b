"""名寄せ確認 in a real browser: sign in as the demo manager (password + TOTP), link one pair.

The server reads a private copy of the fixture city (the decision is written to its casework),
a throw-away demo users file and an empty secrets file, so nothing here touches the
shared fixture or the developer's own settings.
"""

from __future__ import annotations

import duckdb
import pytest
from playwright.sync_api import expect

from tests.browser.harness import open_app, private_server, sign_in, wait_for_app

pytestmark = pytest.mark.browser


@pytest.fixture
def linkage_server(built_warehouse, tmp_path):
    with private_server(built_warehouse, tmp_path) as (server, warehouse, creds):
        yield server, warehouse, creds["manager"]


def test_a_manager_links_one_pair_through_the_page(page, linkage_server):
    server, warehouse, cred = linkage_server
    con = duckdb.connect(str(warehouse / "kodomo.duckdb"), read_only=True)
    student_no, resident_id = con.execute(
        "select student_no, resident_id from link.review_queue order by student_no, candidate_rank limit 1"
    ).fetchone()
    con.close()

    open_app(page, server)
    sign_in(page, server, cred)
    # Navigate inside the signed-in session: a fresh page load would be a new session.
    page.get_by_role("link", name="名寄せ確認").click()
    wait_for_app(page, server)
    heading = page.get_by_role("heading", name="名寄せ確認")
    try:
        heading.wait_for(timeout=20_000)
    except Exception:  # noqa: BLE001 - say what the page showed instead
        pytest.fail(f"no review page; the browser shows:\n{page.inner_text('body')[:2000]}\n--- server ---\n"
                    f"{server.output()[-3000:]}")
    pupil = page.locator(f".st-key-lk_pupil_{student_no}")
    expect(pupil).to_be_visible()
    expect(pupil.locator("[data-testid='stDataFrame']")).to_be_visible()  # glide grid: headers are canvas

    pupil.get_by_role("button", name="同一人物として突合").first.click()
    wait_for_app(page, server)
    expect(page.get_by_text(f"児童生徒番号 {student_no} と宛名番号 {resident_id}")).to_be_visible()
    expect(page.locator(f".st-key-lk_pupil_{student_no}")).to_have_count(0)
    assert page.get_by_text("Traceback").count() == 0

    server.stop()  # release casework before reading it
    cw = duckdb.connect(str(warehouse / "casework.duckdb"), read_only=True)
    try:
        rows = cw.execute("select student_no, resident_id, decision, decided_by from link_decision").fetchall()
    finally:
        cw.close()
    assert rows == [(student_no, resident_id, "link", "manager")]
