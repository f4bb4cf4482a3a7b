"""A refused build in a real browser: the manager sees why on データ品質, home still shows the city in use.

Issue 17 ("How it is shown"): the resident registry arrives header-only (an export job that failed
overnight). ``kodomo build`` runs as a separate process against the warehouse folder a running app
is serving, exits 2 and leaves the served file byte for byte as it was. In the browser a manager,
already signed in before the build, then finds on データ品質 the refusal naming resident_registry,
and on its tab 最近の取込 the attempt marked 中止（前回のまま）; ホーム still counts the children of
the previous build. The browser-free version of the same story is
``test_the_data_quality_page_shows_a_refused_build_while_the_city_in_use_stays`` in
tests/warehouse/test_build_gate.py.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys

import duckdb
import pytest
from playwright.sync_api import expect

from tests.browser.harness import REPO, open_app, private_warehouse, serve, sign_in, wait_for_app

pytestmark = pytest.mark.browser

CHILDREN = "こどもの数（0〜15歳）"
REFUSED = "中止（前回のまま）"
HELD_BACK = "は止めました。表示しているのは前回のデータです。"


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _shows(page, server, what: str) -> str:
    return f"{what}; the browser shows:\n{page.inner_text('body')[:3000]}\n--- server ---\n{server.output()[-3000:]}"


def _go(page, server, link: str, heading: str) -> None:
    """Open a page from the side menu, in this session, and wait until its run has ended."""
    target = page.get_by_role("link", name=link, exact=True)
    more = page.get_by_test_id("stSidebarNavViewButton")
    if not target.is_visible() and more.count():
        more.click()  # a long menu folds some links behind "View more"
    target.click()
    try:
        page.get_by_role("heading", name=heading, exact=True).first.wait_for(timeout=30_000)
    except Exception:  # noqa: BLE001 - say what the page showed instead
        pytest.fail(_shows(page, server, f"no heading {heading!r}"))
    wait_for_app(page, server)


def _children_shown(page, server) -> str:
    """The value of the home page's children metric, once drawn."""
    metric = page.locator("[data-testid='stMetric']").filter(has_text=CHILDREN)
    try:
        metric.first.wait_for(timeout=30_000)
    except Exception:  # noqa: BLE001
        pytest.fail(_shows(page, server, f"no metric {CHILDREN!r}"))
    return metric.first.locator("[data-testid='stMetricValue']").inner_text().strip()


def _blank_to_header(path) -> None:
    """Keep only the header line, in the bytes and encoding the city delivered it."""
    data = path.read_bytes()
    path.write_bytes(data[: data.index(b"\n") + 1])


@pytest.fixture
def city_in_use(built_warehouse, tmp_path):
    """A private fixture city served by its own app, with its build history and a copy of its extracts."""
    warehouse = private_warehouse(built_warehouse, tmp_path)
    history = built_warehouse / "build_history.jsonl"
    assert history.exists(), "the fixture city's build wrote no build_history.jsonl"
    shutil.copy(history, warehouse / "build_history.jsonl")  # the previous build, as a manager would see it
    extracts = tmp_path / "extracts"
    shutil.copytree(built_warehouse.parent / "extracts", extracts)
    with serve(warehouse, tmp_path) as (server, creds):
        yield server, warehouse, extracts, creds["manager"]


def test_a_refused_build_shows_on_data_quality_while_home_keeps_the_children(page, city_in_use, tmp_path):
    server, warehouse, extracts, manager = city_in_use
    served = warehouse / "kodomo.duckdb"
    con = duckdb.connect(str(served), read_only=True)
    try:
        (children,) = con.execute(
            "select count(*) from core.child where age_years between 0 and 15"
        ).fetchone()
    finally:
        con.close()
    assert children > 0
    before = _sha(served)

    # The manager is signed in and sees the city in use.
    open_app(page, server)
    sign_in(page, server, manager)
    _go(page, server, "ホーム", "こどもデータ連携ダッシュボード")
    assert _children_shown(page, server) == f"{children:,}"

    # Overnight the registry export fails: header only. The build runs while the app is serving.
    _blank_to_header(extracts / "resident_registry.csv")
    env = {**os.environ, "KODOMO_WAREHOUSE": str(warehouse), "PYTHONUNBUFFERED": "1"}
    env.pop("KODOMO_CITIES", None)  # the shipped gate thresholds, whatever city the runner has configured
    run = subprocess.run([sys.executable, "-m", "kodomo_dash.cli.commands", "build", "--source", str(extracts)],
                         cwd=REPO, env=env, capture_output=True, text=True, timeout=120)  # fmt: skip
    said = run.stdout + run.stderr
    assert run.returncode == 2, said
    assert "ビルド中止" in said and "ビルド完了" not in said and "resident_registry" in said, said
    assert "Traceback" not in said, said
    assert _sha(served) == before, "a refused build changed the served warehouse"
    assert not list(warehouse.glob(".build-*")), "a refused build left its staging file behind"
    lines = (warehouse / "build_history.jsonl").read_text(encoding="utf-8").splitlines()
    entries = [json.loads(line) for line in lines]
    assert [e["outcome"] for e in entries][-2:] == ["swapped", "refused"]
    attempted_at = entries[-1]["attempted_at"]
    previous = {s["source"]: s["rows_staged"] for s in entries[-2]["sources"]}

    # データ品質: the refusal first, naming the source and the time of the attempt.
    _go(page, server, "データ品質", "データ品質")
    alert = page.locator("[data-testid='stAlertContentError']").filter(has_text=HELD_BACK)
    try:
        expect(alert).to_have_count(1, timeout=30_000)
    except AssertionError:
        pytest.fail(_shows(page, server, "no refusal message"))
    message = alert.inner_text()
    assert f"最新の取込（{attempted_at}）" in message, message
    assert "resident_registry" in message and "--accept-drop resident_registry" in message, message
    assert f"前回 {previous['resident_registry']:,}行" in message and "今回 0行" in message, message
    assert page.get_by_text("Traceback").count() == 0

    # 最近の取込: the attempt per source, the registry's row marked as held back with 0 rows staged.
    page.get_by_role("tab", name="最近の取込").click()
    # The grid draws on a canvas; its accessible table (inside the canvas) carries the text.
    table = page.locator("[data-testid='stDataFrame']").filter(has=page.locator("th", has_text="取込の判定"))
    held_back = table.locator("td[role='gridcell']", has_text=REFUSED)
    try:
        expect(held_back.first).to_be_attached(timeout=30_000)
    except AssertionError:
        pytest.fail(_shows(page, server, f"no {REFUSED!r} in the build table"))
    registry = table.locator("tr[role='row']").filter(has=page.locator("td", has_text="resident_registry"))
    registry = registry.filter(has=page.locator("td", has_text=REFUSED))
    expect(registry).to_have_count(1)
    cells = [c.strip() for c in registry.locator("td").all_text_contents()]
    # 取込日時, 結果, 資料, 読込行, 取込行, 隔離行: nothing of the registry arrived, so nothing was staged.
    assert cells[:6] == [attempted_at, REFUSED, "resident_registry", "0", "0", "0"], cells
    shot = tmp_path / "data_quality_refused.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 20_000, "a screenshot this small is a blank page"

    # ホーム: still the previous build's children, not an empty city.
    _go(page, server, "ホーム", "こどもデータ連携ダッシュボード")
    assert _children_shown(page, server) == f"{children:,}"
    assert page.get_by_text("Traceback").count() == 0
    page.screenshot(path=str(tmp_path / "home_after_refused_build.png"), full_page=True)
    assert _sha(served) == before
