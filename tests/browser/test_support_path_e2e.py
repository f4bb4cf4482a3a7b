"""One child's whole support path in a real browser, each step by the person who would take it.

A manager runs the Fukuoka similarity screening on the fixture city (3〜6歳の未就園児, top 3) and
accepts the draft under 福岡市：未就園児へのプッシュ型支援 — the list is created by that click. The
ward staff of 東区 record the three departments' secondary screening, the three-department
conference (アプローチする, a nurse assigned) and the approach start on 支援の記録. The nurse, a
second ward-staff account added to the users file the way an administrator adds one, opens the
home-visit record from that screen and submits a visit: contacted, needs, one piece of advice and
one of information. The manager's funnel then counts the child at every stage and the outcomes
page's 図表 6-4 shows the two acts. Afterwards the casework file proves each step was saved, and
audited, under the account that was signed in.

Why the similarity method: the fixture city is Fukuoka, its programme (fukuoka-unenrolled) is a
ward path whose report shape has support acts, and the model trains in about 2 s at scale 0.01.
(rule_points is faster still, but its programme is Amagasaki's, whose unit is the city — not the
wards the demo ward-staff account is scoped to.) Every event is dated today: a list accepted today
accepts no earlier date, and no event may be in the future.

Two things only a browser shows, which this test holds: after 記録する the saved child no longer
shows as chosen (the screen sets the choice back, since popping the key left the chip in the
browser), and saving the last child waiting still says 保存しました (the message was drawn only
while someone was waiting).
"""

from __future__ import annotations

import re
import secrets
from datetime import date

import duckdb
import pytest
from playwright.sync_api import expect

from kodomo_dash.config.calendar import fiscal_year
from tests.browser.harness import open_app, private_warehouse, serve, sign_in, wait_for_app

pytestmark = pytest.mark.browser

OWN_WARD = "40131"  # 東区: the demo ward_staff account's ward, and the nurse's
PROGRAMME = "福岡市：未就園児へのプッシュ型支援（3歳から6歳）"
DEPARTMENTS = ("子育て支援課", "地域保健福祉課", "健康課")
SAVED_ONE = "1人の記録を保存しました。"
VIEWPORT = {"width": 1400, "height": 1000}


@pytest.fixture
def path_server(built_warehouse, tmp_path):
    """A private fixture city with empty casework, the demo users, and a nurse of 東区."""
    from kodomo_dash.security import passwords
    from kodomo_dash.security.users import DemoCredential, add_user

    warehouse = private_warehouse(built_warehouse, tmp_path)
    with serve(warehouse, tmp_path) as (server, creds):
        password = secrets.token_urlsafe(12)
        while passwords.check_policy(password, "nurse"):
            password = secrets.token_urlsafe(12)
        # The users file is re-read when it changes, so the running server knows the nurse at once.
        rec = add_user("nurse", "ward_staff", password, display_name="デモ 東区 保健師", ward_codes=(OWN_WARD,),
                       path=tmp_path / "users.yaml", rounds=4)  # fmt: skip
        creds = {**creds, "nurse": DemoCredential("nurse", "ward_staff", password, rec.totp_secret, "区 40131")}
        yield server, warehouse, creds


# ---------------------------------------------------------------------------------------------- helpers


def _shows(page, server, what: str) -> str:
    return f"{what}; the browser shows:\n{page.inner_text('body')[:3000]}\n--- server ---\n{server.output()[-3000:]}"


def _signed_in(chromium, server, cred):
    tab = chromium.new_context(viewport=VIEWPORT, locale="ja-JP").new_page()
    tab.context.set_default_timeout(90_000)  # 2 shared cores
    open_app(tab, server)
    sign_in(tab, server, cred)
    return tab


def _go(page, server, link: str, heading: str) -> None:
    """Open a page from the side menu (a long menu folds some links behind "View more")."""
    target = page.get_by_role("link", name=link, exact=True)
    more = page.get_by_test_id("stSidebarNavViewButton")
    if not target.is_visible() and more.count():
        more.click()
    target.click()
    wait_for_app(page, server)
    try:
        page.get_by_role("heading", name=heading).first.wait_for(timeout=30_000)
    except Exception:  # noqa: BLE001 - say what the page showed instead
        pytest.fail(_shows(page, server, f"no heading {heading!r}"))
    wait_for_app(page, server)


def _saved(page, server, text: str, scope=None) -> None:
    """Wait for a message the rerun after a click draws, then for that rerun to end.

    (Right after a click the app may not have started its rerun yet, so waiting for the idle
    state alone can return before it; once the rerun's own output shows, waiting for idle is sound.)
    """
    try:
        expect((scope or page).get_by_text(text, exact=False).first).to_be_visible(timeout=30_000)
    except AssertionError:
        pytest.fail(_shows(page, server, f"no {text!r}"))
    wait_for_app(page, server)


def _open(page, box) -> None:
    """Bring a select box to the middle of the screen, then click its list open.

    Playwright scrolls a box that is out of view just to the edge of the page's scroll area;
    opening it there scrolls the page a little, and the list closes on that scroll (seen for
    the department box after pressing 記録する at the bottom of the form). A person looks at
    the box before clicking it: centred first, it opens and stays open.
    """
    box.evaluate("e => e.scrollIntoView({block: 'center'})")
    box.click()
    page.get_by_role("listbox").wait_for(timeout=10_000)  # typed before the list opens, keys are lost


def choose(page, key: str, option: str, multi: bool = False) -> None:
    """A select box (or a multiselect) by its widget key: open it, type to filter, take the exact option."""
    box = page.locator(f".st-key-{key}").get_by_role("combobox")
    _open(page, box)
    page.keyboard.type(option)
    page.get_by_role("option", name=option, exact=True).wait_for(timeout=10_000)
    page.keyboard.press("Enter")
    if multi:  # a multiselect stays open after a pick (Escape on a select box could undo it)
        page.keyboard.press("Escape")
    expect(page.get_by_role("listbox")).to_have_count(0)


def shown(page, key: str):
    """The text a select box shows (its combobox input's value), for expect(...).to_have_value."""
    return page.locator(f".st-key-{key}").get_by_role("combobox")


def first_child(page, key: str) -> str:
    """Open the children multiselect and take the first child waiting; return its resident ID.

    (Streamlit puts its own "Select all" option above the children; it is not a child.)
    """
    box = page.locator(f".st-key-{key}").get_by_role("combobox")
    _open(page, box)
    option = page.get_by_role("option").filter(has_text=re.compile(r"^\d{10}$")).first
    option.wait_for(timeout=10_000)
    rid = option.inner_text().strip()
    option.click()
    page.keyboard.press("Escape")
    expect(page.get_by_role("listbox")).to_have_count(0)
    return rid


def type_date(page, key: str, day: date) -> None:
    box = page.locator(f".st-key-{key}")
    box.get_by_text("yyyy").click()
    page.keyboard.type(day.strftime("%Y%m%d"))
    page.keyboard.press("Tab")
    expect(box.get_by_text("yyyy")).to_have_count(0)


def metric(page, label: str) -> str:
    """The value of the st.metric whose label is exactly ``label`` (waiting until it is drawn)."""
    named = page.get_by_test_id("stMetricLabel").get_by_text(label, exact=True)
    box = page.get_by_test_id("stMetric").filter(has=named)
    expect(box).to_have_count(1, timeout=30_000)
    return box.get_by_test_id("stMetricValue").inner_text().strip()


def grid(page, heading: str):
    """The first table (st.dataframe) after the subheading ``heading``."""
    return page.locator(f"xpath=//h3[contains(., '{heading}')]/following::*[@data-testid='stDataFrame'][1]")


def grid_rows(page, heading: str) -> list[list[str]]:
    """The cells of that table, row by row: the grid draws on a canvas, its (off-screen) a11y cells carry the text."""
    table = grid(page, heading)
    table.scroll_into_view_if_needed()
    table.locator("[role='gridcell']").first.wait_for(state="attached", timeout=30_000)
    return [[c.strip() for c in row.locator("[role='gridcell']").all_text_contents()]
            for row in table.locator("[role='row']").all()]  # fmt: skip


# ---------------------------------------------------------------------------------------------- the path


def test_one_child_from_accepted_list_to_support_act(chromium, path_server, tmp_path):
    server, warehouse, creds = path_server

    # 1. The manager runs a small screening and accepts it: the year's list is made by this click.
    manager = _signed_in(chromium, server, creds["manager"])
    _go(manager, server, "スクリーニング", "スクリーニング")
    manager.locator(".st-key-sc_selection").get_by_text("上位N人").click()
    top_n = manager.locator(".st-key-sc_top_n input")
    top_n.fill("3")
    top_n.press("Tab")
    manager.get_by_role("button", name="実行して下書きを保存").click()
    wait_for_app(manager, server, timeout_ms=120_000)  # the similarity model trains on the first run
    _saved(manager, server, "を下書きとして保存しました（リスト 3 人")
    expect(shown(manager, "sc_accept_programme")).to_have_value(PROGRAMME)
    manager.get_by_role("button", name="このリストを確定する").click()
    wait_for_app(manager, server)
    _saved(manager, server, "を確定しました。")
    list_id = re.search(r"対象者リスト (\S+) を確定しました", manager.inner_text("body")).group(1)
    expect(manager.get_by_role("link", name="支援の記録を開く").first).to_be_visible()

    # 2. The ward staff of 東区 record each department's secondary screening for one child, dated
    #    the day the list was accepted (as the list's label says; never later than today).
    staff = _signed_in(chromium, server, creds["ward_staff"])
    _go(staff, server, "支援の記録", "支援の記録")
    expect(shown(staff, "sr_list")).to_have_value(re.compile(r"未就園児（3人、\d{4}-\d\d-\d\d 確定）"))
    day = date.fromisoformat(re.search(r"(\d{4}-\d\d-\d\d) 確定", shown(staff, "sr_list").input_value()).group(1))
    secondary = staff.get_by_role("tabpanel", name="二次スクリーニング")
    waiting = re.search(r"この段階を待っているこども：(\d+)人", secondary.inner_text())
    own = int(waiting.group(1))  # the listed children of 東区 (at scale 0.01, seed 1: all three)
    rid = first_child(staff, "sr_secondary_children")
    assert re.fullmatch(r"\d{10}", rid), rid
    type_date(staff, "sr_secondary_date", day)
    choose(staff, "sr_secondary_decision", "対象（三課協議へ）")
    for i, department in enumerate(DEPARTMENTS):
        if i:
            choose(staff, "sr_sec_department", department)
            # the rerun has drawn this department's queue: the child waits again, with the others
            expect(secondary).to_contain_text(f"この段階を待っているこども：{own}人")
            wait_for_app(staff, server)
            expect(staff.locator(".st-key-sr_secondary_children").get_by_role("combobox")).to_have_count(1)
            choose(staff, "sr_secondary_children", rid, multi=True)
            # the date and the decision stay as typed for the next department
            expect(shown(staff, "sr_secondary_decision")).to_have_value("対象（三課協議へ）")
        staff.locator(".st-key-sr_secondary_save").get_by_role("button").click()
        wait_for_app(staff, server)
        _saved(staff, server, SAVED_ONE, scope=secondary)
        # the child has left this department's queue
        expect(secondary).to_contain_text(f"この段階を待っているこども：{own - 1}人")

    # 3. The conference decides to approach, the nurse assigned; then the approach starts.
    staff.get_by_role("tab", name="三課協議").click()
    conference = staff.get_by_role("tabpanel", name="三課協議")
    expect(conference).to_contain_text("この段階を待っているこども：1人")
    choose(staff, "sr_conference_children", rid, multi=True)
    type_date(staff, "sr_conference_date", day)
    choose(staff, "sr_conference_decision", "アプローチする")
    staff.locator(".st-key-sr_conference_assignee input").fill("nurse")
    choose(staff, "sr_conference_department", "健康課")
    staff.locator(".st-key-sr_conference_save").get_by_role("button").click()
    wait_for_app(staff, server)
    _saved(staff, server, SAVED_ONE, scope=conference)

    staff.get_by_role("tab", name="アプローチ開始").click()
    approach = staff.get_by_role("tabpanel", name="アプローチ開始")
    expect(approach).to_contain_text("この段階を待っているこども：1人")
    choose(staff, "sr_approach_children", rid, multi=True)
    type_date(staff, "sr_approach_date", day)
    choose(staff, "sr_approach_decision", "アプローチ開始")
    staff.locator(".st-key-sr_approach_assignee input").fill("nurse")
    choose(staff, "sr_approach_how", "家庭訪問")
    staff.locator(".st-key-sr_approach_save").get_by_role("button").click()
    wait_for_app(staff, server)
    _saved(staff, server, SAVED_ONE, scope=approach)

    # The child's history on the same screen: five records, each by the ward staff.
    staff.get_by_role("tab", name="記録の履歴・訂正").click()
    choose(staff, "sr_hist_child", rid)
    history = staff.get_by_role("tabpanel", name="記録の履歴・訂正").get_by_test_id("stDataFrame")
    expect(history.locator("[role='row']")).to_have_count(6)  # header and five records
    records = [[c.strip() for c in row.locator("[role='gridcell']").all_text_contents()]
               for row in history.locator("[role='row']").all()[1:]]  # fmt: skip
    assert all("ward_staff" in r for r in records), records
    assert [r for r in records if "三課協議" in r and "担当：nurse" in " ".join(r)], records
    staff.screenshot(path=str(tmp_path / "support_record.png"), full_page=True)
    assert (tmp_path / "support_record.png").stat().st_size > 20_000
    staff.context.close()

    # 4. The nurse opens the home-visit record from 支援の記録 and submits the visit.
    nurse = _signed_in(chromium, server, creds["nurse"])
    _go(nurse, server, "支援の記録", "支援の記録")
    nurse.get_by_role("tab", name="訪問・連絡").click()
    nurse.get_by_role("link", name="家庭訪問記録を開く").click()
    wait_for_app(nurse, server)
    try:
        nurse.get_by_role("heading", name="訪問・連絡記録").first.wait_for(timeout=30_000)
    except Exception:  # noqa: BLE001
        pytest.fail(_shows(nurse, server, "no home-visit page"))
    nurse.get_by_text("新しく記入する").click()
    expect(shown(nurse, "kdf_home_visit_record_new_pick")).to_have_value(f"{rid}（東区）")
    nurse.get_by_role("button", name="新規作成").click()
    wait_for_app(nurse, server)
    date_box = nurse.locator("[class*='st-key-kdf_'][class*='_attempted_on']")
    date_box.wait_for(timeout=30_000)
    wait_for_app(nurse, server)
    prefix = re.search(r"st-key-(kdf_\w+?_)attempted_on", date_box.get_attribute("class")).group(1)
    expect(shown(nurse, "kdf_home_visit_record_pick")).to_have_value(re.compile(rf"^{rid}（東区）"))
    type_date(nurse, prefix + "attempted_on", day)
    choose(nurse, prefix + "method", "家庭訪問")
    choose(nurse, prefix + "result", "保護者と接触できた")
    choose(nurse, prefix + "needs", "ニーズあり")
    choose(nurse, prefix + "advice", "就園について", multi=True)
    choose(nurse, prefix + "information", "入園の手続き", multi=True)
    nurse.get_by_role("button", name="提出").click()
    wait_for_app(nurse, server)
    _saved(nurse, server, "保存しました。")
    nurse.context.close()

    # 5. The manager's funnel counts the child at every stage; the drill-down names the child.
    _go(manager, server, "支援の流れ（ファネル）", "支援の流れ（ファネル）")
    expected = {"一次スクリーニング": "3", "二次スクリーニング": "1", "三課協議（アプローチ対象）": "1",
                "アプローチ実施": "1", "接触": "1", "確認中": "0"}  # fmt: skip
    counts = {label: metric(manager, label) for label in expected}
    assert counts == expected, counts
    choose(manager, "fn_drill_stage", "接触（1名）")
    # the rerun has drawn this stage's children (the caption under the stage says how many)
    expect(manager.locator("[data-testid^='stCaption']").get_by_text("1名", exact=True)).to_be_visible()
    wait_for_app(manager, server)
    drill = grid(manager, "段階のこどもを確認する")
    expect(drill.locator("[role='row']")).to_have_count(2)  # the header and one child
    drilled = grid_rows(manager, "段階のこどもを確認する")
    assert rid in drilled[1], drilled

    # 6. The outcomes page shows the two acts (図表 6-4, the city's published total column).
    _go(manager, server, "成果指標", "成果指標")
    acts = grid_rows(manager, "図表 6-4")
    assert any("就園について" in r and "1件" in r for r in acts), acts
    assert any("入園の手続き" in r and "1件" in r for r in acts), acts
    assert manager.get_by_text("Traceback").count() == 0
    manager.context.close()

    # 7. The casework file: every step saved, and audited, under the account that took it.
    server.stop()
    con = duckdb.connect(str(warehouse / "casework.duckdb"), read_only=True)
    try:
        accepted = con.execute("select fy, programme, path, list_size, accepted_by from wf_list where list_id = ?",
                               [list_id]).fetchall()  # fmt: skip
        run = con.execute("select status, created_by, decided_by from screening_run").fetchall()
        events = con.execute(
            "select stage, department, decision, category, assignee, recorded_by, event_date from wf_event_current"
            " where list_id = ? and resident_id = ? order by event_id", [list_id, rid]).fetchall()
        others = con.execute("select count(*) from wf_event where resident_id <> ?", [rid]).fetchone()[0]
        state = con.execute(
            "select ward_code, departments_passed, conference_decision, assigned_staff, approach_decision,"
            " attempts, needs, support_acts, current_stage from wf_child_state where list_id = ? and resident_id = ?",
            [list_id, rid]).fetchone()
        audited = con.execute(
            "select username, page, count(*) from audit_log where action = 'form_save' group by all order by all"
        ).fetchall()
        list_audit = con.execute("select username from audit_log where target = ?", [f"wf_list:{list_id}"]).fetchall()
    finally:
        con.close()
    assert accepted == [(fiscal_year(day), "fukuoka-unenrolled", "ward", 3, "manager")]
    assert run == [("accepted", "manager", "manager")]
    assert [e[:6] for e in events] == [
        ("secondary", "childcare_support", "pass", None, None, "ward_staff"),
        ("secondary", "community_health_welfare", "pass", None, None, "ward_staff"),
        ("secondary", "health", "pass", None, None, "ward_staff"),
        ("conference", "health", "approach", None, "nurse", "ward_staff"),
        ("approach", None, "start", None, "nurse", "ward_staff"),
        ("contact_attempt", None, "contacted", None, None, "nurse"),
        ("contact", None, "yes", None, None, "nurse"),
        ("support_act", None, "advice", "enrolment", None, "nurse"),
        ("support_act", None, "information", "enrolment_procedure", None, "nurse"),
    ], events
    assert {e[6] for e in events} == {day}
    assert others == 0  # the two other children on the list were not touched
    assert state == (OWN_WARD, 3, "approach", "nurse", "start", 1, "yes", 2, "contact"), state
    assert list_audit == [("manager",)]
    # each account saved only on its own screen: the manager the run and the list, the ward staff
    # one audited record per event, the nurse the home-visit form (started, then submitted)
    assert {(user, page) for user, page, _ in audited} == {
        ("manager", "screening"), ("ward_staff", "support_record"), ("nurse", "forms_home_visit")}, audited
    assert ("ward_staff", "support_record", 5) in audited, audited
