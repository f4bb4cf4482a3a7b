"""The school side: school-age register, pupil roster, 対応表, attendance, health, surveys, aid.

Schools key pupils on 児童生徒番号, the city on 宛名番号. The 対応表 (student_resident_map)
exists only for pupils who lived in the city when they entered elementary school; everyone
else must be matched on the four facts (kana name, address code, birth date, sex), and the
roster carries the variants that make that hard. Every roster row's true identity and the
noise injected into it are returned for truth/student_identity.csv. Absence, growth, lunch
arrears and the lifestyle survey follow the child's latent need like the city-side data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kodomo_dash.demo.synth import geo, names, noise
from kodomo_dash.demo.synth.population import City
from kodomo_dash.demo.synth.rand import (
    NAT,
    add_days,
    cat,
    categorical,
    choose,
    day,
    fiscal_year_of,
    sigmoid,
    ymd,
)

STATUS = np.array([1, 2, 3, 4, 9])  # 就学, 区域外就学, 私立・国立等, 猶予・免除, その他
MONTH_DAYS = np.array([16, 19, 21, 14, 0])  # school days April..August (summer holiday in August)
NOISE_RATES = {"kana_long_vowel": 0.015, "kana_small": 0.008, "kana_voiced": 0.005, "kana_halfwidth": 0.01,
               "kana_space": 0.015, "variant_kanji_address": 0.25, "variant_kanji_name": 0.1,
               "stale_address_code": 0.015, "alias_name_used": 0.7}  # fmt: skip
KIND_ORDER = ("not_in_registry", "graduated", "out_of_city", "moved_out_on_roster", "not_in_map", "alias_name_used",
              "kana_long_vowel", "kana_small", "kana_voiced", "kana_halfwidth", "kana_space", "variant_kanji_name",
              "variant_kanji_address", "stale_address_code", "blank_birth_date", "same_name_birth",
              "duplicate_student_no", "two_school_records")  # fmt: skip
NEIGHBOURS = (("40218", "春日市"), ("40219", "大野城市"), ("40230", "糸島市"), ("40349", "粕屋町"), ("40231", "那珂川市"))
# (Fukuoka's; each scenario names its own in Scenario.neighbours)
# Mean height (cm) by age 6..15, boys and girls (school health statistics, rounded).
HEIGHT = {1: [116.7, 122.6, 128.3, 133.9, 139.3, 145.2, 152.7, 160.0, 165.4, 168.3],
          2: [115.8, 121.8, 127.6, 133.5, 140.1, 146.6, 151.9, 154.9, 156.5, 157.2]}  # fmt: skip


def _dates(years_: np.ndarray, month_day: str) -> np.ndarray:
    month, dom = (int(x) for x in month_day.split("-"))
    return ymd(years_, month, dom)


def register(city: City, rng: np.random.Generator) -> pd.DataFrame:
    """学齢簿: current residents of grade 1-9 with their designated school and status."""
    ch = city.children
    grade = ch["grade"].to_numpy()
    sel = np.flatnonzero(city.current & (grade >= 1) & (grade <= 9))
    g = grade[sel]
    h = ch["hh_idx"].to_numpy()[sel]
    r = city.sc.rates
    private = np.where(g >= 7, r.private_school_junior_high, r.private_school_elementary)
    private = private * np.exp(-0.3 * city.hh("z", h))  # private schools lean to lower need
    probs = np.stack([1 - private - 0.015, np.full(len(sel), 0.01), private, np.full(len(sel), 0.001),
                      np.full(len(sel), 0.004)], axis=1)  # fmt: skip
    status = STATUS[categorical(rng, probs)]
    school = geo.district_school(city.sc, city.scale, city.hh("ward_idx", h), city.hh("town", h), city.hh("chome", h), g)
    if city.sc.has_model_schools:
        school = _model_area_schools(city, rng, h, g)
    return pd.DataFrame({"child_pos": sel, "resident_id": ch["resident_id"].to_numpy()[sel], "school_code": school,
                         "grade": g, "enrolment_status": status})  # fmt: skip


def _split_households(rng: np.random.Generator, h: np.ndarray, target: int) -> np.ndarray:
    """Households whose pupils (rows of ``h``) number exactly ``target``: a random model area.

    Households are taken in random order while they fit, then the gap is closed with households
    small enough to fit, so siblings always share the area and the count is exact at any seed.
    """
    uniq, inv, counts = np.unique(h, return_inverse=True, return_counts=True)
    if target > len(h):
        raise ValueError(f"model schools need {target} pupils but the city has {len(h)} of school age")
    order = rng.permutation(len(uniq))
    chosen = np.zeros(len(uniq), dtype=bool)
    total = 0
    for i in order:
        if total + counts[i] <= target:
            chosen[i] = True
            total += int(counts[i])
        if total == target:
            break
    if total != target:
        raise ValueError(f"could not fill the model schools exactly ({total} of {target})")
    return chosen[inv]


def _model_area_schools(city: City, rng: np.random.Generator, h: np.ndarray, grade: np.ndarray) -> np.ndarray:
    """Izumi: designated schools so that the model schools hold exactly the scenario's children.

    The model area is a set of households (see ``_split_households``); within each area a pupil's
    school follows the address as in ``geo.district_school``.
    """
    sc = city.sc
    elem, jhs = geo.school_counts(sc, city.scale)
    n_me, n_mj = sc.model_schools
    if n_me >= elem[0] or n_mj >= jhs[0]:
        raise ValueError("model schools must be fewer than the city's schools of each kind")
    in_model = _split_households(rng, h, round(sc.model_school_children * city.scale))
    key = city.hh("town", h) * 5 + city.hh("chome", h)
    e_idx = np.where(in_model, key % n_me, n_me + key % (elem[0] - n_me))
    j_idx = np.where(in_model, key % n_mj, n_mj + key % (jhs[0] - n_mj))
    wi = np.zeros(len(h), dtype=np.int64)
    return np.where(grade >= 7, geo.school_code(sc, wi, 2, j_idx), geo.school_code(sc, wi, 1, e_idx))


def _other_school(city: City, school: np.ndarray) -> np.ndarray:
    """The next school of the same kind in the same ward (the same one if the ward has only one).

    With model schools, the next one within the same group (model or not), so a 区域外就学 pupil
    stays in the model area the register gives.
    """
    elem, jhs = geo.school_counts(city.sc, city.scale)
    last_digits = np.array([int(w.code[-1]) for w in city.sc.wards])
    ward_of_digit = np.full(10, 0)
    ward_of_digit[last_digits] = np.arange(len(last_digits))
    wi = ward_of_digit[(school // 10000) % 10]
    kind = (school // 1000) % 10
    n = np.where(kind == 2, jhs[wi], elem[wi])
    idx = school % 1000 - 1
    if city.sc.has_model_schools:
        m = np.where(kind == 2, city.sc.model_schools[1], city.sc.model_schools[0])
        nxt = np.where(idx < m, (idx + 1) % m, m + (idx - m + 1) % (n - m))
        return school - idx + nxt
    return school - idx + (idx + 1) % n


def _registry_pupils(city: City, rng: np.random.Generator, reg: pd.DataFrame) -> pd.DataFrame:
    """Roster rows for registry children at municipal schools (and recent leavers not yet removed)."""
    ch = city.children
    sc, scale = city.sc, city.scale
    at_school = reg[reg["enrolment_status"].isin([1, 2])]
    pos = at_school["child_pos"].to_numpy()
    school = at_school["school_code"].to_numpy().copy()
    # 区域外就学: another school of the same kind in the ward (same code if the ward has one).
    other = at_school["enrolment_status"].to_numpy() == 2
    school = np.where(other, _other_school(city, school), school)
    rows = pd.DataFrame({"child_pos": pos, "school_code": school, "moved_out_on_roster": False})
    # Pupils who moved out of the city this summer and are still on the roster.
    grade = ch["grade"].to_numpy()
    mo = ch["moved_out"].to_numpy().astype("datetime64[D]")
    left = np.flatnonzero(~np.isnat(mo) & (mo >= add_days(city.as_of, -60)) & (grade >= 1) & (grade <= 9)
                          & (rng.random(len(ch)) < 0.5))  # fmt: skip
    lh = ch["hh_idx"].to_numpy()[left]
    lschool = geo.district_school(sc, scale, city.hh("ward_idx", lh), city.hh("town", lh), city.hh("chome", lh), grade[left])
    rows = pd.concat([rows, pd.DataFrame({"child_pos": left, "school_code": lschool, "moved_out_on_roster": True})],
                     ignore_index=True)  # fmt: skip
    p = rows["child_pos"].to_numpy()
    c = ch.iloc[p]
    hh_idx = c["hh_idx"].to_numpy()
    cohort = c["cohort_year"].to_numpy()
    elem_entry = _dates(cohort, "04-01")
    hmi = city.hh("moved_in", hh_idx).astype("datetime64[D]")
    in_map = np.isnat(hmi) | (hmi <= elem_entry)
    g = c["grade"].to_numpy()
    jhs_entry = _dates(cohort + 6, "04-07")
    transfer = add_days(hmi, np.floor(rng.random(len(p)) * 10))
    entry = np.where(g >= 7, jhs_entry, _dates(cohort, "04-06"))
    entry = np.where(in_map, entry, np.where((g >= 7) & (transfer < jhs_entry), jhs_entry, transfer))
    first_year = np.where(in_map, cohort, fiscal_year_of(np.where(np.isnat(hmi), elem_entry, hmi)))
    guardians = city.persons.set_index("resident_id")["name_kanji"]
    gid = c["guardian_id"].to_numpy()
    return pd.DataFrame({
        "rid_true": c["resident_id"].to_numpy(), "child_pos": p, "school_code": rows["school_code"].to_numpy(),
        "grade": g, "name_kanji": c["name_kanji"].to_numpy(), "name_kana": c["name_kana"].to_numpy(),
        "birth_date": c["birth"].to_numpy().astype("datetime64[D]"), "sex": c["sex"].to_numpy(),
        "address_text": c["address_text"].to_numpy(), "address_code": c["address_code"].to_numpy(),
        "guardian_name": guardians.reindex(gid).to_numpy(dtype=object),
        "entry_date": entry, "first_year": first_year, "in_map": in_map, "map_date": np.where(in_map, elem_entry, NAT),
        "z": c["z"].to_numpy(), "hh_idx": hh_idx, "alias_kanji": c["alias_name"].to_numpy(),
        "alias_kana": c["alias_kana"].to_numpy(), "origin": np.where(rows["moved_out_on_roster"], "left", "registry"),
    })  # fmt: skip


def _strangers(city: City, rng: np.random.Generator, n: int, kind: str) -> pd.DataFrame:
    """Roster rows with no registry person: last year's graduates or pupils living outside the city."""
    sc, fy = city.sc, city.sc.fiscal_year
    ja = names.japanese()
    male = rng.random(n) < 0.512
    sur = rng.integers(0, len(ja["surname"]), n)
    gm = rng.integers(0, len(ja["male"]), n)
    gf = rng.integers(0, len(ja["female"]), n)
    kanji = names.join(ja["surname"].kanji[sur], np.where(male, ja["male"].kanji[gm], ja["female"].kanji[gf]), names.FW_SPACE)
    kana = names.join(ja["surname"].kana[sur], np.where(male, ja["male"].kana[gm], ja["female"].kana[gf]), names.FW_SPACE)
    guardian = names.join(ja["surname"].kanji[sur], ja["female"].kanji[rng.integers(0, len(ja["female"]), n)], names.FW_SPACE)
    if kind == "graduated":
        grade = np.full(n, 9)
        cohort = np.full(n, fy - 9)  # entered elementary 9 years before last year's 9th grade
        # Born early in that cohort: aged 16 on as_of, so never in the 0-15 registry.
        birth = add_days(_dates(cohort - 7, "04-02"), np.floor(rng.random(n) * 150))
        wi = rng.integers(0, len(sc.wards), n)
        addr = geo.draw_addresses(rng, sc, wi)
        text, code = addr["address_text"], addr["address_code"]
        school = geo.school_code(sc, wi, 2, np.zeros(n, dtype=np.int64))
        z = rng.normal(0, 1.15, n)
    else:
        grade = rng.integers(1, 10, n)
        cohort = fy - grade + 1
        birth = add_days(_dates(cohort - 7, "04-02"), np.floor(rng.random(n) * 365))
        town = np.array(sc.neighbours)[rng.integers(0, len(sc.neighbours), n)]
        banchi, go = rng.integers(1, 41, n), rng.integers(1, 61, n)
        code = town[:, 0].astype(np.int64) * 10**8 + 1 * 10**6 + 1 * 10**4 + banchi * 100 + go
        text = np.array([f"{sc.prefecture_ja}{t}{b}-{g}" for t, b, g in zip(town[:, 1], banchi, go, strict=True)], dtype=object)
        wi = rng.integers(0, len(sc.wards), n)
        elem, jhs = geo.school_counts(sc, city.scale)
        school = np.where(grade >= 7, geo.school_code(sc, wi, 2, rng.integers(0, 10**6, n) % jhs[wi]),
                          geo.school_code(sc, wi, 1, rng.integers(0, 10**6, n) % elem[wi]))  # fmt: skip
        z = rng.normal(0, 1.15, n)
    entry = np.where(grade >= 7, _dates(cohort + 6, "04-07"), _dates(cohort, "04-06"))
    return pd.DataFrame({
        "rid_true": -1, "child_pos": -1, "school_code": school, "grade": grade, "name_kanji": kanji, "name_kana": kana,
        "birth_date": birth, "sex": np.where(male, 1, 2).astype(np.int8), "address_text": text, "address_code": code,
        "guardian_name": guardian, "entry_date": entry, "first_year": cohort, "in_map": False, "map_date": NAT,
        "z": z, "hh_idx": -1, "alias_kanji": None, "alias_kana": None, "origin": kind,
    })  # fmt: skip


def _student_numbers(rng: np.random.Generator, first_year: np.ndarray) -> np.ndarray:
    """8-digit 児童生徒番号: two digits of the year of first entry, then a serial within the year."""
    order = np.lexsort((rng.random(len(first_year)), first_year))
    serial = np.empty(len(first_year), dtype=np.int64)
    serial[order] = pd.Series(first_year[order]).groupby(first_year[order]).cumcount().to_numpy() + 1
    return (first_year % 100) * 1_000_000 + serial


def _inject_noise(city: City, rng: np.random.Generator, roster: pd.DataFrame, kinds: dict[str, np.ndarray]) -> None:
    """Spelling, address and date variants at low rates; every applied kind is recorded."""
    n = len(roster)
    kana = roster["name_kana"].to_numpy(dtype=object).copy()
    kanji = roster["name_kanji"].to_numpy(dtype=object).copy()
    addr = roster["address_text"].to_numpy(dtype=object).copy()

    def mark(kind: str, rows: np.ndarray) -> None:
        kinds[kind][rows] = True

    # Foreign pupils known at school by their 通称名.
    has_alias = np.flatnonzero(pd.notna(roster["alias_kana"]).to_numpy())
    use = has_alias[rng.random(len(has_alias)) < NOISE_RATES["alias_name_used"]]
    kana[use] = roster["alias_kana"].to_numpy()[use]
    kanji[use] = roster["alias_kanji"].to_numpy()[use]
    mark("alias_name_used", use)
    for kind, fn in noise.KANA_NOISE.items():
        rows = np.flatnonzero(rng.random(n) < NOISE_RATES[kind])
        mark(kind, noise.apply(kana, rows, fn))
    rows = np.flatnonzero(rng.random(n) < NOISE_RATES["kana_space"])
    mark("kana_space", noise.apply(kana, rows, noise.spacing, rng.integers(0, 4, len(rows))))
    rows = np.flatnonzero(rng.random(n) < NOISE_RATES["variant_kanji_name"])
    mark("variant_kanji_name", noise.apply(kanji, rows, noise.variant_kanji))
    rows = np.flatnonzero(rng.random(n) < NOISE_RATES["variant_kanji_address"])
    mark("variant_kanji_address", noise.apply(addr, rows, noise.variant_kanji))
    # Moved within the city; the school still has the old address (text and code).
    code = roster["address_code"].to_numpy().copy()
    stale = np.flatnonzero((rng.random(n) < NOISE_RATES["stale_address_code"]) & (roster["origin"].to_numpy() == "registry"))
    if len(stale):
        wi = np.array([next(i for i, w in enumerate(city.sc.wards) if int(w.code) == c // 10**8) for c in code[stale]])
        wi = np.where(rng.random(len(stale)) < 0.3, rng.integers(0, len(city.sc.wards), len(stale)), wi)
        old = geo.draw_addresses(rng, city.sc, wi)
        changed = old["address_code"] != code[stale]
        code[stale[changed]] = old["address_code"][changed]
        addr[stale[changed]] = old["address_text"][changed]
        mark("stale_address_code", stale[changed])
    # Blank birth dates: a few hundred at scale 1.0.
    birth = roster["birth_date"].to_numpy().astype("datetime64[D]").copy()
    blank = choose(rng, n, round(city.sc.blank_birth_dates * city.scale))
    birth[blank] = NAT
    mark("blank_birth_date", blank)
    roster["name_kana"], roster["name_kanji"], roster["address_text"] = kana, kanji, addr
    roster["address_code"], roster["birth_date"] = code, birth


def roster_and_map(city: City, rng: np.random.Generator, reg: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """児童生徒基本情報, the 対応表 and the truth about every roster row."""
    sc = city.sc
    core = _registry_pupils(city, rng, reg)
    n_core = len(core)
    grads = _strangers(city, rng, max(1, round(n_core * sc.past_graduates_on_roster)), "graduated")
    outs = _strangers(city, rng, max(1, round(n_core * sc.out_of_city_pupils)), "out_of_city")
    roster = pd.concat([core, grads, outs], ignore_index=True)
    roster["student_no"] = _student_numbers(rng, roster["first_year"].to_numpy())
    roster["first_month"], roster["last_month"] = 0, len(MONTH_DAYS) - 1
    entry = roster["entry_date"].to_numpy().astype("datetime64[D]")
    fy_start = day(f"{sc.fiscal_year}-04-01")
    month_idx = (entry.astype("datetime64[M]") - fy_start.astype("datetime64[M]")).astype(int)
    roster["first_month"] = np.clip(month_idx, 0, len(MONTH_DAYS))
    roster.loc[roster["origin"] == "graduated", "first_month"] = len(MONTH_DAYS)  # no attendance this year
    mo = np.full(len(roster), NAT)
    left = roster["origin"].to_numpy() == "left"
    mo[left] = city.children["moved_out"].to_numpy().astype("datetime64[D]")[roster["child_pos"].to_numpy()[left]]
    left_month = (mo.astype("datetime64[M]") - fy_start.astype("datetime64[M]")).astype(int)
    roster["last_month"] = np.where(left, np.clip(left_month, -1, len(MONTH_DAYS) - 1), len(MONTH_DAYS) - 1)

    kinds = {k: np.zeros(len(roster), dtype=bool) for k in KIND_ORDER}
    origin = roster["origin"].to_numpy()
    kinds["not_in_registry"][:] = roster["rid_true"].to_numpy() < 0
    kinds["graduated"][:] = origin == "graduated"
    kinds["out_of_city"][:] = origin == "out_of_city"
    kinds["moved_out_on_roster"][:] = origin == "left"
    kinds["not_in_map"][:] = ~roster["in_map"].to_numpy() & (roster["rid_true"].to_numpy() >= 0)
    _inject_noise(city, rng, roster, kinds)

    # Natural namesakes: another registry child with the same kana and birth date.
    ch = city.children
    dup = pd.DataFrame({"k": ch["name_kana"], "b": ch["birth"]}).duplicated(keep=False).to_numpy()
    same = np.isin(roster["rid_true"].to_numpy(), ch["resident_id"].to_numpy()[dup])
    kinds["same_name_birth"][:] = same

    # A registry child with two school records: left one school and re-entered another this year.
    cand = np.flatnonzero((origin == "registry") & roster["in_map"].to_numpy())
    two = cand[choose(rng, len(cand), max(1, round(sc.two_school_records * city.scale)))]
    second = roster.iloc[two].copy()
    second["school_code"] = _other_school(city, second["school_code"].to_numpy())
    second["student_no"] = (sc.fiscal_year % 100) * 1_000_000 + 900_000 + np.arange(len(second))
    second["entry_date"] = add_days(np.full(len(second), day(f"{sc.fiscal_year}-06-01")), np.arange(len(second)))
    second["in_map"], second["map_date"] = False, NAT
    second["first_month"] = 2
    roster.loc[two, "last_month"] = 1
    # A few duplicate student numbers: a stale row left at the previous school.
    dup_rows = cand[choose(rng, len(cand), max(1, round(sc.duplicate_student_no * city.scale)))]
    stale = roster.iloc[dup_rows].copy()
    stale["school_code"] = _other_school(city, stale["school_code"].to_numpy())
    stale["first_month"] = len(MONTH_DAYS)  # the stale copy has no attendance
    stale["in_map"] = False
    kinds_second = {k: v[two].copy() for k, v in kinds.items()}
    kinds_stale = {k: v[dup_rows].copy() for k, v in kinds.items()}
    kinds["two_school_records"][two] = True
    kinds_second["two_school_records"][:] = True
    kinds_second["not_in_map"][:] = True
    kinds["duplicate_student_no"][dup_rows] = True
    kinds_stale["duplicate_student_no"][:] = True
    roster = pd.concat([roster, second, stale], ignore_index=True)
    kinds = {k: np.concatenate([kinds[k], kinds_second[k], kinds_stale[k]]) for k in KIND_ORDER}
    roster["stale_copy"] = np.r_[np.zeros(len(roster) - len(stale), dtype=bool), np.ones(len(stale), dtype=bool)]

    # Class within school and grade, then the order a school export would have.
    roster = roster.assign(_r=rng.random(len(roster)))
    order = roster.sort_values(["school_code", "grade", "_r"], kind="stable").index.to_numpy()
    roster = roster.loc[order].reset_index(drop=True)
    kinds = {k: v[order] for k, v in kinds.items()}
    cls = roster.groupby(["school_code", "grade"], sort=False).cumcount().to_numpy() // 35 + 1
    in_school = np.where(roster["grade"].to_numpy() >= 7, roster["grade"].to_numpy() - 6, roster["grade"].to_numpy())
    roster["class_name"] = pd.Series(in_school).astype(str) + "年" + pd.Series(cls).astype(str) + "組"
    roster.loc[roster["stale_copy"], "class_name"] = None
    roster = roster.drop(columns="_r")

    # Kinds as "a;b" text: few distinct combinations, so render each once.
    bits = sum(kinds[k].astype(np.int64) << i for i, k in enumerate(KIND_ORDER))
    uniq, inv = np.unique(bits, return_inverse=True)
    texts = np.array([";".join(k for i, k in enumerate(KIND_ORDER) if (int(u) >> i) & 1) for u in uniq], dtype=object)
    kinds_text = texts[inv]
    identity = pd.DataFrame({"student_no": roster["student_no"].to_numpy(), "resident_id_true": roster["rid_true"].to_numpy(),
                             "noise_kinds": kinds_text})  # fmt: skip
    m = roster[roster["in_map"].to_numpy() & ~roster["stale_copy"].to_numpy()]
    smap = pd.DataFrame({"student_no": m["student_no"].to_numpy(), "resident_id": m["rid_true"].to_numpy(),
                         "recorded_date": m["map_date"].to_numpy().astype("datetime64[D]")}).sort_values("student_no")  # fmt: skip
    return roster, smap.reset_index(drop=True), identity


def attendance(city: City, rng: np.random.Generator, roster: pd.DataFrame) -> pd.DataFrame:
    """Monthly attendance April..August; absence, lateness and absence runs rise with need."""
    r = roster[~roster["stale_copy"].to_numpy()]
    n = len(r)
    z = r["z"].to_numpy()
    jhs = r["grade"].to_numpy() >= 7
    rate = sigmoid(-3.7 + 0.9 * z + 0.5 * jhs + rng.normal(0, 0.8, n))
    months = np.arange(len(MONTH_DAYS))
    active = (months[None, :] >= r["first_month"].to_numpy()[:, None]) & (months[None, :] <= r["last_month"].to_numpy()[:, None])
    i, m = np.nonzero(active)
    days = MONTH_DAYS[m]
    absence = rng.binomial(days, rate[i])
    late = rng.binomial(days - absence, np.minimum(rate[i] * 0.6, 0.9))
    run = np.where(absence > 0, np.minimum(absence, 1 + rng.binomial(np.maximum(absence - 1, 0), np.minimum(rate[i] * 1.5, 0.95))), 0)
    months_text = [f"{city.sc.fiscal_year}-{mm:02d}" for mm in range(4, 4 + len(MONTH_DAYS))]
    return pd.DataFrame({"student_no": r["student_no"].to_numpy()[i], "month": cat(m, months_text), "school_days": days,
                         "absence_days": absence, "late_days": late, "consecutive_absence_days": run})  # fmt: skip


def health_checks(city: City, rng: np.random.Generator, roster: pd.DataFrame) -> pd.DataFrame:
    """学校健診 in April-June: height and weight by age and sex (poorer growth with need), caries."""
    r = roster[~roster["stale_copy"].to_numpy() & (roster["first_month"].to_numpy() == 0)]
    n = len(r)
    exam = add_days(np.full(n, day(f"{city.sc.fiscal_year}-04-10")), np.floor(rng.random(n) * 70))
    birth = r["birth_date"].to_numpy().astype("datetime64[D]")
    true_birth = np.where(np.isnat(birth), add_days(_dates(city.sc.fiscal_year - r["grade"].to_numpy() - 6, "10-01"), 0), birth)
    age = np.clip((exam - true_birth).astype(int) / 365.25, 6, 15.99)
    z = r["z"].to_numpy()
    ch = city.children
    growth = np.where(r["child_pos"].to_numpy() >= 0, ch["growth"].to_numpy()[np.maximum(r["child_pos"].to_numpy(), 0)], rng.normal(0, 1, n))
    mean = np.empty(n)
    for sex, table in HEIGHT.items():
        m = r["sex"].to_numpy() == sex
        mean[m] = np.interp(age[m], np.arange(6, 16), table)
    height = np.clip(np.round(mean + 5.5 * (0.6 * growth + 0.8 * rng.standard_normal(n)), 1), 95, 190)
    bmi = (15.5 + 0.5 * (age - 6)) * np.exp(rng.normal(0, 0.12, n) - 0.02 * z)
    weight = np.clip(np.round(bmi * (height / 100) ** 2, 1), 14, 120)
    absent = rng.random(n) < 0.01
    height[absent], weight[absent] = np.nan, np.nan
    caries = np.minimum(rng.poisson(np.exp(-1.3 + 0.6 * z)), 28)
    return pd.DataFrame({"student_no": r["student_no"].to_numpy(), "exam_date": exam, "height_cm": height,
                         "weight_kg": weight, "untreated_caries": caries})  # fmt: skip


def lifestyle(city: City, rng: np.random.Generator, roster: pd.DataFrame) -> pd.DataFrame:
    """生活習慣等調査 for grades 5-9 (Beppu's new source); fewer answers and worse ones with need."""
    r = roster[~roster["stale_copy"].to_numpy() & (roster["grade"].to_numpy() >= 5) & (roster["last_month"].to_numpy() >= 1)
               & (roster["first_month"].to_numpy() <= 1)]  # fmt: skip
    n = len(r)
    z = r["z"].to_numpy()
    take = rng.random(n) < sigmoid(2.5 - 0.6 * z)
    u = 0.8 * z + rng.standard_normal(n)
    breakfast = np.where(u < 1.2, 1, np.where(u < 2.2, 2, 3))
    sleep = np.clip(np.round((8.8 - 0.25 * (r["grade"].to_numpy() - 5) - 0.3 * z + rng.normal(0, 0.7, n)) * 2) / 2, 4, 12)
    talk = np.where(rng.random(n) < sigmoid(-2.8 + 0.7 * z), 2, 1)
    w = 0.7 * z + rng.standard_normal(n)
    wellbeing = 5 - np.searchsorted(np.array([-0.6, 0.3, 1.2, 2.0]), w)
    out = pd.DataFrame({"student_no": r["student_no"].to_numpy(), "survey_year": city.sc.fiscal_year,
                        "breakfast": breakfast, "sleep_hours": sleep, "someone_to_talk": talk, "wellbeing_score": wellbeing})  # fmt: skip
    return out[take].reset_index(drop=True)


def school_expense_aid(city: City, rng: np.random.Generator, reg: pd.DataFrame) -> pd.DataFrame:
    """就学援助: 要保護 for families on public assistance, 準要保護 by income band (about 1 in 5)."""
    pub = reg[reg["enrolment_status"].isin([1, 2])]
    h = city.children["hh_idx"].to_numpy()[pub["child_pos"].to_numpy()]
    band = city.hh("band", h)
    pa_now = city.hh("pa_now", h)
    u = rng.random(len(city.households))[h]
    p2 = np.array([0, 0.85, 0.75, 0.5, 0.1, 0.01, 0.0])[band]
    cls = np.where(pa_now, 1, np.where(u < p2, 2, 0))  # 1 要保護, 2 準要保護
    take = cls > 0
    city.households["school_aid"] = np.bincount(h[take], minlength=len(city.households)) > 0
    return pd.DataFrame({"resident_id": pub["resident_id"].to_numpy()[take], "fiscal_year": city.sc.fiscal_year,
                         "aid_class": cls[take]})  # fmt: skip


def lunch_arrears(city: City, rng: np.random.Generator, roster: pd.DataFrame) -> pd.DataFrame:
    """給食費滞納 this year for pupils of low-income households without school-expense aid."""
    r = roster[~roster["stale_copy"].to_numpy() & (roster["hh_idx"].to_numpy() >= 0) & (roster["first_month"].to_numpy() == 0)]
    h = r["hh_idx"].to_numpy()
    z_h = city.hh("z", h)
    p = sigmoid(-4.3 + 0.9 * z_h) * (city.hh("band", h) <= 4) * ~city.hh("school_aid", h)
    take = rng.random(len(r)) < p
    months = rng.integers(1, 6, len(r))
    monthly = np.where(r["grade"].to_numpy() >= 7, 5200, 4500)
    amount = np.where(rng.random(len(r)) < 0.03, -1, months * monthly)
    return pd.DataFrame({"student_no": r["student_no"].to_numpy()[take], "fiscal_year": city.sc.fiscal_year,
                         "arrears_months": months[take], "arrears_yen": amount[take]})  # fmt: skip


def build(city: City, rng: np.random.Generator) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    reg = register(city, rng)
    roster, smap, identity = roster_and_map(city, rng, reg)
    aid = school_expense_aid(city, rng, reg)
    tables = {
        "school_age_register": reg,
        "student_roster": roster,
        "student_resident_map": smap,
        "attendance": attendance(city, rng, roster),
        "school_health_check": health_checks(city, rng, roster),
        "lifestyle_survey": lifestyle(city, rng, roster),
        "school_expense_aid": aid,
        "school_lunch_arrears": lunch_arrears(city, rng, roster),
    }
    return tables, identity
