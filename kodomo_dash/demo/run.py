"""`kodomo demo`: everything the README's first command does before the app starts.

Generates the scenario's city (skipped when the same scenario, scale and seed are already
on disk), builds the warehouse and prepares casework. It never starts the app itself, so
the scenario can be reproduced and reported from the command line alone.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from kodomo_dash.infra.db import REPO_ROOT, release_casework, warehouse_dir


def data_dir(scenario: str) -> Path:
    """Beside the warehouse folder (a checkout: data/<scenario>; an install: wherever KODOMO_WAREHOUSE points)."""
    return warehouse_dir().parent / "data" / scenario


def run_demo(scenario: str, scale: float, seed: int) -> int:
    from kodomo_dash.demo.synth.city import generate
    from kodomo_dash.infra.migrate import ensure_casework
    from kodomo_dash.warehouse.ingest.build import build_warehouse

    _ensure_secrets()
    extracts = data_dir(scenario) / "extracts"
    stamp = data_dir(scenario) / "synth.json"
    wanted = {"scenario": scenario, "scale": scale, "seed": seed}
    if stamp.exists() and json.loads(stamp.read_text()) == wanted and extracts.is_dir():
        print(f"[demo] 合成データは生成済み (synthetic city already generated): {extracts}", file=sys.stderr)
    else:
        print(f"[demo] 合成都市を生成中 (generating synthetic city) scale={scale} seed={seed}", file=sys.stderr)
        result = generate(scenario=scenario, scale=scale, seed=seed, out_dir=extracts)
        print(result.summary(), file=sys.stderr)
        stamp.write_text(json.dumps(wanted))
    print("[demo] ウェアハウスを構築中 (building the warehouse)", file=sys.stderr)
    report = build_warehouse(extracts, compare_with_served=False)  # a demo replaces whatever city was there
    print(report.summary())
    applied = ensure_casework()
    if applied:
        print(f"[demo] casework migrations applied: {', '.join(applied)}", file=sys.stderr)
    if not report.ok:
        return 2
    if _year_already_simulated(scenario):
        print("[demo] ケースワークは記録済み (casework for this scenario already recorded)", file=sys.stderr)
    else:
        from kodomo_dash.demo.scenario_year import run_year

        run_year(scenario, truth_dir=Path(str(extracts) + "_truth"), seed=seed)
    from kodomo_dash.casework.funnel import funnel_report, render_funnel_report
    from kodomo_dash.demo.simulate import get_workflow_scenario
    from kodomo_dash.services.operator import create_demo_users

    wf = get_workflow_scenario(scenario)
    print(render_funnel_report(funnel_report(wf.fy, programme=wf.programme), "table"))
    print(create_demo_users(**demo_scope(wf.fy, wf.method)))
    return 0


def demo_scope(fy: int, method: str) -> dict[str, tuple[str, ...]]:
    """The ward and schools the demo's ward-staff, school and SSW accounts may see.

    Taken from the scenario's own list (the ward and the two schools with most listed children),
    so the Izumi and Beppu demos give accounts that have work to do instead of Fukuoka's 東区.
    Empty when nothing is listed; the account defaults apply then.
    """
    from kodomo_dash.infra.db import casework_connection
    from kodomo_dash.services.operator import busiest_units

    with casework_connection(read_only=True) as con:
        return busiest_units(con, "wf_list_member m join wf_list l using (list_id) where l.fy = ? and l.method = ?",
                             [fy, method])  # fmt: skip


def _ensure_secrets() -> None:
    """The app refuses to start without its database keys; the demo makes local ones once.

    They go to the repository's .streamlit/secrets.toml (0600). A casework file left in plaintext
    by an older demo is encrypted in place; the analytical file is rebuilt under the key anyway.
    """

    from kodomo_dash.infra.db import casework_path, database_key, plaintext_allowed, secrets_file
    from kodomo_dash.infra.encryption import KeyMissing, generate_key, is_encrypted, rotate_key

    path = REPO_ROOT / ".streamlit" / "secrets.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    added = []
    key = None
    if not plaintext_allowed():
        try:
            database_key("casework")
            database_key("analytics")
        except KeyMissing:
            if secrets_file().resolve() != path.resolve():
                raise
            key = generate_key()
            added.append(f'[encryption]\nkey = "{key}"\n')
    if added:
        path.write_text(text + ("\n" if text and not text.endswith("\n") else "") + "\n".join(added), encoding="utf-8")
        path.chmod(0o600)
        print(f"[demo] {path} にキーを書き込みました (database keys)", file=sys.stderr)
    cw = casework_path()
    if key is not None and cw.exists() and not is_encrypted(cw):
        release_casework(cw)
        rotate_key(cw, None, key)
        print("[demo] 既存のケースワークを暗号化しました (casework encrypted in place)", file=sys.stderr)


def _year_already_simulated(scenario: str) -> bool:
    """The demo is re-runnable: a second run keeps the year already worked in casework.

    A scenario's year is its fiscal year and screening method (Fukuoka: similarity, Izumi:
    edu_welfare, Beppu: item_counts), so the three cities' FY2025 can share one casework file.
    """
    import duckdb

    from kodomo_dash.demo.simulate import get_workflow_scenario
    from kodomo_dash.infra.db import casework_connection

    wf = get_workflow_scenario(scenario)
    with casework_connection(read_only=True) as con:
        try:
            return con.execute(
                "select count(*) from wf_list where fy = ? and method = ?", [wf.fy, wf.method]
            ).fetchone()[0] > 0
        except duckdb.CatalogException:
            return False
