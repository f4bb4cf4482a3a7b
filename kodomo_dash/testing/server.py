"""Start the real app server (``streamlit run app.py``) on 127.0.0.1, for a browser to talk to.

Shared by the browser tests (tests/browser/harness.py) and ``kodomo bench`` (the OIDC sign-in
figure, which AppTest cannot measure because it does not follow a provider's redirect). The
server runs as a subprocess with the file watcher off, on a free port unless one is given, and
is healthy once ``/_stcore/health`` answers. Nothing here is reachable from the running app.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from kodomo_dash.infra.db import REPO_ROOT

SERVER_START_TIMEOUT_S = 60
# Debian's chromium in a container: no sandbox (no user namespaces), no GPU, no update checks.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


class ServerDidNotStart(RuntimeError):
    """The server exited or stayed unhealthy; the message carries its output."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class StreamlitServer:
    url: str
    process: subprocess.Popen
    log_path: Path
    creds: dict = field(default_factory=dict)  # demo users the server accepts, by username (tests)

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


def launch(warehouse: Path, log_path: Path, script: str = "app.py", extra_env: dict[str, str] | None = None,
           address: str | None = "127.0.0.1", port: int | None = None) -> StreamlitServer:
    """Start the server without waiting. ``address=None`` leaves it to .streamlit/config.toml."""
    port = port or free_port()
    env = {**os.environ, **(extra_env or {}), "KODOMO_WAREHOUSE": str(warehouse), "PYTHONUNBUFFERED": "1"}
    cmd = [
        sys.executable, "-m", "streamlit", "run", script,
        "--server.headless", "true",
        "--server.port", str(port),
        *(["--server.address", address] if address else []),
        "--server.fileWatcherType", "none",
        "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    with log_path.open("wb") as log:  # the child keeps its own descriptor
        process = subprocess.Popen(cmd, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    return StreamlitServer(url=f"http://127.0.0.1:{port}", process=process, log_path=log_path)


def wait_healthy(server: StreamlitServer, timeout_s: float = SERVER_START_TIMEOUT_S) -> bool:
    """Poll the health endpoint until it answers, the process dies, or the timeout passes."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and server.process.poll() is None:
        try:
            with urllib.request.urlopen(f"{server.url}/_stcore/health", timeout=2) as resp:
                if resp.status == 200:
                    return True
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.25)
    return False


def start_app(warehouse: Path, log_path: Path, script: str = "app.py", extra_env: dict[str, str] | None = None,
              address: str | None = "127.0.0.1", port: int | None = None) -> StreamlitServer:
    """Start the server and return it once healthy; ServerDidNotStart (with its output) if not.

    A free port can be taken by a parallel process between choosing and binding it, so a server
    that dies complaining about its port is retried on another one (not when ``port`` is fixed,
    as for an OIDC provider that already knows the redirect URI).
    """
    for _attempt in range(1 if port else 3):
        server = launch(warehouse, log_path, script, extra_env, address, port)
        if wait_healthy(server):
            return server
        output = server.output()
        server.stop()
        if "is not available" not in output and "already in use" not in output:
            break
    raise ServerDidNotStart(f"streamlit did not start (exit code {server.process.returncode}):\n{server.output()}")
