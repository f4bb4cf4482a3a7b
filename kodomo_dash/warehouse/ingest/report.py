"""What a build did, per source and in total: printed by `kodomo build`, kept in the build history.

Its own module so the build and the history (which records every report) both read it without
importing each other.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from kodomo_dash.warehouse.ingest.gate import Refusal


@dataclass
class SourceResult:
    source: str
    label_ja: str
    file_name: str
    status: str = "ok"
    encoding: str = ""
    sha256: str = ""
    rows_in: int = 0
    rows_staged: int = 0
    rows_quarantined: int = 0
    values_nullified: int = 0
    message: str = ""
    seconds: float = 0.0


@dataclass
class BuildReport:
    path: Path
    as_of: dt.date
    sources: list[SourceResult] = field(default_factory=list)
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)
    refusals: list[Refusal] = field(default_factory=list)  # the gate's, not accepted
    accepted: list[Refusal] = field(default_factory=list)  # drops accepted on purpose (--accept-drop)
    swapped: bool = False
    changes: int = 0  # facts new since the build served before (warehouse/refresh, decision 066)
    changes_seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.errors and not self.refusals

    def summary(self) -> str:
        rows_in = sum(s.rows_in for s in self.sources)
        staged = sum(s.rows_staged for s in self.sources)
        quarantined = sum(s.rows_quarantined for s in self.sources)
        nullified = sum(s.values_nullified for s in self.sources)
        if self.swapped:
            head = f"ビルド完了 / build finished: {self.path} (基準日 as-of {self.as_of}, {self.seconds:.1f}s)"
        else:
            head = (f"ビルド中止 / build refused: 倉庫は入れ替えていません。利用中のデータはそのままです"
                    f" (the warehouse in use is unchanged): {self.path}")  # fmt: skip
        lines = [
            head,
            *([f"  前回のビルドからの変化 {self.changes:,} 件 (changes since the previous build)"] if self.swapped else []),
            f"  読込 {rows_in:,} 行 = 取込 {staged:,} + 隔離 {quarantined:,}; 無効値 {nullified:,} 件は NULL として取込"
            f" (rows in = staged + quarantined; invalid values nulled)",
        ]
        for s in self.sources:
            if s.status != "ok" or s.rows_quarantined or s.values_nullified:
                lines.append(
                    f"  - {s.source}: {s.status} in={s.rows_in:,} staged={s.rows_staged:,} "
                    f"quarantined={s.rows_quarantined:,} nulled={s.values_nullified:,} {s.message}".rstrip()
                )
        for e in self.errors:
            lines.append(f"  エラー / error: {e}")
        for r in self.refusals:
            lines.append(f"  取込を止めました / refused: {r.message_ja}")
        for r in self.accepted:
            lines.append(f"  承認済みの減少 / drop accepted: {r.name}（前回 {r.before} → 今回 {r.after}）")
        return "\n".join(lines)
