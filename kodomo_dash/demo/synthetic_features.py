"""A realistic random `features.child_features` frame with a known truth, for model tests and benchmarks.

The city generator (`kodomo_dash.demo.synth`) builds source extracts; this builds the features
table directly so screening can be tested and timed at Fukuoka scale (~210,000 children)
in seconds, without a warehouse build. A hidden latent score per child drives the factors
(young mothers, single parents, nurse follow-ups, absences...), so they are correlated as in
life; the label is then drawn from `truth_p`, a function of the *observed* factors only, so
`truth_p` is the Bayes-optimal score a perfect model could reach. `true_need` is a broader
outcome (need found at a visit) drawn from the same factors, for 'recall of true need'.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from kodomo_dash.screening.cohorts import as_date, fiscal_age

WARDS = ("40131", "40132", "40133", "40134", "40135", "40136", "40137")
WARD_WEIGHTS = (0.2, 0.14, 0.1, 0.17, 0.15, 0.09, 0.15)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _intercept_for_rate(z: np.ndarray, rate: float) -> float:
    """Bisection for b0 with mean(sigmoid(b0 + z)) == rate."""
    lo, hi = -20.0, 20.0
    for _ in range(60):
        mid = (lo + hi) / 2
        if _sigmoid(mid + z).mean() > rate:
            hi = mid
        else:
            lo = mid
    return (lo + hi) / 2


def truth_logit(f: pd.DataFrame) -> np.ndarray:
    """The generator's true log-odds of being a past support case, from observed columns only."""

    def v(col: str, fill: float = 0.0) -> np.ndarray:
        return f[col].astype("Float64").fillna(fill).to_numpy(dtype=float)

    mother = f["mother_age_at_notification"].astype("Float64").fillna(30).to_numpy(dtype=float)
    young = (mother < 20).astype(float)
    missed = np.maximum.reduce([v("missed_checkup_4m"), v("missed_checkup_18m"), v("missed_checkup_3y")])
    unenrolled_3_6 = ((v("enrolled_any") == 0) & (v("age_years") >= 3) & f["grade"].isna().to_numpy()).astype(float)
    z = (
        -0.08 * (mother - 30)
        + 0.22 * np.minimum(v("nurse_contacts"), 8)
        + 0.25 * (np.minimum(v("n_children_household", 1), 6) - 1)
        + 0.8 * v("single_parent")
        + 0.5 * v("child_rearing_allowance")
        + 0.8 * v("public_assistance")
        + 0.03 * np.clip(v("weeks_at_notification", 10) - 10, 0, 30)
        + 0.35 * (v("latest_checkup_result", 1) - 1)
        + 0.7 * missed
        + 0.06 * v("epds_max")
        + 0.5 * v("guardian_disability")
        + 0.9 * v("dv_report_household")
        + 0.6 * unenrolled_3_6
        + 0.02 * np.minimum(v("absence_days"), 60)
        + 0.3 * (v("untreated_caries") >= 3)
        + 0.5 * (v("lunch_arrears_months") > 0)
        + 0.4 * v("school_expense_aid")
        + 0.6 * young * v("single_parent")
    )
    return z


def synthetic_child_features(
    n: int = 5000,
    seed: int = 0,
    as_of: date | str = "2025-07-01",
    positive_rate: float = 0.03,
) -> pd.DataFrame:
    """One row per child aged 0–15 with every contract column plus `truth_p`, `true_need`, `latent`."""
    as_of = as_date(as_of)
    rng = np.random.default_rng(seed)
    lat = rng.normal(size=n)

    def bern(p: np.ndarray | float) -> np.ndarray:
        return (rng.random(n) < p).astype("int64")

    days = rng.integers(0, 16 * 365 - 1, size=n)
    birth = pd.to_datetime(as_of) - pd.to_timedelta(days, unit="D")
    before_bday = (as_of.month < birth.month) | ((as_of.month == birth.month) & (as_of.day < birth.day))
    age = (as_of.year - birth.year - before_bday.astype(int)).to_numpy()
    months = ((as_of.year - birth.year) * 12 + as_of.month - birth.month - (as_of.day < birth.day)).to_numpy()
    f = pd.DataFrame(
        {
            "resident_id": [f"{i:010d}" for i in rng.permutation(np.arange(1, n + 1) * 7 + 1_000_000_000)],
            "household_id": [f"{i:010d}" for i in 2_000_000_000 + rng.integers(0, max(n // 2, 1), size=n)],
            "ward_code": rng.choice(WARDS, size=n, p=WARD_WEIGHTS),
            "birth_date": birth.date,
            "age_years": age.astype("int64"),
            "age_months": months.astype("int64"),
            "sex": rng.choice(["1", "2"], size=n),
            "foreign_national": bern(0.03),
        }
    )
    born_here = rng.random(n) > 0.1
    mother = np.clip(np.round(rng.normal(31 - 2.5 * lat, 4.5)), 14, 47)
    f["mother_age_at_notification"] = pd.array(np.where(born_here, mother, np.nan)).astype("Float64")
    weeks = np.clip(np.round(8 + np.exp(rng.normal(0.6 + 0.5 * lat, 0.7))), 4, 42)
    f["weeks_at_notification"] = pd.array(np.where(born_here, weeks, np.nan)).astype("Int64")
    to_due = np.clip(np.round((40 - weeks) * 7 + rng.normal(0, 5, n)), 0, 280)
    f["days_notification_to_due"] = pd.array(np.where(born_here, to_due, np.nan)).astype("Int64")
    f["nurse_visits"] = rng.poisson(np.exp(-0.9 + 0.6 * lat))
    f["nurse_calls"] = rng.poisson(np.exp(-0.4 + 0.6 * lat))
    f["nurse_contacts"] = f["nurse_visits"] + f["nurse_calls"]
    f["n_children_household"] = np.minimum(1 + rng.poisson(np.exp(-0.2 + 0.25 * lat)), 8)
    single = bern(_sigmoid(-2.3 + 0.9 * lat))
    f["single_parent"] = single
    f["multiple_birth"] = bern(0.02)
    f["public_assistance"] = bern(_sigmoid(-3.8 + 1.1 * lat + 1.0 * single))
    f["child_rearing_allowance"] = single * bern(0.75)
    f["special_child_allowance"] = bern(0.012)
    f["single_parent_loan"] = single * bern(0.08)
    f["medical_subsidy_single_parent"] = single * bern(0.8)
    probs = np.stack([np.full(n, 0.62), np.full(n, 0.05), 0.18 + 0.05 * lat, 0.1 + 0.03 * lat, 0.05 + 0.02 * lat])
    probs = np.clip(probs, 0.01, None)
    probs /= probs.sum(axis=0)
    cum = probs.cumsum(axis=0)
    result = 1 + (rng.random(n) > cum[:-1]).sum(axis=0)
    f["latest_checkup_result"] = pd.array(np.where(months >= 4, result, np.nan)).astype("Int64")
    for col, due in (("missed_checkup_4m", 5), ("missed_checkup_18m", 20), ("missed_checkup_3y", 40)):
        f[col] = np.where(months >= due, bern(_sigmoid(-3.2 + 0.9 * lat)), 0)
    f["epds_max"] = pd.array(
        np.where(born_here & (rng.random(n) > 0.1), np.clip(np.round(rng.normal(5 + 1.6 * lat, 3.5)), 0, 30), np.nan)
    ).astype("Int64")
    f["disability_handbook"] = bern(0.02)
    f["guardian_disability"] = bern(_sigmoid(-3.5 + 0.7 * lat))
    f["child_disability_service"] = np.maximum(f["disability_handbook"] * bern(0.6), bern(0.03))
    fage = fiscal_age(f["birth_date"], as_of).to_numpy(dtype=int)
    grade = np.where((fage >= 6) & (fage <= 14), fage - 5, 0)
    unmatched = rng.random(n) < 0.003  # school records that stayed unmatched (名寄せ): no school data
    in_school = (grade > 0) & ~unmatched
    base = np.select([age < 1, age < 3, fage <= 6], [0.15, 0.55, 0.95], 0.0)
    enrolled = bern(_sigmoid(np.log(base / (1 - base + 1e-9) + 1e-9) - 0.8 * lat)) * (fage <= 6)
    f["enrolled_any"] = enrolled
    f["enrolled_licensed"] = enrolled * bern(0.9)
    f["newborn_visit_done"] = bern(_sigmoid(2.8 - 0.8 * lat))
    school_days = 60  # April to the end of June
    absence = np.minimum(rng.poisson(np.exp(0.6 + 0.8 * lat + rng.normal(0, 0.5, n))), school_days)
    f["absence_days"] = pd.array(np.where(in_school, absence, np.nan)).astype("Int64")
    late = rng.poisson(np.exp(0.4 + 0.6 * lat))
    f["late_days"] = pd.array(np.where(in_school, late, np.nan)).astype("Int64")
    consec = np.minimum(absence, rng.poisson(np.exp(0.1 + 0.7 * lat)))
    f["max_consecutive_absence"] = pd.array(np.where(in_school, consec, np.nan)).astype("Int64")
    f["attendance_ratio"] = pd.array(np.where(in_school, 1 - absence / school_days, np.nan)).astype("Float64")
    height = 116 + 5.8 * (age - 6) + rng.normal(0, 5, n) - 1.2 * lat
    weight = 21 + 3.3 * (age - 6) + rng.normal(0, 3, n) - 0.6 * lat
    f["height_cm"] = pd.array(np.where(in_school, np.round(height, 1), np.nan)).astype("Float64")
    f["weight_kg"] = pd.array(np.where(in_school, np.round(np.maximum(weight, 12), 1), np.nan)).astype("Float64")
    f["untreated_caries"] = pd.array(np.where(in_school, rng.poisson(np.exp(-1.3 + 0.8 * lat)), np.nan)).astype("Int64")
    f["school_expense_aid"] = np.where(in_school, bern(_sigmoid(-2.0 + 1.0 * lat + 0.8 * single)), 0)
    f["lunch_arrears_months"] = pd.array(np.where(in_school, rng.poisson(np.exp(-3.0 + 1.0 * lat)), np.nan)).astype(
        "Int64")
    surveyed = in_school & (rng.random(n) > 0.3)
    f["lifestyle_concern"] = pd.array(np.where(surveyed, bern(_sigmoid(-2.2 + 0.8 * lat)), np.nan)).astype("Int64")
    f["dv_report_household"] = bern(_sigmoid(-4.0 + 1.0 * lat))
    f["grade"] = pd.array(np.where(in_school, grade, np.nan)).astype("Int64")
    f["school_code"] = pd.array(
        np.where(in_school, [f"40{w[-1]}{s:03d}" for w, s in zip(f["ward_code"], rng.integers(0, 20, n), strict=True)],
                 None), dtype="string")

    z = truth_logit(f)
    b0 = _intercept_for_rate(z, positive_rate)
    truth_p = _sigmoid(b0 + z)
    label = (rng.random(n) < truth_p).astype("int64")
    f["past_support_case"] = label
    f["consultation_count"] = np.where(label == 1, 1 + rng.poisson(1.0, n), rng.poisson(np.exp(-3 + 0.6 * lat)))
    f["open_consultation"] = np.maximum(label * bern(0.3), bern(0.005))
    f["yotaikyo_open"] = label * bern(0.35)
    f["past_temporary_protection"] = label * bern(0.1)
    f["tax_exempt"] = bern(_sigmoid(-1.5 + 0.8 * lat))
    f["truth_p"] = truth_p
    f["true_need"] = bern(_sigmoid(b0 + z + 2.0))
    f["latent"] = lat
    f.attrs["as_of"] = as_of
    return f


# ---------------------------------------------------------------- hand-built frames

BLANK_CHILD: dict[str, object] = {
    "household_id": "2000000001", "ward_code": "40131", "sex": "1", "foreign_national": 0,
    "mother_age_at_notification": 30, "weeks_at_notification": 9, "days_notification_to_due": 217,
    "nurse_contacts": 0, "nurse_visits": 0, "nurse_calls": 0, "n_children_household": 1,
    "single_parent": 0, "multiple_birth": 0, "public_assistance": 0, "child_rearing_allowance": 0,
    "special_child_allowance": 0, "single_parent_loan": 0, "medical_subsidy_single_parent": 0,
    "latest_checkup_result": 1, "missed_checkup_4m": 0, "missed_checkup_18m": 0, "missed_checkup_3y": 0,
    "epds_max": 3, "disability_handbook": 0, "guardian_disability": 0, "child_disability_service": 0,
    "enrolled_any": 1, "enrolled_licensed": 1, "newborn_visit_done": 1,
    "absence_days": None, "late_days": None, "max_consecutive_absence": None, "attendance_ratio": None,
    "height_cm": None, "weight_kg": None, "untreated_caries": None, "school_expense_aid": 0,
    "lunch_arrears_months": None, "lifestyle_concern": None, "dv_report_household": 0, "consultation_count": 0,
    "open_consultation": 0, "yotaikyo_open": 0, "past_temporary_protection": 0, "past_support_case": 0,
    "tax_exempt": 0, "grade": None, "school_code": None,
}
SCHOOL_DEFAULTS: dict[str, object] = {
    "absence_days": 1, "late_days": 0, "max_consecutive_absence": 1, "attendance_ratio": 0.98,
    "untreated_caries": 0, "lunch_arrears_months": 0, "lifestyle_concern": 0, "enrolled_any": 0,
    "enrolled_licensed": 0, "school_code": "401001",
}


def child_frame(rows: list[dict[str, object]], as_of: date | str = "2025-07-01") -> pd.DataFrame:
    """A small frame of children for tests and examples: every contract column, 'nothing notable' defaults.

    Give resident_id and what matters for the case; birth_date defaults to a birthday one
    month before as_of at the given age_years; school children (grade given) get ordinary
    school values unless overridden.
    """
    as_of = as_date(as_of)
    out = []
    for n, row in enumerate(rows):
        r = dict(BLANK_CHILD)
        if row.get("grade") is not None:
            r.update(SCHOOL_DEFAULTS)
        r.update(row)
        r.setdefault("resident_id", f"{n + 1:010d}")
        if "birth_date" not in row:
            age = int(row.get("age_years", 4))
            r["birth_date"] = (pd.Timestamp(as_of) - pd.DateOffset(years=age, months=1)).date()
        b = pd.Timestamp(r["birth_date"])
        months = (as_of.year - b.year) * 12 + as_of.month - b.month - (as_of.day < b.day)
        r["age_months"] = row.get("age_months", months)
        r["age_years"] = row.get("age_years", months // 12)
        out.append(r)
    f = pd.DataFrame(out)
    for col in ("grade", "absence_days", "late_days", "max_consecutive_absence", "untreated_caries",
                "lunch_arrears_months", "lifestyle_concern", "weeks_at_notification", "epds_max",
                "latest_checkup_result"):
        f[col] = pd.array(f[col].astype("Float64")).astype("Int64")
    for col in ("attendance_ratio", "height_cm", "weight_kg", "mother_age_at_notification"):
        f[col] = f[col].astype("Float64")
    f["school_code"] = f["school_code"].astype("string")
    f.attrs["as_of"] = as_of
    return f
