"""Cohorts (who is screened) and exclusions (who is taken off, and why).

Each cohort exists twice on purpose: as SQL for the warehouse (`sql/40_cohorts/`, text
kept here so it is tested beside its pandas twin) and as a pandas function the tests and
the run code use on frames. The two are checked against each other in the tests.

Exclusion reasons follow the funnel (decision 000, point 5): 'already_in_support' (要対協
registered or an open consultation — primary screening), 'enrolled' (a nursery of any kind,
licensed or not — secondary screening), 'moved_out' (gone from the registry before the
approach — Fukuoka's 80 → 73).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from kodomo_dash.config.calendar import class_age_series
from kodomo_dash.config.messages import Localized, msg
from kodomo_dash.infra.db import sql_dir
from kodomo_dash.screening.errors import ScreeningError
from kodomo_dash.screening.features import require_columns

EXCLUSION_REASONS: dict[str, str] = {
    "already_in_support": "既に支援中（要対協登録・対応中の相談）",
    "enrolled": "保育園・幼稚園等に所属（認可外を含む）",
    "moved_out": "転出等",
}
DEFAULT_EXCLUSIONS: tuple[str, ...] = ("already_in_support", "enrolled", "moved_out")

MIN_PERCENTILE_GROUP = 20


def as_date(value: date | str | pd.Timestamp | None) -> date:
    if value is None:
        raise ScreeningError(msg("sc.as_of_missing"), code="missing_as_of")
    try:
        return pd.Timestamp(value).date()
    except (ValueError, TypeError) as exc:
        raise ScreeningError(msg("sc.as_of_unreadable", value=value), code="bad_as_of") from exc


def in_first_half(as_of: date) -> bool:
    """April–September: Fukuoka treats first-graders as preschoolers then (school data is thin)."""
    return 4 <= as_of.month <= 9


def fiscal_age(birth_date: pd.Series, as_of: date) -> pd.Series:
    """Age on April 1 of the fiscal year: 3 = 年少, 4 = 年中, 5 = 年長, 6 = 小1 (the school-year class).

    A child born on April 1 sits with the year above, which is how Japanese school years are cut
    (config/calendar.py, the same rule the build's core.person uses).
    """
    return class_age_series(birth_date, as_of)


def _within_group_percentile(frame: pd.DataFrame, value: str) -> pd.Series:
    """Percentile (0–100) of a measurement among children of the same age and sex.

    Groups smaller than MIN_PERCENTILE_GROUP give no percentile: 'lowest of five' means nothing.
    """
    v = frame[value].astype("Float64")
    groups = frame.groupby(["age_years", "sex"], dropna=False)[value]
    pct = groups.rank(pct=True, method="average") * 100
    size = groups.transform("count")
    out = pct.where(size >= MIN_PERCENTILE_GROUP)
    return out.where(v.notna()).astype("Float64")


def derive(frame: pd.DataFrame, as_of: date | str) -> pd.DataFrame:
    """Add the columns rule items and cohorts need but the warehouse does not store.

    fiscal_age, stage ('preschool' / 'school' / 'school_age_no_record'), height_pct,
    weight_pct (kept when already given, e.g. from check-up percentiles) and any_disability.
    Call it on all children, before selecting a cohort, so percentiles compare a child with
    everyone of the same age and sex rather than with a small cohort.
    """
    as_of = as_date(as_of)
    require_columns(frame, ["birth_date", "age_years", "sex", "grade"], Localized("派生列の計算", "Computing the derived columns"))
    out = frame.copy()
    # The build's class_age is the same count (sql/20_core_person.sql); prefer it when present.
    out["fiscal_age"] = (out["class_age"].astype("Int64") if "class_age" in out.columns
                         else fiscal_age(out["birth_date"], as_of))
    grade = out["grade"]
    stage = np.where(grade.notna(), "school", np.where(out["fiscal_age"].fillna(0) >= 7, "school_age_no_record",
                                                       "preschool"))
    out["stage"] = pd.Series(stage, index=out.index, dtype="string")
    for col, pct in (("height_cm", "height_pct"), ("weight_kg", "weight_pct")):
        if pct not in out.columns and col in out.columns:
            out[pct] = _within_group_percentile(out, col)
    if "any_disability" not in out.columns:
        parts = [out[c].fillna(0) for c in ("disability_handbook", "child_disability_service") if c in out.columns]
        out["any_disability"] = (sum(parts) > 0).astype("int64") if parts else 0
    out.attrs["as_of"] = as_of
    return out


# ---------------------------------------------------------------- cohorts (pandas)


def fukuoka_unenrolled_3_6(frame: pd.DataFrame, as_of: date | str) -> pd.DataFrame:
    """Fukuoka's 3歳から6歳の未就園児: preschoolers aged 3–6 in no nursery of any kind.

    Licensed and unlicensed nurseries both count as enrolled (enrolled_any), so Amagasaki's
    trap — unlicensed nurseries looking 'unenrolled' — cannot happen. In April–September
    first-graders are treated as preschoolers: their enrolled_any is their last preschool year.
    """
    as_of = as_date(as_of)
    require_columns(frame, ["age_years", "grade", "enrolled_any"], Localized("コホート（3～6歳の未就園児）", "The cohort (children aged 3-6 not in childcare)"))
    unenrolled = frame["enrolled_any"].fillna(0) == 0
    # School year from the registry when present (class_age 6 = first grade): school records can
    # be missing or quarantined for a pupil. Frames without it fall back to the school's grade.
    if "class_age" in frame.columns and frame["class_age"].notna().all():
        preschool = (frame["class_age"] <= 5) & frame["age_years"].between(3, 6)
        first = frame["class_age"] == 6
    else:
        preschool = frame["grade"].isna() & frame["age_years"].between(3, 6)
        first = frame["grade"] == 1
    # A first-grader who moved in after 31 March has enrolled_any NULL: unknown, not unenrolled.
    first_grader = first & in_first_half(as_of) & (frame["enrolled_any"] == 0)
    return frame[(unenrolled & preschool) | first_grader.fillna(False)].copy()


def school_children(frame: pd.DataFrame, school_codes: Iterable[str] | None = None) -> pd.DataFrame:
    """Izumi: school-age children (grade 1–9) of the chosen model schools; all schools if none given."""
    require_columns(frame, ["grade", "school_code"], Localized("コホート（学齢児）", "The cohort (school-age children)"))
    keep = frame["grade"].notna()
    if school_codes is not None:
        codes = [str(c) for c in school_codes]
        if not codes:
            raise ScreeningError(msg("sc.choose_schools"), code="bad_cohort")
        keep &= frame["school_code"].astype("string").isin(codes)
    return frame[keep].copy()


def all_children(frame: pd.DataFrame) -> pd.DataFrame:
    """Beppu: every child in the features table."""
    return frame.copy()


@dataclass(frozen=True)
class Cohort:
    name: str
    label_ja: str
    select: Callable[..., pd.DataFrame]
    needs: tuple[str, ...] = ()


COHORTS: dict[str, Cohort] = {
    "fukuoka_unenrolled_3_6": Cohort("fukuoka_unenrolled_3_6", "3～6歳の未就園児（福岡市）", fukuoka_unenrolled_3_6,
                                     ("as_of",)),
    "school_children": Cohort("school_children", "モデル校の学齢児（和泉市）", school_children, ("school_codes",)),
    "all_children": Cohort("all_children", "全てのこども（別府市）", all_children),
}


def select_cohort(frame: pd.DataFrame, name: str, **params: object) -> pd.DataFrame:
    if name not in COHORTS:
        raise ScreeningError(msg("sc.unknown_cohort", name=name, choices="、".join(COHORTS)), code="unknown_cohort")
    cohort = COHORTS[name]
    kwargs = {k: params[k] for k in cohort.needs if k in params}
    if "as_of" in cohort.needs and "as_of" not in kwargs:
        raise ScreeningError(msg("sc.cohort_needs_as_of"), code="missing_as_of")
    return cohort.select(frame, **kwargs)


# ---------------------------------------------------------------- exclusions (pandas)


def exclusion_reasons(
    frame: pd.DataFrame, current_resident_ids: Iterable[str] | None = None
) -> pd.DataFrame:
    """Every (resident_id, reason) that applies; a child may have several.

    moved_out: a `moved_out` flag column if the frame has one, else children missing from
    `current_resident_ids` (the residents of the latest build) when that is given.
    """
    require_columns(frame, ["resident_id", "yotaikyo_open", "open_consultation", "enrolled_any"], Localized("除外判定", "The exclusions"))
    parts = []
    support = (frame["yotaikyo_open"].fillna(0) == 1) | (frame["open_consultation"].fillna(0) == 1)
    parts.append(frame.loc[support, ["resident_id"]].assign(reason="already_in_support"))
    parts.append(frame.loc[frame["enrolled_any"].fillna(0) == 1, ["resident_id"]].assign(reason="enrolled"))
    if "moved_out" in frame.columns:
        moved = frame["moved_out"].fillna(0) == 1
    elif current_resident_ids is not None:
        moved = ~frame["resident_id"].isin(set(current_resident_ids))
    else:
        moved = pd.Series(False, index=frame.index)
    parts.append(frame.loc[moved, ["resident_id"]].assign(reason="moved_out"))
    out = pd.concat(parts, ignore_index=True)
    out["reason_ja"] = out["reason"].map(EXCLUSION_REASONS)
    return out


def apply_exclusions(
    frame: pd.DataFrame,
    reasons: Sequence[str] = DEFAULT_EXCLUSIONS,
    current_resident_ids: Iterable[str] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(kept rows, excluded (resident_id, reason) rows) for the chosen reasons.

    An excluded child keeps one row per chosen reason that applies, so the funnel can count
    each stage's exclusions (a child both in support and enrolled shows under both).
    """
    unknown = [r for r in reasons if r not in EXCLUSION_REASONS]
    if unknown:
        raise ScreeningError(msg("sc.unknown_exclusion", unknown="、".join(unknown), choices="、".join(EXCLUSION_REASONS)),
                             code="unknown_exclusion")  # fmt: skip
    all_reasons = exclusion_reasons(frame, current_resident_ids)
    excluded = all_reasons[all_reasons["reason"].isin(list(reasons))].reset_index(drop=True)
    kept = frame[~frame["resident_id"].isin(set(excluded["resident_id"]))].copy()
    return kept, excluded


def moved_out_ids(listed_ids: Iterable[str], current_resident_ids: Iterable[str]) -> list[str]:
    """Children on a saved list who are no longer in the latest build (転出等)."""
    current = set(current_resident_ids)
    return [rid for rid in listed_ids if rid not in current]


# ---------------------------------------------------------------- cohorts (SQL)

# The cohorts' SQL files (one view each, in order), run together where a test or a tool needs them all.
COHORTS_SQL = "\n".join(p.read_text(encoding="utf-8") for p in sorted(sql_dir().joinpath("40_cohorts").glob("[0-9][0-9]_*.sql")))


COHORT_QUERIES: dict[str, str] = {
    "fukuoka_unenrolled_3_6": "select * from cohorts.fukuoka_unenrolled_3_6",
    "school_children": "select * from cohorts.school_children where list_contains($school_codes, school_code)",
    "all_children": "select * from cohorts.all_children",
}


def cohort_query(name: str) -> str:
    """The read a page or run does for a cohort; `school_children` takes `$school_codes`."""
    if name not in COHORT_QUERIES:
        raise ScreeningError(msg("sc.no_cohort", name=name), code="unknown_cohort")
    return COHORT_QUERIES[name]


# ---------------------------------------------------------------- the cohort frame (one read for every caller)

COHORT_VIEWS: dict[str, str] = {name: f"cohorts.{name}" for name in COHORTS}
DERIVED_COLUMNS: tuple[str, ...] = ("fiscal_age", "stage", "height_pct", "weight_pct", "any_disability")
Scope = tuple[str, Sequence[object]]  # a WHERE fragment with ? marks and its values (matrix.scope_predicate)
EVERYONE: Scope = ("TRUE", ())

# Height and weight percentiles by age and sex over every child of the build, in SQL so that a
# ward- or school-scoped reader's process never holds other children's rows. The arithmetic is
# pandas' average rank (n below + (ties + 1) / 2) / n * 100 in the same order of operations, so
# the values are bit-identical to `_within_group_percentile` over the whole city (tested).
_PERCENTILE_SQL = """
select resident_id,
       case when count(*) over grp >= ? then
           ((rank() over ordered - 1)::double + (count(*) over tied + 1)::double / 2)
           / (count(*) over grp)::double * 100 end as {pct}
from features.child_features
where {col} is not null
window grp as (partition by age_years, sex),
       ordered as (partition by age_years, sex order by {col}),
       tied as (partition by age_years, sex, {col})
"""
CITY_PERCENTILES_SQL = (  # constant text: no value is formatted in
    "select c.resident_id, h.height_pct, w.weight_pct from features.child_features c"  # noqa: S608
    f" left join ({_PERCENTILE_SQL.format(pct='height_pct', col='height_cm')}) h on h.resident_id = c.resident_id"
    f" left join ({_PERCENTILE_SQL.format(pct='weight_pct', col='weight_kg')}) w on w.resident_id = c.resident_id"
)


def _cohort_filter(name: str, params: Mapping[str, object]) -> tuple[str, list[object]]:
    """The cohort view and its own WHERE (Izumi's chosen schools), with bound values."""
    if name not in COHORT_VIEWS:
        raise ScreeningError(msg("sc.unknown_cohort", name=name, choices="、".join(COHORTS)), code="unknown_cohort")
    if name != "school_children":
        return "TRUE", []
    codes = params.get("school_codes")
    if codes is None or isinstance(codes, str) or not list(codes):  # type: ignore[call-overload]
        raise ScreeningError(msg("sc.choose_schools"), code="bad_cohort")
    return "list_contains(?::varchar[], school_code)", [[str(c) for c in codes]]  # type: ignore[union-attr]


def cohort_frame(
    cur: Any,
    as_of: date | str,
    name: str,
    params: Mapping[str, object] | None = None,
    scope: Scope = EVERYONE,
) -> pd.DataFrame:
    """The cohort's rows of features.child_features within `scope`, derived columns added, by resident_id.

    The one read the screening page, the scenario year (demo, bench) and the model card share, so a
    list, a model and its card all see the same children with the same values. Percentiles compare
    a child with every child of the city of the same age and sex: they are computed over the whole
    build first (CITY_PERCENTILES_SQL), and only then is the frame cut to the cohort and to the
    reader's scope — a principal of two schools gets the city's percentile for each of their
    children, not a rank among a few hundred. Row-local columns (school-year age, stage, any
    disability) come from `derive`. `cur` is an analytics cursor or connection; `scope` is
    `matrix.scope_predicate(...)` over ward_code / school_code (default: everyone); `params` holds
    the cohort's own (``school_codes`` for school_children).
    """
    as_of = as_date(as_of)
    where, values = _cohort_filter(name, params or {})
    scope_sql, scope_values = scope
    sql = (
        f"with city_percentiles as ({CITY_PERCENTILES_SQL})"  # noqa: S608 - constant SQL, values bound
        f" select * from (select c.*, p.height_pct, p.weight_pct from {COHORT_VIEWS[name]} c"
        " left join city_percentiles p on p.resident_id = c.resident_id)"
        f" where ({where}) and ({scope_sql}) order by resident_id"
    )
    df = cur.execute(sql, [MIN_PERCENTILE_GROUP, MIN_PERCENTILE_GROUP, *values, *scope_values]).df()
    for pct in ("height_pct", "weight_pct"):
        df[pct] = df[pct].astype("Float64")  # derive's own dtype
    frame = derive(df, as_of)
    ordered = [c for c in frame.columns if c not in DERIVED_COLUMNS] + [c for c in DERIVED_COLUMNS if c in frame]
    out = frame[ordered]
    out.attrs["as_of"] = as_of
    return out


def ensure_derived(frame: pd.DataFrame, as_of: date | str | None = None) -> pd.DataFrame:
    """The frame with derived columns, computing them only when missing.

    The as-of date comes from the argument, `frame.attrs['as_of']` (set by `derive` and by the
    loader) or an `as_of` column, in that order.
    """
    if {"stage", "fiscal_age", "any_disability"}.issubset(frame.columns):
        return frame
    if as_of is None:
        as_of = frame.attrs.get("as_of")
    if as_of is None and "as_of" in frame.columns and len(frame):
        as_of = frame["as_of"].iloc[0]
    if as_of is None:
        raise ScreeningError(msg("sc.as_of_for_class_age"), code="missing_as_of")
    return derive(frame, as_of)
