"""The Japanese calendar the product counts in, once for Python and for the build's SQL.

The fiscal year (年度, April–March), the school-year class (born 2 April .. 1 April next year share
a class), the era label (令和7年度, 令和元年度) and 和暦 dates as city systems export them. Python
callers use the functions; the build registers the same rules as DuckDB macros
(:func:`register_sql_functions`), written here beside them and held equal by
``tests/config/test_calendar.py``, so no SQL file spells a cut or an era year of its own.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

# (era name, its initial, first western year). The first year of an era is 元年.
ERAS: tuple[tuple[str, str, int], ...] = (("令和", "R", 2019), ("平成", "H", 1989), ("昭和", "S", 1926))
FISCAL_YEAR_START_MONTH = 4
SCHOOL_YEAR_CUT_MMDD = 401  # born on or before April 1: the class of the year above


def fiscal_year(day: dt.date | None = None) -> int:
    """The fiscal year a day falls in: 2026-03-31 -> 2025, 2026-04-01 -> 2026."""
    day = day or dt.date.today()
    return day.year if day.month >= FISCAL_YEAR_START_MONTH else day.year - 1


def fiscal_year_start(day: dt.date) -> dt.date:
    """April 1 of the fiscal year the day falls in."""
    return dt.date(fiscal_year(day), FISCAL_YEAR_START_MONTH, 1)


def class_age(birth: dt.date, as_of: dt.date) -> int:
    """The school-year class on ``as_of``: 3 = 3歳児クラス (年少), 5 = 年長, 6 = 小1, 14 = 中3."""
    born_early = birth.month * 100 + birth.day <= SCHOOL_YEAR_CUT_MMDD
    return fiscal_year(as_of) - (birth.year - int(born_early)) - 1


def first_grade_year(birth: dt.date) -> int:
    """The fiscal year a child enters first grade (小1): the year their class age is 6."""
    born_early = birth.month * 100 + birth.day <= SCHOOL_YEAR_CUT_MMDD
    return birth.year + 6 + (not born_early)


def class_age_series(birth: pd.Series, as_of: dt.date) -> pd.Series:
    """:func:`class_age` for a column of birth dates (missing stays missing)."""
    b = pd.to_datetime(birth)
    born_early = (b.dt.month * 100 + b.dt.day) <= SCHOOL_YEAR_CUT_MMDD
    return (fiscal_year(as_of) - (b.dt.year - born_early.astype(int)) - 1).astype("Int64")


def era_year_label(fy: int) -> str:
    """A fiscal year in the Japanese era as city reports write it: 2025 → 令和7年度, 2019 → 令和元年度."""
    for name, _initial, first in ERAS:
        if fy >= first:
            n = fy - first + 1
            return f"{name}元年度" if n == 1 else f"{name}{n}年度"
    return f"{fy}年度"


def fy_label(fy: int) -> str:
    """Both calendars, as a screen names a year: 2025年度（令和7年度）, 2019年度（令和元年度）."""
    era = era_year_label(fy)
    return f"{fy}年度（{era}）" if era != f"{fy}年度" else era


# ---------------------------------------------------------------- the same rules as build SQL

_ERA_OFFSETS = " ".join(
    f"when '{name}' then {first - 1} when '{initial}' then {first - 1}" for name, initial, first in ERAS
)
# 和暦 as Japanese systems export it: 令和7年4月1日, 令和元年5月1日, R07.04.01, H27.4.1, Ｒ７．４．１ (full-width
# folded first). The era's first year is 元年; a day that does not exist (令和7年2月30日) is invalid_date.
# The value as delivered stays in raw; only the staged value is a date.
_FOLD = "translate({s}, '０１２３４５６７８９．／－　ＲＨＳｒｈｓ', '0123456789./- RHSrhs')"
_ERA = r"^\s*(令和|平成|昭和|[RHSrhs])"
_YMD = r"^\s*(?:令和|平成|昭和|[RHSrhs])\s*(?:元|\d{{1,2}})\s*[年./-]\s*(\d{{1,2}})\s*[月./-]\s*(\d{{1,2}})\s*日?\s*$"
_WAREKI_DATE = rf"""
create or replace temp macro wareki_date(s) as (
    try_strptime(
        cast(
            (case upper(regexp_extract({_FOLD.format(s="s")}, '{_ERA}', 1))
                {_ERA_OFFSETS} end)
            + (case when regexp_matches({_FOLD.format(s="s")}, '^\s*(令和|平成|昭和)元') then 1
                    else try_cast(regexp_extract({_FOLD.format(s="s")},
                                  '^\s*(?:令和|平成|昭和|[RHSrhs])\s*(\d{{1,2}})', 1) as integer) end)
        as varchar)
        || '-' || regexp_extract({_FOLD.format(s="s")}, '{_YMD.format()}', 1)
        || '-' || regexp_extract({_FOLD.format(s="s")}, '{_YMD.format()}', 2),
        '%Y-%m-%d')::date
)
"""

SQL_FUNCTIONS: tuple[str, ...] = (
    "create or replace temp macro fiscal_year(d) as "
    f"(case when month(d) >= {FISCAL_YEAR_START_MONTH} then year(d) else year(d) - 1 end)",
    "create or replace temp macro class_age(birth, as_of) as "
    f"(fiscal_year(as_of) - (year(birth) - ((month(birth) * 100 + day(birth)) <= {SCHOOL_YEAR_CUT_MMDD})::int) - 1)",
    "create or replace temp macro first_grade_year(birth) as "
    f"(year(birth) + 6 + ((month(birth) * 100 + day(birth)) > {SCHOOL_YEAR_CUT_MMDD})::int)",
    _WAREKI_DATE,
)


def register_sql_functions(con) -> None:
    """Define fiscal_year, class_age, first_grade_year and wareki_date on a build connection."""
    for statement in SQL_FUNCTIONS:
        con.execute(statement)
