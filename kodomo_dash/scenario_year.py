"""A scenario's year, end to end, as a city would run it: screen, accept, work the list.

After `kodomo build`, this trains the similarity model on the warehouse, screens the
scenario's cohort with the city's method (exclusions first, then the top of the list),
saves the run in casework, accepts it as a manager would, and simulates the year of
casework with staff decisions drawn from the generator's latent truth. The funnel that
`kodomo report funnel` prints is then computed by SQL over those records.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

DEMO_ACTOR = "demo-manager"


@dataclass
class YearResult:
    run_id: str
    list_id: str
    cohort_size: int
    list_size: int
    train_s: float
    score_s: float
    simulate_s: float
    model_auc: float | None


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def run_year(scenario: str, truth_dir: Path, seed: int = 1, log=_log) -> YearResult:
    from kodomo_dash.casework.migrate import ensure_casework
    from kodomo_dash.casework.simulate import get_workflow_scenario, simulate_year
    from kodomo_dash.casework.stages import accept_screening_run
    from kodomo_dash.db import analytics_cursor, casework_connection, warehouse_dir
    from kodomo_dash.screening import cohorts, runs
    from kodomo_dash.screening.registry import build_method
    from kodomo_dash.screening.similarity import SimilarityModel

    if scenario != "fukuoka-fy2025":
        raise ValueError(f"シナリオ {scenario} の年間シミュレーションは未対応です (only fukuoka-fy2025 runs end to end)")
    wf = get_workflow_scenario(scenario)
    ensure_casework()
    cur = analytics_cursor()
    as_of = cur.execute("select as_of from meta.build_info").fetchone()[0]
    children = cohorts.derive(cur.execute("select * from features.child_features").df(), as_of)
    cohort_ids = {r[0] for r in cur.execute("select resident_id from cohorts.fukuoka_unenrolled_3_6").fetchall()}
    cohort = children[children["resident_id"].isin(cohort_ids)].copy()
    cohort.attrs["as_of"] = as_of

    t0 = time.perf_counter()
    model = SimilarityModel.train(children)
    train_s = time.perf_counter() - t0
    model_path = warehouse_dir() / "models" / f"{model.model_version}.joblib"
    model.save(model_path)
    log(f"[year] 類似度モデル学習 (trained) {train_s:.1f}s AUC={model.metrics.get('holdout_auc')}")

    # The published list (217) is what remained after exclusions; scale it with the city.
    list_size = max(1, round(wf.list_size * len(cohort) / wf.cohort_size)) if wf.cohort_size else wf.list_size
    t0 = time.perf_counter()
    with casework_connection() as con:
        runs.register_model(con, model, model_path, DEMO_ACTOR)
        run = runs.create_run(con, cohort, build_method("similarity", model=model), {"top_n": list_size},
                              cohort="fukuoka_unenrolled_3_6", as_of=as_of, top_n=list_size,
                              created_by=DEMO_ACTOR, note="demo")
        score_s = time.perf_counter() - t0
        runs.accept_run(con, run.run_id, DEMO_ACTOR, role="manager")
        list_id = accept_screening_run(con, run.run_id, fy=wf.fy, path=wf.path, actor=DEMO_ACTOR,
                                       accepted_on=wf.accepted_on)
        members = runs.run_list(con, run.run_id)
        truth = pd.read_csv(truth_dir / "children.csv", dtype={"resident_id": str})
        truth = truth.rename(columns={"true_need_prob": "need_prob"})[["resident_id", "need_prob"]]
        t0 = time.perf_counter()
        simulate_year(con, members, truth, scenario, list_id=list_id, seed=seed)
        simulate_s = time.perf_counter() - t0
    log(f"[year] リスト {len(members)} 名を確定し1年分のケースワークを記録 (list accepted, year simulated)"
        f" {simulate_s:.1f}s")
    return YearResult(run.run_id, list_id, len(cohort), len(members), train_s, score_s, simulate_s,
                      model.metrics.get("holdout_auc"))
