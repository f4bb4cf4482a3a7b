"""Charts for the report (plotly), and turning them into PNG images for the deck.

Why one renderer with a lock: kaleido 1.x drives a headless Chromium. One-shot exports start a
browser per image (several seconds each on a shared machine); a kaleido "sync server" keeps one
browser for a batch (the first image about 2–4 s, the next ones a few tenths). The server is
process-wide and Streamlit runs sessions as threads, so a lock serialises batches and each batch
starts and stops its own server. ``BROWSER_PATH`` defaults to Debian's chromium.

A hidden count is drawn as an empty bar labelled 「秘匿」: leaving the bar out would make the
chart look as if the stage were missing, and drawing its length would publish it.
"""

from __future__ import annotations

import os
import shutil
import threading
import warnings
from collections.abc import Mapping

import plotly.graph_objects as go

from kodomo_dash.reports.fonts import FONT_FAMILY
from kodomo_dash.reports.indicators import YearFigures, act_key
from kodomo_dash.reports.suppression import TOTAL
from kodomo_dash.reports.tables import SUPPRESSED_LABEL, fy_label, is_hidden

CHART_WIDTH = 1200
CHART_HEIGHT = 620
_lock = threading.Lock()
_COLOURS = ("#2f6db5", "#5b8fd1", "#86b0e6", "#a9c8f0", "#c8dcf5", "#dfeafa", "#eef4fc")


def _layout(fig: go.Figure, title: str = "") -> go.Figure:
    fig.update_layout(
        font={"family": f"{FONT_FAMILY}, sans-serif", "size": 18, "color": "#1f2a37"},
        title={"text": title, "x": 0.01} if title else None,
        width=CHART_WIDTH,
        height=CHART_HEIGHT,
        margin={"l": 30, "r": 30, "t": 60 if title else 20, "b": 30},
        paper_bgcolor="white",
        plot_bgcolor="white",
        showlegend=False,
    )
    return fig


def _bar_values(values) -> tuple[list[float], list[str]]:
    xs, texts = [], []
    for v in values:
        if is_hidden(v):
            xs.append(0)
            texts.append(SUPPRESSED_LABEL)
        elif v is None:
            xs.append(0)
            texts.append("データなし")
        else:
            xs.append(v)
            texts.append(f"{int(v):,}")
    return xs, texts


def funnel_chart(fig: YearFigures, *, unit: str = TOTAL) -> go.Figure:
    """図表 7-1: the funnel stages as a plotly funnel, counts on the bars."""
    shape = fig.shape
    labels = [shape.stage(s).short for s in shape.funnel]
    xs, texts = _bar_values([fig.cell("funnel", s, unit) for s in shape.funnel])
    chart = go.Figure(
        go.Funnel(
            y=labels,
            x=xs,
            text=[f"{t}名" if t[0].isdigit() else t for t in texts],
            textinfo="text",
            textposition="outside" if max(xs, default=0) == 0 else "auto",
            marker={"color": list(_COLOURS[: len(xs)])},
            connector={"fillcolor": "#e3e8ef", "line": {"color": "#c0c8d2", "width": 1}},
        )
    )
    return _layout(chart)


def bar_chart(labels: list[str], values: list, *, unit: str = "件", title: str = "") -> go.Figure:
    """A horizontal bar chart of counts (hidden ones labelled 「秘匿」), largest at the top."""
    xs, texts = _bar_values(values)
    chart = go.Figure(
        go.Bar(
            y=labels[::-1],
            x=xs[::-1],
            orientation="h",
            text=[f"{t}{unit}" if t[0].isdigit() else t for t in texts][::-1],
            textposition="outside",
            marker={"color": _COLOURS[0]},
            cliponaxis=False,
        )
    )
    chart.update_xaxes(showgrid=True, gridcolor="#e5e9ef", rangemode="tozero")
    return _layout(chart, title)


def acts_chart(fig: YearFigures, *, unit: str = TOTAL) -> go.Figure:
    """図表 6-4 as bars: one per support act."""
    labels, values = [], []
    for a in fig.shape.acts:
        labels.append(f"{a.category_label}：{a.label}")
        values.append(fig.cell("act", act_key(a.category, a.code), unit))
    return bar_chart(labels, values, unit="件")


def outcomes_chart(fig: YearFigures, *, unit: str = TOTAL) -> go.Figure:
    """図表 7-3 No.3 as bars."""
    labels = [o.label.removesuffix("件数").removesuffix("た") for o in fig.shape.outcomes]
    values = [fig.cell("outcome", o.code, unit) for o in fig.shape.outcomes]
    return bar_chart(labels, values, unit="件")


def year_chart(this: YearFigures, prev: YearFigures) -> go.Figure:
    """Funnel stages, last year beside this year."""
    shape = this.shape
    labels = [shape.stage(s).short for s in shape.funnel]
    chart = go.Figure()
    for f, colour in ((prev, _COLOURS[3]), (this, _COLOURS[0])):
        xs, texts = _bar_values([f.cell("funnel", s) for s in shape.funnel])
        chart.add_bar(
            x=labels, y=xs, text=texts, name=fy_label(f.fy), marker={"color": colour}, textposition="outside"
        )
    chart.update_layout(barmode="group")
    _layout(chart)
    chart.update_layout(showlegend=True)
    return chart


def default_charts(fig: YearFigures) -> dict[str, go.Figure]:
    """The charts the year-end deck uses, keyed like its slides."""
    charts = {"funnel": funnel_chart(fig)}
    if fig.shape.acts:
        charts["support_acts"] = acts_chart(fig)
    if fig.shape.outcomes:
        charts["outcomes"] = outcomes_chart(fig)
    return charts


class ChartRenderError(RuntimeError):
    """Chromium could not be started or failed to draw: the deck falls back to tables."""


def render_png(figures: Mapping[str, go.Figure], *, scale: float = 1.0) -> dict[str, bytes]:
    """Every figure as PNG bytes, drawn in one Chromium session."""
    if not figures:
        return {}
    import kaleido

    os.environ.setdefault("BROWSER_PATH", shutil.which("chromium") or "/usr/bin/chromium")
    out: dict[str, bytes] = {}
    with _lock:
        started = False
        try:
            kaleido.start_sync_server(silence_warnings=True)
            started = True
            for key, fig in figures.items():
                with warnings.catch_warnings():
                    warnings.filterwarnings("ignore", message=".*kopts.*")
                    out[key] = fig.to_image(format="png", width=CHART_WIDTH, height=CHART_HEIGHT, scale=scale)
        except Exception as exc:  # chromium missing, crashed, timed out: say so in words
            raise ChartRenderError(f"図を画像にできませんでした: {exc}") from exc
        finally:
            if started:
                kaleido.stop_sync_server(silence_warnings=True)
    return out
