"""A real OpenID Connect provider on 127.0.0.1 (panva's oidc-provider, tests/oidc_provider), and the
``[auth]`` secrets that point the app at it.

Shared by the OIDC browser tests and ``kodomo bench`` (sign-in time through the provider). The
provider is a node program; it needs ``node`` on the PATH and ``npm ci`` run in tests/oidc_provider
(scripts/setup.sh does). ``unavailable()`` says why it cannot start, so the bench can record the
figure as skipped, with the reason, instead of a number it did not measure.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from kodomo_dash.infra.db import REPO_ROOT
from kodomo_dash.testing.server import free_port

PROVIDER_DIR = REPO_ROOT / "tests" / "oidc_provider"
START_TIMEOUT_S = 30
# The client and accounts of tests/oidc_provider/server.js (test data, not secrets).
CLIENT_ID = "kodomo-dash"
CLIENT_SECRET = "kodomo-dash-test-secret"  # noqa: S105 - the test provider's fixed client secret
HANAKO = {"login": "hanako", "password": "hanako-pass-1", "sub": "city-idp-0001-hanako"}
STRANGER = {"login": "stranger", "password": "stranger-pass-1"}
OIDC_BUTTON = "自治体の認証基盤でログイン"


class ProviderUnavailable(RuntimeError):
    """The provider cannot run here; ``node_missing`` tells an absent node from a broken install."""

    def __init__(self, reason: str, node_missing: bool = False):
        super().__init__(reason)
        self.node_missing = node_missing


def unavailable() -> str | None:
    """Why the provider cannot start on this machine (None when it can)."""
    if shutil.which("node") is None:
        return "node is not installed (scripts/setup.sh needs node and npm for the OIDC provider)"
    if not (PROVIDER_DIR / "server.js").is_file():
        return f"{PROVIDER_DIR} is not there (the provider comes with the source tree, not the wheel)"
    if not (PROVIDER_DIR / "node_modules" / "oidc-provider").is_dir():
        return "tests/oidc_provider/node_modules is missing: run scripts/setup.sh (npm ci)"
    return None


@contextmanager
def running_provider(app_port: int, log_path: Path) -> Iterator[str]:
    """Start the provider for an app on ``app_port``; yields its issuer URL, stopped afterwards.

    ProviderUnavailable when node or the provider's packages are missing, RuntimeError (with the
    provider's output) when it does not start.
    """
    reason = unavailable()
    if reason is not None:
        raise ProviderUnavailable(reason, node_missing=shutil.which("node") is None)
    node = shutil.which("node")
    for _attempt in range(3):
        port = free_port()
        env = {**os.environ, "PORT": str(port), "REDIRECT_URI": f"http://127.0.0.1:{app_port}/oauth2callback"}
        with log_path.open("wb") as log:
            proc = subprocess.Popen([node, "server.js"], cwd=PROVIDER_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline and proc.poll() is None:
            if "listening on" in log_path.read_text(errors="replace"):
                break
            time.sleep(0.1)
        if proc.poll() is None and "listening on" in log_path.read_text(errors="replace"):
            break
        proc.kill()
        proc.wait(10)
    else:
        raise RuntimeError(f"oidc-provider did not start:\n{log_path.read_text(errors='replace')}")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def auth_secrets(app_port: int, issuer: str, cookie_secret: str) -> str:
    """The secrets.toml ``[auth]`` section for the app on ``app_port`` signing in at ``issuer``."""
    return (
        "[auth]\n"
        f'redirect_uri = "http://127.0.0.1:{app_port}/oauth2callback"\n'
        f'cookie_secret = "{cookie_secret}"\n'
        f'client_id = "{CLIENT_ID}"\n'
        f'client_secret = "{CLIENT_SECRET}"\n'
        f'server_metadata_url = "{issuer}/.well-known/openid-configuration"\n'
        'client_kwargs = { prompt = "login" }\n'
    )


def sign_in_at_provider(page, account: dict, timeout_ms: int = 30_000) -> None:
    """Fill the provider's login form (after the app's button sent the browser there) and submit.

    The form's labels are those of tests/oidc_provider/server.js. Raises Playwright's TimeoutError
    when no form appears.
    """
    page.get_by_label("Login").wait_for(timeout=timeout_ms)
    page.get_by_label("Login").fill(account["login"])
    page.get_by_label("Password").fill(account["password"])
    page.get_by_role("button", name="Sign in").click()
