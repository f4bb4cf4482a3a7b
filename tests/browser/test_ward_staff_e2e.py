"""Ward staff in a real browser: sign in (password + TOTP), search a child, open the card — own ward only.

The demo ward_staff user may see ward 40131 (東区). A child of their ward is found by name and its
card opens; a child of another ward is not found by the same search, and opening that child's
card by URL (/child_card?rid=...) is refused and audited. The server reads a private copy of the
fixture city so the audit rows it writes can be checked without touching the shared casework.
"""

from __future__ import annotations

import duckdb
import pytest
from playwright.sync_api import expect

from tests.browser.harness import open_app, private_server, sign_in, wait_for_app

pytestmark = pytest.mark.browser

OWN_WARD = "40131"
NOT_FOUND = "該当するこどもはいません（担当範囲内）。"
REFUSED = "このこどもは見つからないか、担当範囲外です。"


@pytest.fixture
def ward_server(built_warehouse, tmp_path):
    with private_server(built_warehouse, tmp_path) as (server, warehouse, creds):
        yield server, warehouse, creds["ward_staff"]


def _child_with_unique_kana(warehouse, own: bool) -> tuple[str, str]:
    """A school-age child whose kana name is unique in the whole city, in or outside the own ward."""
    con = duckdb.connect(str(warehouse / "kodomo.duckdb"), read_only=True)
    try:
        return con.execute(
            "with unique_names as (select name_kana from core.child group by name_kana having count(*) = 1)"
            " select resident_id, name_kana from core.child join unique_names using (name_kana)"
            f" where ward_code {'=' if own else '<>'} ? and age_years between 6 and 12"
            " order by resident_id limit 1", [OWN_WARD]).fetchone()
    finally:
        con.close()


def _search(page, server, kana: str) -> None:
    box = page.get_by_label("氏名（漢字またはカナ）")
    box.fill(kana.replace("\u3000", " "))
    page.get_by_role("button", name="検索", exact=True).click()
    wait_for_app(page, server)


def _heading(page, server, name: str) -> None:
    """Wait for a page heading; on timeout say what the browser shows instead."""
    try:
        page.get_by_role("heading", name=name).wait_for(timeout=30_000)
    except Exception:  # noqa: BLE001 - report the page, not just the timeout
        pytest.fail(f"no heading {name!r}; the browser shows:\n{page.inner_text('body')[:2000]}\n--- server ---\n"
                    f"{server.output()[-3000:]}")


def test_ward_staff_sees_only_their_own_ward(page, ward_server):
    server, warehouse, cred = ward_server
    own_rid, own_kana = _child_with_unique_kana(warehouse, own=True)
    other_rid, other_kana = _child_with_unique_kana(warehouse, own=False)

    open_app(page, server)
    sign_in(page, server, cred)
    page.get_by_role("link", name="こども検索").click()
    wait_for_app(page, server)
    _heading(page, server, "こども検索")

    # A child of another ward: the same search finds nothing.
    _search(page, server, other_kana)
    expect(page.get_by_text(NOT_FOUND)).to_be_visible()
    assert page.get_by_text(other_rid).count() == 0

    # A child of the own ward: found, and the card opens.
    _search(page, server, own_kana)
    expect(page.get_by_text("1件（最大")).to_be_visible()
    # The result grid draws on a canvas; its accessible cells carry the text.
    grid = page.locator("[role='gridcell']")
    expect(grid.filter(has_text=own_rid)).to_have_count(1)
    cells = grid.all_text_contents()
    assert "東区" in cells
    assert not {"博多区", "中央区", "南区", "西区", "城南区", "早良区"} & set(cells)
    expect(page.get_by_role("combobox", name="こどもを選んでカードを開く")).to_be_visible()
    page.get_by_role("button", name="カードを開く").click()
    wait_for_app(page, server)
    _heading(page, server, "こどもカード")
    expect(page.locator("[data-testid='stMetricValue']", has_text=own_rid)).to_be_visible()
    assert page.get_by_text("Traceback").count() == 0

    # The other ward's child by URL: refused, nothing of the child shown, the refusal audited.
    # A page load would start a new session (and sign-in lands on the home page), so the link is
    # followed inside this session: put ?rid= in the address bar and rerun, as a pasted link would.
    page.evaluate("rid => history.replaceState(null, '', location.pathname + '?rid=' + rid)", other_rid)
    refusal = page.get_by_text(REFUSED)
    for _attempt in range(3):  # under load a key press can land before the page listens for it
        page.evaluate("() => document.activeElement && document.activeElement.blur()")
        page.keyboard.press("r")  # Streamlit's rerun key; the rerun carries the address bar's query string
        wait_for_app(page, server)
        try:
            refusal.wait_for(timeout=10_000)
            break
        except Exception:  # noqa: BLE001 - press again; the expect below reports a real failure
            continue
    expect(refusal).to_be_visible()
    _heading(page, server, "こどもカード")
    assert page.locator("[data-testid='stMetricValue']").count() == 0
    assert page.get_by_text(other_rid).count() == 0

    con = duckdb.connect(str(warehouse / "casework.duckdb"), read_only=True)
    try:
        denied = con.execute(
            "select count(*) from audit_log where username = 'ward_staff' and action = 'access_denied'"
            " and resident_id = ?", [other_rid]).fetchone()[0]
        viewed = con.execute(
            "select count(*) from audit_log where username = 'ward_staff' and action = 'view_child'"
            " and resident_id = ?", [own_rid]).fetchone()[0]
    finally:
        con.close()
    assert denied >= 1 and viewed >= 1


def test_a_card_link_opened_before_sign_in_leads_to_that_card(page, ward_server):
    """A shared link /child_card?rid=… in a new tab: sign in, and the card of that child opens."""
    server, warehouse, cred = ward_server
    own_rid, _ = _child_with_unique_kana(warehouse, own=True)
    open_app(page, server, f"child_card?rid={own_rid}")
    sign_in(page, server, cred)
    wait_for_app(page, server)
    _heading(page, server, "こどもカード")
    expect(page.locator("[data-testid='stMetricValue']", has_text=own_rid)).to_be_visible()
    assert f"rid={own_rid}" in page.url
    # Signing out and in again starts at home: the link is followed once, not for the next person.
    page.get_by_role("button", name="ログアウト").click()
    wait_for_app(page, server)
    sign_in(page, server, cred)
    _heading(page, server, "こどもデータ連携ダッシュボード")
