"""Sign-in time for `kodomo bench`: password and six-digit code through app.py, as a person signs in.

Runs the real app (app.py, its gate and sign-in form) under AppTest on the bench's casework, for
accounts hashed at the production bcrypt cost: type the user name and password, then the code, and
time from the password click to the first signed-in page. Codes are single-use per 30-second step
and per account, so each run signs in a different account of a throw-away users file; the clock is
the real one. Target (issue 18): p95 ≤ 1 s.
"""

from __future__ import annotations

import math
import os
import secrets
import statistics
import tempfile
import time
from pathlib import Path

from kodomo_dash.security import passwords, totp
from kodomo_dash.security import users as users_mod
from kodomo_dash.testing.apptest import new_app


def _accounts(path: Path, n: int) -> dict[str, tuple[str, str]]:
    """n ward-staff accounts (user name → password, TOTP secret), written to a users file at `path`."""
    records, creds = {}, {}
    for i in range(n):
        name, password = f"bench{i:02d}", secrets.token_urlsafe(12)
        secret = totp.new_secret()
        records[name] = users_mod.UserRecord(username=name, role="ward_staff",
                                             password_hash=passwords.hash_password(password, name),
                                             totp_secret=secret, ward_codes=("40131",))  # fmt: skip
        creds[name] = (password, secret)
    users_mod.save_users(records, path, demo=True)
    return creds


def nearest_rank(times: list[float], q: float = 0.95) -> float:
    """The q-quantile by nearest rank: the smallest time at least q of the runs took no longer than."""
    if not times:
        raise ValueError("no times")
    ordered = sorted(times)
    return ordered[max(1, math.ceil(q * len(ordered))) - 1]


def summary(prefix: str, times: list[float]) -> dict[str, float]:
    """``<prefix>_s`` (median) and ``<prefix>_p95_s`` (nearest rank), in seconds to the millisecond."""
    return {f"{prefix}_s": round(statistics.median(times), 3), f"{prefix}_p95_s": round(nearest_rank(times), 3)}


def bench_signin(runs: int = 20) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="kodomo-bench-signin-") as folder:
        path = Path(folder) / "users.yaml"
        creds = _accounts(path, runs)
        previous = os.environ.get("KODOMO_USERS")
        os.environ["KODOMO_USERS"] = str(path)
        times = []
        try:
            for name, (password, secret) in creds.items():
                at = new_app().run()
                next(t for t in at.text_input if t.label == "ユーザー名").input(name)
                next(t for t in at.text_input if t.label == "パスワード").input(password)
                started = time.perf_counter()
                next(b for b in at.button if b.label == "ログイン").click()
                at.run()
                next(t for t in at.text_input if t.label == "確認コード（6桁）").input(totp.current_code(secret))
                next(b for b in at.button if b.label == "確認").click()
                at.run()
                times.append(time.perf_counter() - started)
                if not at.title or at.exception:
                    raise SystemExit(f"bench sign-in did not reach a page: {[e.value for e in at.exception]}")
        finally:
            if previous is None:
                os.environ.pop("KODOMO_USERS", None)
            else:
                os.environ["KODOMO_USERS"] = previous
    return {**summary("signin_password_totp", times), "signin_runs": len(times)}
