"""Shared fixtures: a tiny synthetic city built once, and clean Streamlit caches per test.

The fixture warehouse is built once per test run (not once per xdist worker): the first worker
to arrive builds it under a file lock in the run's shared temp folder and the others reuse it.
It is read-only by convention — a test that needs to rebuild or damage a warehouse makes its own.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pytest

# Most tests inspect the files they make with a plain duckdb.connect, so the suite runs with
# plaintext explicitly allowed and no keys; tests/infra/test_encryption_wired.py sets keys itself and
# proves the same pipeline encrypts. Set before any test module imports kodomo_dash.
os.environ["KODOMO_ALLOW_PLAINTEXT"] = "1"
os.environ["KODOMO_SECRETS_FILE"] = os.devnull
for _name in ("KODOMO_DB_KEY", "KODOMO_CASEWORK_KEY", "KODOMO_ANALYTICS_KEY"):
    os.environ.pop(_name, None)
# For the same reason casework is detached as soon as a unit of work ends (decision 069): a test's own
# duckdb.connect of the file must not meet the app's lingering attachment in this process. The linger
# itself, and the callers that must release it, are tested with it set (tests/infra/test_db_linger.py).
os.environ["KODOMO_CASEWORK_LINGER_S"] = "0"

FIXTURE_SCENARIO = "fukuoka-fy2025"
FIXTURE_SCALE = 0.01  # about 2,100 children: every source, ward and rule appears, in seconds
FIXTURE_SEED = 1


@pytest.fixture(scope="session", autouse=True)
def _isolated_warehouse_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Point KODOMO_WAREHOUSE at an empty folder so no test ever reads or writes the developer's
    own ``warehouse/`` (or a real city's, if their shell exports the variable)."""
    empty = tmp_path_factory.mktemp("no-warehouse")
    old = os.environ.get("KODOMO_WAREHOUSE")
    os.environ["KODOMO_WAREHOUSE"] = str(empty)
    yield empty
    _restore_env("KODOMO_WAREHOUSE", old)


@contextmanager
def simulated_casework(folder: Path, *scenario_seeds: tuple[str, int]) -> Iterator[Path]:
    """A casework file in `folder` holding a simulated year per (scenario, seed), as the current warehouse.

    For page and report tests that need a worked year but no analytical build; KODOMO_WAREHOUSE
    points at the folder while the caller's fixture is alive.
    """
    from kodomo_dash.demo.simulate import simulate_scenario
    from kodomo_dash.infra.migrate import migrate

    con = duckdb.connect(str(folder / "casework.duckdb"))
    try:
        migrate(con)
        for scenario, seed in scenario_seeds:
            simulate_scenario(con, scenario, seed=seed)
    finally:
        con.close()
    old = os.environ.get("KODOMO_WAREHOUSE")
    os.environ["KODOMO_WAREHOUSE"] = str(folder)
    try:
        yield folder
    finally:
        _restore_env("KODOMO_WAREHOUSE", old)


def _restore_env(name: str, value: str | None) -> None:
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value


def _shared_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The run's temp folder shared by all xdist workers (or this session's, without xdist)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def _build_fixture_city(root: Path) -> Path:
    """Generate the tiny city and build it into ``root/warehouse``; a marker file says it is whole."""
    from kodomo_dash.demo.synth.city import generate
    from kodomo_dash.warehouse.ingest.build import build_warehouse

    source, warehouse = root / "extracts", root / "warehouse"
    generate(scenario=FIXTURE_SCENARIO, scale=FIXTURE_SCALE, seed=FIXTURE_SEED, out_dir=source)
    build_warehouse(source, target=warehouse / "kodomo.duckdb", log=lambda _msg: None)
    (root / "built.ok").write_text("ok\n")
    return warehouse


@pytest.fixture(scope="session")
def built_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Folder holding ``kodomo.duckdb`` for a tiny synthetic city (scale 0.01, seed 1).

    KODOMO_WAREHOUSE points at it for the rest of the session, so the app and
    ``kodomo_dash.infra.db`` read it like a real build.
    """
    root = _shared_root(tmp_path_factory) / "fixture-city"
    root.mkdir(parents=True, exist_ok=True)
    with (root.parent / "fixture-city.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            warehouse = root / "warehouse"
            if not (root / "built.ok").exists():
                warehouse = _build_fixture_city(root)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    old = os.environ.get("KODOMO_WAREHOUSE")
    os.environ["KODOMO_WAREHOUSE"] = str(warehouse)
    yield warehouse
    _restore_env("KODOMO_WAREHOUSE", old)


@pytest.fixture(autouse=True)
def _clear_caches() -> Iterator[None]:
    """Caches live in the process and are shared by AppTest runs: start each test empty."""
    import streamlit as st

    from kodomo_dash.infra.cache import clear_caches

    clear_caches()
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
