"""Programme evaluation helpers: rates with confidence intervals, contacted vs still pending,
year-over-year change, and the capacity view (visits made vs planned).

Why Wilson intervals: funnel rates are proportions of small groups (80 of 151, 57 of 73, a ward's
handful), where the textbook normal interval runs below 0% or above 100% and is too narrow;
Wilson's score interval stays in [0, 1] and keeps close to its nominal coverage at these sizes.
Differences of two proportions use Newcombe's hybrid score interval (method 10), built from
the two Wilson intervals, for the same reason.

Every figure here is read from already-protected cells (``YearFigures.cell``) or suppressed
on the way in, so a rate or interval is published only when both of its counts are: an
interval around a hidden count would narrow down the count it hides.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from kodomo_dash.reports.indicators import FunnelData, YearFigures
from kodomo_dash.reports.suppression import (
    NDB_POLICY,
    TOTAL,
    SuppressionPolicy,
    difference_or_hidden,
    rate_or_hidden,
    suppress_table,
)
from kodomo_dash.reports.tables import (
    DERIVED,
    CellValue,
    Column,
    ReportTable,
    empty_table,
    fy_label,
    is_hidden,
    suppression_note,
    tidy_notes,
)

Z95 = 1.959963984540054


def _tidy(func):
    """Tables here carry the year's notes; keep the suppression notes only where a cell is hidden."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        return tidy_notes(func(*args, **kwargs))

    return wrapper


def wilson_interval(k: int, n: int, z: float = Z95) -> tuple[float, float] | None:
    """Wilson score interval for k successes out of n; None when n is 0 (no rate to speak of)."""
    if n <= 0:
        return None
    if not 0 <= k <= n:
        raise ValueError(f"0 <= k <= n が必要です（k={k}, n={n}） / need 0 <= k <= n")
    p = k / n
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def newcombe_difference(
    k1: int, n1: int, k2: int, n2: int, z: float = Z95
) -> tuple[float, float, float] | None:
    """p1 - p2 with Newcombe's hybrid score interval (method 10); None if either group is empty."""
    w1, w2 = wilson_interval(k1, n1, z), wilson_interval(k2, n2, z)
    if w1 is None or w2 is None:
        return None
    p1, p2 = k1 / n1, k2 / n2
    d = p1 - p2
    lo = d - math.sqrt((p1 - w1[0]) ** 2 + (w2[1] - p2) ** 2)
    hi = d + math.sqrt((w1[1] - p1) ** 2 + (p2 - w2[0]) ** 2)
    return d, max(-1.0, lo), min(1.0, hi)


def _rate_cells(num: CellValue, den: CellValue, z: float) -> tuple[CellValue, CellValue]:
    rate = rate_or_hidden(num, den)
    if is_hidden(rate):
        return DERIVED, DERIVED
    if rate is None or not isinstance(num, int) or not isinstance(den, int) or num > den:
        return rate, None
    return rate, wilson_interval(num, den, z)


# --------------------------------------------------------------------------- conversion


@_tidy
def conversion_table(fig: YearFigures, *, unit: str = TOTAL, z: float = Z95) -> ReportTable:
    """Each step of the funnel (and each split) as k of n, the rate, and its 95% interval."""
    shape = fig.shape
    cols = [
        Column("step", "段階"),
        Column("n", "前段階の人数", "count", "名"),
        Column("k", "人数", "count", "名"),
        Column("rate", "移行率", "rate"),
        Column("ci", "95%信頼区間", "interval"),
    ]
    steps = list(zip(shape.chain, shape.chain[1:], strict=False))
    steps += [(total, part) for total, parts in shape.splits for part in parts]
    rows = []
    for frm, to in steps:
        n, k = fig.cell("funnel", frm, unit), fig.cell("funnel", to, unit)
        rate, ci = _rate_cells(k, n, z)
        rows.append(
            {
                "step": f"{shape.stage(frm).short} → {shape.stage(to).short}",
                "n": n,
                "k": k,
                "rate": rate,
                "ci": ci,
            }
        )
    notes = ["信頼区間はWilsonのスコア法（95%）。人数が少ないほど区間は広くなります。", *fig.notes]
    if any(r["n"] == 0 for r in rows):
        notes.append("前段階が0名の段階は、移行率を計算できないため「—」としています。")
    return ReportTable(
        "conversion", shape.title("conversion"), cols, rows, notes=notes,
        talk="段階ごとの移行率と、その不確かさ（95%信頼区間）です。",
    )  # fmt: skip


# --------------------------------------------------------------------------- contacted vs pending


@_tidy
def contact_comparison(
    fig: YearFigures,
    data: FunnelData,
    *,
    profile: pd.DataFrame | Iterable[Mapping[str, Any]] | None = None,
    policy: SuppressionPolicy = NDB_POLICY,
    z: float = Z95,
) -> ReportTable:
    """Approached children who were contacted versus those still pending (確認中).

    Without ``profile``: by ward, the contact rate with its interval. With ``profile`` (long:
    fy, group ∈ {contacted, contact_pending}, attribute, level, count — e.g. single parent yes/no, age
    band, score band), each level's share in both groups and the difference with Newcombe's
    interval, so an evaluator can see whom the outreach is not reaching.
    """
    shape = fig.shape
    title = shape.title("contact_comparison")
    if not fig.has_data:
        return empty_table("contact_comparison", title, f"{fy_label(fig.fy)}のデータはありません。")
    if "contacted" not in shape.stage_codes or "contact_pending" not in shape.stage_codes:
        return empty_table("contact_comparison", title, "この事業の形には接触・確認中の区分がありません。")
    if profile is None:
        cols = [
            Column("unit", shape.unit_label),
            Column("contacted", "接触できた", "count", "名"),
            Column("contact_pending", "確認中", "count", "名"),
            Column("rate", "接触率", "rate"),
            Column("ci", "95%信頼区間", "interval"),
        ]
        rows = []
        for u in [*fig.units, TOTAL]:
            c, p = fig.cell("funnel", "contacted", u), fig.cell("funnel", "contact_pending", u)
            n = fig.cell("funnel", "approached", u)
            rate, ci = _rate_cells(c, n, z)
            rows.append(
                {
                    "unit": "計" if u == TOTAL else data.unit_label(u),
                    "contacted": c,
                    "contact_pending": p,
                    "rate": rate,
                    "ci": ci,
                }
            )
        return ReportTable(
            "contact_comparison", title, cols, rows, notes=list(fig.notes),
            talk="アプローチしたこどものうち、接触できた割合を区ごとに比べます。",
        )  # fmt: skip
    return _profile_comparison(fig, profile, policy=policy, z=z, title=title)


def _profile_comparison(fig, profile, *, policy, z, title) -> ReportTable:
    df = profile.copy() if isinstance(profile, pd.DataFrame) else pd.DataFrame(list(profile))
    need = {"fy", "group", "attribute", "level", "count"}
    if not need <= set(df.columns):
        raise ValueError(f"profile には列 {sorted(need)} が必要です / profile needs columns {sorted(need)}")
    df = df[df["fy"] == fig.fy]
    cols = [
        Column("attribute", "属性"),
        Column("level", "区分"),
        Column("contacted", "接触できた", "count", "名"),
        Column("contacted_share", "構成比（接触）", "rate"),
        Column("contact_pending", "確認中", "count", "名"),
        Column("pending_share", "構成比（確認中）", "rate"),
        Column("diff", "差（接触−確認中）", "rate"),
        Column("diff_ci", "差の95%信頼区間", "interval"),
    ]
    if df.empty:
        return empty_table("contact_comparison", title, f"{fy_label(fig.fy)}の属性データはありません。")
    rows: list[dict[str, CellValue]] = []
    notes: list[str] = ["差の信頼区間はNewcombeの方法（Wilson区間に基づく）。"]
    for attribute, part in df.groupby("attribute", sort=True):
        counts = part.pivot_table(index="level", columns="group", values="count", aggfunc="sum", fill_value=0)
        for g in ("contacted", "contact_pending"):
            if g not in counts.columns:
                counts[g] = 0
        counts = counts[["contacted", "contact_pending"]].astype(int)
        safe = suppress_table(counts, table=f"profile_{attribute}", policy=policy)
        notes += [n for n in safe.notes if n not in notes]
        v = safe.values
        n_c, n_p = v.at["total", "contacted"], v.at["total", "contact_pending"]
        for i, level in enumerate(counts.index):
            c, p = v.at[str(level), "contacted"], v.at[str(level), "contact_pending"]
            cs, ps = rate_or_hidden(c, n_c), rate_or_hidden(p, n_p)
            diff, ci = None, None
            if any(is_hidden(x) for x in (c, p, n_c, n_p)):
                diff, ci = DERIVED, DERIVED
            else:
                res = newcombe_difference(int(c), int(n_c), int(p), int(n_p), z)
                if res is not None:
                    diff, ci = res[0], (res[1], res[2])
            rows.append(
                {
                    "attribute": str(attribute) if i == 0 else "",
                    "level": str(level),
                    "contacted": c,
                    "contacted_share": cs,
                    "contact_pending": p,
                    "pending_share": ps,
                    "diff": diff,
                    "diff_ci": ci,
                }
            )
    return ReportTable(
        "contact_comparison",
        title,
        cols,
        rows,
        notes=notes,
        talk="接触できた家庭と確認中の家庭の属性の違いです。",
    )


# --------------------------------------------------------------------------- year over year


@_tidy
def year_over_year(this: YearFigures, prev: YearFigures, *, unit: str = TOTAL) -> ReportTable:
    """Every stage and outcome, last year beside this year, with the change and the change in %."""
    shape = this.shape
    cols = [
        Column("item", "項目"),
        Column("prev", fy_label(prev.fy), "count"),
        Column("this", fy_label(this.fy), "count"),
        Column("change", "増減", "change"),
        Column("change_rate", "増減率", "rate"),
    ]
    items = [("funnel", s.code, s.short) for s in shape.stages]
    items += [("outcome", o.code, o.label) for o in shape.outcomes]
    rows = []
    for table, code, label in items:
        p, t = prev.cell(table, code, unit), this.cell(table, code, unit)
        change = difference_or_hidden(t, p)
        rate = None if is_hidden(change) or change is None or not p else change / p
        rows.append({"item": label, "prev": p, "this": t, "change": DERIVED if is_hidden(change) else change,
                     "change_rate": DERIVED if is_hidden(change) else rate})  # fmt: skip
    notes = list(dict.fromkeys([*this.notes, *prev.notes]))
    talk = f"{fy_label(prev.fy)}と{fy_label(this.fy)}の比較です。"
    if shape.support_stage:
        talk += (
            f"{shape.stage(shape.support_stage).short}は{_say(prev.cell('funnel', shape.support_stage, unit))}から"
            f"{_say(this.cell('funnel', shape.support_stage, unit))}になりました。"
        )
    return ReportTable("year_over_year", shape.title("year_over_year"), cols, rows, notes=notes, talk=talk)


def _say(v: CellValue) -> str:
    if is_hidden(v):
        return "秘匿"
    if v is None:
        return "データなし"
    return f"{int(v):,}名"


# --------------------------------------------------------------------------- capacity


@_tidy
def capacity_view(
    visits: pd.DataFrame | Iterable[Mapping[str, Any]],
    fig: YearFigures,
    data: FunnelData,
    *,
    policy: SuppressionPolicy = NDB_POLICY,
) -> ReportTable:
    """Visits made versus planned per ward, beside the children still pending.

    ``visits`` long: fy, ward_code, planned, made (a ``month`` column, if any, is summed over).
    Izumi's lesson is to set targets from the capacity available; this shows, per ward, how much
    of the plan was done and how many children are still waiting for contact.
    """
    title = fig.shape.title("capacity")
    df = visits.copy() if isinstance(visits, pd.DataFrame) else pd.DataFrame(list(visits))
    if "ward_code" not in df.columns and "unit_code" in df.columns:
        df = df.rename(columns={"unit_code": "ward_code"})
    need = {"fy", "ward_code", "planned", "made"}
    if not df.empty and not need <= set(df.columns):
        raise ValueError(f"visits には列 {sorted(need)} が必要です / visits needs columns {sorted(need)}")
    df = df[df["fy"] == fig.fy] if not df.empty else df
    if df.empty:
        return empty_table("capacity", title, f"{fy_label(fig.fy)}の訪問計画・実績はありません。")
    df = df.assign(ward_code=df["ward_code"].astype(str))
    per = df.groupby("ward_code")[["planned", "made"]].sum().astype(int)
    per = per.reindex(sorted(set(per.index) | set(fig.units)), fill_value=0)
    safe = suppress_table(per, table="capacity", policy=policy, row_totals=False)
    v = safe.values
    cols = [
        Column("unit", fig.shape.unit_label),
        Column("planned", "訪問計画", "count", "件"),
        Column("made", "訪問実績", "count", "件"),
        Column("rate", "計画に対する実施率", "rate"),
        Column("remaining", "計画の残り", "change", "件"),
        Column("contact_pending", "確認中のこども", "count", "名"),
    ]
    rows = []
    for u in [*per.index.tolist(), "total"]:
        planned, made = v.at[u, "planned"], v.at[u, "made"]
        pending = (
            fig.cell("funnel", "contact_pending", TOTAL if u == "total" else u)
            if "contact_pending" in fig.shape.stage_codes
            else None
        )
        rows.append(
            {
                "unit": "計" if u == "total" else data.unit_label(u),
                "planned": planned,
                "made": made,
                "rate": rate_or_hidden(made, planned),
                "remaining": difference_or_hidden(planned, made),
                "contact_pending": pending,
            }
        )
    notes = [*safe.notes, *[n for n in fig.notes if n not in safe.notes]]
    if safe.hidden and suppression_note(policy.threshold) not in notes:
        notes.append(suppression_note(policy.threshold))
    return ReportTable(
        "capacity", title, cols, rows, notes=notes,
        talk="訪問の計画と実績、まだ接触できていないこどもの数を区ごとに示します。目標は対応できる体制から設定します。",
    )  # fmt: skip
