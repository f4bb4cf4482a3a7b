"""Child consultations, 要対協 registrations and DV reports: who is or was already in support.

Past support cases — children whose consultation had 養護相談（虐待） (code '11') as the main
complaint — are Fukuoka's training label. They are drawn from the true need (about 1-2% of
children), so a model trained on them learns the need, imperfectly, as in a real city. Some
of them were taken into temporary protection and some are still registered with the 要対協:
those are "already in support" and screening must exclude them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kodomo_dash.demo.synth.population import City
from kodomo_dash.demo.synth.rand import NAT, add_days, day, serial_ids, sigmoid, uniform_date, weighted_top_k

ABUSE = 11  # 養護相談（虐待）: the main complaint that marks a past support case
OTHER_COMPLAINTS = (  # code, intercept, slope on the need score
    (12, -6.2, 0.8), (20, -5.8, 0.3), (30, -5.6, 0.0), (40, -7.0, 0.8), (50, -5.2, 0.3), (90, -6.6, 0.2),
)  # fmt: skip
HISTORY_FROM = "2013-04-01"


def consultations(city: City, rng: np.random.Generator) -> pd.DataFrame:
    """児童相談: abuse cases from true need, other complaints at low background rates."""
    ch = city.children
    r = city.sc.rates
    n = len(ch)
    z = ch["z"].to_numpy()
    need = ch["need"].to_numpy()
    start, end = city.child_window()
    start = np.maximum(start, day(HISTORY_FROM))
    case = rng.random(n) < np.where(need, r.past_case_given_need, r.past_case_given_no_need)
    frames = []
    idx = np.flatnonzero(case)
    opened = uniform_date(rng, start[idx], end[idx], power=0.8)
    office = np.where(rng.random(len(idx)) < 0.35, 2, 1)  # 2 = child guidance centre
    protection = rng.random(len(idx)) < np.where(office == 2, 0.45, 0.08)
    closed = add_days(opened, 30 + np.floor(rng.random(len(idx)) * 500))
    closed = np.where((rng.random(len(idx)) < 0.7) & (closed <= city.as_of), closed, NAT)
    frames.append(pd.DataFrame({"resident_id": ch["resident_id"].to_numpy()[idx], "office": office,
                                "main_complaint": ABUSE, "opened_date": opened, "closed_date": closed,
                                "temporary_protection": protection}))  # fmt: skip
    disabled = ch["disability"].to_numpy() | ch["dev_service"].to_numpy()
    age = (city.as_of - ch["birth"].to_numpy().astype("datetime64[D]")).astype(int) / 365.25
    for code, a, b in OTHER_COMPLAINTS:
        logit = a + b * z + (2.8 * disabled if code == 30 else 0.0)
        p = sigmoid(logit) * ((age >= 10) if code == 40 else 1.0)
        idx = np.flatnonzero(rng.random(n) < p)
        opened = uniform_date(rng, start[idx], end[idx], power=0.8)
        closed = add_days(opened, 14 + np.floor(rng.random(len(idx)) * 300))
        closed = np.where((rng.random(len(idx)) < 0.8) & (closed <= city.as_of), closed, NAT)
        prot = (code == 12) & (rng.random(len(idx)) < 0.1)
        frames.append(pd.DataFrame({"resident_id": ch["resident_id"].to_numpy()[idx],
                                    "office": np.where(rng.random(len(idx)) < 0.25, 2, 1),
                                    "main_complaint": code, "opened_date": opened, "closed_date": closed,
                                    "temporary_protection": np.full(len(idx), prot)}))  # fmt: skip
    out = pd.concat(frames, ignore_index=True)
    out = out[~np.isnat(out["opened_date"].to_numpy().astype("datetime64[D]"))].reset_index(drop=True)
    out["case_no"] = [f"K{v}" for v in serial_ids(out["opened_date"].to_numpy())]
    abuse = out[out["main_complaint"] == ABUSE]
    ch["past_case"] = np.isin(ch["resident_id"].to_numpy(), abuse["resident_id"].to_numpy())
    ch["protected"] = np.isin(ch["resident_id"].to_numpy(), out["resident_id"].to_numpy()[out["temporary_protection"].to_numpy()])
    open_case = out[np.isnat(out["closed_date"].to_numpy().astype("datetime64[D]"))]
    ch["open_consultation"] = np.isin(ch["resident_id"].to_numpy(), open_case["resident_id"].to_numpy())
    return out


def yotaikyo(city: City, rng: np.random.Generator, cons: pd.DataFrame) -> pd.DataFrame:
    """要対協 registrations: most abuse cases, a few other children in need, and 特定妊婦."""
    ch = city.children
    abuse = cons[cons["main_complaint"] == ABUSE]
    m = len(abuse)
    prot = abuse["temporary_protection"].to_numpy()
    reg = rng.random(m) < np.where(prot, 0.85, 0.5)
    opened = abuse["opened_date"].to_numpy().astype("datetime64[D]")
    registered = add_days(opened, 7 + np.floor(rng.random(m) * 80))
    reg &= registered <= city.as_of
    cons_closed = abuse["closed_date"].to_numpy().astype("datetime64[D]")
    closed = add_days(cons_closed, 30 + np.floor(rng.random(m) * 330))
    closed = np.where(~np.isnat(cons_closed) & (rng.random(m) < 0.6) & (closed <= city.as_of), closed, NAT)
    category = np.where(prot | (abuse["office"].to_numpy() == 2), 1, 2)  # 1 要保護児童, 2 要支援児童
    frames = [pd.DataFrame({"resident_id": abuse["resident_id"].to_numpy()[reg], "category": category[reg],
                            "registered_date": registered[reg], "closed_date": closed[reg]})]  # fmt: skip
    # Children in need reached by other routes (school, nurse) without an abuse consultation.
    other = np.flatnonzero(ch["need"].to_numpy() & ~ch["past_case"].to_numpy() & (rng.random(len(ch)) < 0.04))
    start, end = city.child_window()
    date = uniform_date(rng, np.maximum(start[other], day(HISTORY_FROM)), end[other], power=0.8)
    ok = ~np.isnat(date)
    frames.append(pd.DataFrame({"resident_id": ch["resident_id"].to_numpy()[other][ok], "category": 2,
                                "registered_date": date[ok], "closed_date": NAT}))  # fmt: skip
    # 特定妊婦: current pregnancies of high-need mothers (the mother is the registered person).
    preg = city.pregnancies
    cur = preg[preg["child_resident_id"].to_numpy() < 0]
    sp = rng.random(len(cur)) < sigmoid(-3.6 + 1.0 * cur["z_h"].to_numpy())
    reg_d = add_days(cur["notification_date"].to_numpy().astype("datetime64[D]"), 7 + np.floor(rng.random(len(cur)) * 50))
    sp &= reg_d <= city.as_of
    frames.append(pd.DataFrame({"resident_id": cur["mother_resident_id"].to_numpy()[sp], "category": 3,
                                "registered_date": reg_d[sp], "closed_date": NAT}))  # fmt: skip
    out = pd.concat(frames, ignore_index=True).drop_duplicates(["resident_id", "registered_date"])
    open_reg = out[np.isnat(out["closed_date"].to_numpy().astype("datetime64[D]"))]
    ch["yotaikyo_open"] = np.isin(ch["resident_id"].to_numpy(), open_reg["resident_id"].to_numpy())
    return out.reset_index(drop=True)


def dv_reports(city: City, rng: np.random.Generator) -> pd.DataFrame:
    """DV相談・通報 per household: rare, strongly need-linked (an Amagasaki 99-point item)."""
    hh = city.households
    n = len(hh)
    p = sigmoid(-5.3 + 1.3 * hh["z"].to_numpy() + 0.6 * hh["single"].to_numpy())
    count = np.where(rng.random(n) < p, 1 + rng.poisson(0.4, n), 0)
    idx = np.repeat(np.arange(n), count)
    start, end = city.window(idx)
    date = uniform_date(rng, np.maximum(start, day(HISTORY_FROM)), end, power=0.8)
    ok = ~np.isnat(date)
    out = pd.DataFrame({"household_id": hh["hid"].to_numpy()[idx][ok], "report_date": date[ok]})
    out["report_id"] = [f"D{v}" for v in serial_ids(out["report_date"].to_numpy(), width=5)]
    hh["dv"] = np.bincount(idx[ok], minlength=n) > 0
    return out


def build(city: City, rng: np.random.Generator) -> dict[str, pd.DataFrame]:
    cons = consultations(city, rng)
    return {"child_consultation": cons, "yotaikyo_case": yotaikyo(city, rng, cons), "dv_report": dv_reports(city, rng)}


def calibrate_model_schools(city: City, rng: np.random.Generator, register: pd.DataFrame,
                            model_codes: list[str], yotaikyo_case: pd.DataFrame) -> pd.DataFrame:
    """Izumi: exactly ``model_school_yotaikyo`` model-school children registered with the 要対協.

    Izumi excluded 847 of its 7,347 model-school children as already registered (→ 6,500). The
    children already in support by the other route (an open consultation) are registered too, so
    that "already in support" in the warehouse is exactly the 要対協 register, whose file is never
    damaged by the dirt step; the rest are drawn weighted towards higher latent need, as a real
    register would be. Returns the 要対協 table with the added registrations.
    """
    ch = city.children
    target = round(city.sc.model_school_yotaikyo * city.scale)
    codes = {int(c) for c in model_codes}
    in_model = register["school_code"].isin(codes).to_numpy()
    pos = register["child_pos"].to_numpy()[in_model]
    in_support = ch["yotaikyo_open"].to_numpy()[pos] | ch["open_consultation"].to_numpy()[pos]
    if int(in_support.sum()) > target:
        raise ValueError(f"{int(in_support.sum())} model-school children already in support, more than {target}")
    need_reg = pos[in_support & ~ch["yotaikyo_open"].to_numpy()[pos]]
    free = pos[~in_support]
    extra = free[weighted_top_k(rng, 1.2 * ch["z"].to_numpy()[free], target - int(in_support.sum()))]
    add = np.sort(np.concatenate([need_reg, extra]))
    start, end = city.child_window()
    lo = np.maximum(start[add], add_days(np.full(len(add), city.as_of), -4 * 365))
    registered = uniform_date(rng, lo, add_days(end[add], -14))
    registered = np.where(np.isnat(registered), add_days(end[add], -14), registered)
    rows = pd.DataFrame({"resident_id": ch["resident_id"].to_numpy()[add], "category": 2,
                         "registered_date": registered, "closed_date": NAT})  # fmt: skip
    out = pd.concat([yotaikyo_case, rows], ignore_index=True)
    ch["yotaikyo_open"] = ch["yotaikyo_open"].to_numpy() | np.isin(ch["resident_id"].to_numpy(), rows["resident_id"].to_numpy())
    return out
