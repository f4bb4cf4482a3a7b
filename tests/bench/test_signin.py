"""The bench's sign-in figure runs app.py's real flow (password, then code) and reports seconds."""

from __future__ import annotations

from kodomo_dash.bench.signin import bench_signin


def test_bench_signin_signs_in_through_the_app_and_times_it(tmp_path, monkeypatch):
    monkeypatch.setenv("KODOMO_WAREHOUSE", str(tmp_path))
    figures = bench_signin(runs=2)
    assert figures["signin_runs"] == 2
    assert 0 < figures["signin_password_totp_s"] <= figures["signin_password_totp_p95_s"] < 30
