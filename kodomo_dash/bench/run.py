"""`kodomo bench`: wall time and peak memory of each step at a given scale.

Each step runs as its own process and is reaped with os.wait4, so its peak RSS is its
own and not the benchmark's. A step may leave figures (accuracy, counts) in the JSON
file named by KODOMO_BENCH_FIGURES; they are merged under "figures".
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Step:
    name: str
    argv: list[str]  # arguments to `python -m kodomo_dash.cli.commands`, or ["-m", module, ...]


def bench_steps(scale: float, seed: int, work: Path) -> list[Step]:
    """The measured steps, in order; later capabilities append theirs here."""
    extracts = work / "extracts"
    truth = str(extracts) + "_truth"
    steps_module = ["-m", "kodomo_dash.bench.steps"]
    return [
        Step("synth", ["synth", "--scenario", "fukuoka-fy2025", "--scale", str(scale), "--seed", str(seed),
                       "--out", str(extracts)]),
        Step("build", ["build", "--source", str(extracts)]),
        Step("link", [*steps_module, "link", "--truth", truth]),
        Step("screening", [*steps_module, "screening", "--truth", truth]),
        Step("year", [*steps_module, "year", "--truth", truth]),
        Step("pages", [*steps_module, "pages"]),
        Step("signin_oidc", [*steps_module, "signin-oidc"]),
        Step("forms", ["-m", "kodomo_dash.bench.forms", "--kills", "200"]),
        Step("refused", [*steps_module, "refused", "--extracts", str(extracts)]),
        # many users at once: N = 10, 30, 60 signed-in sessions on the real server, at people's pace and at
        # the stress pace (decisions 068, 069)
        Step("load", ["-m", "kodomo_dash.bench.load", "--sessions", "10", "30", "60", "--pace", "people", "stress"]),
        # last: it replaces the warehouse every step above reads with the city's next month
        Step("refresh", [*steps_module, "refresh", "--extracts", str(extracts), "--seed", str(seed)]),
    ]


def run_step(step: Step, env: dict[str, str]) -> dict:
    t0 = time.perf_counter()
    argv = step.argv if step.argv[0] == "-m" else ["-m", "kodomo_dash.cli.commands", *step.argv]
    proc = subprocess.Popen([sys.executable, *argv], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    stderr_lines = []
    assert proc.stderr is not None
    for line in proc.stderr:
        stderr_lines.append(line.decode("utf-8", "replace"))
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        tail = "".join(stderr_lines[-20:])
        raise RuntimeError(f"bench step {step.name} failed ({proc.returncode}):\n{tail}")
    return {"wall_s": round(wall, 2), "peak_mb": round(usage.ru_maxrss / 1024, 1)}


def warehouse_figures(path: Path) -> dict:
    from kodomo_dash.infra.db import open_read_only

    con = open_read_only(path)
    try:
        rows_in, staged, quarantined, nulled = con.execute(
            "select sum(rows_in), sum(rows_staged), sum(rows_quarantined), sum(values_nullified) from meta.load_manifest"
        ).fetchone()
        children = con.execute("select count(*) from core.child where age_years <= 15").fetchone()[0]
        unenrolled = con.execute("select count(*) from cohorts.fukuoka_unenrolled_3_6").fetchone()[0]
        db_mb = path.stat().st_size / 2**20
    finally:
        con.close()
    return {"rows_in": int(rows_in), "rows_staged": int(staged), "rows_quarantined": int(quarantined),
            "values_nullified": int(nulled), "children_0_15": int(children),
            "cohort_unenrolled_3_6": int(unenrolled), "warehouse_mb": round(db_mb, 1)}


def _encrypt_like_a_city() -> None:
    """Measure the product as a city runs it: both files encrypted, under a throw-away key.

    Set in this process's environment, so the steps (child processes) and the figures read here
    use the same key; the developer's own secrets.toml is not consulted.
    """
    from kodomo_dash.infra.encryption import generate_key

    os.environ["KODOMO_DB_KEY"] = generate_key()
    os.environ["KODOMO_SECRETS_FILE"] = os.devnull
    os.environ.pop("KODOMO_ALLOW_PLAINTEXT", None)


def run_bench(scale: float, seed: int, out: Path, doc: Path | None = None) -> dict:
    result: dict = {"scale": scale, "seed": seed, "started_at": dt.datetime.now().isoformat(timespec="seconds"),
                    "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                                "platform": platform.platform()},
                    "steps": {}, "figures": {}}
    _encrypt_like_a_city()
    result["encrypted"] = True
    with tempfile.TemporaryDirectory(prefix="kodomo-bench-") as tmp:
        work = Path(tmp)
        figures_file = work / "figures.json"
        env = dict(os.environ, KODOMO_WAREHOUSE=str(work / "warehouse"), KODOMO_BENCH_FIGURES=str(figures_file))
        for step in bench_steps(scale, seed, work):
            print(f"[bench] {step.name} …", file=sys.stderr, flush=True)
            result["steps"][step.name] = run_step(step, env)
            print(f"[bench] {step.name}: {result['steps'][step.name]}", file=sys.stderr, flush=True)
            if step.name == "build":
                result["figures"].update(warehouse_figures(work / "warehouse" / "kodomo.duckdb"))
            if figures_file.exists():
                figures = json.loads(figures_file.read_text())
                for name, sub in figures.pop("_substeps", {}).items():
                    result["steps"][name] = {**sub, "peak_mb": result["steps"][step.name]["peak_mb"],
                                             "measured_inside": step.name}
                result["figures"].update(figures)
                figures_file.unlink()
    out.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    if doc is not None:
        write_benchmarks_doc(result, doc)
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return result


def record_figures(**figures) -> None:
    """Called by a step to leave figures for the benchmark (no-op outside `kodomo bench`)."""
    target = os.environ.get("KODOMO_BENCH_FIGURES")
    if not target:
        return
    path = Path(target)
    current = json.loads(path.read_text()) if path.exists() else {}
    current.update(figures)
    path.write_text(json.dumps(current, ensure_ascii=False))


HISTORY_HEADER = "## History"


def write_benchmarks_doc(result: dict, doc: Path) -> None:
    """Rewrite the latest-run section of docs/benchmarks.md and append a history row."""
    history: list[str] = []
    if doc.exists():
        text = doc.read_text(encoding="utf-8")
        if HISTORY_HEADER in text:
            history = [ln for ln in text.split(HISTORY_HEADER, 1)[1].splitlines() if ln.startswith("| 20")]
    steps = result["steps"]
    total = sum(s["wall_s"] for s in steps.values() if "measured_inside" not in s)
    peak = max((s["peak_mb"] for s in steps.values()), default=0)
    history.append(
        f"| {result['started_at']} | {result['scale']} | "
        + ", ".join(f"{k} {v['wall_s']}s/{v['peak_mb']}MB" for k, v in steps.items())
        + f" | {total:.1f}s | {peak}MB |"
    )
    lines = [
        "# Benchmarks",
        "",
        "Written by `kodomo bench --scale 1.0 --out bench.json --doc docs/benchmarks.md`. Each step runs in its own",
        "process; wall seconds and that process's peak RSS. Targets: synth + build at scale 1.0 within",
        "3 minutes and 4 GB peak on 2 cores / 24 GB. Pages (issues 5 and 6, step `pages`, see",
        "docs/decisions/051): search_ms ≤ 200, page_child_card_s ≤ 1, the funnel and each form page ≤ 1 s;",
        "`page_<name>_cpu_s` is the process's CPU time for the same runs (wall time counts other load too).",
        "Sign-in (issue 18): signin_password_totp_p95_s ≤ 1 and signin_oidc_p95_s ≤ 1 (step `signin_oidc`: real",
        "server, local OIDC provider, headless chromium; click to signed-in page, the provider's form filled by",
        "the script; `signin_oidc_callback_*` is the product's share from /oauth2callback on).",
        "Monthly refresh (issue 14, step `refresh`, last: the city's next month from `kodomo synth --follow-on`",
        "built over the served warehouse): refresh_build_s ≤ refresh_first_build_s, each build's own duration_s",
        "(refresh_wall_s: the whole call; refresh_carried_sources: files unchanged, carried over, decision 070);",
        "refresh_change_detection_s is the build's share spent finding refresh_changes;",
        "refresh_changes_match_truth compares them with the truth.",
        "Many users at once (issue 14, step `load`, docs/decisions/068 and 069): N signed-in sessions drive the real",
        "server over its websocket (search, card, worklist, a form's draft save), at people's pace (`load_people_*`:",
        "an action every 5-15 s, 90 s per N) and at the stress pace (`load_stress_*`: every 0.5-1.5 s, 60 s per N;",
        "runs before 2026-12-07 21:00 name it `load_<N>_*`); targets at N = 30: load_people_30_page_p95_s ≤ 2,",
        "load_people_30_save_p95_s ≤ 0.3, errors 0 and lost saves 0 at every pace and N.",
        "",
        f"## Latest run — {result['started_at']}, scale {result['scale']}, "
        f"{result['machine']['cpus']} CPUs, Python {result['machine']['python']}",
        "",
        "| step | wall s | peak MB |",
        "|---|---|---|",
    ]
    lines += [f"| {k} | {v['wall_s']} | {v['peak_mb']} |" for k, v in steps.items()]
    lines += ["", "| figure | value |", "|---|---|"]
    lines += [f"| {k} | {json.dumps(v, ensure_ascii=False) if isinstance(v, dict) else v} |"
              for k, v in result["figures"].items()]
    lines += ["", HISTORY_HEADER, "", "| started | scale | steps (wall/peak) | total | max peak |", "|---|---|---|---|---|"]
    lines += history
    doc.write_text("\n".join(lines) + "\n", encoding="utf-8")
