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


def era_year_label(fy: int) -> str:
    """A fiscal year in the Japanese era as city reports write it: 2025 → 令和7年度, 2019 → 令和元年度."""
    if fy >= 2019:
        n = fy - 2018
        return "令和元年度" if n == 1 else f"令和{n}年度"
    if fy >= 1989:
        n = fy - 1988
        return "平成元年度" if n == 1 else f"平成{n}年度"
    return f"{fy}年度"


def fy_label(fy: int) -> str:
    """Both calendars, as a screen names a year: 2025年度（令和7年度）, 2019年度（令和元年度）."""
    era = era_year_label(fy)
    return f"{fy}年度（{era}）" if era != f"{fy}年度" else era
