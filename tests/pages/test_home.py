"""The app and its home page under AppTest: what a user sees, checked against the database."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import duckdb
from streamlit.testing.v1 import AppTest

from kodomo_dash.ui import i18n
from tests.signin import app_as

APP = Path(__file__).resolve().parents[2] / "app.py"


def run_app(role: str = "manager") -> AppTest:
    at = app_as(role, timeout=30).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def db_rows(warehouse: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(warehouse / "kodomo.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def chart_spec(at: AppTest, key: str) -> dict:
    """The plotly figure a chart element carries (AppTest has no typed plotly element)."""
    for el in at.get("plotly_chart"):
        if el.proto.id and key in el.proto.id:
            return json.loads(el.proto.spec)
    raise AssertionError(f"no plotly chart with key {key!r}")


def test_home_shows_the_build_in_japanese(built_warehouse):
    at = run_app()

    assert [t.value for t in at.title] == ["こどもデータ連携ダッシュボード"]
    assert [s.value for s in at.subheader] == ["区別のこどもの数", "隔離件数（ルール別）", "資料別の取込件数"]
    assert not at.info, "the no-build notice must not show when a build exists"


def test_home_counts_match_the_database(built_warehouse):
    at = run_app()
    shown = metrics(at)

    (children,) = db_rows(built_warehouse, "select count(*) from core.child where age_years between 0 and 15")[0]
    assert children > 0
    assert shown["こどもの数（0〜15歳）"] == f"{children:,}"

    (as_of,) = db_rows(built_warehouse, "select as_of from meta.build_info")[0]
    assert shown["基準日"] == f"{as_of.year}年{as_of.month}月{as_of.day}日"

    manifest = db_rows(
        built_warehouse, "select source, status, rows_in, rows_staged, rows_quarantined from meta.load_manifest"
    )
    loaded = sum(1 for _s, status, *_ in manifest if status in ("ok", "partial"))
    assert shown["取込できた資料"] == f"{loaded} / {len(manifest)}"
    assert shown["隔離された行"] == f"{sum(r[4] for r in manifest):,}"

    table = at.dataframe[0].value
    assert len(table) == len(manifest)
    assert table["rows_in"].sum() == sum(r[2] for r in manifest)
    assert table["rows_staged"].sum() == sum(r[3] for r in manifest)
    status_labels = {text["ja"] for key, text in i18n.MESSAGES.items() if key.startswith("status.")}
    assert set(table["status"]) <= status_labels


def test_ward_chart_matches_the_database(built_warehouse):
    at = run_app()

    expected = dict(
        db_rows(
            built_warehouse,
            "select ward_name, count(*) from core.child where age_years between 0 and 15 group by ward_name",
        )
    )
    bar = chart_spec(at, "ward_bar")["data"][0]
    assert dict(zip(bar["x"], bar["y"], strict=True)) == expected
    assert "博多区" in bar["x"]


def test_quarantine_chart_matches_the_database(built_warehouse):
    at = run_app()

    expected = {
        i18n.label("rule", rule, "ja"): n
        for rule, n in db_rows(built_warehouse, "select rule, count(*) from meta.quarantine group by rule")
    }
    if not expected:
        assert [s.value for s in at.success] == ["隔離された値はありません。"]
        return
    bar = chart_spec(at, "quarantine_bar")["data"][0]
    assert dict(zip(bar["y"], bar["x"], strict=True)) == expected


def test_english_toggle_switches_the_text(built_warehouse):
    at = run_app()
    assert at.session_state[i18n.SESSION_KEY] == "ja"

    at.segmented_control(key="_lang_toggle").set_value("en").run()
    assert not at.exception
    assert at.session_state[i18n.SESSION_KEY] == "en"
    assert [t.value for t in at.title] == ["Child data linkage dashboard"]
    assert "Children per ward" in [s.value for s in at.subheader]
    assert "Children (aged 0–15)" in metrics(at)

    at.segmented_control(key="_lang_toggle").set_value("ja").run()
    assert [t.value for t in at.title] == ["こどもデータ連携ダッシュボード"]


def test_no_build_explains_how_to_make_one(tmp_path, monkeypatch):
    monkeypatch.setenv("KODOMO_WAREHOUSE", str(tmp_path))
    at = run_app()

    assert not at.error
    notice = " ".join(i.value for i in at.info)
    assert "まだデータが読み込まれていません" in notice
    commands = " ".join(c.value for c in at.code)
    assert "kodomo demo" in commands
    assert "kodomo build --source" in commands
    assert not at.metric and not at.dataframe


def test_an_unfinished_file_counts_as_no_build(tmp_path, monkeypatch):
    """A file without meta.build_info (an interrupted hand-made copy, say) is not a stack trace."""
    duckdb.connect(str(tmp_path / "kodomo.duckdb")).close()
    monkeypatch.setenv("KODOMO_WAREHOUSE", str(tmp_path))
    at = run_app()

    assert "まだデータが読み込まれていません" in " ".join(i.value for i in at.info)


def test_home_is_registered_with_navigation(built_warehouse):
    at = run_app()
    at.switch_page("screens/home.py").run()
    assert not at.exception
    assert [t.value for t in at.title] == ["こどもデータ連携ダッシュボード"]


def test_every_message_has_both_languages():
    incomplete = [
        key
        for key, entry in i18n.MESSAGES.items()
        if set(entry) != set(i18n.LANGS) or not all(text.strip() for text in entry.values())
    ]
    assert incomplete == []


def test_a_rebuild_shows_up_without_a_restart(built_warehouse, tmp_path, monkeypatch):
    """Cached figures are keyed on the build id, so a swapped-in build is shown on the next run."""
    live = tmp_path / "kodomo.duckdb"
    shutil.copy(built_warehouse / "kodomo.duckdb", live)
    monkeypatch.setenv("KODOMO_WAREHOUSE", str(tmp_path))
    at = run_app()
    before = metrics(at)["こどもの数（0〜15歳）"]

    staged = tmp_path / "next.duckdb"
    shutil.copy(live, staged)
    con = duckdb.connect(str(staged))
    con.execute("update meta.build_info set build_id = 'next-build'")
    con.execute(
        "delete from core.child where resident_id in "
        "(select resident_id from core.child where age_years between 0 and 15 limit 7)"
    )
    (children,) = con.execute("select count(*) from core.child where age_years between 0 and 15").fetchone()
    con.close()
    os.replace(staged, live)

    at.run()
    assert not at.exception
    assert metrics(at)["こどもの数（0〜15歳）"] == f"{children:,}" != before


def test_no_pages_folder_switches_on_streamlits_legacy_multipage_mode():
    """A pages/ folder beside app.py would make Streamlit run page files alone (decision 053)."""
    assert not (APP.parent / "pages").exists()


def test_a_button_click_reaches_the_screen_in_the_run_it_started(built_warehouse):
    """With the legacy mode off there is no bounce rerun to swallow a button's True."""
    at = run_app()
    at.switch_page("screens/home.py").run()
    assert not at.exception
    assert not [i for i in at.text_input if i.label == "ユーザー名"]
    at = at.button(key="kd_logout_btn").click().run()  # a click whose run must see it
    assert not at.exception
    assert [i for i in at.text_input if i.label == "ユーザー名"], "the logout click was swallowed"


def test_every_page_refuses_to_run_without_app_py():
    """See ui.require_entrypoint: a screen never runs alone."""
    pages = [p for p in (APP.parent / "screens").glob("*.py") if p.name != "__init__.py"]
    assert pages
    unguarded = [p.name for p in pages if "ui.require_entrypoint()" not in p.read_text(encoding="utf-8")]
    assert unguarded == []
