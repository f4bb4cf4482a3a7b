"""Addresses and schools: where a household lives decides its ward, address code and school.

The address code is what the city compares when it matches records (Fukuoka's lesson: the
address text carries 外字 variants, the code does not). It is 13 digits: ward code (5), town
and chome (2+2), banchi and go (2+2), so "福岡市東区箱崎3丁目12-5" is 40131 0103 1205. Schools
are assigned from the address as a school district would be.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kodomo_dash.demo.synth.scenarios import Scenario


def chome_count(town_idx: np.ndarray) -> np.ndarray:
    """How many chome a town has (1-5), fixed by its position so it is stable across runs."""
    return 1 + (np.asarray(town_idx) * 7 + 3) % 5


def draw_addresses(rng: np.random.Generator, sc: Scenario, ward_idx: np.ndarray) -> dict[str, np.ndarray]:
    """One address per row in the given wards: parts, 13-digit code (int) and display text."""
    n = len(ward_idx)
    n_towns = np.array([len(w.towns) for w in sc.wards])[ward_idx]
    town = np.floor(rng.random(n) * n_towns).astype(np.int64)
    chome = 1 + np.floor(rng.random(n) * chome_count(town)).astype(np.int64)
    banchi = rng.integers(1, 41, size=n)
    go = rng.integers(1, 61, size=n)
    return {"town": town, "chome": chome, "banchi": banchi, "go": go,
            **compose(sc, ward_idx, town, chome, banchi, go)}  # fmt: skip


def compose(sc: Scenario, ward_idx, town, chome, banchi, go) -> dict[str, np.ndarray]:
    ward_codes = np.array([int(w.code) for w in sc.wards], dtype=np.int64)[ward_idx]
    code = ward_codes * 10**8 + (town + 1) * 10**6 + chome * 10**4 + banchi * 100 + go
    # Prefix per (ward, town, chome); few distinct values, so build them once.
    max_towns = max(len(w.towns) for w in sc.wards)
    key = (ward_idx * max_towns + town) * 10 + chome
    uniq, inv = np.unique(key, return_inverse=True)
    prefixes = []
    for k in uniq:
        wi, rest = divmod(int(k), max_towns * 10)
        ti, ch = divmod(rest, 10)
        w = sc.wards[wi]
        prefixes.append(f"{sc.city_ja}{w.name_ja}{w.towns[ti]}{ch}丁目")
    prefix = pd.Series(np.array(prefixes, dtype=object)[inv])
    text = prefix + pd.Series(banchi).astype(str) + "-" + pd.Series(go).astype(str)
    return {"address_code": code, "address_text": text.to_numpy(dtype=object)}


def school_counts(sc: Scenario, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """Elementary and junior-high schools per ward (Fukuoka has about 144 and 69), at least 1.

    A city whose scenario fixes its schools (``scale_schools=False``: Izumi's 15 model schools must
    exist at any scale) keeps the real count and makes each school smaller instead.
    """
    share = np.array([w.child_share for w in sc.wards])
    f = scale if sc.scale_schools else 1.0
    elem = np.maximum(1, np.round(sc.elementary_schools * share * f)).astype(np.int64)
    jhs = np.maximum(1, np.round(sc.junior_high_schools * share * f)).astype(np.int64)
    return elem, jhs


def school_code(sc: Scenario, ward_idx: np.ndarray, kind: int, idx: np.ndarray) -> np.ndarray:
    """6-digit school code: prefix (Fukuoka 4), last digit of the ward code, kind (1 elementary, 2 junior high), no."""
    last = np.array([int(w.code[-1]) for w in sc.wards], dtype=np.int64)[ward_idx]
    return sc.school_code_prefix * 100000 + last * 10000 + kind * 1000 + idx + 1


def model_school_codes(sc: Scenario) -> list[str]:
    """The model schools of a scenario that has them (Izumi: 15), as the 6-digit codes the extracts use.

    They are the first schools of each kind in the first ward: the city's choice, declared in the
    scenario, never derived from the data, so a screening run can name them before it looks.
    """
    n_elem, n_jhs = sc.model_schools
    zero = np.zeros(1, dtype=np.int64)
    codes = [geo_code for k in range(n_elem) for geo_code in school_code(sc, zero, 1, zero + k)]
    codes += [geo_code for k in range(n_jhs) for geo_code in school_code(sc, zero, 2, zero + k)]
    return [str(int(c)) for c in codes]


def district_school(sc: Scenario, scale: float, ward_idx, town, chome, grade) -> np.ndarray:
    """The designated school (as an int code) for pupils at these addresses and grades."""
    elem, jhs = school_counts(sc, scale)
    e_idx = (town * 5 + chome) % elem[ward_idx]
    j_idx = e_idx % jhs[ward_idx]
    junior = np.asarray(grade) >= 7
    return np.where(junior, school_code(sc, ward_idx, 2, j_idx), school_code(sc, ward_idx, 1, e_idx))
