"""Every build attempt, swapped or refused, in `build_history.jsonl` beside the warehouse file.

A refused build leaves no warehouse behind, so its counts would be lost with it; this file keeps
them, so the data-quality page shows a manager the drop that stopped a build (and any drop someone
accepted on purpose, by whom) before a ward notices anything. It holds source names, counts,
statuses and the gate's messages — nothing about a person — and it is written by the build, not by
casework (a rebuild never touches casework, decision 000, point 1).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from kodomo_dash.warehouse.ingest.report import BuildReport

FILE_NAME = "build_history.jsonl"
COLUMNS = ["attempted_at", "outcome", "source", "rows_in", "rows_staged", "rows_quarantined", "status", "note"]


def history_path(warehouse_file: Path) -> Path:
    return Path(warehouse_file).parent / FILE_NAME


def append(report: BuildReport, accepted_by: str | None = None, reason: str | None = None) -> None:
    """One JSON line per attempt: its outcome, each source's counts, the gate's findings."""
    entry = {
        "attempted_at": dt.datetime.now().isoformat(timespec="seconds"),
        "outcome": "swapped" if report.swapped else "refused",
        "as_of": report.as_of.isoformat(),
        "errors": list(report.errors),
        "refused": [{"name": r.name, "before": r.before, "after": r.after, "message_ja": r.message_ja}
                    for r in report.refusals],
        "accepted": [{"name": r.name, "before": r.before, "after": r.after, "by": accepted_by, "reason": reason}
                     for r in report.accepted],
        "sources": [{"source": s.source, "rows_in": s.rows_in, "rows_staged": s.rows_staged,
                     "rows_quarantined": s.rows_quarantined, "status": s.status} for s in report.sources],
    }  # fmt: skip
    path = history_path(report.path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(entry, ensure_ascii=False) + "\n")


def recent(warehouse_file: Path, builds: int = 5) -> list[dict]:
    """The last `builds` attempts, newest first ([] before the first build)."""
    path = history_path(warehouse_file)
    if not path.exists():
        return []
    lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]
    out = []
    for line in reversed(lines[-builds:]):
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            continue  # a line cut by a crash: the others still show
    return out


def per_source(entries: list[dict]) -> pd.DataFrame:
    """One row per attempt and source: counts, status, and what the gate said about that source."""
    rows = []
    for e in entries:
        notes = {r["name"]: r["message_ja"] for r in e.get("refused", [])}
        notes |= {r["name"]: f"減少を承認（{r.get('by') or '—'}：{r.get('reason') or ''}）" for r in e.get("accepted", [])}
        for s in e.get("sources", []):
            rows.append({"attempted_at": e["attempted_at"], "outcome": e["outcome"], **s,
                         "note": notes.get(s["source"], "")})  # fmt: skip
    return pd.DataFrame(rows, columns=COLUMNS)
