"""Browser fixtures: one app server per session on the fixture city, Debian's Chromium, a tab.

Playwright never downloads a browser here: the system ``chromium`` is launched through
``executable_path`` with the flags that work in a container (no sandbox, no GPU).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.harness import CHROMIUM_ARGS, StreamlitServer, auth_env, start_streamlit


def pytest_collection_modifyitems(items):
    """Browser tests wait on a real server and browser sharing 2 cores with the rest of the suite;
    a timing failure there is retried twice, while the same assertion failing three times fails."""
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.flaky(reruns=2, reruns_delay=31))  # past a TOTP step


@pytest.fixture(scope="session")
def streamlit_server(built_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[StreamlitServer]:
    """One app server per test session, reading the fixture city."""
    folder = tmp_path_factory.mktemp("streamlit")
    env, creds = auth_env(folder)
    server = start_streamlit(built_warehouse, folder / "server.log", extra_env=env)
    server.creds = creds
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium under Playwright (no browser download, ever)."""
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("chromium is not installed: run scripts/setup.sh (apt-get install chromium fonts-noto-cjk)")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(chromium):
    """A fresh Japanese-locale browser tab at a desktop size."""
    context = chromium.new_context(viewport={"width": 1400, "height": 1000}, locale="ja-JP")
    context.set_default_timeout(90_000)  # 2 shared cores under a full parallel test run are slow
    tab = context.new_page()
    try:
        yield tab
    finally:
        context.close()


@pytest.fixture
def fresh_streamlit_server(built_warehouse: Path, tmp_path: Path) -> Iterator[StreamlitServer]:
    """A server no browser has talked to yet, for what only happens on a process's first run."""
    env, creds = auth_env(tmp_path)
    server = start_streamlit(built_warehouse, tmp_path / "server.log", extra_env=env)
    server.creds = creds
    try:
        yield server
    finally:
        server.stop()
