"""Workflow figures for `kodomo bench`: form-save latency and the SIGKILL durability run.

A form save should take at most 200 ms. form_save_ms() measures what a page's 「保存」 costs:
save_draft() and submit_form() on a real casework file (WAL, commit), including validation and the
stage events a submit writes. Run as a bench step with
``python -m kodomo_dash.bench.forms [--kills N]``; when KODOMO_BENCH_FIGURES names a JSON file
the figures are merged into it (form_save_ms, form_submit_ms, durability_kills, ...).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

from kodomo_dash.infra.db import connect_file


def form_save_ms(n: int = 50, workdir: Path | None = None) -> dict[str, float]:
    """Median and p95 of save_draft / submit_form in milliseconds (pandas loaded, as in the app)."""
    import pandas  # noqa: F401  the app has it loaded; DuckDB binds parameters slower without it

    from kodomo_dash.casework import form_store, vocabulary, workflow
    from kodomo_dash.infra.db import casework_connection
    from kodomo_dash.infra.migrate import migrate

    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        path = Path(tmp) / "casework.duckdb"
        con = connect_file(path, "casework")
        migrate(con)
        members = [{"resident_id": f"B{i:07d}", "ward_code": "40131"} for i in range(n + 1)]
        workflow.accept_list(con, fy=2025, run_id="bench", method="similarity", path="ward", members=members,
                             actor="bench", accepted_on=date(2025, 8, 20), cohort_size=n + 1, list_id="B")  # fmt: skip
        rec = form_store.request_form(con, "conference_sheet", "B", "B0000000", actor="bench")
        con.close()
        # Timed as the app saves: open casework for the unit of work (attach under the key when
        # encrypted), save, close — not on a connection held open across saves.
        saves, version = [], rec.version
        for i in range(n):
            t = time.perf_counter()
            with casework_connection(path=path) as unit:
                version = form_store.save_draft(unit, rec.form_id, {"needs_and_risks": "所見" * 200 + str(i)},
                                                expected_version=version, actor="bench").version  # fmt: skip
            saves.append((time.perf_counter() - t) * 1000)
        con = connect_file(path, "casework")
        submits = []
        data = {"held_on": "2025-09-05", "living_conditions": "concern_some", "parenting_capacity": "no_concern",
                "help_seeking": "unknown", "approach": "approach", "assigned_department": "health",
                "assigned_staff": "nurse1"}  # fmt: skip
        for i in range(1, n + 1):
            rid = f"B{i:07d}"
            for dept in vocabulary.DEPARTMENTS:
                workflow.record_secondary(con, "B", rid, department=dept, decision="pass", event_date=date(2025, 8, 25),
                                          actor="bench", today=date(2026, 1, 31))  # fmt: skip
            form = form_store.request_form(con, "conference_sheet", "B", rid, actor="bench")
            t = time.perf_counter()
            form_store.submit_form(con, form.form_id, data, expected_version=form.version, actor="bench",
                                   today=date(2026, 1, 31))  # fmt: skip
            submits.append((time.perf_counter() - t) * 1000)
        con.close()

    def p95(xs: list[float]) -> float:
        return sorted(xs)[max(0, int(round(0.95 * len(xs))) - 1)]

    return {
        "form_save_ms": round(statistics.median(saves), 1),
        "form_save_p95_ms": round(p95(saves), 1),
        "form_submit_ms": round(statistics.median(submits), 1),
        "form_submit_p95_ms": round(p95(submits), 1),
    }


def workflow_step_s(n: int = 200) -> dict[str, float]:
    """A manager's 確定 of an n-child run and one department's bulk secondary screening of all n.

    Timed through the services the screens call (matrix check, scope, one transaction, one audit
    row per child), on a private casework file in a folder of its own, opened as the app opens it
    (encrypted when the bench runs under a key). Target: the bulk save of 200 ≤ 2 s.
    """
    import pandas as pd

    from kodomo_dash.demo.simulate import MANAGER, save_list_as_run
    from kodomo_dash.infra.db import casework_connection
    from kodomo_dash.infra.migrate import migrate
    from kodomo_dash.security.principal import Principal
    from kodomo_dash.services import support, unit_of_work

    wards = ("40131", "40132", "40133")
    frame = pd.DataFrame({"resident_id": [f"W{i:07d}" for i in range(n)],
                          "ward_code": [wards[i % 3] for i in range(n)], "rank": range(1, n + 1)})  # fmt: skip
    old = os.environ.get("KODOMO_WAREHOUSE")
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["KODOMO_WAREHOUSE"] = tmp
        unit_of_work._migrated.clear()
        try:
            with casework_connection() as con:
                migrate(con)
                run_id = save_list_as_run(con, frame, "fukuoka-unenrolled", cohort_size=n * 6, as_of=date(2025, 8, 1))
            t = time.perf_counter()
            list_id = support.accept_run(MANAGER, run_id, fy=2025, programme="fukuoka-unenrolled",
                                         accepted_on=date(2025, 8, 20))  # fmt: skip
            accept_s = time.perf_counter() - t
            staff = Principal("bench_staff", "ward_staff", ward_codes=wards)
            t = time.perf_counter()
            saved = support.record_secondary(staff, list_id, list(frame["resident_id"]), department="childcare_support",
                                             decision="exclude", reason="in_support", event_date=date(2025, 8, 25),
                                             today=date(2026, 1, 31))  # fmt: skip
            bulk_s = time.perf_counter() - t
            assert len(saved) == n
        finally:
            unit_of_work._migrated.clear()
            if old is None:
                os.environ.pop("KODOMO_WAREHOUSE", None)
            else:
                os.environ["KODOMO_WAREHOUSE"] = old
    return {"list_accept_s": round(accept_s, 3), "list_accept_children": n,
            "bulk_secondary_200_s": round(bulk_s, 3)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="workflow bench figures")
    parser.add_argument("--saves", type=int, default=50)
    parser.add_argument("--kills", type=int, default=0, help="also run the SIGKILL durability test")
    args = parser.parse_args(argv)
    figures: dict[str, float | int | bool] = dict(form_save_ms(args.saves))
    figures |= workflow_step_s(200)
    if args.kills:
        from kodomo_dash.casework.durability import run_kill_test

        with tempfile.TemporaryDirectory() as tmp:
            report = run_kill_test(Path(tmp), kills=args.kills)
        figures |= {"durability_kills": report.kills, "durability_acknowledged": report.acknowledged,
                    "durability_ok": report.ok, "durability_s": round(report.seconds, 1)}  # fmt: skip
    print(json.dumps(figures, ensure_ascii=False))
    out = os.environ.get("KODOMO_BENCH_FIGURES")
    if out:
        path = Path(out)
        merged = json.loads(path.read_text()) if path.exists() else {}
        merged.update(figures)
        path.write_text(json.dumps(merged, ensure_ascii=False, indent=2))
    return 0 if figures.get("durability_ok", True) else 1


if __name__ == "__main__":
    raise SystemExit(main())
