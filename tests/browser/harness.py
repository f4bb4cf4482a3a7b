"""Helpers for driving the app in a real browser: start a ``streamlit run`` server, wait for it.

Modelled on Streamlit's own e2e fixtures: start the server as a subprocess on a free port with
the file watcher off, wait for its health endpoint, then for the app to finish its script run
(``[data-testid='stApp'][data-test-script-state='notRunning']``) before acting. When anything
times out the server's output is put into the failure, because a blank page in a headless
browser says nothing on its own.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SERVER_START_TIMEOUT_S = 60
APP_IDLE_TIMEOUT_MS = 45_000
APP_IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class StreamlitServer:
    url: str
    process: subprocess.Popen
    log_path: Path
    creds: dict = field(default_factory=dict)  # demo users the server accepts, by username

    def output(self) -> str:
        """Everything the server printed so far (stdout and stderr together)."""
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return "<no server output>"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


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
    """Start ``streamlit run`` for the repo's app reading ``warehouse``; return once healthy.

    A free port can be taken by a parallel worker between choosing and binding it, so a server
    that dies complaining about its port is retried on another one.
    """
    for _attempt in range(3):
        server = _launch(warehouse, log_path, script, extra_env or {}, address)
        if _wait_healthy(server):
            return server
        output = server.output()
        server.stop()
        if "is not available" not in output and "already in use" not in output:
            break
    pytest.fail(f"streamlit did not start (exit code {server.process.returncode}):\n{server.output()}")


def _launch(warehouse: Path, log_path: Path, script: str, extra_env: dict[str, str],
            address: str | None = "127.0.0.1") -> StreamlitServer:
    """``address=None`` leaves the listening address to the repository's .streamlit/config.toml."""
    port = free_port()
    env = {**os.environ, **extra_env, "KODOMO_WAREHOUSE": str(warehouse), "PYTHONUNBUFFERED": "1"}
    cmd = [
        sys.executable, "-m", "streamlit", "run", script,
        "--server.headless", "true",
        "--server.port", str(port),
        *(["--server.address", address] if address else []),
        "--server.fileWatcherType", "none",
        "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    with log_path.open("wb") as log:  # the child keeps its own descriptor
        process = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    return StreamlitServer(url=f"http://127.0.0.1:{port}", process=process, log_path=log_path)


def _wait_healthy(server: StreamlitServer) -> bool:
    """Poll the health endpoint until it answers, the process dies, or the start timeout passes."""
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline and server.process.poll() is None:
        try:
            with urllib.request.urlopen(f"{server.url}/_stcore/health", timeout=2) as resp:
                if resp.status == 200:
                    return True
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.25)
    return False


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
