"""Indicator tables in the shape of the cities' reports (図表 6-1 … 7-3), safe to show and export.

Input (``FunnelData``), long format, one row per count — what the funnel views return:

* ``stages``:     fy, ward_code, stage, count            (the casework funnel's bar codes, as ``shapes`` lists them)
* ``exclusions``: fy, ward_code, stage, reason, count    (children not carried into ``stage``, by the casework reason)
* ``acts``:       fy, ward_code, category, item, count   (support acts, 延べ件数: support kind and category)
* ``outcomes``:   fy, ward_code, outcome, count

The codes are the casework's own (decision 059), so a row read from the views needs no renaming.

``ward_code`` may be spelt ``unit_code`` (Izumi and Beppu break down by school); a missing
ward becomes 「不明」. Duplicate rows are added up (a funnel per screening method can be passed
as is). A row that is absent is a zero; a year with no stage rows at all is "no data".

Why one protected system per year: the same count appears in several tables (the funnel by
ward, 7-3, 6-1, the exclusion reasons) and an evaluator can read them side by side, so each
year's cells are suppressed together with every relation a reader knows — ward cells add up to
the city, each stage is the next stage plus the children excluded at it, the exclusions add up
by reason, contacted + pending = approached, needs yes + no = contacted. Every table then reads
its cells from that one result and a cell hidden in one table is hidden in all.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from kodomo_dash.reports.shapes import FUKUOKA, UNRECORDED, ProgrammeShape
from kodomo_dash.reports.suppression import (
    NDB_POLICY,
    TOTAL,
    Equation,
    Protection,
    SuppressionPolicy,
    difference_or_hidden,
    protect,
    rate_or_hidden,
)
from kodomo_dash.reports.tables import (
    LIMITED_NOTE,
    NO_DATA_LABEL,
    CellValue,
    Column,
    Hidden,
    ReportTable,
    empty_table,
    fy_label,
    is_hidden,
    suppression_note,
    tidy_notes,
)

UNKNOWN_UNIT = "unknown"
ALL = "all"
_FRAMES = {
    "stages": ("stage",),
    "exclusions": ("stage", "reason"),
    "acts": ("category", "item"),
    "outcomes": ("outcome",),
}


class InputError(ValueError):
    """The funnel input does not have the agreed layout (a programming error, not bad data)."""


# --------------------------------------------------------------------------- input


@dataclass
class FunnelData:
    """The four long frames, cleaned: int ``fy``, str ``ward_code``, int ``count`` ≥ 0."""

    stages: pd.DataFrame
    exclusions: pd.DataFrame
    acts: pd.DataFrame
    outcomes: pd.DataFrame
    unit_names: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_records(
        cls,
        stages: pd.DataFrame | Iterable[Mapping[str, Any]],
        exclusions: pd.DataFrame | Iterable[Mapping[str, Any]] | None = None,
        acts: pd.DataFrame | Iterable[Mapping[str, Any]] | None = None,
        outcomes: pd.DataFrame | Iterable[Mapping[str, Any]] | None = None,
        unit_names: Mapping[str, str] | None = None,
    ) -> FunnelData:
        frames = {
            name: _clean(name, data, keys)
            for (name, keys), data in zip(_FRAMES.items(), (stages, exclusions, acts, outcomes), strict=True)
        }
        names = {UNKNOWN_UNIT: "不明", **{str(k): str(v) for k, v in (unit_names or {}).items()}}
        return cls(**frames, unit_names=names)

    def years(self) -> list[int]:
        return sorted(set(self.stages["fy"].tolist()))

    def units(self) -> list[str]:
        """Every ward seen in any year or named, so this year's and last year's columns align."""
        seen: set[str] = set()
        for frame in (self.stages, self.exclusions, self.acts, self.outcomes):
            seen.update(frame["ward_code"].tolist())
        seen.update(k for k in self.unit_names if k != UNKNOWN_UNIT)
        return sorted(seen, key=lambda u: (u == UNKNOWN_UNIT, u))

    def unit_label(self, code: str) -> str:
        return self.unit_names.get(code, code)


def _clean(name: str, data, keys: tuple[str, ...]) -> pd.DataFrame:
    cols = ["fy", "ward_code", *keys, "count"]
    if data is None:
        return pd.DataFrame({c: pd.Series(dtype="int64" if c in ("fy", "count") else "object") for c in cols})
    df = data.copy() if isinstance(data, pd.DataFrame) else pd.DataFrame(list(data))
    if "ward_code" not in df.columns and "unit_code" in df.columns:
        df = df.rename(columns={"unit_code": "ward_code"})
    if df.empty:
        return _clean(name, None, keys)
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise InputError(f"{name}: 列 {missing} がありません / missing columns {missing} (expected {cols})")
    df = df[cols].copy()
    counts = pd.to_numeric(df["count"], errors="coerce")
    bad = counts.isna() | (counts < 0) | (counts % 1 != 0)
    if bad.any():
        raise InputError(f"{name}: 件数は0以上の整数にしてください / counts must be non-negative integers")
    df["count"] = counts.astype("int64")
    df["fy"] = pd.to_numeric(df["fy"], errors="raise").astype("int64")
    df["ward_code"] = [UNKNOWN_UNIT if pd.isna(w) or str(w) == "" else str(w) for w in df["ward_code"]]
    for k in keys:
        df[k] = df[k].astype(str)
    return df.groupby(["fy", "ward_code", *keys], as_index=False, sort=True)["count"].sum()


# --------------------------------------------------------------------------- one year's protected figures


@dataclass
class YearFigures:
    """Every count of one fiscal year, the suppression decided over all of them, and notes."""

    fy: int
    shape: ProgrammeShape
    units: list[str]
    has_data: bool
    values: dict[tuple[str, str, str], int | None]
    protection: Protection
    equations: list[Equation]
    rows: dict[str, list[str]]  # table → row codes in display order
    notes: list[str]
    policy: SuppressionPolicy

    def cell(self, table: str, row: str, col: str = TOTAL) -> int | Hidden | None:
        """The publishable value: a count, the 「秘匿」 marker, or None (no data)."""
        if not self.has_data:
            return None
        key = (table, row, col)
        if key in self.protection.hidden:
            return self.protection.hidden[key]
        return self.values.get(key)

    def raw(self, table: str, row: str, col: str = TOTAL) -> int | None:
        """The true count (tests and the audit only; never shown)."""
        return self.values.get((table, row, col)) if self.has_data else None


def act_key(category: str, item: str) -> str:
    return f"{category}|{item}"


def exclusion_key(stage: str, reason: str) -> str:
    return f"{stage}|{reason}"


def figures_for_year(
    data: FunnelData, fy: int, *, shape: ProgrammeShape = FUKUOKA, policy: SuppressionPolicy = NDB_POLICY
) -> YearFigures:
    """Build and protect one year's cells (see the module docstring for the relations used)."""
    units = data.units()
    st = data.stages[data.stages["fy"] == fy]
    has_data = not st.empty
    notes: list[str] = []
    unknown = sorted(set(st["stage"]) - set(shape.stage_codes))
    if unknown:
        raise InputError(
            f"段階コード {unknown} は{shape.city}の形にありません / unknown stage codes {unknown}"
        )

    values: dict[tuple[str, str, str], int | None] = {}
    eqs: list[Equation] = []
    rows: dict[str, list[str]] = {}

    def lookup(frame: pd.DataFrame, keys: Sequence[str]) -> dict[tuple, int]:
        f = frame[frame["fy"] == fy]
        return {tuple(r[:-1]): int(r[-1]) for r in f[["ward_code", *keys, "count"]].itertuples(index=False)}

    # ---------- stages
    got = lookup(data.stages, ["stage"])
    rows["funnel"] = list(shape.stage_codes)
    for s in shape.stage_codes:
        for u in units:
            values[("funnel", s, u)] = got.get((u, s), 0)

    # ---------- exclusions: parent = child + excluded(child); excluded = sum of reasons
    got_ex = lookup(data.exclusions, ["stage", "reason"])
    reasons_seen: dict[str, list[str]] = {}
    for _, stage, reason in got_ex:
        reasons_seen.setdefault(stage, [])
        if reason not in reasons_seen[stage]:
            reasons_seen[stage].append(reason)
    bad_ex = sorted(set(reasons_seen) - set(shape.chain[1:]))
    if bad_ex:
        raise InputError(
            f"除外理由の段階 {bad_ex} は段階の連鎖にありません / exclusions for unknown stages {bad_ex}"
        )
    rows["exclusion"] = []
    inconsistent_steps: set[str] = set()
    inconsistent_reasons: set[str] = set()
    for parent, stage in zip(shape.chain, shape.chain[1:], strict=False):
        reasons = [r for r in sorted(reasons_seen.get(stage, [])) if r != UNRECORDED] + [UNRECORDED]
        all_key = exclusion_key(stage, ALL)
        rows["exclusion"] += [all_key] + [exclusion_key(stage, r) for r in reasons]
        for u in units:
            gap = values[("funnel", parent, u)] - values[("funnel", stage, u)]
            recorded = sum(got_ex.get((u, stage, r), 0) for r in reasons if r != UNRECORDED)
            if gap < 0:
                inconsistent_steps.add(stage)
                values[("exclusion", all_key, u)] = None
            else:
                values[("exclusion", all_key, u)] = gap
            for r in reasons:
                if r == UNRECORDED:
                    rest = (
                        None
                        if gap < 0 or recorded > gap
                        else gap - recorded + got_ex.get((u, stage, UNRECORDED), 0)
                    )
                    if gap >= 0 and recorded > gap:
                        inconsistent_reasons.add(stage)
                    values[("exclusion", exclusion_key(stage, r), u)] = rest
                else:
                    values[("exclusion", exclusion_key(stage, r), u)] = got_ex.get((u, stage, r), 0)
            eqs.append(Equation(("funnel", parent, u), (("funnel", stage, u), ("exclusion", all_key, u))))
            eqs.append(
                Equation(
                    ("exclusion", all_key, u),
                    tuple(("exclusion", exclusion_key(stage, r), u) for r in reasons),
                )
            )

    # ---------- splits: total = sum(parts), checked per ward
    for total, parts in shape.splits:
        for u in units:
            if values[("funnel", total, u)] != sum(values[("funnel", p, u)] for p in parts):
                notes.append(
                    f"{data.unit_label(u)}の「{shape.stage(total).short}」と内訳"
                    f"（{'・'.join(shape.stage(p).short for p in parts)}）の合計が一致しません。入力を確認してください。"
                )
                continue
            eqs.append(Equation(("funnel", total, u), tuple(("funnel", p, u) for p in parts)))

    # ---------- acts and outcomes
    got_acts = lookup(data.acts, ["category", "item"])
    act_rows = [act_key(a.category, a.code) for a in shape.acts]
    act_rows += sorted({act_key(c, i) for (_, c, i) in got_acts} - set(act_rows))
    rows["act"] = act_rows
    for r in act_rows:
        c, i = r.split("|", 1)
        for u in units:
            values[("act", r, u)] = got_acts.get((u, c, i), 0)
    got_out = lookup(data.outcomes, ["outcome"])
    out_rows = [o.code for o in shape.outcomes]
    out_rows += sorted({o for (_, o) in got_out} - set(out_rows))
    rows["outcome"] = [*out_rows, ALL] if out_rows else []
    for u in units:
        for o in out_rows:
            values[("outcome", o, u)] = got_out.get((u, o), 0)
        if out_rows:
            values[("outcome", ALL, u)] = sum(values[("outcome", o, u)] for o in out_rows)
            eqs.append(Equation(("outcome", ALL, u), tuple(("outcome", o, u) for o in out_rows)))

    # ---------- city margins: total = sum over wards, for every row of every table
    for table, codes in rows.items():
        for r in codes:
            parts = [values[(table, r, u)] for u in units]
            values[(table, r, TOTAL)] = None if any(v is None for v in parts) else sum(parts)
            eqs.append(Equation((table, r, TOTAL), tuple((table, r, u) for u in units)))

    if inconsistent_steps:
        notes.append(
            "前の段階より人数が多い段階があります（"
            + "・".join(shape.stage(s).short for s in sorted(inconsistent_steps))
            + "）。入力を確認してください。"
        )
    if inconsistent_reasons:
        notes.append("除外理由の件数が段階間の差より多い箇所があります。入力を確認してください。")

    if not has_data:
        values = {k: None for k in values}
        protection = Protection()
        notes = [f"{fy_label(fy)}のデータはありません。"]
    else:
        exempt: set = set()
        for table, codes in rows.items():
            chosen = policy.resolve_exempt(
                table, [(r, TOTAL) for r in codes], [(r, u) for r in codes for u in units]
            )
            exempt |= {(table, r, c) for r, c in chosen}
        keep = {k for k in values if k[2] == TOTAL}
        protection = protect(values, eqs, policy=policy, exempt=exempt, keep=keep)
        if protection.hidden:
            notes.append(suppression_note(policy.threshold))
        if protection.limited:
            notes.append(LIMITED_NOTE)
    return YearFigures(
        fy=fy,
        shape=shape,
        units=units,
        has_data=has_data,
        values=values,
        protection=protection,
        equations=eqs,
        rows=rows,
        notes=list(dict.fromkeys(notes)),
        policy=policy,
    )


# --------------------------------------------------------------------------- tables


@dataclass
class ReportContext:
    """What the funnel cannot know: the support period, the model's factors (図表 7-2), the
    lessons typed for the meeting (図表 8-1), and the point in time the figures describe."""

    support_period: str = NO_DATA_LABEL
    factors: Sequence[str] = ()
    lessons: Sequence[Sequence[str]] = ()
    as_of: str = ""
    city: str = ""


def say(value: CellValue, unit: str = "名") -> str:
    """A figure inside a presenter's sentence."""
    if is_hidden(value):
        return "秘匿（少数のため非表示）"
    if value is None:
        return "データなし"
    return f"{int(value):,}{unit}"


def _year_cols(this: YearFigures, prev: YearFigures | None, unit: str = "名") -> list[Column]:
    cols = []
    if prev is not None:
        cols.append(Column("prev", fy_label(prev.fy), "count", unit))
    cols.append(Column("this", fy_label(this.fy), "count", unit))
    if prev is not None:
        cols.append(Column("change", "増減", "change", unit))
    return cols


def _year_vals(
    this: YearFigures, prev: YearFigures | None, table: str, row: str, col: str
) -> dict[str, CellValue]:
    v = this.cell(table, row, col)
    out: dict[str, CellValue] = {"this": v}
    if prev is not None:
        p = prev.cell(table, row, col) if row in prev.rows.get(table, []) or not prev.has_data else 0
        out["prev"] = p
        out["change"] = difference_or_hidden(v, p)
    return out


def _notes(this: YearFigures, prev: YearFigures | None) -> list[str]:
    notes = list(this.notes)
    if prev is not None:
        notes += [n for n in prev.notes if n not in notes]
    return notes


def indicators_table(
    this: YearFigures, prev: YearFigures | None = None, *, unit: str = TOTAL, unit_name: str = ""
) -> ReportTable:
    """図表 7-3: No.1 children at each stage, No.2 needs (contacted, yes / no / still checking),
    No.3 outcomes; last year beside this year."""
    shape = this.shape
    cols = [
        Column("no", "No."),
        Column("goal", "目標"),
        Column("measure", "測定指標"),
        *_year_cols(this, prev),
        Column("note", "補足"),
    ]
    rows: list[dict[str, CellValue]] = []
    for group in (1, 2):
        for i, s in enumerate(st for st in shape.stages if st.group == group):
            rows.append(
                {
                    "no": str(group) if i == 0 else "",
                    "goal": shape.goals.get(group, "") if i == 0 else "",
                    "measure": s.indicator,
                    **_year_vals(this, prev, "funnel", s.code, unit),
                    "note": s.note,
                }
            )
    for i, o in enumerate(shape.outcomes):
        rows.append(
            {
                "no": "3" if i == 0 else "",
                "goal": shape.goals.get(3, "") if i == 0 else "",
                "measure": o.label,
                **_year_vals(this, prev, "outcome", o.code, unit),
                "note": o.note,
            }
        )
    where = unit_name or shape.city
    title = f"{shape.title('indicators')}（{where}・{fy_label(this.fy)}）"
    talk = _indicator_talk(this, unit)
    return ReportTable("indicators", title, cols, rows, notes=_notes(this, prev), talk=talk)


def _indicator_talk(fig: YearFigures, unit: str) -> str:
    shape = fig.shape
    if not fig.has_data:
        return f"{fy_label(fig.fy)}のデータはありません。"
    parts = [f"{shape.stage(s).short}：{say(fig.cell('funnel', s, unit))}" for s in shape.funnel]
    text = "段階ごとの人数は、" + "、".join(parts) + "です。"
    if shape.outcomes:
        text += (
            "支援につながった件数は、"
            + "、".join(
                f"{o.label.removesuffix('件数')}{say(fig.cell('outcome', o.code, unit), '件')}"
                for o in shape.outcomes
            )
            + "です。"
        )
    if fig.protection.hidden:
        text += "少数の件数は個人の特定を防ぐため「秘匿」としています。"
    return text


def funnel_table(this: YearFigures, prev: YearFigures | None = None, *, unit: str = TOTAL) -> ReportTable:
    """図表 7-1 as a table: each funnel stage, its count, and its share of the stage before and of the first."""
    shape = this.shape
    cols = [
        Column("stage", "段階"),
        *_year_cols(this, prev),
        Column("rate_prev", "前段階からの割合", "rate"),
        Column("rate_first", f"{shape.stage(shape.funnel[0]).short}に対する割合", "rate"),
    ]
    rows = []
    first = this.cell("funnel", shape.funnel[0], unit)
    before = None
    for s in shape.funnel:
        v = this.cell("funnel", s, unit)
        rows.append(
            {
                "stage": shape.stage(s).short,
                **_year_vals(this, prev, "funnel", s, unit),
                "rate_prev": rate_or_hidden(v, before) if before is not None else None,
                "rate_first": rate_or_hidden(v, first),
            }
        )
        before = v
    talk = ""
    if this.has_data:
        chain = " → ".join(
            f"{shape.stage(s).short} {say(this.cell('funnel', s, unit))}" for s in shape.funnel
        )
        talk = f"{shape.city}の{fy_label(this.fy)}の流れです。{chain}。"
    else:
        talk = f"{fy_label(this.fy)}のデータはありません。"
    return ReportTable("funnel", shape.title("funnel"), cols, rows, notes=_notes(this, prev), talk=talk)


def _flow_table(
    key: str, this: YearFigures, prev: YearFigures | None, stages: Sequence[str], unit: str
) -> ReportTable:
    shape = this.shape
    cols = [Column("target", "対象"), *_year_cols(this, prev)]
    rows = [
        {
            "target": shape.stage(s).flow or shape.stage(s).indicator,
            **_year_vals(this, prev, "funnel", s, unit),
        }
        for s in stages
    ]
    talk = (
        "、".join(f"{shape.stage(s).short}は{say(this.cell('funnel', s, unit))}" for s in stages) + "でした。"
    )
    return ReportTable(key, shape.title(key), cols, rows, notes=_notes(this, prev), talk=talk)


def support_summary_table(this: YearFigures, context: ReportContext, *, unit: str = TOTAL) -> ReportTable:
    """図表 6-3: how many children the support was for, when, by which actions, with what content."""
    shape = this.shape
    n = this.cell("funnel", shape.support_stage, unit)
    cols = [Column("item", "項目"), Column("content", "内容")]
    rows = [
        {"item": "支援対象者数", "content": n if is_hidden(n) or n is None else f"{n:,}名"},
        {"item": "支援実施期間", "content": context.support_period or NO_DATA_LABEL},
        {"item": "支援行動", "content": "・".join(shape.support_actions) or NO_DATA_LABEL},
        {"item": "支援内容", "content": "・".join(shape.support_kinds) or NO_DATA_LABEL},
    ]
    talk = (
        f"支援対象者は{say(n)}です。支援は{context.support_period or '（期間未入力）'}、"
        + "・".join(shape.support_actions)
        + "により行いました。"
    )
    return ReportTable(
        "support_summary", shape.title("support_summary"), cols, rows, notes=list(this.notes), talk=talk
    )


def support_acts_table(
    this: YearFigures, prev: YearFigures | None = None, *, unit: str = TOTAL
) -> ReportTable:
    """図表 6-4: support acts by category and item (one family can receive several: 延べ件数)."""
    shape = this.shape
    if not this.rows.get("act"):
        return empty_table("support_acts", shape.title("support_acts"), "支援内容の記録はありません。")
    labels = {act_key(a.category, a.code): (a.category_label, a.label) for a in shape.acts}
    cols = [Column("category", "支援内容"), Column("item", "分類"), *_year_cols(this, prev, "件")]
    rows = []
    last_cat = None
    for r in this.rows["act"]:
        cat_label, item_label = labels.get(r, tuple(r.split("|", 1)))
        rows.append(
            {
                "category": cat_label if cat_label != last_cat else "",
                "item": item_label,
                **_year_vals(this, prev, "act", r, unit),
            }
        )
        last_cat = cat_label
    notes = [
        "1つの家庭に対して複数の助言や情報提供を行う場合があるため、延べ件数で集計。",
        *_notes(this, prev),
    ]
    top = [(r, this.cell("act", r, unit)) for r in this.rows["act"]]
    shown = [(r, v) for r, v in top if isinstance(v, int)]
    talk = "支援内容の延べ件数です。"
    if shown:
        r, v = max(shown, key=lambda x: x[1])
        talk += f"最も多いのは「{'・'.join(x for x in labels.get(r, (r,)) if x)}」の{v:,}件です。"
    return ReportTable("support_acts", shape.title("support_acts"), cols, rows, notes=notes, talk=talk)


def exclusions_table(this: YearFigures, prev: YearFigures | None = None, *, unit: str = TOTAL) -> ReportTable:
    """Why children left the funnel at each stage: the 'all' row and one row per reason."""
    shape = this.shape
    cols = [Column("stage", "段階"), Column("reason", "除外理由"), *_year_cols(this, prev)]
    rows = []
    for r in this.rows.get("exclusion", []):
        stage, reason = r.split("|", 1)
        if reason != ALL and reason == UNRECORDED and this.raw("exclusion", r, unit) == 0:
            continue
        rows.append(
            {
                "stage": shape.stage(stage).short if reason == ALL else "",
                "reason": "計（前段階との差）" if reason == ALL else shape.reason_label(reason),
                **_year_vals(this, prev, "exclusion", r, unit),
            }
        )
    return ReportTable(
        "exclusions", shape.title("exclusions"), cols, rows, notes=_notes(this, prev),
        talk="各段階で対象から外れた人数と、その理由です。",
    )  # fmt: skip


def by_unit_table(fig: YearFigures, table: str, data: FunnelData) -> ReportTable:
    """One table of the year (funnel, act, outcome, exclusion) with a column per ward and the city total."""
    shape = fig.shape
    key = {
        "funnel": "funnel_by_unit",
        "act": "acts_by_unit",
        "outcome": "outcomes_by_unit",
        "exclusion": "exclusions_by_unit",
    }[table]
    unit_cols = [Column(u, data.unit_label(u), "count") for u in fig.units]
    cols = [Column("row", "項目"), *unit_cols, Column(TOTAL, "計", "count")]
    labels = _row_labels(shape, table, fig.rows.get(table, []))
    rows = []
    for r in fig.rows.get(table, []):
        rows.append({"row": labels.get(r, r), **{c.key: fig.cell(table, r, c.key) for c in cols[1:]}})
    title = shape.title(key).replace("区別", f"{shape.unit_label}別") + f"（{fy_label(fig.fy)}）"
    return ReportTable(
        key, title, cols, rows, notes=list(fig.notes), talk=f"{shape.unit_label}別の内訳です。"
    )


def _row_labels(shape: ProgrammeShape, table: str, rows: Sequence[str]) -> dict[str, str]:
    if table == "funnel":
        return {s.code: s.short for s in shape.stages}
    if table == "act":
        return {act_key(a.category, a.code): f"{a.category_label}：{a.label}" for a in shape.acts}
    if table == "outcome":
        return {**{o.code: o.label for o in shape.outcomes}, ALL: "合計（延べ）"}
    out = {}
    for r in rows:
        stage, reason = r.split("|", 1)
        out[r] = f"{shape.stage(stage).short}：{'計' if reason == ALL else shape.reason_label(reason)}"
    return out


def factors_table(shape: ProgrammeShape, factors: Sequence[str]) -> ReportTable:
    """図表 7-2: the data items that drove similarity (from the model's explanations)."""
    if not factors:
        return empty_table("factors", shape.title("factors"), "モデルの要因はまだ登録されていません。")
    cols = [Column("item", "データ項目（主な項目を抜粋）")]
    return ReportTable(
        "factors", shape.title("factors"), cols, [{"item": f} for f in factors],
        talk="過去の支援ケースとの類似性に影響した主なデータ項目です。",
    )  # fmt: skip


def lessons_table(shape: ProgrammeShape, lessons: Sequence[Sequence[str]]) -> ReportTable:
    """図表 8-1: phase, issue, response, effect — typed by the city for the meeting."""
    if not lessons:
        return empty_table("lessons", shape.title("lessons"), "示唆はまだ入力されていません。")
    cols = [
        Column("phase", "フェーズ"),
        Column("issue", "実施・取組上の課題"),
        Column("response", "課題への対応策（工夫）"),
        Column("effect", "効果・成果"),
    ]
    rows = [dict(zip(("phase", "issue", "response", "effect"), row, strict=True)) for row in lessons]
    return ReportTable(
        "lessons", shape.title("lessons"), cols, rows, talk="実証事業を通じて得られた示唆です。"
    )


def overview_table(this: YearFigures, prev: YearFigures | None, context: ReportContext) -> ReportTable:
    """The opening slide: the few figures a listener should remember."""
    shape = this.shape
    cols = [Column("item", "項目"), *_year_cols(this, prev)]
    picks = list(dict.fromkeys([shape.funnel[0], shape.support_stage, shape.funnel[-1]]))
    rows = [{"item": shape.stage(s).indicator, **_year_vals(this, prev, "funnel", s, TOTAL)} for s in picks]
    if "needs_yes" in shape.stage_codes:
        rows.append({"item": "ニーズありの家庭", **_year_vals(this, prev, "funnel", "needs_yes", TOTAL)})
    if shape.outcomes:
        rows.append(
            {"item": "支援につながったこども（延べ）", **_year_vals(this, prev, "outcome", ALL, TOTAL)}
        )
    city = context.city or shape.city
    title = f"{city} {fy_label(this.fy)} {shape.programme}"
    talk = f"{city}の{fy_label(this.fy)}の{shape.programme}の成果を報告します。"
    if context.as_of:
        talk += f"数値は{context.as_of}のものです。"
    if this.has_data:
        talk += (
            f"{shape.stage(shape.funnel[0]).short}{say(this.cell('funnel', shape.funnel[0]))}から、"
            f"{shape.stage(shape.support_stage).short}で{say(this.cell('funnel', shape.support_stage))}を支援対象としました。"
        )
    return ReportTable("overview", title, cols, rows, notes=_notes(this, prev), talk=talk)


def year_pair(
    data: FunnelData,
    fy: int,
    *,
    shape: ProgrammeShape = FUKUOKA,
    policy: SuppressionPolicy = NDB_POLICY,
    prev_fy: int | None = None,
) -> tuple[YearFigures, YearFigures]:
    """This year's and last year's protected figures (last year defaults to ``fy - 1``)."""
    this = figures_for_year(data, fy, shape=shape, policy=policy)
    prev = figures_for_year(data, fy - 1 if prev_fy is None else prev_fy, shape=shape, policy=policy)
    return this, prev


def build_tables(
    data: FunnelData,
    fy: int,
    *,
    shape: ProgrammeShape = FUKUOKA,
    policy: SuppressionPolicy = NDB_POLICY,
    prev_fy: int | None = None,
    context: ReportContext | None = None,
    unit: str = TOTAL,
    figures: tuple[YearFigures, YearFigures] | None = None,
) -> dict[str, ReportTable]:
    """Every table of the year-end report, keyed as the deck expects.

    ``prev_fy`` defaults to the year before; ``unit`` picks one ward's column instead of the city
    (the same protected cells, so a ward view never shows what the city view hides).
    ``figures`` passes (this year, last year) already computed by :func:`year_pair`.
    """
    context = context or ReportContext()
    if figures is None:
        figures = year_pair(data, fy, shape=shape, policy=policy, prev_fy=prev_fy)
    this, prev = figures
    unit_name = "" if unit == TOTAL else data.unit_label(unit)
    tables = {
        "overview": overview_table(this, prev, context),
        "funnel": funnel_table(this, prev, unit=unit),
        "screening_system": _flow_table("screening_system", this, prev, shape.system_stages, unit),
        "screening_human": _flow_table("screening_human", this, prev, shape.human_stages, unit),
        "support_summary": support_summary_table(this, context, unit=unit),
        "support_acts": support_acts_table(this, prev, unit=unit),
        "factors": factors_table(shape, context.factors),
        "indicators": indicators_table(this, prev, unit=unit, unit_name=unit_name),
        "lessons": lessons_table(shape, context.lessons),
        "exclusions": exclusions_table(this, prev, unit=unit),
        "funnel_by_unit": by_unit_table(this, "funnel", data),
        "outcomes_by_unit": by_unit_table(this, "outcome", data),
        "acts_by_unit": by_unit_table(this, "act", data),
        "exclusions_by_unit": by_unit_table(this, "exclusion", data),
    }
    if not shape.outcomes:
        tables["outcomes_by_unit"] = empty_table(
            "outcomes_by_unit",
            shape.title("outcomes_by_unit"),
            "この事業の形では支援結果の区分がありません。",
        )
    return {k: tidy_notes(t) for k, t in tables.items()}
