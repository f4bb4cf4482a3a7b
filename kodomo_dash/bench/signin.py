"""Sign-in time for `kodomo bench`: password and six-digit code, as a person signs in (issue 18).

Runs the real sign-in flow (ui/signin.py) under AppTest on a private casework with the production
bcrypt cost, for a demo user: open the page, type the password, type the code, and time from the
password click to the signed-in page. Each run uses a fresh TOTP step (codes are single-use), taken
from an injected clock, so the figure is the server's work, not a wait for the next 30 seconds.
Target: p95 ≤ 1 s.
"""

from __future__ import annotations

import math
import os
import statistics
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from streamlit.testing.v1 import AppTest

from kodomo_dash.security import totp
from kodomo_dash.security import users as users_mod


def _app(users_path: str, casework: str) -> None:
    import os
    from contextlib import contextmanager
    from datetime import datetime as _dt
    from pathlib import Path

    import duckdb as _duckdb
    import streamlit as st

    from kodomo_dash.ui.signin import AuthConfig, LoginFlow

    @contextmanager
    def conn():
        c = _duckdb.connect(casework)
        try:
            yield c
        finally:
            c.close()

    flow = LoginFlow(AuthConfig(users_path=Path(users_path)), conn,
                     lambda: _dt.fromisoformat(os.environ["KD_BENCH_NOW"]))  # fmt: skip
    if flow.principal() is None:
        st.stop()
    st.markdown("SIGNED_IN")


def _field(at: AppTest, label: str):
    return next(t for t in at.text_input if t.label == label)


def _button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def bench_signin(runs: int = 20) -> dict[str, float]:
    import duckdb

    from kodomo_dash.infra.migrate import migrate

    with tempfile.TemporaryDirectory(prefix="kodomo-bench-signin-") as folder:
        users_path, casework = Path(folder) / "users.yaml", Path(folder) / "casework.duckdb"
        cred = {c.username: c for c in users_mod.create_demo_users(users_path)}["ward_staff"]  # production cost
        con = duckdb.connect(str(casework))
        migrate(con)
        con.close()
        start = datetime(2026, 4, 1, 9, 0)
        times = []
        for n in range(runs):
            now = start + timedelta(minutes=2 * n)  # a new TOTP step each run
            os.environ["KD_BENCH_NOW"] = now.isoformat()
            at = AppTest.from_function(_app, args=(str(users_path), str(casework)), default_timeout=60).run()
            _field(at, "ユーザー名").input(cred.username)
            _field(at, "パスワード").input(cred.password)
            t0 = time.perf_counter()
            _button(at, "ログイン").click()
            at.run()
            _field(at, "確認コード（6桁）").input(totp.current_code(cred.totp_secret, now))
            _button(at, "確認").click()
            at.run()
            times.append(time.perf_counter() - t0)
            if not any(m.value == "SIGNED_IN" for m in at.markdown):
                raise SystemExit("bench sign-in did not sign in")
    times.sort()
    return {"signin_password_totp_s": round(statistics.median(times), 3),
            "signin_password_totp_p95_s": round(times[math.ceil(0.95 * len(times)) - 1], 3),  # nearest rank
            "signin_runs": runs}  # fmt: skip
