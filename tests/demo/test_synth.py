"""The synthetic city: every contract gets a well-formed extract, reproducibly, with known flaws.

Runs on tiny cities (scale <= 0.02) so the whole file takes seconds. The contract checker
here is deliberately independent of the loader: it re-reads the CSVs as text and applies each
column's type, code list, range, pattern and required flag, then demands that the values it
rejects are exactly the dirt the generator says it injected.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kodomo_dash.demo.synth.city import generate
from kodomo_dash.warehouse.contracts import Column, all_contracts

SCENARIO = "fukuoka-fy2025"
AS_OF = pd.Timestamp("2025-09-01")


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory):
    return generate(SCENARIO, 0.01, 1, tmp_path_factory.mktemp("a") / "extracts")


@pytest.fixture(scope="module")
def city_again(tmp_path_factory: pytest.TempPathFactory):
    return generate(SCENARIO, 0.01, 1, tmp_path_factory.mktemp("b") / "extracts")


@pytest.fixture(scope="module")
def city_double(tmp_path_factory: pytest.TempPathFactory):
    return generate(SCENARIO, 0.02, 7, tmp_path_factory.mktemp("c") / "extracts")


def read(folder: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(folder / f"{name}.csv", dtype=str, keep_default_na=False)


def violations(col: Column, values: pd.Series) -> pd.Series:
    """Rows whose text breaks the column's contract (what the loader must quarantine)."""
    empty = values == ""
    bad = empty & col.required
    v = values[~empty]
    if col.type == "date":
        rejected = pd.to_datetime(v, format="%Y-%m-%d", errors="coerce").isna()
    elif col.type in ("integer", "double"):
        x = pd.to_numeric(v, errors="coerce")
        rejected = x.isna()
        if col.type == "integer":
            rejected |= x.notna() & (x != np.floor(x))
        if col.min is not None:
            rejected |= x < col.min
        if col.max is not None:
            rejected |= x > col.max
    elif col.type == "code":
        rejected = ~v.isin(list(col.codes))
    elif col.type == "boolean":
        rejected = ~v.isin(["0", "1"])
    else:
        rejected = pd.Series(False, index=v.index)
    if col.pattern:
        rejected |= ~v.str.match(col.pattern)
    bad = bad.copy()
    bad.loc[v.index] |= rejected.to_numpy()
    return bad


def digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_every_contract_gets_exactly_its_header(city):
    files = sorted(p.name for p in city.out_dir.iterdir() if p.suffix == ".csv")
    assert files == sorted(c.file_name for c in all_contracts().values())
    assert (city.out_dir / "extract_date.txt").read_text().strip() == "2025-09-01"  # the build's as-of
    for contract in all_contracts().values():
        first = (city.out_dir / contract.file_name).read_text(encoding="utf-8").split("\n", 1)[0]
        assert first == ",".join(contract.column_names), contract.name
        assert city.rows[contract.name] > 0, f"{contract.name} is empty at scale 0.01"


def test_values_break_the_contract_only_where_dirt_was_recorded(city):
    dirt = pd.read_csv(city.truth_dir / "dirt.csv", dtype={"rows": int})
    dirt = dirt[dirt["kind"] != "blank_birth_date"]  # linkage noise: the roster's birth date is optional
    expected = dirt.groupby(["file", "column"])["rows"].sum().to_dict()
    assert sum(expected.values()) > 0, "some dirt must be injected"
    for name, contract in all_contracts().items():
        df = read(city.out_dir, name)
        for col in contract.columns:
            found = int(violations(col, df[col.name]).sum())
            assert found == expected.get((name, col.name), 0), (name, col.name)


def test_dirt_kinds_look_like_the_reports(city):
    dirt = pd.read_csv(city.truth_dir / "dirt.csv")
    assert {"required_missing", "impossible_date", "wrong_code", "out_of_range"} <= set(dirt["kind"])
    checkups = read(city.out_dir, "infant_checkup")
    bad_dates = checkups["checkup_date"][~checkups["checkup_date"].str.match(r"^$|^\d{4}-\d{2}-\d{2}$")]
    assert bad_dates.empty  # impossible dates keep the YYYY-MM-DD shape (2019-02-30)
    files = set(dirt["file"])
    assert "resident_registry" not in files and "nursery_enrolment" not in files  # the ground truth stays clean


def test_formats_dates_booleans_and_nulls(city):
    reg = read(city.out_dir, "resident_registry")
    assert reg["birth_date"].str.match(r"^\d{4}-\d{2}-\d{2}$").all()
    assert set(reg["moved_out_date"]) - {""}, "some residents moved out"
    assert set(reg["moved_in_date"]) - {""}, "some residents moved in"
    tax = read(city.out_dir, "resident_tax")
    assert set(tax["tax_exempt"]) <= {"0", "1", ""} and (tax["tax_exempt"] != "").mean() > 0.99
    checkups = read(city.out_dir, "infant_checkup")
    q = checkups["q_hit_emotionally"]
    assert set(q) <= {"0", "1", ""} and (q[q != ""] == "0").mean() > 0.8  # mostly 0, blank before the questionnaire
    assert (q == "").any()


def test_keys_are_unique_except_the_injected_duplicate_student_numbers(city):
    for name, contract in all_contracts().items():
        df = read(city.out_dir, name)
        bad = pd.Series(False, index=df.index)
        for col in contract.columns:
            bad |= violations(col, df[col.name])
        dups = df[~bad].duplicated(list(contract.key), keep=False)
        if name == "student_roster":
            ident = pd.read_csv(city.truth_dir / "student_identity.csv", dtype=str, keep_default_na=False)
            flagged = ident["noise_kinds"].str.contains("duplicate_student_no")
            assert (dups == flagged[~bad].to_numpy()).all()
        else:
            assert not dups.any(), name


def test_same_seed_same_bytes_other_seed_other_bytes(city, city_again, tmp_path):
    assert digest(city.out_dir) == digest(city_again.out_dir)
    assert digest(city.truth_dir) == digest(city_again.truth_dir)
    other = generate(SCENARIO, 0.01, 2, tmp_path / "extracts")
    a, b = digest(city.out_dir), digest(other.out_dir)
    assert all(a[f] != b[f] for f in a if f != "extract_date.txt")


def test_truth_is_a_separate_folder(city):
    assert city.truth_dir == Path(str(city.out_dir) + "_truth")
    assert city.truth_dir.parent == city.out_dir.parent
    truth_files = {p.name for p in city.truth_dir.iterdir()}
    assert {"children.csv", "student_identity.csv", "dirt.csv", "facts.json"} <= truth_files
    assert not truth_files & {p.name for p in city.out_dir.iterdir()}
    children = pd.read_csv(city.truth_dir / "children.csv")
    assert list(children.columns) == ["resident_id", "household_id", "latent_z", "true_need", "true_need_prob"]
    for p in city.out_dir.iterdir():
        header = p.read_text(encoding="utf-8").split("\n", 1)[0]
        assert "latent" not in header and "true_need" not in header


def test_unknown_scenario_is_refused_in_both_languages(tmp_path):
    with pytest.raises(ValueError) as err:
        generate("nowhere-fy2099", 0.01, 1, tmp_path / "x")
    assert "シナリオ" in str(err.value) and "Unknown scenario" in str(err.value)
    assert "fukuoka-fy2025" in str(err.value)


def test_city_shape(city):
    reg = read(city.out_dir, "resident_registry")
    kids = reg[reg["relationship"].isin(["3", "7"]) & (reg["moved_out_date"] == "")]
    kids = kids[pd.to_datetime(kids["birth_date"]) > AS_OF - pd.DateOffset(years=16)]
    assert len(kids) == 2100  # 210,000 x 0.01
    assert kids["ward_code"].value_counts().min() >= 5
    assert reg["resident_id"].str.len().eq(10).all() and reg["household_id"].str.len().eq(10).all()
    assert reg["address_code"].str.match(r"^4013[1-7]\d{8}$").all()
    assert reg["address_text"].str.match(r"^福岡市..?.?区.+\d+丁目\d+-\d+$").all()
    per_household = kids.groupby("household_id").size()
    assert per_household.max() <= 5
    foreign = (reg["nationality"] != "JP").mean()
    assert 0.01 < foreign < 0.06
    kana = reg["name_kana"].str.split("\u3000").str[0]
    same_household_surname = kana.groupby(reg["household_id"]).nunique()
    assert (same_household_surname == 1).all()


def test_school_grades_follow_the_april_rule(city):
    reg = read(city.out_dir, "resident_registry").set_index("resident_id")
    sar = read(city.out_dir, "school_age_register")
    sar = sar[sar["grade"].str.fullmatch(r"[1-9]")]
    birth = pd.to_datetime(reg.loc[sar["resident_id"], "birth_date"]).to_numpy()
    first = sar["grade"].to_numpy() == "1"
    assert first.any()
    b = birth[first]
    assert (b >= np.datetime64("2018-04-02")).all() and (b <= np.datetime64("2019-04-01")).all()


def test_unenrolled_3_to_6_is_exact_and_proportional(city, city_double):
    for result, scale in ((city, 0.01), (city_double, 0.02)):
        reg = read(result.out_dir, "resident_registry")
        ne = read(result.out_dir, "nursery_enrolment")
        start, end = pd.to_datetime(ne["start_date"]), pd.to_datetime(ne["end_date"], errors="coerce")
        active = ne[(start <= AS_OF) & (end.isna() | (end >= AS_OF))]
        kids = reg[reg["relationship"].isin(["3", "7"]) & (reg["moved_out_date"] == "")]
        b = pd.to_datetime(kids["birth_date"])
        age = AS_OF.year - b.dt.year - ((b.dt.month * 100 + b.dt.day) > 901)
        # First-graders count as preschoolers in April-September: enrolled means an enrolment
        # active on 31 March, and only those who lived in the city then can be judged.
        eve = pd.Timestamp("2025-03-31")
        on_eve = ne[(start <= eve) & (end.isna() | (end >= eve))]
        moved_in = pd.to_datetime(kids["moved_in_date"], errors="coerce")
        preschool = (b >= pd.Timestamp("2019-04-02")) & (age >= 3)
        first_grade = (b >= pd.Timestamp("2018-04-02")) & (b < pd.Timestamp("2019-04-02")) & ~(moved_in > eve)
        cohort = kids[preschool | first_grade]
        fg = first_grade[preschool | first_grade]
        enrolled = np.where(fg, cohort["resident_id"].isin(on_eve["resident_id"]),
                            cohort["resident_id"].isin(active["resident_id"]))
        unenrolled = pd.Series(~enrolled, index=cohort.index)
        lic_now = cohort["resident_id"].isin(active.loc[active["licensed"] == "1", "resident_id"])
        lic_eve = cohort["resident_id"].isin(on_eve.loc[on_eve["licensed"] == "1", "resident_id"])
        licensed_only = pd.Series(~np.where(fg, lic_eve, lic_now), index=cohort.index)
        assert unenrolled.sum() == round(1327 * scale) == result.facts["unenrolled_3_6"]
        assert licensed_only.sum() > unenrolled.sum()  # forgetting unlicensed nurseries inflates the cohort
        truth = pd.read_csv(result.truth_dir / "unenrolled_3_6.csv", dtype=str)
        assert set(truth["resident_id"]) == set(cohort.loc[unenrolled, "resident_id"])


def test_past_support_cases_come_from_true_need(city_double):
    truth = pd.read_csv(city_double.truth_dir / "children.csv", dtype={"resident_id": str})
    cons = read(city_double.out_dir, "child_consultation")
    cases = set(cons.loc[cons["main_complaint"] == "11", "resident_id"])
    share = len(cases) / len(truth)
    assert 0.007 < share < 0.03
    is_case = truth["resident_id"].isin(cases)
    assert truth.loc[is_case, "true_need"].mean() > 5 * truth["true_need"].mean()
    assert set(cons["main_complaint"]) >= {"11", "12", "20", "30", "50"}
    assert ((cons["main_complaint"] == "11") & (cons["temporary_protection"] == "1")).any()
    yotaikyo = read(city_double.out_dir, "yotaikyo_case")
    assert (yotaikyo["resident_id"].isin(cases) & (yotaikyo["closed_date"] == "")).any()


def test_need_factors_carry_signal(city_double):
    truth = pd.read_csv(city_double.truth_dir / "children.csv", dtype={"resident_id": str}).set_index("resident_id")
    nurse = read(city_double.out_dir, "nurse_contact").groupby("resident_id").size()
    contacts = nurse.reindex(truth.index).fillna(0)
    assert contacts[truth["true_need"] == 1].mean() > 2 * contacts[truth["true_need"] == 0].mean()
    notes = read(city_double.out_dir, "pregnancy_notification")
    notes = notes[notes["child_resident_id"].isin(truth.index)]
    age = pd.to_numeric(notes["mother_age"], errors="coerce")
    need = truth.loc[notes["child_resident_id"], "true_need"].to_numpy() == 1
    assert age[need].mean() < age[~need].mean() - 1


def test_pregnancy_notifications_match_births(city):
    reg = read(city.out_dir, "resident_registry").set_index("resident_id")
    notes = read(city.out_dir, "pregnancy_notification")
    born = notes[notes["child_resident_id"].str.len() == 10]
    birth = pd.to_datetime(reg.loc[born["child_resident_id"], "birth_date"]).to_numpy()
    due = pd.to_datetime(born["due_date"], errors="coerce").to_numpy()
    notified = pd.to_datetime(born["notification_date"], errors="coerce").to_numpy()
    ok = ~np.isnat(due) & ~np.isnat(notified)
    gap = (due - birth)[ok].astype("timedelta64[D]").astype(int)
    assert (np.abs(gap) <= 120).all() and np.median(np.abs(gap)) <= 10  # premature births come weeks early
    assert (notified[ok] < birth[ok]).all()
    mothers = born["mother_resident_id"].isin(reg.index).mean()
    assert mothers > 0.95  # the rest are mothers of father-only families, not in the registry
    assert (notes["child_resident_id"] == "").any(), "current pregnancies have no child yet"


def test_noise_kinds_recorded_for_every_roster_row(city, city_double):
    for result in (city, city_double):
        roster = read(result.out_dir, "student_roster")
        ident = pd.read_csv(result.truth_dir / "student_identity.csv", dtype=str, keep_default_na=False)
        assert list(ident.columns) == ["student_no", "resident_id_true", "noise_kinds"]
        assert ident["student_no"].tolist() == roster["student_no"].tolist()
        kinds = Counter(k for text in ident["noise_kinds"] for k in text.split(";") if k)
        for kind in ("not_in_map", "not_in_registry", "graduated", "blank_birth_date", "duplicate_student_no",
                     "two_school_records", "variant_kanji_address", "same_name_birth"):  # fmt: skip
            assert kinds[kind] > 0, kind
        blank = ident["noise_kinds"].str.contains("blank_birth_date")
        assert (roster.loc[blank, "birth_date"] == "").all() and (roster.loc[~blank, "birth_date"] != "").all()
        absent = ident["resident_id_true"] == ""
        assert (absent == ident["noise_kinds"].str.contains("not_in_registry")).all()
    kinds = Counter(k for text in pd.read_csv(city_double.truth_dir / "student_identity.csv", dtype=str,
                                              keep_default_na=False)["noise_kinds"] for k in text.split(";") if k)  # fmt: skip
    assert kinds["kana_halfwidth"] + kinds["kana_long_vowel"] + kinds["kana_space"] > 0


def test_variant_kanji_leave_the_address_code_right(city):
    reg = read(city.out_dir, "resident_registry").set_index("resident_id")
    roster = read(city.out_dir, "student_roster")
    ident = pd.read_csv(city.truth_dir / "student_identity.csv", dtype=str, keep_default_na=False)
    rows = ident["noise_kinds"].str.contains("variant_kanji_address") & ~ident["noise_kinds"].str.contains("stale")
    assert rows.any()
    truth = reg.loc[ident.loc[rows, "resident_id_true"]]
    assert (roster.loc[rows, "address_code"].to_numpy() == truth["address_code"].to_numpy()).all()
    assert (roster.loc[rows, "address_text"].to_numpy() != truth["address_text"].to_numpy()).all()
    assert roster.loc[rows, "address_text"].str.contains("[髙﨑德濵]").all()


def test_map_covers_pupils_who_lived_here_at_entry(city_double):
    roster = read(city_double.out_dir, "student_roster")
    smap = read(city_double.out_dir, "student_resident_map")
    ident = pd.read_csv(city_double.truth_dir / "student_identity.csv", dtype=str, keep_default_na=False)
    coverage = len(smap) / roster["student_no"].nunique()
    assert 0.8 < coverage < 0.95
    truth = dict(zip(ident["student_no"], ident["resident_id_true"], strict=False))
    assert all(truth[s] == r for s, r in zip(smap["student_no"], smap["resident_id"], strict=True))
    reg = read(city_double.out_dir, "resident_registry")
    assert smap["resident_id"].isin(reg["resident_id"]).all()


def test_summary_and_facts(city):
    text = city.summary()
    assert "resident_registry.csv" in text and "未就園" in text and "unenrolled" in text
    assert set(city.rows) == set(all_contracts())
    facts = json.loads((city.truth_dir / "facts.json").read_text(encoding="utf-8"))
    assert facts["children_current"] == 2100 and facts["past_support_cases"] > 0
