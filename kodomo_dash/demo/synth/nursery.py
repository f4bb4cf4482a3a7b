"""Nursery and kindergarten use (保育園・幼稚園等利用): the source of Fukuoka's FY2025 cohort.

The cohort is "unenrolled children aged 3-6": preschool children (not yet in first grade)
aged 3 or more on as_of with no active enrolment anywhere. The scenario fixes its size
(1,327 at scale 1.0) and this module picks exactly that many current residents, weighted
towards higher need, as Fukuoka's analysis found. Everybody else of that age is enrolled,
and a few per cent of them in unlicensed facilities (licensed = '2', types 21/22/23): a
cohort built from licensed facilities only comes out far too big, Amagasaki's trap.

"Active at as_of" means start_date <= as_of and (end_date empty or end_date >= as_of).
A few unenrolled children have an earlier enrolment that ended (they withdrew).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kodomo_dash.demo.synth.population import City
from kodomo_dash.demo.synth.rand import (
    NAT,
    add_days,
    age_years,
    categorical,
    uniform_date,
    weighted_top_k,
    years,
    ymd,
)

# Facility types: 11 認可保育園, 12 認定こども園, 13 新制度移行幼稚園 (licensed);
# 21 認可外保育施設, 22 未移行幼稚園, 23 企業主導型保育 (licensed = 2).
LICENSED_TYPES = (11, 12, 13)
LICENSED_3_6 = (np.array([11, 12, 13]), np.array([0.45, 0.20, 0.35]))
UNLICENSED_3_6 = (np.array([21, 22, 23]), np.array([0.50, 0.35, 0.15]))
LICENSED_0_2 = (np.array([11, 12]), np.array([0.85, 0.15]))
UNLICENSED_0_2 = (np.array([21, 23]), np.array([0.60, 0.40]))
FACILITIES_AT_SCALE_1 = {11: 400, 12: 80, 13: 100, 21: 120, 22: 10, 23: 60}
KINDERGARTEN = (13, 22)


def _pick(rng: np.random.Generator, choices: tuple[np.ndarray, np.ndarray], n: int) -> np.ndarray:
    return choices[0][categorical(rng, np.tile(choices[1], (n, 1)))]


def _facility_codes(city: City, rng: np.random.Generator, ward_idx: np.ndarray, ftype: np.ndarray) -> np.ndarray:
    shares = np.array([w.child_share for w in city.sc.wards])
    ward_code = np.array([int(w.code) for w in city.sc.wards], dtype=np.int64)
    per_type = np.select([ftype == t for t in FACILITIES_AT_SCALE_1], list(FACILITIES_AT_SCALE_1.values()), 0)
    counts = np.maximum(1, np.round(per_type * shares[ward_idx] * city.scale)).astype(np.int64)
    idx = np.floor(rng.random(len(ftype)) * counts).astype(np.int64)
    return ward_code[ward_idx] * 100000 + ftype.astype(np.int64) * 1000 + idx


def build(city: City, rng: np.random.Generator) -> dict[str, pd.DataFrame]:
    ch = city.children
    n = len(ch)
    birth = ch["birth"].to_numpy().astype("datetime64[D]")
    grade = ch["grade"].to_numpy()
    age = age_years(birth, city.as_of)
    current = city.current
    start_hh, end_hh = city.child_window()
    z = ch["z"].to_numpy()

    # First-graders count as preschoolers in April-September (Fukuoka 図表 3-1): those with no
    # enrolment in their last preschool year belong to the cohort too.
    first_half = 4 <= city.sc.as_of.month <= 9
    fy = city.sc.as_of.year if city.sc.as_of.month >= 4 else city.sc.as_of.year - 1
    eve = np.datetime64(f"{fy}-03-31")  # last preschool day of this year's first-graders
    lived_on_eve = start_hh <= eve  # a first-grader who moved in later has no city record of that year
    cohort = current & (age >= 3) & ((grade <= 0) | ((grade == 1) & first_half & lived_on_eve))
    target = round(city.sc.unenrolled_3_6 * city.scale)
    log_w = 1.1 * z + 0.8 * ch["disability"].to_numpy() + 0.4 * ch["dev_service"].to_numpy()
    cidx = np.flatnonzero(cohort)
    unenrolled = np.zeros(n, dtype=bool)
    unenrolled[cidx[weighted_top_k(rng, log_w[cidx], target)]] = True
    ch["unenrolled_3_6"] = unenrolled

    p_enrol = np.array(city.sc.rates.enrolled_by_age)[np.clip(age, 0, 3)]
    history = (grade >= 1) & (grade <= 3) & (rng.random(n) < 0.95)
    history = np.where((grade == 1) & cohort, ~unenrolled, history)
    now = (grade <= 0) & ~unenrolled & (cohort | (rng.random(n) < p_enrol))
    enrol = np.flatnonzero(now | history)
    k = len(enrol)
    older = age[enrol] >= 3
    unlic = rng.random(k) < np.where(older, city.sc.rates.unlicensed_share_3_6, 0.10)
    ftype = np.where(older, np.where(unlic, _pick(rng, UNLICENSED_3_6, k), _pick(rng, LICENSED_3_6, k)),
                     np.where(unlic, _pick(rng, UNLICENSED_0_2, k), _pick(rng, LICENSED_0_2, k)))  # fmt: skip
    b = birth[enrol]
    earliest = np.maximum(add_days(b, 57), start_hh[enrol])
    kinder_start = ymd(ch["cohort_year"].to_numpy()[enrol] - 3, 4, 1)
    kinder_start = np.maximum(kinder_start, add_days(b, years(3)))
    start_age = np.array([0.4, 1.0, 2.0, 3.0])[categorical(rng, np.tile([0.3, 0.35, 0.2, 0.15], (k, 1)))]
    nursery_start = add_days(b, years(start_age) + np.floor(rng.random(k) * 90))
    start = np.where(np.isin(ftype, KINDERGARTEN), kinder_start, nursery_start)
    start = np.maximum(start, earliest)
    school_entry_eve = ymd(ch["cohort_year"].to_numpy()[enrol], 3, 31)
    last = np.minimum(end_hh[enrol], school_entry_eve)
    late = start > last
    start = np.where(late, uniform_date(rng, earliest, last), start)
    end = np.where(history[enrol], school_entry_eve, NAT)
    end = np.where(~current[enrol] & (end_hh[enrol] < city.as_of), np.minimum(end_hh[enrol], school_entry_eve), end)
    ok = ~np.isnat(start)
    ward_idx = city.hh("ward_idx", ch["hh_idx"].to_numpy()[enrol])
    rows = pd.DataFrame({
        "resident_id": ch["resident_id"].to_numpy()[enrol], "ftype": ftype, "start_date": start, "end_date": end,
        "ward_idx": ward_idx,
    })[ok]  # fmt: skip

    # Earlier enrolments: some enrolled children changed facility, some unenrolled withdrew.
    prev_rows = []
    moved = rows[(rng.random(len(rows)) < 0.12)]
    mb = ch.set_index("resident_id")["birth"].reindex(moved["resident_id"]).to_numpy().astype("datetime64[D]")
    p_start = add_days(mb, 57 + np.floor(rng.random(len(moved)) * 300))
    p_end = add_days(moved["start_date"].to_numpy().astype("datetime64[D]"), -1)
    keep = p_start < p_end
    prev_rows.append(pd.DataFrame({"resident_id": moved["resident_id"].to_numpy()[keep], "ftype": 11,
                                   "start_date": p_start[keep], "end_date": p_end[keep],
                                   "ward_idx": moved["ward_idx"].to_numpy()[keep]}))  # fmt: skip
    quit_idx = np.flatnonzero(unenrolled & (grade <= 0) & (rng.random(n) < 0.08))  # only preschoolers withdrew
    q_start = uniform_date(rng, np.maximum(add_days(birth[quit_idx], 57), start_hh[quit_idx]), add_days(np.full(len(quit_idx), city.as_of), -120))
    q_end = uniform_date(rng, add_days(q_start, 30), add_days(np.full(len(quit_idx), city.as_of), -30))
    keep = ~np.isnat(q_start) & ~np.isnat(q_end)
    prev_rows.append(pd.DataFrame({"resident_id": ch["resident_id"].to_numpy()[quit_idx][keep],
                                   "ftype": _pick(rng, LICENSED_3_6, int(keep.sum())),
                                   "start_date": q_start[keep], "end_date": q_end[keep],
                                   "ward_idx": city.hh("ward_idx", ch["hh_idx"].to_numpy()[quit_idx][keep])}))  # fmt: skip
    out = pd.concat([rows, *prev_rows], ignore_index=True)
    ftype = out["ftype"].to_numpy().astype(np.int64)
    out["facility_type"] = ftype
    out["licensed"] = np.where(np.isin(ftype, LICENSED_TYPES), 1, 2)
    out["facility_code"] = _facility_codes(city, rng, out["ward_idx"].to_numpy(), ftype)
    out = out.drop_duplicates(["resident_id", "facility_code", "start_date"]).sort_values(
        ["resident_id", "start_date"], kind="stable"
    )
    s = out["start_date"].to_numpy().astype("datetime64[D]")
    e = out["end_date"].to_numpy().astype("datetime64[D]")
    active = (s <= city.as_of) & (np.isnat(e) | (e >= city.as_of))
    ch["enrolled_now"] = np.isin(ch["resident_id"].to_numpy(), out["resident_id"].to_numpy()[active])
    return {"nursery_enrolment": out.reset_index(drop=True)}
