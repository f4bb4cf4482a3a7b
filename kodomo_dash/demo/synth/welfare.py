"""Welfare and benefit programmes: income, public assistance, allowances, disability, subsidies.

All of them hang off the household's latent need through income: need lowers income, low
income and single parenthood open the door to assistance and the child-rearing allowance
(児童扶養手当, a Fukuoka 図表 7-2 factor). Disability is child-level with a mild link to need
(Amagasaki counts child and guardian disability as risk items). Each function adds the facts
other modules need (income band, assistance, disability) to the city tables.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kodomo_dash.demo.synth.population import City
from kodomo_dash.demo.synth.rand import NAT, add_days, categorical, day, sigmoid, uniform_date, years, ymd

BAND_SHARES = np.array([0.10, 0.05, 0.12, 0.28, 0.25, 0.20])


def income(city: City, rng: np.random.Generator) -> None:
    """Income band (所得階層 1-6) per household; public assistance forces band 1."""
    hh = city.households
    n = len(hh)
    z, single = hh["z"].to_numpy(), hh["single"].to_numpy()
    latent = -0.9 * z - 0.8 * single + rng.normal(0, 0.8, n)
    cuts = np.quantile(latent, np.cumsum(BAND_SHARES)[:-1])
    band = 1 + np.searchsorted(cuts, latent)  # lowest latent income -> band 1 (非課税)
    pa_now = rng.random(n) < sigmoid(-5.6 + 1.1 * z + 1.3 * single + 1.2 * (band <= 2))
    pa_past = ~pa_now & (rng.random(n) < sigmoid(-5.8 + 0.9 * z + 1.0 * single))
    hh["band"] = np.where(pa_now, 1, band)
    hh["pa_now"], hh["pa_past"] = pa_now, pa_past
    first_birth = add_days(np.full(n, city.as_of), -years(hh["first_birth_years"].to_numpy()) - 1)
    start, end = city.window(np.arange(n))
    lo = np.maximum(np.maximum(start, first_birth), day("2012-04-01"))
    hh["single_since"] = uniform_date(rng, lo, add_days(end, -60))
    hh["single_since"] = np.where(hh["single"].to_numpy(), hh["single_since"].to_numpy(), NAT)


def public_assistance(city: City, rng: np.random.Generator) -> pd.DataFrame:
    """生活保護: one row per household member while the household is on assistance."""
    hh, p = city.households, city.persons
    n = len(hh)
    start_hh, end_hh = city.window(np.arange(n))
    lo = np.maximum(start_hh, day("2012-04-01"))
    on = hh["pa_now"].to_numpy() | hh["pa_past"].to_numpy()
    pa_start = uniform_date(rng, lo, add_days(end_hh, -90), power=0.8)
    ended_at = add_days(pa_start, 90 + np.floor(rng.random(n) * 1500))
    past_end = np.minimum(ended_at, add_days(end_hh, -1))
    pa_end = np.where(hh["pa_now"].to_numpy(), np.where(np.isnat(hh["moved_out"].to_numpy()), NAT, end_hh), past_end)
    case_no = np.char.add("S", (100000 + rng.permutation(n)).astype(str)).astype(object)
    hidx = p["hh_idx"].to_numpy()
    member = on[hidx] & ~np.isnat(pa_start[hidx])
    birth = p["birth"].to_numpy().astype("datetime64[D]")[member]
    s = np.maximum(pa_start[hidx][member], birth)
    e = pa_end[hidx][member]
    keep = np.isnat(e) | (e > s)
    return pd.DataFrame({
        "resident_id": p["resident_id"].to_numpy()[member][keep],
        "case_no": case_no[hidx][member][keep],
        "start_date": s[keep],
        "end_date": e[keep],
    })  # fmt: skip


def child_rearing_allowance(city: City, rng: np.random.Generator) -> pd.DataFrame:
    """児童扶養手当: single-parent households below the income limit, one row per child."""
    ch = city.children
    h = ch["hh_idx"].to_numpy()
    band = city.hh("band", h)
    eligible = city.hh("single", h) & (band <= 4) & ~np.isnat(city.hh("single_since", h).astype("datetime64[D]"))
    hh_takes = rng.random(len(city.households)) < 0.92
    take = eligible & hh_takes[h] & (ch["guardian_id"].to_numpy() >= 0)
    start_hh, end_hh = city.window(h)
    birth = ch["birth"].to_numpy().astype("datetime64[D]")
    start = np.maximum(np.maximum(city.hh("single_since", h).astype("datetime64[D]"), add_days(birth, 14)), start_hh)
    take &= start <= end_hh
    u = rng.random(len(city.households))[h]
    pay = np.select([band <= 2, band == 3], [np.where(u < 0.9, "1", "2"), np.where(u < 0.55, "1", "2")],
                    np.where(u < 0.7, "2", "3"))  # fmt: skip
    return pd.DataFrame({
        "recipient_resident_id": ch["guardian_id"].to_numpy()[take],
        "child_resident_id": ch["resident_id"].to_numpy()[take],
        "payment_class": pay[take].astype(object),
        "start_date": start[take],
    })  # fmt: skip


def disability(city: City, rng: np.random.Generator) -> pd.DataFrame:
    """障害者手帳 for children (mildly need-linked) and for guardians (a separate risk item)."""
    ch, hh = city.children, city.households
    n = len(ch)
    z = ch["z"].to_numpy()
    birth = ch["birth"].to_numpy().astype("datetime64[D]")
    start, end = city.child_window()
    age = (city.as_of - birth).astype(int) / 365.25
    dev = rng.standard_normal(n) + 0.35 * z
    ryouiku = (dev > 2.35) & (age >= 1.5)
    physical = rng.random(n) < 0.003
    mental = (age >= 6) & (rng.random(n) < sigmoid(-6.6 + 0.6 * z))
    severe_u = rng.random(n)
    ch["dev_latent"] = dev
    ch["ryouiku"], ch["physical"], ch["mental"] = ryouiku, physical, mental
    ch["severe"] = (ryouiku & (severe_u < 0.3)) | (physical & (severe_u < 0.4))
    ch["disability"] = ryouiku | physical | mental
    rows = []
    for flag, htype, first_age, grades in (
        (ryouiku, "2", 1.5, None),
        (physical, "1", 0.2, None),
        (mental, "3", 6.0, ("1級", "2級", "3級")),
    ):
        idx = np.flatnonzero(flag)
        lo = np.maximum(add_days(birth[idx], years(first_age)), start[idx])
        issue = uniform_date(rng, lo, end[idx])
        ok = ~np.isnat(issue)
        if htype == "2":
            grade = np.where(ch["severe"].to_numpy()[idx], "A", np.where(rng.random(len(idx)) < 0.5, "B1", "B2"))
        elif htype == "1":
            grade = np.where(ch["severe"].to_numpy()[idx], np.where(rng.random(len(idx)) < 0.5, "1級", "2級"),
                             np.array(["3級", "4級", "5級", "6級"])[rng.integers(0, 4, len(idx))])  # fmt: skip
        else:
            grade = np.array(grades)[rng.integers(0, 3, len(idx))]
        rows.append(pd.DataFrame({"resident_id": ch["resident_id"].to_numpy()[idx][ok], "handbook_type": htype,
                                  "grade": grade[ok].astype(object), "issue_date": issue[ok]}))  # fmt: skip
    # Guardians: mother or father of the household.
    p = city.persons
    is_parent = p["role"].isin(["mother", "father"]).to_numpy()
    ph = p["hh_idx"].to_numpy()
    g_flag = is_parent & (rng.random(len(p)) < sigmoid(-4.6 + 0.7 * hh["z"].to_numpy()[ph]))
    gi = np.flatnonzero(g_flag)
    gstart, gend = city.window(ph[gi])
    issue = uniform_date(rng, np.maximum(gstart, day("2005-04-01")), gend)
    htype = np.array(["3", "1", "2"])[categorical(rng, np.tile([0.55, 0.30, 0.15], (len(gi), 1)))]
    grade = np.where(htype == "2", "B2", np.array(["1級", "2級", "3級"])[rng.integers(0, 3, len(gi))])
    ok = ~np.isnat(issue)
    rows.append(pd.DataFrame({"resident_id": p["resident_id"].to_numpy()[gi][ok], "handbook_type": htype[ok].astype(object),
                              "grade": grade[ok].astype(object), "issue_date": issue[ok]}))  # fmt: skip
    hh["guardian_disability"] = np.bincount(ph[gi][ok], minlength=len(hh)) > 0
    return pd.concat(rows, ignore_index=True)


def special_child_allowance(city: City, rng: np.random.Generator, handbooks: pd.DataFrame) -> pd.DataFrame:
    """特別児童扶養手当 for most children with a severe disability, a little after the handbook."""
    ch = city.children
    sev = ch[ch["severe"].to_numpy()]
    issued = handbooks.groupby("resident_id")["issue_date"].min()
    first = issued.reindex(sev["resident_id"]).to_numpy().astype("datetime64[D]")
    take = ~np.isnat(first) & (rng.random(len(sev)) < 0.8)
    start = np.minimum(add_days(first, 30 + np.floor(rng.random(len(sev)) * 120)), city.as_of)
    grade = np.where(rng.random(len(sev)) < 0.55, "1", "2")
    return pd.DataFrame({"child_resident_id": sev["resident_id"].to_numpy()[take],
                         "disability_grade": grade[take].astype(object), "start_date": start[take]})  # fmt: skip


def child_disability_service(city: City, rng: np.random.Generator) -> pd.DataFrame:
    """障がい児通所給付: developmental support before school, after-school day service at school."""
    ch = city.children
    n = len(ch)
    birth = ch["birth"].to_numpy().astype("datetime64[D]")
    start, end = city.child_window()
    grade = ch["grade"].to_numpy()
    handbook = ch["ryouiku"].to_numpy() | ch["physical"].to_numpy()
    concern = handbook | (ch["dev_latent"].to_numpy() > 1.75)
    school_entry = ymd(ch["cohort_year"].to_numpy(), 4, 1)
    rows = []
    # 児童発達支援: from age 1.5 until school entry.
    pre = concern & (rng.random(n) < np.where(handbook, 0.8, 0.55))
    s1 = uniform_date(rng, np.maximum(add_days(birth, years(1.5)), start), np.minimum(add_days(school_entry, -30), end))
    e1 = np.where(school_entry <= end, add_days(school_entry, -1), NAT)
    ok = pre & ~np.isnat(s1)
    rows.append((ok, "1", s1, e1))
    # 放課後等デイサービス: pupils.
    sch = concern & (grade >= 1) & (grade <= 9) & (rng.random(n) < np.where(handbook, 0.7, 0.45))
    s2 = uniform_date(rng, np.maximum(school_entry, start), end)
    rows.append((sch & ~np.isnat(s2), "2", s2, np.full(n, NAT)))
    # 障害児入所: rare, severe only.
    inst = ch["severe"].to_numpy() & (rng.random(n) < 0.04)
    s3 = uniform_date(rng, np.maximum(add_days(birth, years(2)), start), end)
    rows.append((inst & ~np.isnat(s3), "3", s3, np.full(n, NAT)))
    cert = 4000000000 + rng.permutation(n).astype(np.int64) * 7 + 3
    frames = [pd.DataFrame({"resident_id": ch["resident_id"].to_numpy()[m], "certificate_no": cert[m],
                            "service_type": t, "start_date": s[m], "end_date": e[m]})
              for m, t, s, e in rows]  # fmt: skip
    out = pd.concat(frames, ignore_index=True)
    out["end_date"] = np.where(out["end_date"].to_numpy() < out["start_date"].to_numpy(), NAT,
                               out["end_date"].to_numpy().astype("datetime64[D]"))  # fmt: skip
    ch["dev_service"] = np.isin(ch["resident_id"].to_numpy(), out["resident_id"].to_numpy())
    return out


def medical_subsidy(city: City, rng: np.random.Generator) -> pd.DataFrame:
    """医療費助成: every child (子ども医療), single-parent families, severe disability, chronic illness."""
    ch = city.children
    start, _ = city.child_window()
    h = ch["hh_idx"].to_numpy()
    frames = [pd.DataFrame({"resident_id": ch["resident_id"].to_numpy(), "subsidy_type": 1, "start_date": start})]
    single = city.hh("single", h) & (city.hh("band", h) <= 4)
    ss = np.maximum(city.hh("single_since", h).astype("datetime64[D]"), start)
    ok = single & ~np.isnat(ss)
    frames.append(pd.DataFrame({"resident_id": ch["resident_id"].to_numpy()[ok], "subsidy_type": 2,
                                "start_date": ss[ok]}))  # fmt: skip
    # The single parent too.
    gid = ch["guardian_id"].to_numpy()[ok]
    g = pd.DataFrame({"resident_id": gid, "start_date": ss[ok]}).query("resident_id >= 0")
    g = g.groupby("resident_id", sort=True)["start_date"].min().reset_index().assign(subsidy_type=2)
    frames.append(g)
    sev = ch["severe"].to_numpy()
    frames.append(pd.DataFrame({"resident_id": ch["resident_id"].to_numpy()[sev], "subsidy_type": 3,
                                "start_date": uniform_date(rng, start[sev], np.full(int(sev.sum()), city.as_of))}))  # fmt: skip
    chronic = rng.random(len(ch)) < 0.005
    frames.append(pd.DataFrame({"resident_id": ch["resident_id"].to_numpy()[chronic], "subsidy_type": 4,
                                "start_date": uniform_date(rng, start[chronic], np.full(int(chronic.sum()), city.as_of))}))  # fmt: skip
    out = pd.concat(frames, ignore_index=True)
    return out[~np.isnat(out["start_date"].to_numpy().astype("datetime64[D]"))].reset_index(drop=True)


def single_parent_loan(city: City, rng: np.random.Generator) -> pd.DataFrame:
    """母子父子寡婦福祉資金: a few single parents borrow, mostly for a child's schooling."""
    ch = city.children
    hh = city.households
    borrower_hh = hh["single"].to_numpy() & (rng.random(len(hh)) < 0.06)
    # One loan per borrowing household, for its eldest child.
    eldest = ch.groupby("hh_idx", sort=True).head(1)
    e = eldest[borrower_hh[eldest["hh_idx"].to_numpy()] & (eldest["guardian_id"].to_numpy() >= 0)]
    n = len(e)
    loan_type = np.array(["1", "2", "3", "9"])[categorical(rng, np.tile([0.35, 0.30, 0.28, 0.07], (n, 1)))]
    start, end = city.window(e["hh_idx"].to_numpy())
    date = uniform_date(rng, np.maximum(start, day("2018-04-01")), end)
    amount = np.round(rng.uniform(50_000, 900_000, n), -3).astype(np.int64)
    ok = ~np.isnat(date)
    child = np.where(loan_type == "3", -1, e["resident_id"].to_numpy())  # 生活資金: no child named
    return pd.DataFrame({
        "loan_id": np.char.add("L", (200000 + rng.permutation(n)).astype(str)).astype(object)[ok],
        "borrower_resident_id": e["guardian_id"].to_numpy()[ok],
        "child_resident_id": child[ok],
        "loan_type": loan_type[ok].astype(object),
        "loan_date": date[ok],
        "amount_yen": amount[ok],
    })  # fmt: skip


def resident_tax(city: City) -> pd.DataFrame:
    """住民税 for the fiscal year: households living in the city on 1 January of that year."""
    hh = city.households
    jan1 = day(f"{city.sc.fiscal_year}-01-01")
    mo = hh["moved_out"].to_numpy().astype("datetime64[D]")
    mi = hh["moved_in"].to_numpy().astype("datetime64[D]")
    taxed_here = (np.isnat(mo) | (mo > jan1)) & (np.isnat(mi) | (mi <= jan1))
    band = hh["band"].to_numpy()[taxed_here]
    return pd.DataFrame({"household_id": hh["hid"].to_numpy()[taxed_here], "fiscal_year": city.sc.fiscal_year,
                         "tax_exempt": band == 1, "income_band": band})  # fmt: skip


def build(city: City, rng: np.random.Generator) -> dict[str, pd.DataFrame]:
    income(city, rng)
    handbooks = disability(city, rng)
    return {
        "public_assistance": public_assistance(city, rng),
        "child_rearing_allowance": child_rearing_allowance(city, rng),
        "special_child_allowance": special_child_allowance(city, rng, handbooks),
        "disability_handbook": handbooks,
        "child_disability_service": child_disability_service(city, rng),
        "medical_subsidy": medical_subsidy(city, rng),
        "single_parent_loan": single_parent_loan(city, rng),
        "resident_tax": resident_tax(city),
    }
