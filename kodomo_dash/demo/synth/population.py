"""Households and people of the synthetic city, driven by a latent need score per household.

Every household gets a latent need score ``z`` (standard normal). Household facts that the
Fukuoka model found predictive (図表 7-2) are drawn conditionally on it — single parent,
number of children, the mother's age — so they really carry signal, while nationality is
drawn independently of need (a fairness check should find no built-in bias there). Each
child's own score adds child-level noise, and the child's true need is a Bernoulli draw from
``sigmoid(a + b * z_child)``; that probability is kept as truth so a Bayes-optimal AUC can be
computed later.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from kodomo_dash.demo.synth import geo, names
from kodomo_dash.demo.synth.rand import (
    NAT,
    add_days,
    categorical,
    day,
    school_cohort_year,
    sigmoid,
    stream,
    unique_ids,
    years,
)
from kodomo_dash.demo.synth.scenarios import Scenario

NATIONALITIES = np.array(["CN", "VN", "KR", "NP", "PH", "US", "ZZ"], dtype=object)
NATIONALITY_P = np.array([0.30, 0.22, 0.14, 0.12, 0.10, 0.03, 0.09])
ALIAS_P = {"KR": 0.6, "CN": 0.3}
KIDS_BASE = np.array([0.40, 0.41, 0.15, 0.035, 0.005])
MAX_AGE_YEARS = 15.99  # Fukuoka's default; a scenario sets its own (Scenario.max_age_years)


@dataclass
class City:
    """The generated population; programme modules read it and add their own columns."""

    sc: Scenario
    scale: float
    seed: int
    as_of: np.datetime64
    households: pd.DataFrame
    persons: pd.DataFrame
    children: pd.DataFrame
    pregnancies: pd.DataFrame = field(default_factory=pd.DataFrame)

    def hh(self, col: str, hh_idx: np.ndarray) -> np.ndarray:
        """A household attribute for rows given by household index."""
        return self.households[col].to_numpy()[hh_idx]

    def window(self, hh_idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """First and last day each household lived in the city (moved in .. moved out or as_of)."""
        mi = self.hh("moved_in", hh_idx).astype("datetime64[D]")
        mo = self.hh("moved_out", hh_idx).astype("datetime64[D]")
        start = np.where(np.isnat(mi), np.datetime64("1970-01-01"), mi)
        end = np.where(np.isnat(mo), self.as_of, mo - np.timedelta64(1, "D"))
        return start, end

    def child_window(self) -> tuple[np.ndarray, np.ndarray]:
        """Days each child lived in the city: from birth or moving in, to moving out or as_of."""
        start, end = self.window(self.children["hh_idx"].to_numpy())
        birth = self.children["birth"].to_numpy().astype("datetime64[D]")
        return np.maximum(start, birth), end

    @property
    def current(self) -> np.ndarray:
        """Children still living in the city on as_of."""
        return np.isnat(self.children["moved_out"].to_numpy().astype("datetime64[D]"))


def _household_block(
    rng: np.random.Generator, sc: Scenario, ward_idx: int, n_children: int, as_of: np.datetime64
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Households of one ward holding exactly ``n_children`` children aged 0-15 on ``as_of``.

    Families are laid out as a stationary process: the first birth falls uniformly in a
    window long enough that every planned child could land in the 0-15 range, so children's
    ages come out flat, as in a city with steady births. Older siblings (16+) and children not
    yet born are simply not in the registry's child rows.
    """
    n = int(n_children / 1.25) + 20
    z = rng.standard_normal(n)
    logits = np.log(KIDS_BASE)[None, :] + 0.35 * z[:, None] * np.arange(5)[None, :]
    k = categorical(rng, np.exp(logits)) + 1
    twin = (k >= 2) & (rng.random(n) < sc.rates.twin_children * 1.55)
    total = int(k.sum())
    hidx = np.repeat(np.arange(n), k)
    first = np.cumsum(k) - k
    order = np.arange(total) - np.repeat(first, k)
    gap = np.where(order == 0, 0.0, 1.0 + rng.gamma(2.0, 0.7, size=total))
    twin_pos = 1 + np.floor(rng.random(n) * np.maximum(k - 1, 1)).astype(np.int64)
    twin_second = twin[hidx] & (order == twin_pos[hidx])
    gap[twin_second] = 0.0
    cs = np.cumsum(gap)
    offset = cs - np.repeat(cs[first], k)
    span = np.zeros(n)
    np.maximum.at(span, hidx, offset)
    # Age of the first-born on as_of: uniform over [0, 16 + span) makes every child's age flat on [0, 16).
    t1 = rng.random(n) * (sc.max_age_years + span)
    age = t1[hidx] - offset
    keep = (age >= 0) & (age < sc.max_age_years)
    kept_per_hh = np.bincount(hidx[keep], minlength=n)
    cum = np.cumsum(kept_per_hh)
    h = int(np.searchsorted(cum, n_children)) + 1
    # Trim the last household's youngest children so the ward total is exact.
    excess = int(cum[h - 1] - n_children)
    keep &= hidx < h
    if excess > 0:
        last_kept = np.flatnonzero(keep & (hidx == h - 1))
        keep[last_kept[-excess:]] = False
    kept_per_hh = np.bincount(hidx[keep], minlength=n)[:h]
    hh = pd.DataFrame({"ward_idx": np.full(h, ward_idx), "z": z[:h], "k_planned": k[:h], "k": kept_per_hh,
                       "first_birth_years": t1[:h], "span": span[:h]})  # fmt: skip
    ch = pd.DataFrame({"hh_idx": hidx[keep], "order": order[keep], "age": age[keep]})
    ch["birth"] = add_days(np.full(len(ch), as_of), -years(ch["age"].to_numpy()) - 1)
    hh = hh[hh["k"] > 0]
    remap = np.full(h, -1)
    remap[hh.index.to_numpy()] = np.arange(len(hh))
    ch["hh_idx"] = remap[ch["hh_idx"].to_numpy()]
    return hh.reset_index(drop=True), ch


def _households(
    rng: np.random.Generator, sc: Scenario, scale: float, as_of: np.datetime64
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Current and moved-out households for every ward with their children and need-linked facts."""
    r = sc.rates
    hh_blocks, ch_blocks, offset = [], [], 0
    for wi, ward in enumerate(sc.wards):
        n_now = max(8, round(sc.children_total * scale * ward.child_share))
        n_out = max(1, round(n_now * r.moved_out_extra))
        for n_kids, gone in ((n_now, False), (n_out, True)):
            hh_b, ch_b = _household_block(rng, sc, wi, n_kids, as_of)
            ch_b["hh_idx"] += offset
            offset += len(hh_b)
            hh_blocks.append(hh_b.assign(moved_out=gone))
            ch_blocks.append(ch_b)
    hh = pd.concat(hh_blocks, ignore_index=True)
    ch = pd.concat(ch_blocks, ignore_index=True)
    n = len(hh)
    z = hh["z"].to_numpy()
    # Calibrated so that about r.single_parent of households are single-parent.
    single = rng.random(n) < sigmoid(np.log(r.single_parent / (1 - r.single_parent)) - 0.5 + 1.2 * z)
    hh["single"] = single
    hh["single_father"] = single & (rng.random(n) < 0.12)
    grand = rng.random(n) < (r.grandparents - 0.02 + 0.12 * single)
    hh["grandparents"] = np.where(grand, np.where(rng.random(n) < 0.3, 1, 2), 0)
    hh["grand_head"] = grand & single & ~hh["single_father"].to_numpy() & (rng.random(n) < 0.6)
    foreign = rng.random(n) < r.foreign
    nat_idx = categorical(rng, np.tile(NATIONALITY_P, (n, 1)))
    hh["nationality"] = np.where(foreign, NATIONALITIES[nat_idx], "JP")
    nat = hh["nationality"].to_numpy(dtype=object)
    alias_p = np.select([nat == k for k in ALIAS_P], list(ALIAS_P.values()), 0.08)
    hh["alias"] = foreign & (rng.random(n) < alias_p)
    hh["hid"] = unique_ids(rng, n, 5_000_000_000)
    # Mother's age at her first birth: younger with higher need; capped so the last is <= 46.
    m1 = np.clip(rng.normal(30.0 - 2.3 * z, 4.3), 16, 44)
    hh["mother_age_first"] = np.maximum(16, np.minimum(m1, 46 - hh["span"].to_numpy()))
    return hh, ch


ROLES = ("father", "mother", "grandfather", "grandmother", "child")  # also the order within a household
FATHER, MOTHER, GRANDFATHER, GRANDMOTHER, CHILD = range(5)


def _children(rng: np.random.Generator, sc: Scenario, hh: pd.DataFrame, ch: pd.DataFrame) -> pd.DataFrame:
    """Child-level facts: sex, twins (same household, same birth date), latent need."""
    n = len(ch)
    key = pd.DataFrame({"h": ch["hh_idx"], "b": ch["birth"]})
    ch["twin"] = key.duplicated(keep=False).to_numpy()
    ch["sex"] = np.where(rng.random(n) < 0.512, 1, 2).astype(np.int8)
    # Twins add to a family's load (a risk item in Amagasaki's list), so they nudge the child's need.
    z_c = hh["z"].to_numpy()[ch["hh_idx"].to_numpy()] + rng.normal(0.0, 0.6, size=n) + 0.3 * ch["twin"].to_numpy()
    ch["z"] = z_c
    ch["need_prob"] = sigmoid(sc.rates.need_prevalence_logit + sc.rates.need_slope * z_c)
    ch["need"] = rng.random(n) < ch["need_prob"].to_numpy()
    ch["role_code"] = CHILD
    return ch.drop(columns="age")


def _adults(rng: np.random.Generator, hh: pd.DataFrame, as_of: np.datetime64) -> pd.DataFrame:
    """Parents and co-resident grandparents, aged from the family's first birth."""
    n = len(hh)
    single, single_father = hh["single"].to_numpy(), hh["single_father"].to_numpy()
    first_birth = add_days(np.full(n, as_of), -years(hh["first_birth_years"].to_numpy()) - 1)
    mother_birth = add_days(first_birth, -years(hh["mother_age_first"].to_numpy()) - np.floor(rng.random(n) * 365))
    hh["mother_birth"] = mother_birth  # also for father-only families, whose mother is not in the registry
    father_birth = add_days(mother_birth, -years(np.clip(rng.normal(2.0, 3.0, n), -5, 12)))
    gm_birth = add_days(mother_birth, -years(np.clip(rng.normal(29.0, 3.5, n), 19, 42)))
    gf_birth = add_days(gm_birth, -years(np.clip(rng.normal(2.0, 2.0, n), -3, 8)))
    g = hh["grandparents"].to_numpy()
    members = (
        (MOTHER, ~(single & single_father), 2, mother_birth),
        (FATHER, ~single | single_father, 1, father_birth),
        (GRANDMOTHER, g >= 1, 2, gm_birth),
        (GRANDFATHER, g >= 2, 1, gf_birth),
    )
    rows = []
    for role, present_, sex, birth in members:
        idx = np.flatnonzero(present_)
        rows.append(pd.DataFrame({"hh_idx": idx, "role_code": role, "sex": np.int8(sex), "birth": birth[idx]}))
    return pd.concat(rows, ignore_index=True)


def _relationship(role: np.ndarray, grand_head: np.ndarray, grandparents: np.ndarray, single: np.ndarray) -> np.ndarray:
    """続柄 relative to the head: father (or a single parent) heads the household, unless a
    single mother lives in her parents' household, where the grandfather (or grandmother) is
    head, the mother is 子 and her children are 孫."""
    gh = grand_head
    gf_present = grandparents >= 2
    return np.select(
        [
            gh & (role == GRANDFATHER),
            gh & (role == GRANDMOTHER) & gf_present,
            gh & (role == GRANDMOTHER),
            gh & (role == MOTHER),
            gh & (role == CHILD),
            role == CHILD,
            (role == GRANDMOTHER) | (role == GRANDFATHER),
            role == FATHER,
            (role == MOTHER) & ~single,
        ],
        [1, 2, 1, 3, 7, 3, 4, 1, 2],
        default=1,  # a single mother heads her own household
    ).astype(np.int8)


def _name_strings(keys: np.ndarray, render) -> pd.Categorical:
    """Names as a categorical: each distinct (pool, surname, given name) is rendered once."""
    uniq, inv = np.unique(keys, return_inverse=True)
    texts = np.array([render(int(k)) if k >= 0 else "" for k in uniq], dtype=object)
    cats, remap = np.unique(texts, return_inverse=True)
    codes = remap[inv].astype(np.int64)
    if len(cats) and cats[0] == "":  # the "no name" key (-1) becomes null
        codes = codes - 1
        cats = cats[1:]
    return pd.Categorical.from_codes(codes, categories=list(cats))


def _name_columns(rng: np.random.Generator, hh: pd.DataFrame, p: pd.DataFrame) -> None:
    """Kanji and kana names; everyone in a household shares its surname, siblings differ."""
    n_hh, n = len(hh), len(p)
    hidx = p["hh_idx"].to_numpy()
    groups = ("ja", "cn", "vn", "other")
    pools = [names.japanese(), *(names.foreign()[g] for g in groups[1:])]
    nat = hh["nationality"].to_numpy(dtype=object)[hidx]
    group = np.select([nat == "JP", np.isin(nat, ["CN", "KR"]), nat == "VN"], [0, 1, 2], 3)
    male = p["sex"].to_numpy() == 1
    sur_u = rng.random(n_hh)[hidx]
    alias_sur_u = rng.random(n_hh)[hidx]
    given_u = rng.random(n)
    plen = np.zeros(n, dtype=np.int64)
    slen = np.zeros(n, dtype=np.int64)
    for gi, pool in enumerate(pools):
        plen[(group == gi) & male] = len(pool["male"])
        plen[(group == gi) & ~male] = len(pool["female"])
        slen[group == gi] = len(pool["surname"])
    # Siblings never share a given name: redraw clashes within (household, sex).
    is_child = p["role_code"].to_numpy() == CHILD
    for _ in range(50):
        key = (hidx.astype(np.int64) * 2 + male) * 1024 + np.floor(given_u * plen).astype(np.int64)
        dup = pd.Series(key).duplicated(keep="first").to_numpy() & is_child
        if not dup.any():
            break
        given_u[dup] = rng.random(int(dup.sum()))
    sur = np.floor(sur_u * slen).astype(np.int64)
    given = np.floor(given_u * plen).astype(np.int64)
    # key = ((group * 1000 + surname) * 2 + male) * 1000 + given
    key = ((group * 1000 + sur) * 2 + male) * 1000 + given

    def parts(k: int) -> tuple[str, str, str, str, str]:
        rest, g_i = divmod(k, 1000)
        rest, is_male = divmod(rest, 2)
        grp, s_i = divmod(rest, 1000)
        pool = pools[grp]
        given_pool = pool["male" if is_male else "female"]
        sep = names.FW_SPACE if grp == 0 else " "
        return pool["surname"].kanji[s_i], given_pool.kanji[g_i], pool["surname"].kana[s_i], given_pool.kana[g_i], sep

    def kanji(k: int) -> str:
        sk, gk, _, _, sep = parts(k)
        return f"{sk}{sep}{gk}"

    def kana(k: int) -> str:
        _, _, sn, gn, _ = parts(k)
        return f"{sn}{names.FW_SPACE}{gn}"

    p["name_kanji"] = _name_strings(key, kanji)
    p["name_kana"] = _name_strings(key, kana)
    # 通称名: a Japanese-style name registered by some foreign residents.
    has_alias = hh["alias"].to_numpy()[hidx]
    ja = pools[0]
    a_sur = np.floor(alias_sur_u * len(ja["surname"])).astype(np.int64)
    a_given = np.floor(given_u * np.where(male, len(ja["male"]), len(ja["female"]))).astype(np.int64)
    a_key = np.where(has_alias, ((0 * 1000 + a_sur) * 2 + male) * 1000 + a_given, -1)
    p["alias_name"] = _name_strings(a_key, kanji)
    p["alias_kana"] = _name_strings(a_key, kana)


def _namesakes(rng: np.random.Generator, sc: Scenario, p: pd.DataFrame, pairs: int) -> None:
    """Make a few pupils share kana name and birth date with a child of another household.

    Namesakes also occur by chance (Faker's name lists are short); these guarantee that even
    a tiny city has the case Amagasaki sent to manual review. The twin takes the other child's
    given name and a birth date at most 60 days away in the same school year, so nothing else
    about it changes.
    """
    child = (p["role_code"].to_numpy() == CHILD) & np.isnat(p["moved_out"].to_numpy().astype("datetime64[D]"))
    birth = p["birth"].to_numpy().astype("datetime64[D]")
    cohort = school_cohort_year(birth)
    kana_codes = p["name_kana"].cat.codes.to_numpy().astype(np.int64)
    surname_of_category = pd.factorize(np.array([k.split("\u3000")[0] for k in p["name_kana"].cat.categories]))[0]
    surname = surname_of_category[kana_codes]
    hh_idx = p["hh_idx"].to_numpy()
    # Candidates: neighbours in (surname, sex, school year, birth) order from different households.
    idx = np.flatnonzero(child)
    order = idx[np.lexsort((birth[idx], cohort[idx], p["sex"].to_numpy()[idx], surname[idx]))]
    a, b = order[:-1], order[1:]
    ok = (surname[a] == surname[b]) & (p["sex"].to_numpy()[a] == p["sex"].to_numpy()[b]) & (cohort[a] == cohort[b])
    ok &= (hh_idx[a] != hh_idx[b]) & ((birth[b] - birth[a]).astype(int) <= 60)
    ok &= (sc.fiscal_year - cohort[a] + 1 >= 1) & (sc.fiscal_year - cohort[a] + 1 <= 9)
    cand = np.flatnonzero(ok)[rng.permutation(int(ok.sum()))]
    names_in_household = set(zip(hh_idx[idx].tolist(), kana_codes[idx].tolist(), strict=True))
    used: set[int] = set()
    done = 0
    for c in cand:
        if done >= pairs:
            break
        x, y = int(a[c]), int(b[c])
        if x in used or y in used or (int(hh_idx[y]), int(kana_codes[x])) in names_in_household:
            continue
        for col in ("name_kanji", "name_kana"):
            p.loc[y, col] = p.loc[x, col]
        p.loc[y, "birth"] = birth[x]
        used |= {x, y}
        done += 1


def build(sc: Scenario, scale: float, seed: int) -> City:
    """The whole registry population: households, adults and children, with latent need."""
    rng = stream(seed, "population")
    as_of = day(sc.as_of)
    hh, ch = _households(rng, sc, scale, as_of)
    ch = _children(rng, sc, hh, ch)
    eldest = ch.groupby("hh_idx", sort=True)["birth"].min().to_numpy().astype("datetime64[D]")
    youngest = ch.groupby("hh_idx", sort=True)["birth"].max().to_numpy().astype("datetime64[D]")
    hh["eldest_birth"], hh["youngest_birth"] = eldest, youngest
    ad = _adults(rng, hh, as_of)
    # Addresses, moves in and out.
    addr = geo.draw_addresses(rng, sc, hh["ward_idx"].to_numpy())
    for col, values in addr.items():
        hh[col] = values
    n_hh = len(hh)
    moved_in = rng.random(n_hh) < sc.rates.moved_in_households
    mi = add_days(np.full(n_hh, as_of), -(30 + np.floor(rng.random(n_hh) * 3620)))
    hh["moved_in"] = np.where(moved_in, mi, NAT)
    mo = add_days(np.full(n_hh, as_of), -(1 + np.floor(rng.random(n_hh) * 730)))
    mo = np.maximum(mo, add_days(youngest, 30))
    mo = np.minimum(mo, add_days(np.full(n_hh, as_of), -1))
    mo = np.where(moved_in, np.maximum(mo, add_days(hh["moved_in"].to_numpy(), 1)), mo)
    hh["moved_out"] = np.where(hh["moved_out"].to_numpy(), np.minimum(mo, as_of), NAT)
    # One person table: adults first within each household, then children by age.
    people = pd.concat([ad, ch], ignore_index=True)
    people = people.sort_values(["hh_idx", "role_code", "birth"], kind="stable").reset_index(drop=True)
    people["role"] = pd.Categorical.from_codes(people["role_code"].to_numpy(), categories=list(ROLES))
    n = len(people)
    hidx = people["hh_idx"].to_numpy()
    people["resident_id"] = unique_ids(rng, n, 1_000_000_000)
    people["household_id"] = hh["hid"].to_numpy()[hidx]
    _name_columns(rng, hh, people)
    people["relationship"] = _relationship(
        people["role_code"].to_numpy(), hh["grand_head"].to_numpy()[hidx], hh["grandparents"].to_numpy()[hidx],
        hh["single"].to_numpy()[hidx],
    )  # fmt: skip
    nat_cats = ["JP", *NATIONALITIES]
    nat_code = np.select([hh["nationality"].to_numpy(dtype=object) == c for c in nat_cats], range(len(nat_cats)), 0)
    people["nationality"] = pd.Categorical.from_codes(nat_code[hidx], categories=nat_cats)
    people["ward_code"] = np.array([int(w.code) for w in sc.wards], dtype=np.int64)[hh["ward_idx"].to_numpy()[hidx]]
    people["address_code"] = hh["address_code"].to_numpy()[hidx]
    uniq_text, text_inv = np.unique(hh["address_text"].to_numpy(dtype=object), return_inverse=True)
    people["address_text"] = pd.Categorical.from_codes(text_inv[hidx].astype(np.int64), categories=list(uniq_text))
    people["moved_out"] = hh["moved_out"].to_numpy().astype("datetime64[D]")[hidx]
    _namesakes(rng, sc, people, max(1, round(sc.namesake_pairs * scale)))
    birth = people["birth"].to_numpy().astype("datetime64[D]")
    hmi = hh["moved_in"].to_numpy().astype("datetime64[D]")[hidx]
    people["moved_in"] = np.where(~np.isnat(hmi) & (birth < hmi), hmi, NAT)
    children = _child_view(people, hh)
    children["cohort_year"] = school_cohort_year(children["birth"].to_numpy().astype("datetime64[D]"))
    children["grade"] = sc.fiscal_year - children["cohort_year"].to_numpy() + 1
    return City(sc=sc, scale=scale, seed=seed, as_of=as_of, households=hh, persons=people, children=children)


def _child_view(people: pd.DataFrame, hh: pd.DataFrame) -> pd.DataFrame:
    """Children with the ids of their mother, father and main guardian attached."""
    hidx = people["hh_idx"].to_numpy()
    ids = people["resident_id"].to_numpy()
    role = people["role_code"].to_numpy()
    mother = np.full(len(hh), -1, dtype=np.int64)
    father = np.full(len(hh), -1, dtype=np.int64)
    mother[hidx[role == MOTHER]] = ids[role == MOTHER]
    father[hidx[role == FATHER]] = ids[role == FATHER]
    ch = people[role == CHILD].reset_index(drop=True).copy()
    h = ch["hh_idx"].to_numpy()
    ch["mother_id"], ch["father_id"] = mother[h], father[h]
    ch["guardian_id"] = np.where(mother[h] >= 0, mother[h], father[h])
    return ch
