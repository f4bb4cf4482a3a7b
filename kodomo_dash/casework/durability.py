"""Kill-test of form saves: every acknowledged save survives SIGKILL, no form is ever half-saved.

A worker process saves drafts in a loop and writes ``ACK <form_id> <version> <sha256>`` only after
save_draft() returned (that is, after COMMIT). The parent kills it with SIGKILL at a random moment,
reopens the file (DuckDB replays its write-ahead log) and checks:

* every acknowledged (form_id, version) is in form_revision with exactly the acknowledged content;
* every form_record is whole: its data hashes to data_sha256, and its version is the newest
  revision, whose content is the same (the row and its revision were committed together).

The test suite runs ~20 kills; ``kodomo bench`` can run hundreds through run_kill_test(kills=...).
Workers are forked from a small fork server that has done its imports once, so each kill costs a
fork rather than an interpreter start (Linux/macOS). ``python -m kodomo_dash.casework.durability run
200 /tmp/dur`` runs the test from a shell.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from kodomo_dash.infra.db import connect_file

FORMS = 4  # few forms, many versions each: every kill lands on a form that has history
ACTOR = "durability_worker"


@dataclass
class KillReport:
    kills: int = 0
    acknowledged: int = 0
    forms_checked: int = 0
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problems and self.acknowledged > 0

    def summary(self) -> str:
        state = "OK" if self.ok else f"{len(self.problems)} problems"
        return (
            f"durability: {self.kills} SIGKILLs, {self.acknowledged} acknowledged saves checked, "
            f"{self.forms_checked} forms whole, {state} ({self.seconds:.1f}s)"
        )


def prepare(path: Path) -> list[str]:
    """A casework file with a one-child list and FORMS draftable home-visit records."""
    from kodomo_dash.casework import form_store, workflow
    from kodomo_dash.infra.migrate import migrate

    con = connect_file(path, "casework")
    try:
        migrate(con)
        list_id = workflow.accept_list(
            con, fy=2025, run_id="durability", method="similarity", path="ward", cohort_size=1,
            members=[{"resident_id": "D000001", "ward_code": "40131"}], actor=ACTOR,
            accepted_on=date(2025, 8, 20),
        )  # fmt: skip
        return [
            form_store.request_form(
                con, "home_visit_record", list_id, "D000001", actor=ACTOR, client_token=f"dur-{i}"
            ).form_id  # fmt: skip
            for i in range(FORMS)
        ]
    finally:
        con.close()


def worker(path: str, seed: int, ack_fd: int) -> None:
    """Save drafts forever; write an ACK line to ack_fd after each save returned (never before).

    os.write of one short line is a single write(2): once it returns the line is in the kernel, so a
    SIGKILL right after it still leaves the acknowledgement readable — like a line printed on screen.
    """
    from kodomo_dash.casework import form_store

    rng = random.Random(seed)
    con = connect_file(Path(path), "casework")
    forms = [r[0] for r in con.execute("select form_id from form_record order by form_id").fetchall()]
    form_store.get_form(con, forms[0])
    os.write(ack_fd, f"READY {os.getpid()}\n".encode())
    n = 0
    while True:
        form_id = rng.choice(forms)
        rec = form_store.get_form(con, form_id)
        n += 1
        # A large-ish, varied payload so a torn write could not pass as a whole one.
        text = f"{seed}:{n}:" + "".join(
            rng.choice("あいうえおカキクケコ漢字<script>&\"'\n") for _ in range(rng.randint(10, 3000))
        )
        data = {"situation": text, "method": rng.choice(["home_visit", "phone"]), "follow_up_note": str(n)}
        result = form_store.save_draft(con, form_id, data, expected_version=rec.version, actor=ACTOR)
        stored = form_store.get_form(con, form_id)
        os.write(ack_fd, f"ACK {form_id} {result.version} {stored.data_sha256}\n".encode())


def zygote() -> None:
    """Import everything once, then fork one saving worker per request (a fork server).

    Starting a fresh interpreter per kill spends most of the test in imports; forking a process that
    has imported duckdb but never opened a database is cheap and safe (no DuckDB threads exist yet).
    Protocol on stdin/stdout: "spawn DB SEED ACKFILE" → "PID n"; "reap n" → "REAPED n".
    """
    import pandas  # noqa: F401  DuckDB looks for pandas when binding parameters; pay for it once here

    from kodomo_dash.casework import form_store

    form_store.get_definition("home_visit_record")
    print("ZYGOTE", flush=True)
    for line in sys.stdin:
        cmd, *args = line.split()
        if cmd == "spawn":
            db, seed, ack_path = args
            pid = os.fork()
            if pid == 0:
                fd = os.open(ack_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                try:
                    worker(db, int(seed), fd)
                finally:
                    os._exit(1)
            print(f"PID {pid}", flush=True)
        elif cmd == "reap":
            os.waitpid(int(args[0]), 0)
            print(f"REAPED {args[0]}", flush=True)
        elif cmd == "exit":
            return


def check(path: Path, acks: dict[tuple[str, int], str]) -> tuple[int, list[str]]:
    """(forms checked, problems) after a crash: acknowledged saves present, no form half-saved.

    Hashes are recomputed inside DuckDB (sha256 over the stored text), so the check stays cheap when
    hundreds of kills have left thousands of revisions.
    """
    problems: list[str] = []
    con = connect_file(path, "casework")
    try:
        revisions = {
            (f, v): (stored, actual)
            for f, v, stored, actual in con.execute(
                "select form_id, version, data_sha256, sha256(data) from form_revision"
            ).fetchall()
        }
        for (form_id, version), sha in acks.items():
            got = revisions.get((form_id, version))
            if got is None:
                problems.append(f"acknowledged save lost: {form_id} v{version}")
            elif got != (sha, sha):
                problems.append(f"acknowledged save altered: {form_id} v{version}")
        rows = con.execute(
            "select form_id, version, data_sha256, sha256(data), json_valid(data) from form_record"
        ).fetchall()
        for form_id, version, sha, actual, valid in rows:
            if sha != actual or not valid:
                problems.append(f"half-saved form (data/hash mismatch): {form_id} v{version}")
            have = sorted(v for (f, v) in revisions if f == form_id)
            if not have or have != list(range(1, have[-1] + 1)):
                problems.append(f"form {form_id}: revisions not contiguous")
            elif have[-1] != version:
                problems.append(f"form {form_id} at v{version} but newest revision is v{have[-1]}")
            elif revisions[(form_id, version)][0] != sha:
                problems.append(f"form {form_id} v{version} differs from its revision")
        return len(rows), problems
    finally:
        con.close()


def run_kill_test(
    workdir: Path, *, kills: int = 20, seed: int = 0, min_delay: float = 0.05, max_delay: float = 0.5,
    startup_timeout: float = 60.0,
) -> KillReport:  # fmt: skip
    """Fork a saving worker, SIGKILL it at a random moment, check the file, repeat `kills` times."""
    started = time.perf_counter()
    rng = random.Random(seed)
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / "casework-durability.duckdb"
    ack_path = workdir / "acks.txt"
    for p in (path, path.with_suffix(".duckdb.wal")):
        p.unlink(missing_ok=True)
    prepare(path)
    report = KillReport()
    acks: dict[tuple[str, int], str] = {}
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).resolve().parents[2]), env.get("PYTHONPATH", "")])
    server = subprocess.Popen(
        [sys.executable, "-m", "kodomo_dash.casework.durability", "zygote"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, text=True, bufsize=1,
    )  # fmt: skip
    try:
        if server.stdout.readline().strip() != "ZYGOTE":
            raise RuntimeError("durability fork server did not start")
        for k in range(kills):
            ack_path.unlink(missing_ok=True)  # never mistake the last worker's READY for this one's
            server.stdin.write(f"spawn {path} {seed * 100_000 + k} {ack_path}\n")
            server.stdin.flush()
            pid = int(server.stdout.readline().split()[1])
            deadline = time.monotonic() + startup_timeout
            while not _ready(ack_path):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"worker {pid} did not start (kill {k})")
                time.sleep(0.005)
            time.sleep(rng.uniform(min_delay, max_delay))
            os.kill(pid, signal.SIGKILL)
            server.stdin.write(f"reap {pid}\n")
            server.stdin.flush()
            server.stdout.readline()  # REAPED: the process is gone and its file lock released
            for raw in ack_path.read_text().splitlines(keepends=True):
                parts = raw.split()
                if raw.endswith("\n") and len(parts) == 4 and parts[0] == "ACK":
                    acks[(parts[1], int(parts[2]))] = parts[3]
            report.kills += 1
            n_forms, problems = check(path, acks)
            report.forms_checked = n_forms
            report.problems.extend(f"after kill {k}: {p}" for p in problems)
            if report.problems:
                break
    finally:
        if server.poll() is None:
            server.stdin.write("exit\n")
            server.stdin.flush()
            server.wait(timeout=30)
    report.acknowledged = len(acks)
    report.seconds = time.perf_counter() - started
    return report


def _ready(ack_path: Path) -> bool:
    try:
        return ack_path.read_text().startswith("READY")
    except FileNotFoundError:
        return False


def main(argv: list[str]) -> int:
    if argv[:1] == ["zygote"]:
        zygote()
        return 0
    if argv[:1] == ["run"]:
        kills = int(argv[1]) if len(argv) > 1 else 20
        report = run_kill_test(Path(argv[2]) if len(argv) > 2 else Path("warehouse/durability"), kills=kills)
        print(report.summary())
        for p in report.problems:
            print(p)
        return 0 if report.ok else 1
    print("usage: python -m kodomo_dash.casework.durability run [KILLS] [DIR]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
