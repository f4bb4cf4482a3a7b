"""The fiscal year and its era label, defined once (config.calendar) and used by every screen and report."""

from __future__ import annotations

import datetime as dt
import pathlib
import re

from kodomo_dash.casework.funnel import fy_ja
from kodomo_dash.casework.privacy import fy_label as privacy_fy_label
from kodomo_dash.config.calendar import era_year_label, fiscal_year, fiscal_year_start, fy_label
from kodomo_dash.reports.tables import fy_label as report_fy_label


def test_fiscal_year_turns_in_april():
    assert fiscal_year(dt.date(2026, 3, 31)) == 2025 and fiscal_year(dt.date(2026, 4, 1)) == 2026
    assert fiscal_year_start(dt.date(2026, 1, 15)) == dt.date(2025, 4, 1)


def test_the_first_year_of_an_era_is_gannen_everywhere():
    assert era_year_label(2019) == "令和元年度" and era_year_label(2025) == "令和7年度"
    assert era_year_label(1989) == "平成元年度" and era_year_label(2018) == "平成30年度"
    assert fy_label(2019) == "2019年度（令和元年度）"
    assert fy_ja(2019) == report_fy_label(2019) == "令和元年度" and privacy_fy_label(2019) == "2019年度（令和元年度）"


def test_no_other_module_computes_the_era():
    root = pathlib.Path(__file__).resolve().parents[1] / "kodomo_dash"
    pattern = re.compile(r"fy\s*-\s*2018|year\s*-\s*2018|-\s*1988\b")
    hits = [str(p.relative_to(root)) for p in root.rglob("*.py") if pattern.search(p.read_text(encoding="utf-8"))]
    assert hits == ["config/calendar.py"]
