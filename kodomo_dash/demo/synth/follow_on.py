"""Next month's extracts of a synthetic city: the same people, a month older, with a month's events.

``kodomo synth --follow-on PREV --out NEW`` reads the extracts a synthetic city delivered (``PREV``,
with its truth folder ``PREV_truth``), keeps every row and key exactly as it was (the dirt of the
old rows included: a source system exports the same records again), moves ``extract_date.txt``
forward by ``--months`` and appends what a month of a city's systems would add. It is how the
monthly refresh (decision 066) is tested and benchmarked on a city of any size.

Every rate is per month and scales with the city, so scale 0.05 and 1.0 get the same shares:

- **Moving out** — 0.35% of households with children (every member, one day in the month). Large
  Japanese cities lose about 4% of their children a year to moves (住民基本台帳人口移動報告: out-
  migration is 4–5% of residents a year in 政令市, lower for children than for young adults); an
  assumption of that order, not a figure from the seeds. Fukuoka's own report shows the order for
  the families it looks at: 7 of 80 listed children had moved out or similar within about four
  months (seeds/000: 80 → 73, 転出等), about 2% a month among higher-need families.
- **Moving in** — as many households as move out (Fukuoka's child population is roughly stable),
  each a copy of the make-up of an existing family (ages shifted by up to a year) with new 宛名番号,
  new names from the city's own names, the address of a household that moved out (a vacated flat)
  and the move-in date for everyone. Their check-ups were done in their previous city, so the
  ones they are old enough for show as missed here, as they would.
- **Births** — children aged 0–(max age) ÷ (max age × 12) a month: the generator's stationary age
  structure, one month's birth cohort. Fukuoka: 210,000 children aged 0–15 → about 1,100 births a
  month (the city registers about 13,000 a year). Mothers: women aged 20–44 living in a household
  with children; the newborn joins her household (子, or 孫 when she is 子 of the head).
- **Infant check-ups** — children whose check-up falls in the month (the generator's ages: 4m at
  100–140 days, 18m at 548–608, 3y at 1096–1186) attend with 95% probability (national uptake of
  乳幼児健診 is about 95–96%: 地域保健・健康増進事業報告; again from general knowledge).
  乳児家庭全戸訪問 (visit type 2) for babies whose visit falls in the month (30–110 days): 95%.
- **Consultations, allowances, nursery starts** — the city's own recent rate: the number its
  extracts show opened (consultations), started (児童扶養手当) or started outside April (nursery) in
  the 12 months before the previous extract date, divided by 12. Consultation offices and the
  share taken into temporary protection per office are those of the same 12 months; children are
  drawn weighted by their true need (truth ``children.csv``). New 児童扶養手当 go to households
  with one adult under 55 (a heuristic for a single parent: a grandparent is older) and to each of
  their children without one; nursery starts to children from 6 months to 5 years with no active
  enrolment, at a facility of their ward.
- **School attendance** — one row per month for every pupil with a row in the latest month
  (except pupils whose family moved out): the month's school days, absence drawn at the pupil's
  own past rate (shrunk towards 2%), lateness and runs of absence as the generator draws them.

What changes in the truth folder ``NEW_truth``: ``changes.csv`` lists every change the month brings
in the terms of ``core.child_change`` (resident_id, kind, event_date, code, value; ``student_no``
for a month of school absence, which the warehouse attributes to a child through 名寄せ), including
the check-ups that become overdue by ageing, computed as ``features.child_features`` does (a
resident child aged under 7 of at least 6, 24 or 42 months with no check-up row of that type; a
row whose type the extract damaged is not a check-up); ``children.csv`` gains the newborns and the
children who moved in (latent need drawn as the generator draws it); ``unenrolled_3_6.csv`` loses
children who moved out or started nursery; ``student_identity.csv`` and ``dirt.csv`` are copied (no
new pupils: children who move in are not added to the school roster, 学齢簿 or attendance; the
old rows keep their dirt and the new ones are clean); ``facts.json`` gains a ``follow_on`` section.
Not generated: pregnancies and maternal records for the newborns, immunisations, medical subsidies
and other programmes, nursery ends of children who move out.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from kodomo_dash.demo.synth.rand import sigmoid, stream
from kodomo_dash.demo.synth.scenarios import Rates

MOVE_OUT_RATE = 0.0035
CHECKUP_UPTAKE = 0.95
VISIT_UPTAKE = 0.95
CHECKUPS = (("4m", 100, 40, 6), ("18m", 548, 60, 24), ("3y", 1096, 90, 42))  # type, day, spread, overdue months
SCHOOL_DAYS = {1: 17, 2: 18, 3: 16, 4: 16, 5: 19, 6: 21, 7: 14, 8: 0, 9: 19, 10: 21, 11: 19, 12: 16}
CHANGE_COLUMNS = ["resident_id", "kind", "event_date", "code", "value", "student_no"]


@dataclass
class FollowOnResult:
    prev_dir: Path
    out_dir: Path
    truth_dir: Path
    prev_as_of: dt.date
    as_of: dt.date
    counts: dict[str, int]
    changes: int
    seconds: float
    rows: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        lines = [
            f"翌月の抽出 / follow-on month: {self.prev_dir} ({self.prev_as_of}) → {self.out_dir} ({self.as_of})",
            f"正解データ / truth (never loaded): {self.truth_dir}",
            "",
        ]
        lines += [f"{k:<34}{v:>10,}" for k, v in self.counts.items()]
        lines += ["", f"変更（こども単位） / changes per child in the truth: {self.changes:,} ({self.seconds:.1f} s)"]
        return "\n".join(lines)


# ---------------------------------------------------------------- reading and writing text as it is


def _read(path: Path) -> pd.DataFrame:
    """A CSV exactly as its text: every column a string, an empty field an empty string."""
    table = pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(
        column_types={n: pa.string() for n in _header(path)}, strings_can_be_null=False, quoted_strings_can_be_null=False))
    return table.to_pandas().astype(object)  # plain Python strings: the loops below iterate them


def _header(path: Path) -> list[str]:
    with path.open("rb") as fh:
        return fh.readline().decode("utf-8").rstrip("\r\n").split(",")


def _lines(df: pd.DataFrame, columns: list[str]) -> bytes:
    if df.empty:
        return b""
    table = pa.table({c: pa.array(df[c].astype(object).where(df[c].notna(), "").astype(str).to_numpy(), pa.string())
                      for c in columns})
    sink = pa.BufferOutputStream()
    pacsv.write_csv(table, sink, pacsv.WriteOptions(include_header=False, quoting_style="none"))
    return sink.getvalue().to_pybytes()


def _append(prev: Path, out: Path, new: pd.DataFrame) -> int:
    """Copy ``prev`` to ``out`` and add ``new`` at the end; returns the rows added."""
    shutil.copyfile(prev, out)
    if len(new):
        with out.open("ab") as fh:
            fh.write(_lines(new, _header(prev)))
    return len(new)


def _rewrite(out: Path, df: pd.DataFrame) -> None:
    with out.open("wb") as fh:
        fh.write((",".join(df.columns) + "\n").encode("utf-8"))
        fh.write(_lines(df, list(df.columns)))


# ---------------------------------------------------------------- dates and ages as the warehouse computes them


def _dates(text: pd.Series) -> np.ndarray:
    return pd.to_datetime(text.where(text != ""), format="%Y-%m-%d", errors="coerce").to_numpy().astype("datetime64[D]")


def _ymd(d: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    d = d.astype("datetime64[D]")
    y = d.astype("datetime64[Y]").astype(np.int64) + 1970
    m = d.astype("datetime64[M]").astype(np.int64) % 12 + 1
    dd = (d - d.astype("datetime64[M]")).astype(np.int64) + 1
    return y, m, dd


def age_years(birth: np.ndarray, on: dt.date) -> np.ndarray:
    """core.person.age_years (birthdays passed by ``on``)."""
    y, m, d = _ymd(birth)
    return (on.year - y) - ((on.month * 100 + on.day) < (m * 100 + d)).astype(np.int64)


def age_months(birth: np.ndarray, on: dt.date) -> np.ndarray:
    """core.person.age_months (date_diff in months, less one before the day of the month)."""
    y, m, d = _ymd(birth)
    return (on.year - y) * 12 + (on.month - m) - (on.day < d).astype(np.int64)


def _add_months(d: dt.date, months: int) -> dt.date:
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    last = (dt.date(year + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(d.day, last))


def _text(d: np.ndarray) -> np.ndarray:
    return np.datetime_as_string(np.asarray(d, dtype="datetime64[D]"), unit="D").astype(object)


class _Window:
    def __init__(self, start: dt.date, end: dt.date):
        self.start, self.end = np.datetime64(start, "D"), np.datetime64(end, "D")  # [start, end)
        self.days = int((self.end - self.start).astype(int))

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return self.start + rng.integers(0, self.days, n).astype("timedelta64[D]")

    def holds(self, d: np.ndarray) -> np.ndarray:
        return (d >= self.start) & (d < self.end)


def _count(rng: np.random.Generator, expected: float) -> int:
    """A whole number with the expected value (floor plus a Bernoulli remainder)."""
    base = int(np.floor(expected))
    return base + int(rng.random() < expected - base)


def _pick(rng: np.random.Generator, n: int, k: int, weight: np.ndarray | None = None) -> np.ndarray:
    k = int(min(max(k, 0), n))
    if k == 0:
        return np.zeros(0, dtype=np.int64)
    if weight is None:
        return np.sort(rng.permutation(n)[:k])
    keys = np.log(np.maximum(weight, 1e-12)) + rng.gumbel(size=n)
    return np.sort(np.argpartition(-keys, k - 1)[:k])


def _new_ids(rng: np.random.Generator, taken: pd.Series, n: int, floor: int) -> np.ndarray:
    nums = pd.to_numeric(taken, errors="coerce")
    base = max(int(nums.max()) if nums.notna().any() else floor, floor) + 1000
    return (base + np.cumsum(rng.integers(1, 40, size=n, dtype=np.int64))).astype(str).astype(object)


# ---------------------------------------------------------------- the month


def _split_name(full: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(surname, separator, given name) of names written 姓　名 or 'Surname Given'."""
    s = full.astype(str).to_numpy()
    sep = np.where(np.char.find(s.astype(str), "\u3000") >= 0, "\u3000", " ").astype(object)
    parts = [x.split(sp, 1) if sp in x else [x, ""] for x, sp in zip(s, sep, strict=True)]
    return (np.array([p[0] for p in parts], dtype=object), sep,
            np.array([p[1] for p in parts], dtype=object))  # fmt: skip


class _Names:
    """Given names of the city's own residents by (nationality, sex), kanji and kana together."""

    def __init__(self, reg: pd.DataFrame):
        self.by = {k: g[["name_kanji", "name_kana"]].reset_index(drop=True)
                   for k, g in reg[reg["name_kana"] != ""].groupby(["nationality", "sex"], sort=True)}  # fmt: skip

    def given(self, rng: np.random.Generator, nationality: str, sex: str) -> tuple[str, str]:
        pool = self.by.get((nationality, sex))
        pool = self.by[("JP", sex)] if pool is None else pool
        row = pool.iloc[int(rng.integers(0, len(pool)))]
        _, _, gk = _split_name(pd.Series([row["name_kanji"]]))
        _, _, gn = _split_name(pd.Series([row["name_kana"]]))
        return gk[0], gn[0]

    def surname(self, rng: np.random.Generator, nationality: str) -> tuple[str, str]:
        pool = self.by.get((nationality, "1"))
        pool = self.by[("JP", "1")] if pool is None else pool
        row = pool.iloc[int(rng.integers(0, len(pool)))]
        sk, _, _ = _split_name(pd.Series([row["name_kanji"]]))
        sn, _, _ = _split_name(pd.Series([row["name_kana"]]))
        return sk[0], sn[0]


def generate_follow_on(prev_dir: Path, out_dir: Path, months: int = 1, seed: int = 1) -> FollowOnResult:
    """Write the extracts of ``months`` later to ``out_dir`` and the truth to ``<out_dir>_truth``.

    The same (previous folder, months, seed) gives byte-identical files.
    """
    t0 = time.perf_counter()
    if months < 1:
        raise ValueError(f"--months は 1 以上で指定してください / months must be at least 1, got {months}")
    prev_dir, out_dir = Path(prev_dir), Path(out_dir)
    prev_truth, truth_dir = Path(str(prev_dir) + "_truth"), Path(str(out_dir) + "_truth")
    if not (prev_dir / "extract_date.txt").exists():
        raise FileNotFoundError(f"前月の抽出がありません / no previous extracts (extract_date.txt) in {prev_dir}")
    prev_as_of = dt.date.fromisoformat((prev_dir / "extract_date.txt").read_text(encoding="utf-8").strip())
    as_of = _add_months(prev_as_of, months)
    win = _Window(prev_as_of, as_of)
    out_dir.mkdir(parents=True, exist_ok=True)
    truth_dir.mkdir(parents=True, exist_ok=True)
    rng = stream(seed, f"follow_on:{as_of.isoformat()}")
    rates = Rates()

    reg = _read(prev_dir / "resident_registry.csv")
    reg_prev = reg.copy()
    birth = _dates(reg["birth_date"])
    moved_out = _dates(reg["moved_out_date"])
    truth_children = (pd.read_csv(prev_truth / "children.csv", dtype={"resident_id": str, "household_id": str})
                      if (prev_truth / "children.csv").exists() else pd.DataFrame())  # fmt: skip
    need_p = dict(zip(truth_children.get("resident_id", []), truth_children.get("true_need_prob", []), strict=True))

    resident = np.isnat(moved_out) | (moved_out > win.start)
    age0 = age_years(birth, prev_as_of)
    is_child = resident & (age0 >= 0) & (age0 <= 17)
    hh_with_children = np.unique(reg["household_id"].to_numpy()[is_child])
    current_hh = set(reg["household_id"].to_numpy()[resident]) - set(reg["household_id"].to_numpy()[~resident])
    candidates = np.array(sorted(set(hh_with_children) & current_hh), dtype=object)
    counts: dict[str, int] = {}
    changes: list[pd.DataFrame] = []

    def change(rid, kind, date, code=None, value=None, student_no=None) -> None:
        n = len(rid)
        changes.append(pd.DataFrame({
            "resident_id": np.asarray(rid, dtype=object), "kind": kind,
            "event_date": _text(date) if date is not None else np.full(n, None, dtype=object),
            "code": np.asarray(code, dtype=object) if code is not None else np.full(n, None, dtype=object),
            "value": np.asarray(value, dtype=float) if value is not None else np.full(n, np.nan),
            "student_no": np.asarray(student_no, dtype=object) if student_no is not None else np.full(n, None, dtype=object),
        }))  # fmt: skip

    # ---- moving out: whole households, one day each
    n_out = _count(rng, len(candidates) * MOVE_OUT_RATE * months)
    leaving = candidates[_pick(rng, len(candidates), n_out)]
    leave_day = dict(zip(leaving, win.draw(rng, len(leaving)), strict=True))
    mover = reg["household_id"].isin(leaving).to_numpy()
    out_dates = np.array([leave_day.get(h, np.datetime64("NaT")) for h in reg["household_id"].to_numpy()],
                         dtype="datetime64[D]")  # fmt: skip
    reg.loc[mover, "moved_out_date"] = _text(out_dates[mover])
    kid_now = mover & (age_years(birth, as_of) >= 0) & (age_years(birth, as_of) <= 17)
    change(reg["resident_id"].to_numpy()[kid_now], "moved_out", out_dates[kid_now])
    counts["households_moved_out"] = len(leaving)
    counts["children_moved_out"] = int(kid_now.sum())
    moved_kids = set(reg["resident_id"].to_numpy()[kid_now])

    names = _Names(reg_prev)
    new_truth: list[dict] = []
    hh_ids_taken = reg["household_id"]
    new_rows: list[dict] = []
    rid_pool = iter(_new_ids(rng, reg["resident_id"], 20_000 + len(reg) // 20, 1_000_000_000))

    # ---- moving in: families like existing ones, at vacated addresses
    vacated = reg_prev.loc[(~resident) | mover, ["household_id", "address_text", "address_code", "ward_code"]]
    vacated = vacated.drop_duplicates("household_id").reset_index(drop=True)
    n_in = _count(rng, len(candidates) * MOVE_OUT_RATE * months)
    templates = candidates[_pick(rng, len(candidates), n_in)] if n_in else np.array([], dtype=object)
    new_hh_ids = _new_ids(rng, hh_ids_taken, n_in, 5_000_000_000)
    for h_new, tmpl in zip(new_hh_ids, templates, strict=True):
        members = reg_prev[reg_prev["household_id"] == tmpl]
        addr = vacated.iloc[int(rng.integers(0, len(vacated)))] if len(vacated) else members.iloc[0]
        nat = members["nationality"].iloc[0]
        sk, sn = names.surname(rng, nat)
        sep = "\u3000" if nat == "JP" else " "
        shift = int(rng.integers(-365, 366))
        moved_in = win.draw(rng, 1)[0]
        z_h = rng.standard_normal()
        for _, m in members.iterrows():
            b = np.datetime64(m["birth_date"], "D") + np.timedelta64(shift, "D")
            if b >= win.start - np.timedelta64(60, "D"):
                b = np.datetime64(m["birth_date"], "D")
            gk, gn = names.given(rng, nat, m["sex"])
            rid = next(rid_pool)
            new_rows.append({**m.to_dict(), "resident_id": rid, "household_id": h_new,
                             "name_kanji": f"{sk}{sep}{gk}", "name_kana": f"{sn}\u3000{gn}", "birth_date": str(b),
                             "alias_name": "", "address_text": addr["address_text"], "address_code": addr["address_code"],
                             "ward_code": addr["ward_code"], "moved_in_date": str(moved_in), "moved_out_date": ""})  # fmt: skip
            a = int(age_years(np.array([b]), as_of)[0])
            if 0 <= a <= 17:
                change([rid], "moved_in", np.array([moved_in]))
                z = z_h + rng.normal(0.0, 0.6)
                new_truth.append({"resident_id": rid, "household_id": h_new, "z": z})
    counts["households_moved_in"] = n_in

    # ---- births: a month's birth cohort, to mothers living with their children
    b_prev = birth
    sex = reg_prev["sex"].to_numpy()
    rel = reg_prev["relationship"].to_numpy()
    mother_age = age_years(b_prev, prev_as_of)
    kid_hh = set(hh_with_children) - set(leaving)
    mothers = np.flatnonzero(resident & ~mover & (sex == "2") & (mother_age >= 20) & (mother_age <= 44)
                             & np.isin(rel, ["1", "2", "3"]) & reg_prev["household_id"].isin(kid_hh).to_numpy())  # fmt: skip
    children_now = int(is_child.sum())
    max_age = max(16, int(age0[is_child].max()) + 1) if children_now else 16
    n_births = _count(rng, children_now / (max_age * 12) * months)
    chosen = mothers[_pick(rng, len(mothers), n_births)]
    sib_z = truth_children.groupby("household_id")["latent_z"].mean().to_dict() if len(truth_children) else {}
    for i in chosen:
        m = reg_prev.iloc[int(i)]
        b = win.draw(rng, 1)[0]
        s = "1" if rng.random() < 0.512 else "2"
        sk, sep, _ = _split_name(pd.Series([m["name_kanji"]]))
        sn, _, _ = _split_name(pd.Series([m["name_kana"]]))
        gk, gn = names.given(rng, m["nationality"], s)
        rid = next(rid_pool)
        new_rows.append({**m.to_dict(), "resident_id": rid, "relationship": "7" if m["relationship"] == "3" else "3",
                         "name_kanji": f"{sk[0]}{sep[0]}{gk}", "name_kana": f"{sn[0]}\u3000{gn}", "birth_date": str(b),
                         "sex": s, "alias_name": "", "moved_in_date": "", "moved_out_date": ""})  # fmt: skip
        z = sib_z.get(m["household_id"], rng.standard_normal()) + rng.normal(0.0, 0.6)
        new_truth.append({"resident_id": rid, "household_id": m["household_id"], "z": z})
    counts["births"] = len(chosen)
    new_reg = pd.DataFrame(new_rows, columns=list(reg.columns))
    reg_all = pd.concat([reg, new_reg], ignore_index=True)

    # children of the new month, resident on the new as-of (the base of the month's programme events)
    birth_all = _dates(reg_all["birth_date"])
    out_all = _dates(reg_all["moved_out_date"])
    age_now = age_years(birth_all, as_of)
    res_now = np.isnat(out_all) | (out_all > np.datetime64(as_of, "D"))
    kids = reg_all[res_now & (age_now >= 0) & (age_now <= 17)].copy()
    kids["birth"] = _dates(kids["birth_date"])
    need_p.update({t["resident_id"]: float(sigmoid(rates.need_prevalence_logit + rates.need_slope * t["z"]))
                   for t in new_truth})
    kids["need_p"] = kids["resident_id"].map(need_p).fillna(float(sigmoid(rates.need_prevalence_logit))).to_numpy()
    kids = kids.reset_index(drop=True)
    arrived = kids["resident_id"].isin(set(new_reg["resident_id"])).to_numpy() & (kids["moved_in_date"] != "").to_numpy()

    # ---- infant check-ups and 乳児家庭全戸訪問 falling in the month
    ck = _read(prev_dir / "infant_checkup.csv")
    had = set(zip(ck["resident_id"], ck["checkup_type"], strict=True))
    new_ck = []
    for ctype, off, spread, _ in CHECKUPS:
        due = kids["birth"].to_numpy() + (off + np.floor(rng.random(len(kids)) * spread)).astype("timedelta64[D]")
        attend = rng.random(len(kids)) < CHECKUP_UPTAKE
        todo = np.array([(r, ctype) not in had for r in kids["resident_id"]], dtype=bool)
        ok = win.holds(due) & attend & todo & ~arrived
        n = int(ok.sum())
        result = 1 + np.searchsorted(np.cumsum([0.55, 0.2, 0.15, 0.07]), rng.random(n))
        q = {name: (rng.random(n) < p).astype(int) for name, p in (
            ("q_hit_emotionally", 0.03), ("q_left_alone", 0.015), ("q_no_food", 0.003), ("q_covered_mouth", 0.002),
            ("q_shook", 0.002))}  # fmt: skip
        new_ck.append(pd.DataFrame({
            "resident_id": kids["resident_id"].to_numpy()[ok], "checkup_type": ctype, "checkup_date": _text(due[ok]),
            "weight_percentile": np.round(rng.uniform(3, 97, n), 1), "height_percentile": np.round(rng.uniform(3, 97, n), 1),
            "overall_result": result.astype(str), **q}))  # fmt: skip
        change(kids["resident_id"].to_numpy()[ok], "checkup", due[ok], np.full(n, ctype, dtype=object))
    new_ck = pd.concat(new_ck, ignore_index=True)
    had |= set(zip(new_ck["resident_id"], new_ck["checkup_type"], strict=True))
    counts["infant_checkups"] = len(new_ck)

    nv = _read(prev_dir / "newborn_visit.csv")
    visited = set(nv.loc[nv["visit_type"] == "2", "resident_id"])
    due = kids["birth"].to_numpy() + (30 + np.floor(rng.random(len(kids)) * 80)).astype("timedelta64[D]")
    ok = win.holds(due) & (rng.random(len(kids)) < VISIT_UPTAKE) & ~kids["resident_id"].isin(visited).to_numpy() & ~arrived
    new_nv = pd.DataFrame({"resident_id": kids["resident_id"].to_numpy()[ok], "visit_type": "2",
                           "visit_date": _text(due[ok]), "result": np.where(rng.random(int(ok.sum())) < 0.93, "1", "2")})
    change(new_nv["resident_id"], "newborn_visit", due[ok], np.full(len(new_nv), "2", dtype=object))
    counts["newborn_visits"] = len(new_nv)

    year_before = np.datetime64(_add_months(prev_as_of, -12), "D")

    def recent(dates_text: pd.Series, extra: np.ndarray | None = None) -> np.ndarray:
        d = _dates(dates_text)
        m = (d >= year_before) & (d < win.start)
        return m if extra is None else m & extra

    # ---- consultations (some with temporary protection), the city's own recent rate
    cons = _read(prev_dir / "child_consultation.csv")
    last_year = cons[recent(cons["opened_date"])]
    n_cons = _count(rng, len(last_year) / 12 * months)
    idx = _pick(rng, len(kids), n_cons, kids["need_p"].to_numpy() + 0.002)
    office_share2 = float((last_year["office"] == "2").mean()) if len(last_year) else 0.3
    office = np.where(rng.random(len(idx)) < office_share2, "2", "1")
    prot_rate = {o: float((last_year.loc[last_year["office"] == o, "temporary_protection"] == "1").mean() or 0.0)
                 for o in ("1", "2")}  # fmt: skip
    prot = rng.random(len(idx)) < np.array([prot_rate[o] for o in office])
    complaint = np.where(rng.random(len(idx)) < 0.5, "11", rng.choice(["12", "20", "30", "50", "90"], len(idx)))
    opened = win.draw(rng, len(idx))
    serial: dict[int, int] = {}
    for c in cons["case_no"]:
        if len(c) == 11 and c[0] == "K" and c[1:].isdigit():
            serial[int(c[1:5])] = max(serial.get(int(c[1:5]), 0), int(c[5:]))
    case_nos = []
    for d in opened:
        y = int(str(d)[:4])
        serial[y] = serial.get(y, 0) + 1
        case_nos.append(f"K{y}{serial[y]:06d}")
    rid = kids["resident_id"].to_numpy()[idx]
    new_cons = pd.DataFrame({"case_no": case_nos, "resident_id": rid, "office": office, "main_complaint": complaint,
                             "opened_date": _text(opened), "closed_date": "", "temporary_protection": prot.astype(int)})
    change(rid, "consultation", opened, office)
    change(rid[prot], "temporary_protection", opened[prot], office[prot])
    counts["consultations"] = len(new_cons)
    counts["temporary_protections"] = int(prot.sum())

    # ---- 児童扶養手当: new single-parent recipients, each of their children
    cra = _read(prev_dir / "child_rearing_allowance.csv")
    n_new_hh = _count(rng, recent(cra["start_date"]).sum() / 12 * months / max(1.0, len(cra) / max(1, cra["recipient_resident_id"].nunique())))
    adults = reg_all[res_now & (age_now >= 18)]
    young_adults = adults[age_years(_dates(adults["birth_date"]), as_of) < 55]
    one_parent = young_adults.groupby("household_id").size()
    one_parent = set(one_parent[one_parent == 1].index)
    has = set(cra["child_resident_id"])
    eligible = kids[kids["household_id"].isin(one_parent) & ~kids["resident_id"].isin(has)]
    hh_list = np.array(sorted(eligible["household_id"].unique()), dtype=object)
    hh_need = eligible.groupby("household_id")["need_p"].max().reindex(hh_list).to_numpy()
    take_hh = hh_list[_pick(rng, len(hh_list), n_new_hh, hh_need + 0.01)] if len(hh_list) else hh_list
    pay_share = cra["payment_class"].value_counts(normalize=True).reindex(["1", "2", "3"]).fillna(0).to_numpy()
    rows = []
    for h in take_hh:
        start = win.draw(rng, 1)[0]
        pay = str(1 + int(np.searchsorted(np.cumsum(pay_share), rng.random() * pay_share.sum())))
        recipient = young_adults.loc[young_adults["household_id"] == h, "resident_id"].iloc[0]
        for c in eligible.loc[eligible["household_id"] == h, "resident_id"]:
            rows.append({"recipient_resident_id": recipient, "child_resident_id": c, "payment_class": pay,
                         "start_date": str(start)})
    new_cra = pd.DataFrame(rows, columns=["recipient_resident_id", "child_resident_id", "payment_class", "start_date"])
    change(new_cra["child_resident_id"], "allowance", new_cra["start_date"].to_numpy().astype("datetime64[D]"),
           new_cra["payment_class"])  # fmt: skip
    counts["allowances"] = len(new_cra)

    # ---- nursery starts outside April, the city's own rate
    ne = _read(prev_dir / "nursery_enrolment.csv")
    ns, nend = _dates(ne["start_date"]), _dates(ne["end_date"])
    n_start = _count(rng, (recent(ne["start_date"]) & ~(_ymd(ns)[1] == 4)).sum() / 11 * months)
    active = set(ne.loc[(ns <= np.datetime64(as_of, "D")) & (np.isnat(nend) | (nend >= win.start)), "resident_id"])
    am = age_months(kids["birth"].to_numpy(), as_of)
    cand = kids[(am >= 6) & (age_years(kids["birth"].to_numpy(), as_of) <= 5)
                & ~kids["resident_id"].isin(active).to_numpy()].reset_index(drop=True)  # fmt: skip
    pick = _pick(rng, len(cand), n_start)
    clean = ne["licensed"].isin(["1", "2"]) & ne["facility_type"].isin(["11", "12", "13", "21", "22", "23"])
    ward_fac = ne[clean].assign(ward=ne["facility_code"].str[:5])
    rows = []
    for i in pick:
        c = cand.iloc[int(i)]
        pool = ward_fac[ward_fac["ward"] == c["ward_code"]]
        pool = pool if len(pool) else ward_fac
        f = pool.iloc[int(rng.integers(0, len(pool)))]
        rows.append({"resident_id": c["resident_id"], "facility_code": f["facility_code"],
                     "facility_type": f["facility_type"], "licensed": f["licensed"],
                     "start_date": str(win.draw(rng, 1)[0]), "end_date": ""})
    new_ne = pd.DataFrame(rows, columns=list(ne.columns))
    change(new_ne["resident_id"], "nursery_start", new_ne["start_date"].to_numpy().astype("datetime64[D]"),
           new_ne["licensed"])  # fmt: skip
    counts["nursery_starts"] = len(new_ne)

    # ---- a month of school attendance for each pupil still at school
    att = _read(prev_dir / "attendance.csv")
    months_text = sorted({str(np.datetime64(win.start, "M") + k) for k in range(months)})
    last = att["month"][att["month"].str.match(r"^\d{4}-\d{2}$")].max()
    ident = (pd.read_csv(prev_truth / "student_identity.csv", dtype=str)
             if (prev_truth / "student_identity.csv").exists() else pd.DataFrame(columns=["student_no", "resident_id_true"]))
    smap = _read(prev_dir / "student_resident_map.csv")
    true_rid = dict(zip(smap["student_no"], smap["resident_id"], strict=True))
    true_rid.update({s: r for s, r in zip(ident["student_no"], ident["resident_id_true"], strict=True) if isinstance(r, str)})
    pupils = sorted(set(att.loc[att["month"] == last, "student_no"]))
    pupils = [p for p in pupils if true_rid.get(p) not in moved_kids]
    hist = att[att["student_no"].isin(pupils)].copy()
    hist["a"] = pd.to_numeric(hist["absence_days"], errors="coerce")
    hist["d"] = pd.to_numeric(hist["school_days"], errors="coerce")
    hist = hist[(hist["a"] >= 0) & (hist["d"] > 0) & (hist["a"] <= hist["d"])]
    sums = hist.groupby("student_no")[["a", "d"]].sum().reindex(pupils).fillna(0)
    rate = np.clip((sums["a"].to_numpy() + 0.4) / (sums["d"].to_numpy() + 20), 0, 0.9)
    frames = []
    for mt in months_text:
        if mt <= last:
            continue
        days = SCHOOL_DAYS[int(mt[5:])]
        absence = rng.binomial(days, rate)
        late = rng.binomial(days - absence, np.minimum(rate * 0.6, 0.9))
        run = np.where(absence > 0, np.minimum(absence, 1 + rng.binomial(np.maximum(absence - 1, 0), np.minimum(rate * 1.5, 0.95))), 0)
        frames.append(pd.DataFrame({"student_no": pupils, "month": mt, "school_days": days, "absence_days": absence,
                                    "late_days": late, "consecutive_absence_days": run}))
        a = absence > 0
        sn = np.array(pupils, dtype=object)[a]
        change([true_rid.get(s) for s in sn], "school_absence", np.full(int(a.sum()), np.datetime64(mt + "-01", "D")),
               None, absence[a], sn)  # fmt: skip
    new_att = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(att.columns))
    counts["attendance_rows"] = len(new_att)

    # ---- check-ups overdue by ageing (features.child_features: missed_checkup_*), new this month
    prev_child = set(reg_prev["resident_id"].to_numpy()[is_child])
    prev_am = dict(zip(reg_prev["resident_id"], age_months(birth, prev_as_of), strict=True))
    prev_ay = dict(zip(reg_prev["resident_id"], age0, strict=True))
    am_now = age_months(kids["birth"].to_numpy(), as_of)
    ay_now = age_years(kids["birth"].to_numpy(), as_of)
    for ctype, _, _, months_due in CHECKUPS:
        for rid_, a_m, a_y in zip(kids["resident_id"], am_now, ay_now, strict=True):
            if not (a_m >= months_due and a_y < 7) or (rid_, ctype) in had:
                continue
            if rid_ in prev_child and prev_am[rid_] >= months_due and prev_ay[rid_] < 7:
                continue  # already overdue last month: not new
            change([rid_], "missed_checkup", None, [ctype])

    # ---- write the extracts: every old row as it was, the month's rows after them
    added = {"infant_checkup": new_ck, "newborn_visit": new_nv, "child_consultation": new_cons,
             "child_rearing_allowance": new_cra, "nursery_enrolment": new_ne, "attendance": new_att}
    rows_added = {"resident_registry": len(new_reg)}
    for f in sorted(prev_dir.glob("*.csv")):
        name = f.stem
        if name == "resident_registry":
            _rewrite(out_dir / f.name, reg_all)
        elif name in added:
            rows_added[name] = _append(f, out_dir / f.name, added[name])
        else:
            shutil.copyfile(f, out_dir / f.name)
    (out_dir / "extract_date.txt").write_text(as_of.isoformat() + "\n", encoding="utf-8")

    # ---- the truth
    ch = pd.concat(changes, ignore_index=True) if changes else pd.DataFrame(columns=CHANGE_COLUMNS)
    ch = ch.drop_duplicates(["resident_id", "kind", "event_date", "code", "value"])
    ch = ch.sort_values(["resident_id", "kind", "event_date", "code"], na_position="last", kind="stable")
    ch.to_csv(truth_dir / "changes.csv", index=False, columns=CHANGE_COLUMNS, lineterminator="\n")
    _write_truth(prev_truth, truth_dir, new_truth, kids, moved_kids, set(new_ne["resident_id"]), counts, rates)
    return FollowOnResult(prev_dir=prev_dir, out_dir=out_dir, truth_dir=truth_dir, prev_as_of=prev_as_of, as_of=as_of,
                          counts=counts, changes=len(ch), seconds=time.perf_counter() - t0, rows=rows_added)  # fmt: skip


def _write_truth(prev_truth: Path, truth_dir: Path, new_truth: list[dict], kids: pd.DataFrame, moved: set,
                 started: set, counts: dict, rates: Rates) -> None:
    for name in ("student_identity.csv", "dirt.csv"):
        if (prev_truth / name).exists():
            shutil.copyfile(prev_truth / name, truth_dir / name)
    if (prev_truth / "children.csv").exists():
        rng = stream(len(new_truth), "follow_on:truth")
        z = np.array([t["z"] for t in new_truth], dtype=float)
        p = sigmoid(rates.need_prevalence_logit + rates.need_slope * z)
        add = pd.DataFrame({"resident_id": [t["resident_id"] for t in new_truth],
                            "household_id": [t["household_id"] for t in new_truth],
                            "latent_z": np.round(z, 6), "true_need": (rng.random(len(z)) < p).astype(np.int8),
                            "true_need_prob": np.round(p, 6)})  # fmt: skip
        _append(prev_truth / "children.csv", truth_dir / "children.csv", add)
    if (prev_truth / "unenrolled_3_6.csv").exists():
        u = pd.read_csv(prev_truth / "unenrolled_3_6.csv", dtype=str)
        u = u[~u["resident_id"].isin(moved | started)]
        u.to_csv(truth_dir / "unenrolled_3_6.csv", index=False, lineterminator="\n")
    facts = json.loads((prev_truth / "facts.json").read_text(encoding="utf-8")) if (prev_truth / "facts.json").exists() else {}
    facts["follow_on"] = counts
    (truth_dir / "facts.json").write_text(json.dumps(facts, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
