"""A fresh casework file per test: the workflow's rules are checked against what is stored."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from kodomo_dash.infra.migrate import migrate


@pytest.fixture
def con(tmp_path: Path):
    c = duckdb.connect(str(tmp_path / "casework.duckdb"))
    migrate(c)
    yield c
    c.close()
