"""The year-end deck (成果報告会): slides in the order of the report, each with one chart or
table, footnotes and presenter notes — one ``Deck`` that the PPTX, the PDF and the app's
presentation mode all draw, so the three never disagree.

Order: overview → funnel 図表 7-1 → screening result 図表 6-1 / 6-2 → support 図表 6-3 /
6-4 → outcomes 図表 7-3 (→ 図表 7-2 when the model's factors are given) → lessons 図表 8-1, then
reference slides (by ward, exclusion reasons, evaluation tables) when those tables are passed.

Long tables are split over several slides here, with one estimate of row heights shared by both
writers, so a table never runs off a slide in one format and not in the other.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import plotly.graph_objects as go

from kodomo_dash.reports.tables import Column, ReportTable, fy_label, tidy_notes

SLIDE_W_IN = 13.333
SLIDE_H_IN = 7.5
CONTENT = (0.5, 1.35, 12.33, 5.0)  # left, top, width, height (inches) for the chart or table
FONT_SIZES = (16, 14, 12, 11, 10)

MAIN_ORDER: tuple[tuple[str, str], ...] = (
    ("overview", "table"),
    ("funnel", "chart"),
    ("screening_system", "table"),
    ("screening_human", "table"),
    ("support_summary", "table"),
    ("support_acts", "table"),
    ("indicators", "table"),
    ("factors", "table"),
    ("lessons", "table"),
)
OPTIONAL = {"factors"}  # left out when the table is only a placeholder
APPENDIX = (
    "funnel_by_unit",
    "exclusions",
    "conversion",
    "contact_comparison",
    "year_over_year",
    "capacity",
    "acts_by_unit",
    "outcomes_by_unit",
)
DROP_COLUMNS = {"indicators": ("note",)}  # 補足 moves to the presenter notes


@dataclass
class Slide:
    """One slide: a title and exactly one of ``table`` / ``image`` / ``text``."""

    key: str
    title: str
    table: ReportTable | None = None
    image: bytes | None = None
    image_alt: str = ""
    text: list[str] = field(default_factory=list)
    footnotes: list[str] = field(default_factory=list)
    notes: str = ""
    col_widths: list[float] | None = None  # fractions of the content width
    font_pt: int = 14

    def texts(self) -> list[str]:
        """Everything visible on the slide, for tests and search."""
        out = [self.title, *self.text, *self.footnotes]
        if self.table is not None:
            out += self.table.headers()
            for row in self.table.display_rows():
                out += row
        return out


@dataclass
class Deck:
    fy: int
    title: str
    slides: list[Slide]
    subtitle: str = ""
    build_seconds: float = 0.0

    def tables(self) -> list[ReportTable]:
        seen: dict[str, ReportTable] = {}
        for s in self.slides:
            if s.table is not None and s.table.key not in seen:
                seen[s.table.key] = s.table
        return list(seen.values())


# --------------------------------------------------------------------------- layout estimate


def visual_len(text: str) -> float:
    """Width in full-width characters: CJK and full-width forms count 1, others about half."""
    return sum(1.0 if ord(ch) >= 0x2E80 else 0.55 for ch in text)


def column_widths(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[float]:
    weights = []
    for j, h in enumerate(headers):
        longest = max([visual_len(h) * 0.8, *(visual_len(r[j]) for r in rows)], default=1.0)
        weights.append(min(max(longest, 3.0), 34.0))
    total = sum(weights)
    return [w / total for w in weights]


def _row_heights(
    rows: Sequence[Sequence[str]], widths: Sequence[float], font_pt: int, width_in: float
) -> list[float]:
    char_in = font_pt / 72.0
    line_in = char_in * 1.3
    out = []
    for row in rows:
        lines = 1
        for text, w in zip(row, widths, strict=True):
            cpl = max(1.0, (w * width_in - 0.12) / char_in)
            lines = max(lines, sum(max(1, math.ceil(visual_len(part) / cpl)) for part in text.split("\n")))
        out.append(lines * line_in + 0.1)
    return out


def layout_table(table: ReportTable, width_in: float = CONTENT[2], height_in: float = CONTENT[3]):
    """Split ``table`` into slide-sized pieces: [(piece, column widths, font size)]."""
    headers = table.headers()
    rows = table.display_rows()
    widths = column_widths(headers, rows)
    for font in FONT_SIZES:
        head = _row_heights([headers], widths, font, width_in)[0]
        if head + sum(_row_heights(rows, widths, font, width_in)) <= height_in:
            return [(table, widths, font)]
    font = 12
    head = _row_heights([headers], widths, font, width_in)[0]
    heights = _row_heights(rows, widths, font, width_in)
    pieces: list[list[int]] = [[]]
    used = head
    for i, h in enumerate(heights):
        if pieces[-1] and used + h > height_in:
            pieces.append([])
            used = head
        pieces[-1].append(i)
        used += h
    n = len(pieces)
    out = []
    for p, idx in enumerate(pieces):
        part = ReportTable(
            key=table.key,
            title=f"{table.title}（{p + 1}/{n}）" if n > 1 else table.title,
            columns=table.columns,
            rows=[table.rows[i] for i in idx],
            notes=table.notes if p == n - 1 else [],
            talk=table.talk if p == 0 else "（前のスライドの続き）",
        )
        out.append((part, widths, font))
    return out


# --------------------------------------------------------------------------- building


def _without(table: ReportTable, drop: Sequence[str]) -> ReportTable:
    cols = [c for c in table.columns if c.key not in drop]
    return ReportTable(table.key, table.title, cols, table.rows, list(table.notes), table.talk)


def _is_placeholder(table: ReportTable) -> bool:
    return [c.key for c in table.columns] == ["message"]


def _notes_for(key: str, table: ReportTable | None, extra: Sequence[str] = ()) -> str:
    parts = [table.talk] if table is not None and table.talk else []
    if key == "indicators" and table is not None and any(c.key == "note" for c in table.columns):
        for row in table.rows:
            if row.get("note"):
                parts.append(f"・{row.get('measure')}：{row.get('note')}")
    parts += list(extra)
    return "\n".join(p for p in parts if p) or "（メモはありません）"


def _table_slides(
    key: str, table: ReportTable, title_prefix: str = "", notes_extra: Sequence[str] = ()
) -> list[Slide]:
    notes = _notes_for(key, table, notes_extra)
    shown = tidy_notes(_without(table, DROP_COLUMNS.get(key, ())))
    slides = []
    for i, (part, widths, font) in enumerate(layout_table(shown)):
        slides.append(
            Slide(
                key=key,
                title=f"{title_prefix}{part.title}",
                table=part,
                footnotes=list(part.notes),
                notes=notes if i == 0 else (part.talk or "（前のスライドの続き）"),
                col_widths=widths,
                font_pt=font,
            )
        )
    return slides


def build_deck(
    fy: int,
    tables: Mapping[str, ReportTable],
    charts: Mapping[str, bytes | go.Figure] | None = None,
    *,
    title: str | None = None,
    subtitle: str = "",
    appendix: bool = True,
) -> Deck:
    """The deck for ``fy`` from the report tables (``indicators.build_tables``) and charts
    (PNG bytes, or plotly figures which are drawn here in one Chromium session).

    A slide whose table is missing still appears, with a plain note; a chart that cannot be
    drawn is replaced by its table, with a footnote saying so.
    """
    from kodomo_dash.reports.charts import ChartRenderError, render_png

    started = time.perf_counter()
    charts = dict(charts or {})
    figures = {k: v for k, v in charts.items() if isinstance(v, go.Figure)}
    chart_error = ""
    if figures:
        try:
            charts.update(render_png(figures))
        except ChartRenderError as exc:
            chart_error = str(exc)
            for k in figures:
                charts.pop(k, None)

    overview = tables.get("overview")
    deck_title = title or (overview.title if overview is not None else f"{fy_label(fy)} 成果報告")
    slides: list[Slide] = []
    for key, prefer in MAIN_ORDER:
        table = tables.get(key)
        image = charts.get(key)
        if key in OPTIONAL and (table is None or _is_placeholder(table)) and image is None:
            continue
        if prefer == "chart" and isinstance(image, bytes | bytearray):
            t = table.title if table is not None else key
            slides.append(
                Slide(
                    key=key,
                    title=t,
                    image=bytes(image),
                    image_alt=t,
                    footnotes=list(table.notes) if table is not None else [],
                    notes=_notes_for(key, table),
                )
            )
        elif table is not None:
            extra = (
                ["図を画像にできなかったため、表で示しています。"]
                if prefer == "chart" and chart_error
                else []
            )
            new = _table_slides(key, table, notes_extra=extra)
            if extra:
                new[0].footnotes.append(extra[0])
            if key == "overview":
                new[0].title = deck_title
            slides += new
        else:
            slides.append(
                Slide(
                    key=key,
                    title=key,
                    text=["この項目のデータはありません。"],
                    notes="この項目のデータはありません。",
                )
            )
    if appendix:
        for key in APPENDIX:
            table = tables.get(key)
            if table is not None and not _is_placeholder(table):
                slides += _table_slides(key, table, title_prefix="参考：")
    return Deck(
        fy=fy,
        title=deck_title,
        subtitle=subtitle,
        slides=slides,
        build_seconds=time.perf_counter() - started,
    )


def year_end_deck(
    data,
    fy: int,
    *,
    shape=None,
    policy=None,
    context=None,
    prev_fy: int | None = None,
    appendix: bool = True,
    charts: bool = True,
) -> Deck:
    """Tables, charts and deck in one call: what ``kodomo report deck`` and the export button run."""
    from kodomo_dash.reports import evaluation
    from kodomo_dash.reports.charts import default_charts
    from kodomo_dash.reports.indicators import ReportContext, build_tables, year_pair
    from kodomo_dash.reports.shapes import FUKUOKA
    from kodomo_dash.reports.suppression import NDB_POLICY

    shape = shape or FUKUOKA
    policy = policy or NDB_POLICY
    context = context or ReportContext()
    this, prev = year_pair(data, fy, shape=shape, policy=policy, prev_fy=prev_fy)
    tables = build_tables(data, fy, shape=shape, policy=policy, context=context, figures=(this, prev))
    if appendix:
        tables["conversion"] = evaluation.conversion_table(this)
        if prev.has_data:
            tables["year_over_year"] = evaluation.year_over_year(this, prev)
    figs = default_charts(this) if charts and this.has_data else {}
    subtitle = f"{context.city or shape.city}　{fy_label(fy)}　成果報告会"
    return build_deck(
        fy, tables, {k: v for k, v in figs.items() if k == "funnel"}, subtitle=subtitle, appendix=appendix
    )


__all__ = ["Column", "Deck", "Slide", "build_deck", "layout_table", "year_end_deck"]
