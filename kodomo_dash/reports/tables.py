"""The one table shape every report, page and export shares.

A ``ReportTable`` holds typed cell values (counts, rates, intervals, text) rather than
preformatted strings, so that the page, the PPTX, the PDF and the Excel file all format the
same values the same way, and Excel gets real numbers. A suppressed cell holds the
:class:`Hidden` marker: it renders as 「秘匿」 everywhere and carries its reason (primary or
complementary) only for tests and the audit, never into an export — printing the reason would
tell a reader which hidden cells are the small ones.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal

import pandas as pd

from kodomo_dash.config.calendar import era_year_label

SUPPRESSED_LABEL = "秘匿"
NO_DATA_LABEL = "—"
LIMITED_NOTE = "公表する合計が小さいため、その内訳はすべて秘匿しています。"
SUPPRESSION_NOTE = "「秘匿」は1〜{max_small}の件数と、その件数から計算できてしまうセル（合計からの逆算を防ぐための補完秘匿）です。"

ColumnKind = Literal["text", "count", "rate", "interval", "change", "number"]


@dataclass(frozen=True)
class Hidden:
    """Marker for a suppressed cell. ``reason`` is 'primary' (a count of 1 to threshold-1),
    'complementary' (hidden so a primary cell cannot be recomputed from totals) or 'derived'
    (a rate or difference computed from a hidden count)."""

    reason: str = "primary"

    def __str__(self) -> str:
        return SUPPRESSED_LABEL


PRIMARY = Hidden("primary")
COMPLEMENTARY = Hidden("complementary")
DERIVED = Hidden("derived")

CellValue = int | float | str | tuple | Hidden | None


def is_hidden(value: object) -> bool:
    return isinstance(value, Hidden)


@dataclass(frozen=True)
class Column:
    """One column: a stable key (used in CSV/Excel headers' order and by code), the Japanese
    header, and the kind that decides how a value is formatted. ``unit`` (名, 件) is appended to
    counts on screen and moved into the header in spreadsheets, where cells stay numeric."""

    key: str
    label: str
    kind: ColumnKind = "text"
    unit: str = ""


@dataclass
class ReportTable:
    """A titled table with notes. ``talk`` is the suggested presenter note for its slide."""

    key: str
    title: str
    columns: list[Column]
    rows: list[dict[str, CellValue]]
    notes: list[str] = field(default_factory=list)
    talk: str = ""

    # ------------------------------------------------------------------ queries
    def column(self, key: str) -> Column:
        for c in self.columns:
            if c.key == key:
                return c
        raise KeyError(key)

    def cells(self) -> Iterator[tuple[int, Column, CellValue]]:
        for i, row in enumerate(self.rows):
            for col in self.columns:
                yield i, col, row.get(col.key)

    def hidden_count(self) -> int:
        return sum(1 for _, _, v in self.cells() if is_hidden(v))

    def value(self, row_match: dict[str, CellValue], col: str) -> CellValue:
        """The cell in column ``col`` of the first row whose cells equal ``row_match`` (tests, notes)."""
        for row in self.rows:
            if all(row.get(k) == v for k, v in row_match.items()):
                return row.get(col)
        raise KeyError(f"no row matching {row_match!r} in {self.key}")

    # ------------------------------------------------------------------ rendering
    def display_rows(self) -> list[list[str]]:
        return [[format_cell(row.get(c.key), c) for c in self.columns] for row in self.rows]

    def headers(self, *, units_in_header: bool = False) -> list[str]:
        return [f"{c.label}（{c.unit}）" if units_in_header and c.unit else c.label for c in self.columns]

    def to_frame(self, *, display: bool = True) -> pd.DataFrame:
        """Strings as shown (``display=True``) or raw values with markers (for checks)."""
        if display:
            return pd.DataFrame(self.display_rows(), columns=self.headers())
        return pd.DataFrame(
            [[row.get(c.key) for c in self.columns] for row in self.rows], columns=self.headers()
        )

    def paginate(self, max_rows: int) -> list[ReportTable]:
        """Split into tables of at most ``max_rows`` rows (slides have a fixed height)."""
        if len(self.rows) <= max_rows or max_rows <= 0:
            return [self]
        parts = [self.rows[i : i + max_rows] for i in range(0, len(self.rows), max_rows)]
        n = len(parts)
        return [
            ReportTable(
                key=self.key,
                title=f"{self.title}（{i + 1}/{n}）",
                columns=self.columns,
                rows=rows,
                notes=self.notes if i == n - 1 else [],
                talk=self.talk if i == 0 else "",
            )
            for i, rows in enumerate(parts)
        ]


def format_cell(value: CellValue, column: Column) -> str:
    """One value as the reader sees it. Hidden → 「秘匿」, None → 「—」 (no data), 0 → 「0」."""
    if is_hidden(value):
        return SUPPRESSED_LABEL
    if value is None:
        return NO_DATA_LABEL
    kind = column.kind
    if kind == "count" and isinstance(value, int | float) and not isinstance(value, bool):
        return f"{int(value):,}{column.unit}"
    if kind == "rate" and isinstance(value, int | float):
        return f"{value * 100:.1f}%"
    if kind == "interval" and isinstance(value, tuple) and len(value) == 2:
        lo, hi = value
        return f"{lo * 100:.1f}〜{hi * 100:.1f}%"
    if kind == "change" and isinstance(value, int | float):
        if value == 0:
            return f"±0{column.unit}"
        sign = "+" if value > 0 else "−"
        text = f"{abs(value):,}" if float(value).is_integer() else f"{abs(value):,.1f}"
        return f"{sign}{text}{column.unit}"
    if kind == "number" and isinstance(value, int | float):
        return f"{value:,.1f}" if not float(value).is_integer() else f"{int(value):,}"
    return str(value)


def fy_label(fy: int | None) -> str:
    """Fiscal year in the Japanese era as city reports write it (config.calendar); no year: データなし."""
    if fy is None:
        return NO_DATA_LABEL
    return era_year_label(fy)


def suppression_note(threshold: int) -> str:
    return SUPPRESSION_NOTE.format(max_small=threshold - 1)


def tidy_notes(table: ReportTable) -> ReportTable:
    """Drop the suppression notes from a table that shows no 「秘匿」 cell (the year's notes are shared)."""
    if table.hidden_count() == 0:
        table.notes = [n for n in table.notes if n != LIMITED_NOTE and not n.startswith("「秘匿」は")]
    return table


def empty_table(key: str, title: str, note: str) -> ReportTable:
    """A table that still renders when there is nothing to show, with the reason in plain words."""
    return ReportTable(
        key=key, title=title, columns=[Column("message", "内容")], rows=[{"message": note}], notes=[note]
    )


def text_rows(columns: Sequence[Column], values: Sequence[Sequence[CellValue]]) -> list[dict[str, CellValue]]:
    return [{c.key: v for c, v in zip(columns, row, strict=True)} for row in values]
