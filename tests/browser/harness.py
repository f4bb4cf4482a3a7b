"""Helpers for driving the app in a real browser: start a ``streamlit run`` server, wait for it.

Modelled on Streamlit's own e2e fixtures: start the server as a subprocess on a free port with
the file watcher off, wait for its health endpoint, then for the app to finish its script run
(``[data-testid='stApp'][data-test-script-state='notRunning']``) before acting. When anything
times out the server's output is put into the failure, because a blank page in a headless
browser says nothing on its own.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from kodomo_dash.testing.server import (  # noqa: F401 - re-exported for the browser tests
    CHROMIUM_ARGS,
    SERVER_START_TIMEOUT_S,
    ServerDidNotStart,
    StreamlitServer,
    free_port,
    launch,
    wait_healthy,
)
from kodomo_dash.testing.server import start_app as _start_app

REPO = Path(__file__).resolve().parents[2]
APP_IDLE_TIMEOUT_MS = 45_000
APP_IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
_wait_healthy = wait_healthy


def auth_env(folder: Path) -> tuple[dict[str, str], dict]:
    """A throw-away demo users file and an empty secrets file (plaintext databases), as server env vars."""
    from kodomo_dash.security.users import create_demo_users

    creds = {c.username: c for c in create_demo_users(folder / "users.yaml", rounds=4)}
    secrets_file = folder / "secrets.toml"
    secrets_file.write_text("# nothing: sign-in keeps no key (decision 060)\n", encoding="utf-8")
    env = {"KODOMO_USERS": str(folder / "users.yaml"), "STREAMLIT_SECRETS_FILES": str(secrets_file)}
    return env, creds


_LAST_STEP: dict[str, int] = {}


def _fresh_code(username: str, secret: str) -> str:
    """A TOTP code from a time step this user has not used yet: the app accepts each step once."""
    import time

    import pyotp

    totp = pyotp.TOTP(secret)
    while int(time.time()) // totp.interval <= _LAST_STEP.get(username, -1):
        time.sleep(1)
    _LAST_STEP[username] = int(time.time()) // totp.interval
    return totp.now()


def sign_in(page, server: StreamlitServer, cred) -> None:
    """The real login: username and password, then the TOTP code; returns once the menu shows.

    On a fresh server the first run bounces through app.py (ui.require_entrypoint), and the code
    step can briefly show two identical forms; wait until one is left, then use it. On failure
    the browser's text and the server's log are reported, not just a timeout.
    """
    username = page.get_by_label("ユーザー名")
    username.wait_for(timeout=30_000)
    username.fill(cred.username)
    page.get_by_label("パスワード").fill(cred.password)
    page.get_by_role("button", name="ログイン", exact=True).click()
    wait_for_app(page, server)
    code = page.get_by_label("確認コード（6桁）")
    code.first.wait_for(timeout=30_000)
    home = page.get_by_role("link", name="ホーム")
    for _attempt in range(2):
        for _ in range(20):
            if code.count() == 1:
                break
            page.wait_for_timeout(500)
            wait_for_app(page, server)
        form = page.locator("[data-testid='stForm']").filter(has=code).last
        form.get_by_label("確認コード（6桁）").fill(_fresh_code(cred.username, cred.totp_secret))
        form.get_by_role("button", name="確認", exact=True).click()
        wait_for_app(page, server)
        try:
            home.wait_for(timeout=20_000)
            return
        except Exception:  # noqa: BLE001 - see below
            # On a freshly started server a click on the code form has been seen to be swallowed
            # (the form stays, with no message); a person would press 確認 again, with the next
            # code. Anything else is a failure.
            if code.count() == 0:
                break
    pytest.fail(f"not signed in; the browser shows:\n{page.inner_text('body')[:1500]}\n--- server ---\n"
                f"{server.output()[-3000:]}")


def private_warehouse(built_warehouse: Path, folder: Path) -> Path:
    """A private copy of the fixture city in ``folder/warehouse`` (its casework is the test's alone)."""
    warehouse = folder / "warehouse"
    warehouse.mkdir()
    shutil.copy(built_warehouse / "kodomo.duckdb", warehouse / "kodomo.duckdb")
    return warehouse


@contextmanager
def serve(warehouse: Path, folder: Path, extra_env: dict[str, str] | None = None
          ) -> Iterator[tuple[StreamlitServer, dict]]:
    """(server, demo credentials) for the app reading ``warehouse``, stopped afterwards."""
    env, creds = auth_env(folder)
    env |= extra_env or {}
    server = start_streamlit(warehouse, folder / "server.log", extra_env=env)
    try:
        yield server, creds
    finally:
        server.stop()


@contextmanager
def private_server(built_warehouse: Path, folder: Path) -> Iterator[tuple[StreamlitServer, Path, dict]]:
    """(server, warehouse, demo credentials) on a private copy of the fixture city.

    For tests that write (audit rows, decisions, forms) and then read what was written.
    """
    warehouse = private_warehouse(built_warehouse, folder)
    with serve(warehouse, folder) as (server, creds):
        yield server, warehouse, creds


def start_streamlit(warehouse: Path, log_path: Path, script: str = "app.py",
                    extra_env: dict[str, str] | None = None, address: str | None = "127.0.0.1") -> StreamlitServer:
    """Start ``streamlit run`` for the repo's app reading ``warehouse``; return once healthy
    (kodomo_dash.testing.server; a port taken meanwhile is retried on another one)."""
    try:
        return _start_app(warehouse, log_path, script, extra_env, address)
    except ServerDidNotStart as e:
        pytest.fail(str(e))


def wait_for_app(page, server: StreamlitServer, timeout_ms: int = APP_IDLE_TIMEOUT_MS) -> None:
    """Wait until the app has finished its script run; on timeout, fail with the server's log."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_selector(APP_IDLE, timeout=timeout_ms)
    except PlaywrightTimeout:
        pytest.fail(f"app did not finish running within {timeout_ms / 1000:.0f}s\n--- server output ---\n"
                    f"{server.output()}")


def open_app(page, server: StreamlitServer, path: str = "") -> None:
    """Open ``path`` on the app (``""`` is the default page) and wait until it is idle."""
    page.goto(f"{server.url}/{path.lstrip('/')}", wait_until="domcontentloaded")
    wait_for_app(page, server)
