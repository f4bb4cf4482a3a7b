"""The extracts a city loads: the warehouse build `kodomo build` runs, and its contracts' documentation.

The build itself (reading, the plausibility gate, the swap) is ``warehouse.ingest.build``; what a
driver adds is who accepted a drop the gate refused, and why. That acceptance is a decision a
person takes on purpose, so each accepted drop of a build that was swapped in becomes an audit
row (who, which source, before → after, the reason) — here, so the command line never writes
casework itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from pathlib import Path

from kodomo_dash.security import audit
from kodomo_dash.security.principal import Principal
from kodomo_dash.services.operator import cli_actor
from kodomo_dash.services.unit_of_work import casework
from kodomo_dash.warehouse.contracts.docs import write_docs
from kodomo_dash.warehouse.ingest.build import build_warehouse
from kodomo_dash.warehouse.ingest.report import BuildReport

__all__ = ["BuildReport", "build", "write_contract_docs"]


def build(source: Path | str, *, as_of: str | date | None = None, accept_drop: Iterable[str] = (),
          reason: str | None = None, actor: Principal | str | None = None) -> BuildReport:  # fmt: skip
    """Build the warehouse from a folder of extracts; swap it in only if it passes the gate.

    ``accept_drop`` names findings of the gate accepted on purpose; it needs a ``reason``
    (ValueError otherwise), and each accepted drop of a swapped-in build is audited under ``actor``
    (default: the shell account). FileNotFoundError for a missing folder, ValueError for a bad date.
    """
    accept = set(accept_drop)
    if accept and not (reason or "").strip():
        raise ValueError("--accept-drop には --reason（減少を受け入れる理由）が必要です / --accept-drop needs --reason.")
    who = (actor or cli_actor()) if accept else None
    report = build_warehouse(Path(source), as_of=as_of, accept_drop=accept,
                             accepted_by=(who.username if isinstance(who, Principal) else who),
                             accept_reason=reason if accept else None)  # fmt: skip
    if report.swapped and report.accepted and who is not None:
        _audit_accepted_drops(report, str(reason), who)
    return report


def _audit_accepted_drops(report: BuildReport, reason: str, actor: Principal | str) -> None:
    """Each drop a person accepted on purpose is an audit row (who, which source, before → after)."""
    with casework() as con:
        for r in report.accepted:
            audit.record(con, actor, "setting_change", target=f"build_accept_drop:{r.name}",
                         detail={"setting": "build_accept_drop", "source": r.name, "before": r.before,
                                 "after": r.after, "reason": reason[:80]})  # fmt: skip


def write_contract_docs(out: Path | str) -> list[Path]:
    """Write one page per data contract (and an index) into ``out``: the layout a city reads is the one loaded."""
    return list(write_docs(Path(out)))
