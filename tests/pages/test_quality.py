"""The data-quality page under AppTest: the manifest, quarantine and 表 7-2 shown as in the database."""

from __future__ import annotations

import time
from pathlib import Path

import duckdb
import pytest

from tests.signin import app_as


@pytest.fixture
def demo_users(tmp_path_factory, monkeypatch):
    """A throw-away users file (one user per role) for app.py's gate to re-validate against."""
    from kodomo_dash.security.users import create_demo_users

    path = tmp_path_factory.mktemp("users") / "users.yaml"
    create_demo_users(path, rounds=4)
    monkeypatch.setenv("KODOMO_USERS", str(path))
    return path


def signed_in(role: str, page: str, timeout: float = 90):
    """tests.signin.app_as with a longer timeout (the quality page reads a whole build)."""
    return app_as(role, page=page, timeout=timeout)


def db_rows(warehouse: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(warehouse / "kodomo.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


# Dataframes without selection carry no element id in AppTest: tell them apart by a column of each.
TABLE_COLUMN = {"dq_manifest": "rows_in", "dq_quarantine_table": "examples", "dq_link_steps": "step_ja"}


def frame(at, key: str):
    for df in at.dataframe:
        if TABLE_COLUMN[key] in df.value.columns:
            return df.value
    raise AssertionError(f"no table {key!r}")


def open_page(role: str = "manager"):
    started = time.perf_counter()
    at = signed_in(role, "data_quality").run()
    at.render_seconds = time.perf_counter() - started
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_manager_sees_manifest_quarantine_and_linkage(built_warehouse, demo_users):
    at = open_page()
    assert [t.value for t in at.title] == ["データ品質"]
    shown = {m.label: m.value for m in at.metric}

    manifest = db_rows(built_warehouse, "select rows_in from meta.load_manifest")
    assert len(frame(at, "dq_manifest")) == len(manifest)

    (quarantined,) = db_rows(built_warehouse, "select count(*) from meta.quarantine")[0]
    assert shown["隔離された値"] == f"{quarantined:,}"
    if quarantined:
        q = frame(at, "dq_quarantine_table")
        assert q["entries"].sum() == quarantined
        assert q["examples"].str.len().gt(0).any(), "raw examples are shown to a manager"

    steps = db_rows(built_warehouse, "select step, records_in, linked, failed, error_rate from link.step_summary"
                                     " order by step_no")
    table = frame(at, "dq_link_steps")
    assert list(table["linked"]) == [s[2] for s in steps]
    assert table["step_ja"].iloc[-1] == "合計（未突合率）"
    total = steps[-1]
    assert shown["未突合率"] == f"{total[4]:.2%}"
    (unlinked,) = db_rows(built_warehouse, "select count(*) from link.unlinked")[0]
    assert shown["「データ無し」の学校記録"] == f"{unlinked:,}"
    assert at.render_seconds < 30


def test_evaluator_sees_counts_but_no_personal_raw_values(built_warehouse, demo_users):
    at = open_page("evaluator")
    assert not at.error
    q = frame(at, "dq_quarantine_table")
    identity_rows = q[q["column_name"].isin(["birth_date", "name_kana", "name_kanji", "address_code"])]
    assert (identity_rows["examples"].str.contains("閲覧権限") | identity_rows["examples"].eq("")).all()


def test_a_role_without_the_page_is_refused(built_warehouse, demo_users):
    at = signed_in("school", "data_quality").run()
    assert any("権限がありません" in e.value for e in at.error)
    assert not at.dataframe
