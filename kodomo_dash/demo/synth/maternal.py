"""Maternal and child health (母子保健): notifications, check-ups, visits, nurse contacts, vaccines.

These carry most of Fukuoka's 図表 7-2 factors, so each is drawn from the latent need:
young mothers and late pregnancy notifications (fewer days from notification to due date),
fewer prenatal check-ups, higher EPDS, missed or worse infant check-ups and more
public-health-nurse follow-ups all come with higher need. Records exist only while the
family lived in the city, so a family that moved in has no notification here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kodomo_dash.demo.synth.population import City
from kodomo_dash.demo.synth.rand import (
    add_days,
    age_on,
    approx_normal_cdf,
    cat,
    categorical,
    day,
    present,
    serial_ids,
    sigmoid,
    uniform_date,
    weighted_top_k,
    years,
)

CHECKUP_TYPES = ["4m", "18m", "3y"]
VACCINES = ["HIB", "PCV", "HBV", "DPT", "BCG", "MR", "VAR", "JE"]
PRENATAL_WEEKS = np.array([11, 15, 19, 23, 25, 27, 29, 31, 33, 35, 36, 37, 38, 39])
# (vaccine, dose, age in days at the due time)
SCHEDULE = [
    ("HIB", 1, 60), ("HIB", 2, 90), ("HIB", 3, 120), ("HIB", 4, 400),
    ("PCV", 1, 60), ("PCV", 2, 90), ("PCV", 3, 120), ("PCV", 4, 400),
    ("HBV", 1, 60), ("HBV", 2, 90), ("HBV", 3, 210),
    ("DPT", 1, 60), ("DPT", 2, 90), ("DPT", 3, 120), ("DPT", 4, 550),
    ("BCG", 1, 150), ("MR", 1, 370), ("MR", 2, 2070), ("VAR", 1, 370), ("VAR", 2, 550),
    ("JE", 1, 1100), ("JE", 2, 1130), ("JE", 3, 1460),
]  # fmt: skip


def pregnancy(city: City, rng: np.random.Generator) -> pd.DataFrame:
    """妊娠届出 for children born since the system started, plus current pregnancies."""
    ch = city.children
    h = ch["hh_idx"].to_numpy()
    z_h = city.hh("z", h)
    birth = ch["birth"].to_numpy().astype("datetime64[D]")
    # Twins share one pregnancy: draw per (household, birth date).
    preg_key = pd.factorize(h.astype(np.int64) * 100_000 + birth.astype(np.int64))[0]
    n_preg = preg_key.max() + 1
    u_late = rng.random(n_preg)[preg_key]
    u_w = rng.gamma(2.5, 1.3, n_preg)[preg_key]
    premature = rng.random(n_preg)[preg_key] < sigmoid(-3.2 + 0.4 * z_h)
    due_off = np.round(rng.normal(2, 7, n_preg)[preg_key]) + premature * (21 + np.floor(rng.random(n_preg)[preg_key] * 50))
    due = add_days(birth, due_off)
    late = u_late < sigmoid(-3.2 + 1.3 * z_h)
    weeks = 6 + u_w + late * (8 + 17 * rng.random(n_preg)[preg_key])
    notif = add_days(due, -(40 - np.clip(weeks, 4, 41)) * 7)
    notif = np.minimum(notif, add_days(birth, -1))
    start, end = city.window(h)
    ok = (birth >= day(city.sc.maternal_from)) & (notif >= start) & (notif <= end)
    ch["premature"] = premature
    ch["notif_weeks"] = np.where(ok, 40 - (due - notif).astype(int) // 7, -1)
    mother = ch["mother_id"].to_numpy().copy()
    # A father-only family: the mother's id is one the registry extract no longer holds.
    ext = mother < 0
    mother[ext] = 1_900_000_000 + ch["hh_idx"].to_numpy()[ext] * 3 + 1
    ch["mother_any_id"] = mother
    mb = city.hh("mother_birth", h).astype("datetime64[D]")
    ch["mother_birth"] = mb
    born = pd.DataFrame({
        "mother_resident_id": mother[ok], "child_resident_id": ch["resident_id"].to_numpy()[ok],
        "notification_date": notif[ok], "weeks_at_notification": ch["notif_weeks"].to_numpy()[ok],
        "mother_age": age_on(mb[ok], notif[ok]), "due_date": due[ok], "z_h": z_h[ok],
    })  # fmt: skip
    return pd.concat([born, _current_pregnancies(city, rng)], ignore_index=True)


def _current_pregnancies(city: City, rng: np.random.Generator) -> pd.DataFrame:
    """Women pregnant on as_of: a notification with no child yet (and the 特定妊婦 candidates)."""
    p = city.persons
    ch = city.children
    births_per_year = int(((city.as_of - ch["birth"].to_numpy().astype("datetime64[D]")).astype(int) < 365).sum())
    m = p[(p["role"] == "mother").to_numpy() & np.isnat(p["moved_out"].to_numpy().astype("datetime64[D]"))]
    age = age_on(m["birth"].to_numpy().astype("datetime64[D]"), np.full(len(m), city.as_of))
    youngest = city.hh("youngest_birth", m["hh_idx"].to_numpy()).astype("datetime64[D]")
    eligible = (age >= 17) & (age <= 44) & ((city.as_of - youngest).astype(int) > 365)
    cand = m[eligible]
    z = city.hh("z", cand["hh_idx"].to_numpy())
    pick = weighted_top_k(rng, 0.3 * z - 0.08 * np.abs(age[eligible] - 31), round(births_per_year * 0.6))
    cand, z = cand.iloc[pick], z[pick]
    k = len(cand)
    due = add_days(np.full(k, city.as_of), 7 + np.floor(rng.random(k) * 230))
    weeks = np.clip(6 + rng.gamma(2.5, 1.3, k) + (rng.random(k) < sigmoid(-3.0 + z)) * 12, 4, 41)
    notif = add_days(due, -(40 - weeks) * 7)
    start, _ = city.window(cand["hh_idx"].to_numpy())
    ok = (notif <= city.as_of) & (notif >= start)
    notif = notif[ok]
    mb = cand["birth"].to_numpy().astype("datetime64[D]")[ok]
    return pd.DataFrame({
        "mother_resident_id": cand["resident_id"].to_numpy()[ok], "child_resident_id": -1,
        "notification_date": notif, "weeks_at_notification": 40 - (due[ok] - notif).astype(int) // 7,
        "mother_age": age_on(mb, notif), "due_date": due[ok], "z_h": z[ok],
    })  # fmt: skip


def prenatal(city: City, rng: np.random.Generator, notes: pd.DataFrame) -> pd.DataFrame:
    """妊婦健診: the standard 14 visits from notification on; fewer when need is high."""
    sel = notes[notes["due_date"].to_numpy().astype("datetime64[D]") >= day(city.sc.checkup_detail_from)]
    n = len(sel)
    due = sel["due_date"].to_numpy().astype("datetime64[D]")
    notif = sel["notification_date"].to_numpy().astype("datetime64[D]")
    births = city.children.set_index("resident_id")["birth"]
    birth = births.reindex(sel["child_resident_id"]).to_numpy().astype("datetime64[D]")
    limit = np.where(np.isnat(birth), city.as_of, np.minimum(add_days(birth, -1), city.as_of))
    p_att = sigmoid(2.9 - 0.9 * sel["z_h"].to_numpy())
    dates = add_days(due[:, None], -(40 - PRENATAL_WEEKS[None, :]) * 7 + rng.integers(-3, 4, (n, len(PRENATAL_WEEKS))))
    attend = (rng.random((n, len(PRENATAL_WEEKS))) < p_att[:, None]) & (dates > notif[:, None]) & (dates <= limit[:, None])
    no = np.cumsum(attend, axis=1)
    r, c = np.nonzero(attend)
    return pd.DataFrame({"notification_id": sel["notification_id"].to_numpy()[r],
                         "child_resident_id": sel["child_resident_id"].to_numpy()[r],
                         "checkup_no": no[r, c], "checkup_date": dates[r, c]})  # fmt: skip


def postnatal(city: City, rng: np.random.Generator) -> pd.DataFrame:
    """産婦健診 at two weeks and one month, with the mother's EPDS score (need-linked)."""
    ch = city.children
    birth = ch["birth"].to_numpy().astype("datetime64[D]")
    h = ch["hh_idx"].to_numpy()
    z_h = city.hh("z", h)
    start, end = city.window(h)
    base = np.clip(rng.normal(4.0 + 2.2 * z_h, 3.0), 0, 30)
    ch["epds_high"] = base >= 9
    frames = []
    for days, p in ((14, 0.78), (30, 0.9)):
        date = add_days(birth, days + rng.integers(-3, 5, len(ch)))
        ok = (birth >= day(city.sc.checkup_detail_from)) & (date >= start) & (date <= end)
        ok &= rng.random(len(ch)) < p * sigmoid(3.0 - 0.6 * z_h) / sigmoid(3.0)
        epds = np.clip(np.round(base + rng.normal(0, 1.2, len(ch))), 0, 30)
        epds = np.where(rng.random(len(ch)) < 0.03, np.nan, epds)
        frames.append(pd.DataFrame({"mother_resident_id": ch["mother_any_id"].to_numpy()[ok],
                                    "child_resident_id": ch["resident_id"].to_numpy()[ok],
                                    "checkup_date": date[ok], "epds_score": epds[ok]}))  # fmt: skip
    return pd.concat(frames, ignore_index=True)


def infant_checkups(city: City, rng: np.random.Generator) -> pd.DataFrame:
    """乳幼児健診 at 4 months, 18 months and 3 years: attendance falls and results worsen with need."""
    ch = city.children
    n = len(ch)
    z = ch["z"].to_numpy()
    birth = ch["birth"].to_numpy().astype("datetime64[D]")
    start, end = city.window(ch["hh_idx"].to_numpy())
    growth = rng.standard_normal(n) - 0.25 * z
    ch["growth"] = growth
    handicap = ch["ryouiku"].to_numpy() | ch["physical"].to_numpy()
    frames = []
    missed_any = np.zeros(n, dtype=bool)
    for ctype, off, spread, a in (("4m", 100, 40, 3.7), ("18m", 548, 60, 3.4), ("3y", 1096, 90, 2.7)):
        date = add_days(birth, off + np.floor(rng.random(n) * spread))
        due = (birth >= day(city.sc.maternal_from)) & present(date, start, end + np.timedelta64(1, "D"), city.as_of)
        attend = rng.random(n) < sigmoid(a - 0.85 * z)
        missed = due & ~attend
        missed_any |= missed
        ch[f"missed_{ctype}"] = missed
        ok = due & attend
        u = 0.5 * z + rng.standard_normal(n) + 1.3 * handicap + 0.25 * (ch["dev_latent"].to_numpy() > 1.5)
        result = 1 + np.searchsorted(np.array([0.75, 0.95, 1.7, 2.45]), u)  # 総合判定 1-5
        ch[f"result_{ctype}"] = np.where(ok, result, 0)
        w = np.clip(np.round(100 * approx_normal_cdf(growth + rng.normal(0, 0.35, n)), 1), 0.1, 99.9)
        ht = np.clip(np.round(100 * approx_normal_cdf(0.7 * growth + rng.normal(0, 0.6, n)), 1), 0.1, 99.9)
        w = np.where(rng.random(n) < 0.01, np.nan, w)
        asked = date >= day(city.sc.questionnaire_from)
        q = {}
        for name, c in (("q_hit_emotionally", -3.7), ("q_left_alone", -4.3), ("q_no_food", -6.0),
                        ("q_covered_mouth", -6.3), ("q_shook", -6.5)):  # fmt: skip
            q[name] = np.where(asked, (rng.random(n) < sigmoid(c + 0.9 * z)).astype(float), np.nan)[ok]
        frames.append(pd.DataFrame({"resident_id": ch["resident_id"].to_numpy()[ok],
                                    "checkup_type": cat(np.full(int(ok.sum()), CHECKUP_TYPES.index(ctype)), CHECKUP_TYPES),
                                    "checkup_date": date[ok], "weight_percentile": w[ok],
                                    "height_percentile": ht[ok], "overall_result": result[ok], **q}))  # fmt: skip
    ch["missed_any_checkup"] = missed_any
    return pd.concat(frames, ignore_index=True)


def newborn_visits(city: City, rng: np.random.Generator) -> pd.DataFrame:
    """新生児訪問 (first-borns, premature) and 乳児家庭全戸訪問 (everyone); refusals rise with need."""
    ch = city.children
    n = len(ch)
    birth = ch["birth"].to_numpy().astype("datetime64[D]")
    z_h = city.hh("z", ch["hh_idx"].to_numpy())
    start, end = city.window(ch["hh_idx"].to_numpy())
    frames = []
    p_bad = sigmoid(-3.0 + 0.9 * z_h)
    for vtype, lo, width, p in ((1, 10, 18, np.where(ch["order"].to_numpy() == 0, 0.45, 0.08) + 0.4 * ch["premature"].to_numpy()),
                                (2, 30, 80, np.full(n, 0.97))):  # fmt: skip
        date = add_days(birth, lo + np.floor(rng.random(n) * width))
        ok = (birth >= day(city.sc.maternal_from)) & (date >= start) & (date <= end) & (rng.random(n) < p)
        bad = rng.random(n) < p_bad
        kind = np.array([2, 3, 4])[categorical(rng, np.tile([0.5, 0.25, 0.25], (n, 1)))]
        result = np.where(bad, kind, 1)  # 1 面接, 2 不在, 3 拒否, 4 未実施
        if vtype == 2:
            ch["visit_refused"] = ok & bad
        frames.append(pd.DataFrame({"resident_id": ch["resident_id"].to_numpy()[ok], "visit_type": vtype,
                                    "visit_date": date[ok], "result": result[ok]}))  # fmt: skip
    return pd.concat(frames, ignore_index=True)


def nurse_contacts(city: City, rng: np.random.Generator) -> pd.DataFrame:
    """保健師のアプローチ・フォロー: more visits and calls for higher need and missed check-ups."""
    ch = city.children
    z = ch["z"].to_numpy()
    birth = ch["birth"].to_numpy().astype("datetime64[D]")
    start, end = city.child_window()
    lam = np.exp(-2.0 + 0.9 * z + 0.9 * ch["missed_any_checkup"].to_numpy() + 0.6 * ch["epds_high"].to_numpy()
                 + 0.6 * ch["premature"].to_numpy() + 0.8 * ch["visit_refused"].to_numpy())  # fmt: skip
    count = np.minimum(rng.poisson(lam), 12)
    count[birth < day(city.sc.maternal_from)] = 0
    idx = np.repeat(np.arange(len(ch)), count)
    m = len(idx)
    hi = np.minimum(end[idx], add_days(birth[idx], years(6)))
    date = uniform_date(rng, start[idx], hi)
    missed = ch["missed_any_checkup"].to_numpy()[idx]
    reason = np.array([2, 3, 4, 9])[categorical(rng, np.tile([0.35, 0.30, 0.20, 0.15], (m, 1)))]
    reason = np.where(missed & (rng.random(m) < 0.5), 1, reason)
    reason[rng.random(m) < 0.05] = -1  # not recorded
    p_visit = np.clip(0.35 + 0.1 * z[idx], 0.1, 0.8)
    u = rng.random(m)
    ctype = np.where(u < p_visit, 1, np.where(u < p_visit + 0.5, 2, 3))  # visit, phone, at the office
    ok = ~np.isnat(date)
    out = pd.DataFrame({"resident_id": ch["resident_id"].to_numpy()[idx][ok], "contact_date": date[ok],
                        "contact_type": ctype[ok], "reason": reason[ok]})  # fmt: skip
    out["contact_id"] = serial_ids(out["contact_date"].to_numpy(), width=7)
    return out


def immunisations(city: City, rng: np.random.Generator) -> pd.DataFrame:
    """予防接種 for children up to first grade; compliance and timeliness fall with need."""
    ch = city.children
    sel = np.flatnonzero(ch["grade"].to_numpy() <= 1)
    k = len(sel)
    z = ch["z"].to_numpy()[sel]
    birth = ch["birth"].to_numpy().astype("datetime64[D]")[sel]
    start, end = city.child_window()
    start, end = start[sel], end[sel]
    comply = sigmoid(3.3 - 0.8 * z + rng.normal(0, 0.5, k))
    ages = np.array([s[2] for s in SCHEDULE])
    delay = rng.gamma(1.5, 1.0, (k, len(SCHEDULE))) * (10 + 15 * np.maximum(z, 0))[:, None]
    dates = add_days(birth[:, None], ages[None, :] + delay)
    got = rng.random((k, len(SCHEDULE))) < comply[:, None]
    # A skipped dose stops the series of that vaccine.
    vaccines = np.array([VACCINES.index(s[0]) for s in SCHEDULE])
    for v in range(len(VACCINES)):
        cols = np.flatnonzero(vaccines == v)
        got[:, cols] = np.cumprod(got[:, cols], axis=1).astype(bool)
    ok = got & (dates >= start[:, None]) & (dates <= end[:, None])
    r, c = np.nonzero(ok)
    return pd.DataFrame({"resident_id": ch["resident_id"].to_numpy()[sel][r],
                         "vaccine_code": cat(vaccines[c], VACCINES),
                         "dose_no": np.array([s[1] for s in SCHEDULE])[c], "vaccination_date": dates[r, c]})  # fmt: skip


def build(city: City, rng: np.random.Generator) -> dict[str, pd.DataFrame]:
    notes = pregnancy(city, rng)
    notes["notification_id"] = serial_ids(notes["notification_date"].to_numpy())
    tables = {
        "pregnancy_notification": notes,
        "prenatal_checkup": prenatal(city, rng, notes),
        "postnatal_checkup": postnatal(city, rng),
        "infant_checkup": infant_checkups(city, rng),
        "newborn_visit": newborn_visits(city, rng),
    }
    tables["nurse_contact"] = nurse_contacts(city, rng)
    tables["immunisation"] = immunisations(city, rng)
    city.pregnancies = notes
    return tables

