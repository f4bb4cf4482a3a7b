"""Random streams and small vectorised helpers shared by the generator modules.

Each module draws from its own named stream, derived from (seed, name) with a stable CRC,
so adding draws to one programme does not shift every other file: a change to nursery
generation leaves the school files byte-identical. Python's ``hash`` is salted per process
and is never used.
"""

from __future__ import annotations

import zlib
from datetime import date

import numpy as np
import pandas as pd

NAT = np.datetime64("NaT", "D")


def stream(seed: int, name: str) -> np.random.Generator:
    """A generator for one named part of the city, reproducible from the seed alone."""
    return np.random.default_rng([int(seed), zlib.crc32(name.encode("utf-8"))])


def sigmoid(x: np.ndarray | float) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=float)))


def day(d: date | str) -> np.datetime64:
    return np.datetime64(d if isinstance(d, str) else d.isoformat(), "D")


def add_days(dates: np.ndarray, days: np.ndarray | int | float) -> np.ndarray:
    """``dates + days`` for datetime64[D] arrays; NaT stays NaT; fractional days are floored."""
    d = np.floor(np.asarray(days, dtype=float)).astype("int64")
    return np.asarray(dates, dtype="datetime64[D]") + d.astype("timedelta64[D]")


def years(n: np.ndarray | float) -> np.ndarray:
    """Years as a whole number of days (365.25 per year), for date offsets."""
    return np.floor(np.asarray(n, dtype=float) * 365.25)


def categorical(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One draw per row of a (n, k) probability matrix (rows need not be normalised)."""
    probs = np.asarray(probs, dtype=float)
    cum = np.cumsum(probs, axis=1)
    u = rng.random(probs.shape[0]) * cum[:, -1]
    return (u[:, None] >= cum).sum(axis=1)


def choose(rng: np.random.Generator, n: int, k: int) -> np.ndarray:
    """``k`` distinct indices out of ``n`` (sorted), k clipped to n."""
    k = int(min(max(k, 0), n))
    if k == 0:
        return np.zeros(0, dtype=np.int64)
    return np.sort(rng.permutation(n)[:k])


def weighted_top_k(rng: np.random.Generator, log_weights: np.ndarray, k: int) -> np.ndarray:
    """Sample ``k`` rows without replacement with probability proportional to exp(log_weights).

    Gumbel top-k: exact count, one vectorised pass, deterministic for a given stream.
    """
    n = len(log_weights)
    k = int(min(max(k, 0), n))
    if k == 0:
        return np.zeros(0, dtype=np.int64)
    keys = np.asarray(log_weights, dtype=float) + rng.gumbel(size=n)
    return np.sort(np.argpartition(-keys, k - 1)[:k])


def unique_ids(rng: np.random.Generator, n: int, base: int, max_step: int = 40) -> np.ndarray:
    """``n`` distinct integers above ``base`` in random order (gapped like a real numbering)."""
    ids = base + np.cumsum(rng.integers(1, max_step, size=n, dtype=np.int64))
    return ids[rng.permutation(n)]


def present(t: np.ndarray, moved_in: np.ndarray, moved_out: np.ndarray, as_of: np.datetime64) -> np.ndarray:
    """Whether a person lived in the city on date ``t`` (NaT ``t`` means no)."""
    t = np.asarray(t, dtype="datetime64[D]")
    ok = ~np.isnat(t) & (t <= as_of)
    ok &= np.isnat(moved_in) | (t >= moved_in)
    ok &= np.isnat(moved_out) | (t < moved_out)
    return ok


def fiscal_year_of(dates: np.ndarray) -> np.ndarray:
    """Japanese fiscal year (April-March) of each date."""
    d = np.asarray(dates, dtype="datetime64[D]")
    y = d.astype("datetime64[Y]").astype(int) + 1970
    m = d.astype("datetime64[M]").astype(int) % 12 + 1
    return np.where(m >= 4, y, y - 1)


def _year_and_month_day(dates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Calendar year and month*100+day of each date (leap-year safe comparisons)."""
    d = np.asarray(dates, dtype="datetime64[D]")
    months = d.astype("datetime64[M]")
    year = d.astype("datetime64[Y]").astype(int) + 1970
    md = (months.astype(int) % 12 + 1) * 100 + (d - months.astype("datetime64[D]")).astype(int) + 1
    return year, md


def school_cohort_year(birth: np.ndarray) -> np.ndarray:
    """The calendar year in which a child enters elementary school (April).

    Japanese school years count a child born on 1 April with the year before (the law
    counts age from the day before the birthday), so the cohort runs 2 April - 1 April:
    born 2018-04-02..2019-04-01 enters in April 2025.
    """
    year, md = _year_and_month_day(birth)
    return year + 6 + (md > 401).astype(int)


def grade_in(birth: np.ndarray, fiscal_year: int) -> np.ndarray:
    """School grade in ``fiscal_year`` (1-6 elementary, 7-9 junior high, <=0 preschool)."""
    return fiscal_year - school_cohort_year(birth) + 1


def age_years(birth: np.ndarray, on: np.datetime64) -> np.ndarray:
    """Completed years of age on date ``on`` (birthday counted on the day itself)."""
    by, bmd = _year_and_month_day(birth)
    oy, omd = _year_and_month_day(np.array([on], dtype="datetime64[D]"))
    return oy[0] - by - (bmd > omd[0]).astype(int)


def uniform_date(rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray, power: float = 1.0) -> np.ndarray:
    """A date between ``lo`` and ``hi`` inclusive (NaT where the window is empty).

    ``power`` < 1 pulls dates towards ``hi`` (recent events are more common in an extract).
    """
    lo = np.asarray(lo, dtype="datetime64[D]")
    hi = np.asarray(hi, dtype="datetime64[D]")
    width = (hi - lo).astype("int64")
    u = rng.random(len(lo)) ** power
    out = add_days(lo, np.floor(u * (np.maximum(width, 0) + 1)))
    return np.where((width >= 0) & ~np.isnat(lo) & ~np.isnat(hi), out, NAT)


def age_on(birth: np.ndarray, on: np.ndarray) -> np.ndarray:
    """Completed years of age on per-row dates ``on``."""
    by, bmd = _year_and_month_day(birth)
    oy, omd = _year_and_month_day(on)
    return oy - by - (bmd > omd).astype(int)


def approx_normal_cdf(x: np.ndarray) -> np.ndarray:
    """Standard normal CDF via the logistic approximation (|error| < 0.01): enough for percentiles."""
    return sigmoid(1.702 * np.asarray(x, dtype=float))


def ymd(year: np.ndarray | int, month: int, dom: int) -> np.ndarray:
    """Vectorised date from years and a fixed month and day (e.g. 1 April of each cohort year)."""
    y = np.asarray(year, dtype=np.int64) - 1970
    months = y.astype("datetime64[Y]").astype("datetime64[M]") + np.timedelta64(month - 1, "M")
    return months.astype("datetime64[D]") + np.timedelta64(dom - 1, "D")


def serial_ids(dates: np.ndarray, width: int = 6) -> np.ndarray:
    """Ids like 2019000123: the year of the date, then a serial in date order within the year.

    Integers (rendered as text by the writer): cheaper than building a prefixed string each.
    """
    d = np.asarray(dates, dtype="datetime64[D]")
    year = d.astype("datetime64[Y]").astype(np.int64) + 1970
    order = np.lexsort((np.arange(len(d)), d))
    serial = np.empty(len(d), dtype=np.int64)
    serial[order] = pd.Series(year[order]).groupby(year[order]).cumcount().to_numpy() + 1
    return year * 10**width + serial



def cat(codes: np.ndarray, categories) -> pd.Categorical:
    """A categorical column from integer codes (-1 = null).

    Low-cardinality text (vaccine codes, month labels) is kept as codes until the writer
    renders it, so a million-row table never builds a million Python strings.
    """
    return pd.Categorical.from_codes(np.asarray(codes, dtype=np.int64), categories=list(categories))


def text_column(values: np.ndarray) -> pd.Categorical:
    """Strings with many repeats (names, addresses) as a categorical over their distinct values."""
    uniq, inv = np.unique(np.asarray(values, dtype=object), return_inverse=True)
    return pd.Categorical.from_codes(inv.astype(np.int64), categories=list(uniq))
