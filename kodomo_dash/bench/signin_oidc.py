"""Sign-in time through the city's identity provider (OIDC), for `kodomo bench` (issue 18: p95 ≤ 1 s).

AppTest cannot follow a redirect to a provider and back, so this runs what a person uses: the
real app server (``streamlit run app.py`` on the bench's warehouse, encrypted as a city runs it),
the local OpenID Connect provider of tests/oidc_provider (panva's oidc-provider on node) and
headless Debian chromium under Playwright. Each run is a new tab of one browser whose cookies are
cleared (no cookie of the provider or of Streamlit) but whose cache of the app's files is kept, as
a staff member's browser is after the first day: open the app, then time from the click on
「自治体の認証基盤でログイン」,
through the provider's login form filled by the script, to the first signed-in page (its ホーム
link) being visible. ``signin_oidc_callback`` is the product's own share of that: from the
browser's request to ``/oauth2callback`` (Streamlit's code exchange with the provider, the
identity cookie, the app's script run with the session row and audit row, the page) to the same
moment. One sign-in first, with a cold browser cache and a cold server, is reported on its own
(``signin_oidc_first_s``).

When node, the provider's packages, Playwright or chromium are missing the figure is recorded as
skipped with the reason (``signin_oidc_skipped``), never as a number.
"""

from __future__ import annotations

import secrets
import shutil
import tempfile
import time
from pathlib import Path

from kodomo_dash.bench.signin import summary
from kodomo_dash.infra.db import warehouse_dir
from kodomo_dash.security import passwords, totp
from kodomo_dash.security import users as users_mod
from kodomo_dash.testing import oidc_provider as provider
from kodomo_dash.testing.server import CHROMIUM_ARGS, StreamlitServer, free_port, start_app

USER = "bench_oidc"
APP_IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
TIMEOUT_MS = 60_000


def unavailable() -> str | None:
    """Why the OIDC sign-in cannot be measured here (None when it can)."""
    try:
        import playwright.sync_api  # noqa: F401 - only asking whether it is installed
    except ImportError:
        return "playwright is not installed (pip install -e '.[test]')"
    reason = provider.unavailable()
    if reason is not None:
        return reason
    if shutil.which("chromium") is None:
        return "chromium is not installed (scripts/setup.sh: apt-get install chromium)"
    return None


def _users(path: Path) -> None:
    """One ward-staff user whose provider subject is the test provider's hanako."""
    record = users_mod.UserRecord(username=USER, role="ward_staff", display_name="ベンチ OIDC",
                                  password_hash=passwords.hash_password(secrets.token_urlsafe(12), USER),
                                  totp_secret=totp.new_secret(), ward_codes=("40131",),
                                  oidc_subject=provider.HANAKO["sub"])  # fmt: skip
    users_mod.save_users({USER: record}, path, demo=True)


def _one(ctx, server: StreamlitServer) -> tuple[float, float]:
    """One sign-in in a new tab of a browser with no cookies: (click → signed-in page, /oauth2callback →
    signed-in page). The browser keeps its cache of the app's and the provider's files, as a staff
    member's browser does from the second day; the first, cold sign-in is reported on its own."""
    ctx.clear_cookies()  # signed out of the provider and of Streamlit's identity cookie
    try:
        page = ctx.new_page()
        page.goto(server.url, wait_until="domcontentloaded")
        page.wait_for_selector(APP_IDLE)
        button = page.get_by_role("button", name=provider.OIDC_BUTTON)
        button.wait_for()
        marks: dict[str, float] = {}

        def on_request(request) -> None:
            if "/oauth2callback" in request.url:
                marks.setdefault("callback", time.perf_counter())

        page.on("request", on_request)
        started = time.perf_counter()
        button.click()
        provider.sign_in_at_provider(page, provider.HANAKO, TIMEOUT_MS)
        try:
            page.get_by_role("link", name="ホーム").wait_for(timeout=TIMEOUT_MS)
        except Exception as e:  # noqa: BLE001 - say what the browser shows
            raise SystemExit(f"bench OIDC sign-in did not reach a page:\n{page.inner_text('body')[:1000]}\n"
                             f"--- server ---\n{server.output()[-2000:]}") from e
        done = time.perf_counter()
        if "callback" not in marks:
            raise SystemExit("bench OIDC sign-in never came back through /oauth2callback")
        return done - started, done - marks["callback"]
    finally:
        for open_page in ctx.pages:
            open_page.close()


def bench_signin_oidc(runs: int = 10) -> dict[str, float | int | str]:
    """Median and nearest-rank p95 of ``runs`` OIDC sign-ins, or why they were skipped."""
    reason = unavailable()
    if reason is not None:
        return {"signin_oidc_skipped": reason}
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="kodomo-bench-oidc-") as tmp:
        folder = Path(tmp)
        _users(folder / "users.yaml")
        app_port = free_port()
        with provider.running_provider(app_port, folder / "provider.log") as issuer:
            secrets_file = folder / "secrets.toml"
            secrets_file.write_text(provider.auth_secrets(app_port, issuer, secrets.token_urlsafe(32)),
                                    encoding="utf-8")  # fmt: skip
            env = {"KODOMO_USERS": str(folder / "users.yaml"), "STREAMLIT_SECRETS_FILES": str(secrets_file)}
            server = start_app(warehouse_dir(), folder / "server.log", extra_env=env, port=app_port)
            try:
                with sync_playwright() as pw:
                    browser = pw.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS,
                                                 headless=True)  # fmt: skip
                    try:
                        ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="ja-JP")
                        ctx.set_default_timeout(TIMEOUT_MS)
                        first, _ = _one(ctx, server)
                        timed = [_one(ctx, server) for _ in range(runs)]
                    finally:
                        browser.close()
            finally:
                server.stop()
    return {**summary("signin_oidc", [t for t, _ in timed]),
            **summary("signin_oidc_callback", [c for _, c in timed]),
            "signin_oidc_first_s": round(first, 3), "signin_oidc_runs": len(timed)}  # fmt: skip
