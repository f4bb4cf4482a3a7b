"""The measured steps of `kodomo bench` after synth and build, each run as its own process.

Every step reads the warehouse the bench just built and leaves its figures through
bench.record_figures. `link` relinks from the staged tables in a private in-memory
database (the warehouse file is never written outside a build); `screening` trains and
scores on the real feature table with the generator's truth; `year` runs the scenario's
screening and simulated casework and records the funnel the SQL computes from it; `pages`
then renders every page over that year, times child search (kodomo_dash.bench.pages) and
sign-in with password and code (kodomo_dash.bench.signin); `signin-oidc` times sign-in through the
city's identity provider in a real browser against the real server (kodomo_dash.bench.signin_oidc),
in its own process because the server it starts must open casework alone. `refresh`, last, writes
the city's next month (kodomo synth --follow-on) and builds it over the served warehouse: the
monthly refresh's time and the changes it finds (issue 14, decision 066).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

from kodomo_dash.bench.run import record_figures


def step_link(truth_dir: Path) -> None:
    from kodomo_dash.demo.linkage_evaluation import evaluate
    from kodomo_dash.infra.db import analytics_path, open_read_only
    from kodomo_dash.warehouse.linkage import link_students

    con = open_read_only(analytics_path())  # attached as wh, under the key when encrypted
    con.execute("use memory")
    con.execute("create schema stg")
    for table in ("resident_registry", "student_roster", "student_resident_map", "school_age_register"):
        con.execute(f"create table stg.{table} as select * from wh.stg.{table}")  # noqa: S608 (constant names)
    t0 = time.perf_counter()
    result = link_students(con)
    seconds = time.perf_counter() - t0
    m = evaluate(con, truth_dir / "student_identity.csv")
    record_figures(link_s=round(seconds, 2), link_school_records=result.school_records,
                   link_precision=m["link_precision"], link_recall=m["link_recall"],
                   link_unlinked_rate=m["link_unlinked_rate"], link_review_queue=m["link_review_queue"],
                   link_review_pupils=m.get("review_pupils"))


def step_screening(truth_dir: Path) -> None:
    from kodomo_dash.bench.screening import bench_screening
    from kodomo_dash.infra.db import analytics_cursor
    from kodomo_dash.screening.cohorts import cohort_frame

    cur = analytics_cursor()
    as_of = cur.execute("select as_of from meta.build_info").fetchone()[0]
    # The product's own read (percentiles over every child of the build), so the bench measures
    # the frame the screening page and the demo screen.
    frame = cohort_frame(cur, as_of, "all_children")
    truth = pd.read_csv(truth_dir / "children.csv", dtype={"resident_id": str})
    frame = frame.merge(truth[["resident_id", "true_need", "true_need_prob"]], on="resident_id", how="left")
    frame = frame.rename(columns={"true_need_prob": "truth_p"})
    without_truth = int(frame["truth_p"].isna().sum())  # e.g. residents the generator made as adults' kin
    # Sorted, so the model and its splits depend on the children, not on the order the build's
    # threads happened to write them in (two builds of one city then give the same figures).
    frame = frame[frame["truth_p"].notna()].sort_values("resident_id").reset_index(drop=True)
    frame.attrs["as_of"] = as_of
    out = bench_screening(frame=frame, as_of=str(as_of))
    steps = {"train": {"wall_s": round(out.pop("train_seconds"), 2)},
             "score": {"wall_s": round(out.pop("score_seconds"), 2)}}
    record_figures(_substeps=steps, screening_children_without_truth=without_truth, **{k: (round(v, 4) if isinstance(v, float) else v) for k, v in out.items()
                                       if not isinstance(v, pd.DataFrame)})


def step_year(truth_dir: Path, scenario: str) -> None:
    from kodomo_dash.casework.funnel import funnel_report
    from kodomo_dash.demo.scenario_year import run_year

    result = run_year(scenario, truth_dir)
    report = funnel_report(2025)
    record_figures(year_train_s=round(result.train_s, 2), year_card_s=round(result.card_s, 2),
                   year_simulate_s=round(result.simulate_s, 2),
                   year_cohort=result.cohort_size, year_list=result.list_size,
                   funnel=report["paths"]["ward"]["figures"])


def step_refused(extracts: Path) -> None:
    """A delivery whose resident registry arrived header-only: the build is refused, the file kept."""
    import hashlib
    import tempfile

    from kodomo_dash.infra.db import analytics_path
    from kodomo_dash.warehouse.ingest.build import build_warehouse

    served = analytics_path()
    before = hashlib.sha256(served.read_bytes()).hexdigest()
    with tempfile.TemporaryDirectory(prefix="kodomo-refused-") as tmp:
        broken = Path(tmp)
        for f in extracts.iterdir():
            if f.name == "resident_registry.csv":
                with f.open("rb") as src:
                    (broken / f.name).write_bytes(src.readline())  # the header only
            else:
                (broken / f.name).symlink_to(f.resolve())
        t0 = time.perf_counter()
        report = build_warehouse(broken, log=lambda _m: None)
        seconds = time.perf_counter() - t0
    kept = hashlib.sha256(served.read_bytes()).hexdigest() == before
    if report.swapped or not kept:
        raise SystemExit("a refused build replaced the served warehouse")
    record_figures(build_refused_s=round(seconds, 2), build_refused_kept_file=kept,
                   build_refused_reasons=[r.name for r in report.refusals])


def _truth_matches(cur, truth_dir: Path) -> bool:
    """Whether core.child_change is exactly the follow-on truth's changes (pupils read through 名寄せ)."""
    truth = pd.read_csv(truth_dir / "changes.csv", dtype=str)
    link = dict(cur.execute("select student_no, resident_id from core.student_link").fetchall())
    pupil = truth["kind"] == "school_absence"
    truth.loc[pupil, "resident_id"] = truth.loc[pupil, "student_no"].map(link)
    truth = truth[truth["resident_id"].notna()]
    expected = {(r.resident_id, r.kind, None if pd.isna(r.event_date) else r.event_date,
                 None if pd.isna(r.code) else r.code, None if pd.isna(r.value) else float(r.value))
                for r in truth.itertuples()}  # fmt: skip
    got = set(cur.execute("select resident_id, kind, event_date::varchar, code, value from core.child_change").fetchall())
    return got == expected


def step_refresh(extracts: Path, seed: int) -> None:
    """Next month of the bench's city (kodomo synth --follow-on), built over the served warehouse.

    Run last: the warehouse the other steps read (and the funnel they record) is then the first
    month's. refresh_build_s and refresh_first_build_s are the same measure of each build, its own
    meta.build_info.duration_s (the build's work, before the gate's last check and the swap); the target
    is refresh_build_s <= refresh_first_build_s. refresh_wall_s is the whole second `kodomo build` call.
    """
    from kodomo_dash.demo.synth.follow_on import generate_follow_on
    from kodomo_dash.infra.db import analytics_path, open_read_only
    from kodomo_dash.services.build import build

    con = open_read_only(analytics_path())
    first_s = con.execute("select duration_s from wh.meta.build_info").fetchone()[0]
    con.close()
    nxt = extracts.parent / f"{extracts.name}_next"
    t0 = time.perf_counter()
    follow = generate_follow_on(extracts, nxt, months=1, seed=seed)
    synth_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    report = build(nxt)
    build_s = time.perf_counter() - t0
    if not report.swapped:
        raise SystemExit(f"the follow-on month was refused: {[r.name for r in report.refusals]}")
    con = open_read_only(analytics_path())
    try:
        con.execute("use wh")
        exact = _truth_matches(con, follow.truth_dir)
        builds = con.execute("select count(*) from meta.build_chain").fetchone()[0]
        own_s = float(con.execute("select duration_s from meta.build_info").fetchone()[0])
        carried = con.execute("select count(*) from meta.staging_fingerprint where carried_over").fetchone()[0]
    finally:
        con.close()
    record_figures(refresh_synth_s=round(synth_s, 2), refresh_build_s=round(own_s, 2), refresh_wall_s=round(build_s, 2),
                   refresh_first_build_s=round(float(first_s), 2), refresh_carried_sources=int(carried),
                   refresh_within_first_build=bool(own_s <= float(first_s)),
                   refresh_changes=int(report.changes), refresh_change_detection_s=round(report.changes_seconds, 2),
                   refresh_truth_changes=int(follow.changes), refresh_changes_match_truth=bool(exact),
                   refresh_build_chain=int(builds))  # fmt: skip


def step_pages(runs: int) -> None:
    from kodomo_dash.bench.pages import bench_pages
    from kodomo_dash.bench.signin import bench_signin

    record_figures(**bench_pages(runs=runs))
    record_figures(**bench_signin())


def step_signin_oidc(runs: int) -> None:
    from kodomo_dash.bench.signin_oidc import bench_signin_oidc

    record_figures(**bench_signin_oidc(runs=runs))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="kodomo bench-step")
    p.add_argument("step", choices=["link", "screening", "year", "pages", "signin-oidc", "refused", "refresh"])
    p.add_argument("--extracts", help="the extracts folder the bench built from (refused, refresh)")
    p.add_argument("--seed", type=int, default=1, help="the follow-on month's seed (refresh)")
    p.add_argument("--truth", help="the generator's truth folder (link, screening, year)")
    p.add_argument("--runs", type=int, default=None,
                   help="warm runs per page (pages, default 3); sign-ins (signin-oidc, default 10)")
    p.add_argument("--scenario", default="fukuoka-fy2025")
    args = p.parse_args(argv)
    if args.step == "pages":
        step_pages(args.runs or 3)
        return 0
    if args.step == "signin-oidc":
        step_signin_oidc(args.runs or 10)
        return 0
    if args.step == "refused":
        step_refused(Path(args.extracts))
        return 0
    if args.step == "refresh":
        step_refresh(Path(args.extracts), args.seed)
        return 0
    if not args.truth:
        p.error("--truth is required for this step")
    truth = Path(args.truth)
    if args.step == "link":
        step_link(truth)
    elif args.step == "screening":
        step_screening(truth)
    else:
        step_year(truth, args.scenario)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
