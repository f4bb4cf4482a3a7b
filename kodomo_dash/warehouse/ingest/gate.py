"""The plausibility gate of `kodomo build`: a new warehouse is swapped in only if it looks like the last.

A city's export job that fails overnight delivers an empty or header-only file, or none at all; a
warehouse built from it is whole and valid — and empty. Before the swap, each source's staged rows,
the number of children and the 名寄せ link rate are compared with the build being served; a drop
past the thresholds of ``config/build_gate.yaml`` (a city's own copy in KODOMO_CITIES wins) refuses
the swap with a message naming the source, the figure before and after, and how to accept it on
purpose (``--accept-drop SOURCE --reason TEXT``, audited). Required sources (the resident registry)
are refused when missing or header-only even on a first build.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from kodomo_dash.config.settings import city_settings

CHILDREN = "core.child"  # the --accept-drop name of the children count
LINKAGE = "linkage"  # the --accept-drop name of the link rate
AS_OF = "as_of"  # the --accept-drop name of a delivery older than the build being served


@dataclass(frozen=True)
class GateConfig:
    max_source_drop: float = 0.20
    max_child_drop: float = 0.10
    max_link_rate_drop: float = 0.05
    required_sources: tuple[str, ...] = ("resident_registry",)


def load_config() -> GateConfig:
    """Thresholds from the shipped file, then the city's own (KODOMO_CITIES/build_gate.yaml)."""
    raw = city_settings("build_gate")
    return GateConfig(
        max_source_drop=float(raw.get("max_source_drop", 0.20)),
        max_child_drop=float(raw.get("max_child_drop", 0.10)),
        max_link_rate_drop=float(raw.get("max_link_rate_drop", 0.05)),
        required_sources=tuple(raw.get("required_sources") or ()),
    )


@dataclass(frozen=True)
class Figures:
    """What the gate compares: staged rows per source, children, and the share of pupils linked."""

    sources: dict[str, int]
    statuses: dict[str, str]
    children: int
    link_rate: float | None
    as_of: dt.date | None = None  # the extracts' as-of date (meta.build_info)


@dataclass(frozen=True)
class Refusal:
    name: str  # a source, core.child or linkage: what --accept-drop names
    before: str
    after: str
    message_ja: str
    accepted: bool = False


@dataclass
class Verdict:
    refusals: list[Refusal] = field(default_factory=list)

    @property
    def refused(self) -> list[Refusal]:
        return [r for r in self.refusals if not r.accepted]

    @property
    def accepted(self) -> list[Refusal]:
        return [r for r in self.refusals if r.accepted]


def figures(con: duckdb.DuckDBPyConnection, schema: str = "") -> Figures:
    """The gate's figures of a build (`schema` prefixes the catalog, e.g. 'prev.' for an attached file)."""
    rows = con.execute(f"select source, rows_staged, status from {schema}meta.load_manifest").fetchall()  # noqa: S608
    children = con.execute(f"select count(*) from {schema}core.child").fetchone()[0]  # noqa: S608
    linked, pupils = con.execute(
        f"select (select count(*) from {schema}link.student_link),"  # noqa: S608
        f" (select count(distinct student_no) from {schema}stg.student_roster)"
    ).fetchone()
    (as_of,) = con.execute(f"select max(as_of) from {schema}meta.build_info").fetchone()  # noqa: S608
    return Figures({r[0]: int(r[1]) for r in rows}, {r[0]: str(r[2]) for r in rows}, int(children),
                   (linked / pupils) if pupils else None, as_of)  # fmt: skip


def previous_figures(path: Path) -> Figures | None:
    """The figures of the build being served at `path`, or None on a first build."""
    if not path.exists():
        return None
    from kodomo_dash.infra.db import open_read_only

    con = open_read_only(path)
    try:
        return figures(con)
    except duckdb.Error:
        return None  # a build from before the gate's tables: nothing to compare with
    finally:
        con.close()


def judge(new: Figures, old: Figures | None, config: GateConfig, accept: set[str],
          required_only: bool = False) -> Verdict:
    """The gate's findings; ``required_only`` checks just the required sources (the build's early stop)."""
    verdict = Verdict()

    def refuse(name: str, before: str, after: str, what: str) -> None:
        how = f"意図した変化なら `kodomo build --accept-drop {name} --reason 理由` で取り込めます。"
        verdict.refusals.append(Refusal(name, before, after, f"{what}（前回 {before} → 今回 {after}）。{how}",
                                        name in accept))  # fmt: skip

    for source in config.required_sources:
        status, rows = new.statuses.get(source), new.sources.get(source, 0)
        if status == "missing":
            refuse(source, _n(old, source), "ファイルなし", f"{source} が届いていません")
        elif rows == 0:
            refuse(source, _n(old, source), "0行", f"{source} に取り込める行がありません（空または見出しだけ）")
    if old is not None and old.as_of is not None and new.as_of is not None and new.as_of < old.as_of:
        # Last month's extracts after this month's: every change would run backwards and the children
        # who arrived since would look gone. Refused unless a person says it is meant (a correction).
        refuse(AS_OF, old.as_of.isoformat(), new.as_of.isoformat(),
               "抽出の基準日が配信中のビルドより前です（古い月の抽出です）")  # fmt: skip
    if required_only:
        return verdict
    if old is not None:
        for source, before in old.sources.items():
            after = new.sources.get(source, 0)
            if before == 0 or (source in config.required_sources and after == 0):
                continue  # nothing to compare with, or already refused as required above
            if new.statuses.get(source) == "missing":
                refuse(source, f"{before:,}行", "ファイルなし", f"{source} が届いていません")
            elif after == 0:
                refuse(source, f"{before:,}行", "0行", f"{source} が空または見出しだけです")
            elif after < before * (1 - config.max_source_drop):
                refuse(source, f"{before:,}行", f"{after:,}行",
                       f"{source} の行数が{config.max_source_drop:.0%}を超えて減りました")  # fmt: skip
        if old.children and new.children < old.children * (1 - config.max_child_drop):
            refuse(CHILDREN, f"{old.children:,}人", f"{new.children:,}人",
                   f"こどもの数が{config.max_child_drop:.0%}を超えて減りました")  # fmt: skip
        if old.link_rate is not None and new.link_rate is not None \
                and new.link_rate < old.link_rate - config.max_link_rate_drop:  # fmt: skip
            refuse(LINKAGE, f"{old.link_rate:.1%}", f"{new.link_rate:.1%}",
                   f"名寄せで紐付いた学校の記録の割合が{config.max_link_rate_drop:.0%}ポイントを超えて下がりました")  # fmt: skip
    elif new.children == 0:
        refuse(CHILDREN, "（初回）", "0人", "こどもが1人もいない倉庫になります")
    return verdict


def _n(old: Figures | None, source: str) -> str:
    if old is None or source not in old.sources:
        return "（初回）"
    return f"{old.sources[source]:,}行"
