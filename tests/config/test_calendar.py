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


def test_no_module_or_sql_file_computes_the_era_or_the_school_year_itself():
    root = pathlib.Path(__file__).resolve().parents[2] / "kodomo_dash"
    era = re.compile(r"fy\s*-\s*2018|year\s*-\s*2018|-\s*1988\b|then 2018|then 1988")
    cut = re.compile(r"[<>]=?\s*401\b|month\(as_of\)\s*>=\s*4|\.month\s*>=\s*4|dt\.month\s*<\s*4")
    files = [p for p in root.rglob("*") if p.suffix in (".py", ".sql") and "migrations" not in p.parts
             and "demo" not in p.parts]
    hits = [str(p.relative_to(root)) for p in files if era.search(t := p.read_text(encoding="utf-8")) or cut.search(t)]
    assert hits == []


def _sql_calendar():
    import duckdb

    from kodomo_dash.config.calendar import register_sql_functions

    con = duckdb.connect()
    register_sql_functions(con)
    return con


def test_the_build_sql_counts_years_and_classes_as_python_does():
    from kodomo_dash.config.calendar import class_age, class_age_series, first_grade_year

    con = _sql_calendar()
    days = [dt.date(2019, 1, 1) + dt.timedelta(days=n) for n in range(0, 2200, 7)]
    births = [dt.date(2012, 3, 30) + dt.timedelta(days=n) for n in range(0, 4000, 11)] + [dt.date(2020, 4, 1),
                                                                                          dt.date(2020, 4, 2)]
    for day in days[::10]:
        assert con.execute("select fiscal_year(?::date)", [day]).fetchone()[0] == fiscal_year(day)
    as_of = dt.date(2025, 10, 1)
    sql = [r[0] for r in con.execute("select class_age(b, ?::date) from unnest(?::date[]) t(b)", [as_of, births]).fetchall()]
    assert sql == [class_age(b, as_of) for b in births] == list(class_age_series(__import__("pandas").Series(births), as_of))
    firsts = [r[0] for r in con.execute("select first_grade_year(b) from unnest(?::date[]) t(b)", [births]).fetchall()]
    assert firsts == [first_grade_year(b) for b in births]
    assert all(class_age(b, dt.date(y, 4, 1)) == 6 for b, y in zip(births, firsts, strict=True))
    assert class_age(dt.date(2020, 4, 1), as_of) == 5 and class_age(dt.date(2020, 4, 2), as_of) == 4  # the April 1 cut


def test_wareki_dates_use_the_eras_of_the_calendar():
    con = _sql_calendar()
    got = [con.execute("select wareki_date(?)", [s]).fetchone()[0] for s in
           ("令和7年4月1日", "令和元年5月1日", "R07.04.01", "H27.4.1", "Ｒ７．４．１", "昭和64年1月7日", "令和7年2月30日")]
    assert got == [dt.date(2025, 4, 1), dt.date(2019, 5, 1), dt.date(2025, 4, 1), dt.date(2015, 4, 1),
                   dt.date(2025, 4, 1), dt.date(1989, 1, 7), None]
