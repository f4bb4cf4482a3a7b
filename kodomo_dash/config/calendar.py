"""The Japanese fiscal year (年度, April–March): one definition for screens, services and reports."""

from __future__ import annotations

import datetime as dt


def fiscal_year(day: dt.date | None = None) -> int:
    """The fiscal year a day falls in: 2026-03-31 -> 2025, 2026-04-01 -> 2026."""
    day = day or dt.date.today()
    return day.year if day.month >= 4 else day.year - 1


def fiscal_year_start(day: dt.date) -> dt.date:
    """April 1 of the fiscal year the day falls in."""
    return dt.date(fiscal_year(day), 4, 1)
