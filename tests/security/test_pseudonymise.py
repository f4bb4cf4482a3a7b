"""Pseudonymised extracts: keyed pseudonyms, minimisation, k-anonymity, CSV escaping, records."""

from __future__ import annotations

import csv
import os
import random
import stat
from datetime import date, datetime, timedelta

import duckdb
import pytest

from kodomo_dash.infra.migrate import migrate
from kodomo_dash.security import audit, matrix, pseudonymise
from kodomo_dash.security.principal import Principal
from kodomo_dash.security.pseudonymise import ExtractRefused, ExtractSpec

KEY = bytes(range(32))
NOW = datetime(2026, 4, 1, 9, 0)
EVAL = Principal("evaluator", "evaluator")


@pytest.fixture()
def con():
    c = duckdb.connect(":memory:")
    migrate(c)
    yield c
    c.close()


def city(n=600, seed=3):
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        rows.append(
            {
                "resident_id": f"{i:010d}",
                "name_kanji": "山田太郎",
                "address_text": "福岡市東区1-2-3",
                "birth_date": date(2019, 1, 1) + timedelta(days=rng.randrange(0, 4 * 365)),
                "sex": rng.choice("12"),
                "ward_code": rng.choice(["40131", "40132", "40133", "40134", "40135", "40136", "40137"]),
                "single_parent": rng.random() < 0.1,
                "note": rng.choice(
                    ['=HYPERLINK("http://x")', "+1", "-2", "@SUM(A1)", "\tTAB", "\rCR", "ok", "＝1+1"]
                ),
            }
        )
    return rows


SPEC = ExtractSpec(
    project="fy2025-eval",
    purpose="成果評価（要保護児童の把握率）",
    columns=("sex", "ward_code", "single_parent", "note"),
)


def test_pseudonyms_are_keyed_stable_and_project_specific():
    a = pseudonymise.pseudonym(KEY, "p1", "0000000001")
    assert a == pseudonymise.pseudonym(KEY, "p1", "0000000001") and len(a) == 32
    assert a != pseudonymise.pseudonym(KEY, "p2", "0000000001")
    assert a != pseudonymise.pseudonym(bytes(32), "p1", "0000000001")
    assert "0000000001" not in a


def test_year_month():
    assert pseudonymise.year_month(date(2019, 4, 17)) == "2019-04"
    assert pseudonymise.year_month("2019-04-17") == "2019-04"
    assert pseudonymise.year_month(None) is None
    with pytest.raises(ExtractRefused):
        pseudonymise.year_month("山田")


def test_extract_has_no_identifiers_and_reaches_k5():
    res = pseudonymise.build_extract(city(), SPEC, KEY)
    assert res.columns == ["pseudonym", "birth_ym", "sex", "ward_code", "single_parent", "note"]
    flat = str(res.rows)
    assert "山田" not in flat and "福岡市" not in flat and "0000000001" not in flat
    k = pseudonymise.k_anonymity(res.rows, SPEC.quasi_identifiers)
    assert k >= 5 and k == res.k_achieved
    assert res.suppressed <= 0.05 * 600
    # Birth dates are at most year-month, never a day.
    assert all(r["birth_ym"] is None or len(r["birth_ym"]) <= 9 for r in res.rows)


def test_small_city_generalises_further():
    rows = city(60)
    res = pseudonymise.build_extract(rows, SPEC, KEY)
    assert res.k_achieved >= 5
    assert sum(res.levels.values()) > 0, "60 children over 7 wards x 48 months must be generalised"


def test_anonymise_suppresses_outliers_within_budget():
    rows = [{"a": "x", "b": 1}] * 50 + [{"a": "rare", "b": 2}]
    an = pseudonymise.anonymise(rows, ["a", "b"], k=5, max_suppression=0.05)
    assert an.suppressed == 1 and an.k_achieved == 50 and an.levels == {"a": 0, "b": 0}
    tiny = [{"a": i} for i in range(3)]
    assert pseudonymise.anonymise(tiny, ["a"]).rows == []  # fewer than k people: nothing leaves


def test_k_below_five_refused():
    with pytest.raises(ExtractRefused):
        pseudonymise.anonymise([{"a": 1}] * 10, ["a"], k=3)


@pytest.mark.parametrize(
    "col",
    [
        "name_kanji",
        "name_kana",
        "alias_name",
        "address_text",
        "address_code",
        "phone",
        "income_band",
        "tax_exempt",
        "household_id",
        "student_no",
        "mother_resident_id",
        "birth_date",
        "resident_id",
        "pseudonym",
    ],
)
def test_identifying_or_tax_columns_refused(col):
    spec = ExtractSpec(project="p", purpose="x", columns=("sex", col))
    with pytest.raises(ExtractRefused):
        pseudonymise.build_extract(city(10), spec, KEY)


def test_purpose_and_quasi_identifiers_required():
    with pytest.raises(ExtractRefused):
        pseudonymise.build_extract(
            city(10), ExtractSpec(project="p", purpose=" ", columns=("sex", "ward_code")), KEY
        )
    with pytest.raises(ExtractRefused):
        pseudonymise.build_extract(city(10), ExtractSpec(project="p", purpose="x", columns=("sex",)), KEY)
    with pytest.raises(ExtractRefused):
        pseudonymise.build_extract(
            city(10), ExtractSpec(project="../etc", purpose="x", columns=("sex",)), KEY
        )


@pytest.mark.parametrize(
    "value, expected",
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("＝1+1", "'＝1+1"),
        ("ok", "ok"),
        ("a=b", "a=b"),
        (-3, -3),
        (None, None),
        (True, True),
    ],
)
def test_formula_injection_escaping(value, expected):
    assert pseudonymise.escape_cell(value) == expected


def test_create_extract_writes_escaped_csv_and_records_it(con, tmp_path):
    rec = pseudonymise.create_extract(con, EVAL, city(), SPEC, tmp_path, date(2026, 9, 30), now=NOW)
    assert rec.file_path.exists() and rec.key_path.exists()
    assert stat.S_IMODE(os.stat(rec.key_path).st_mode) == 0o600
    raw = rec.file_path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and "山田".encode() not in raw
    with open(rec.file_path, encoding="utf-8-sig", newline="") as f:
        cells = [c for row in csv.reader(f) for c in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r", "＝")]
    row = con.execute(
        "select taken_by, delete_by, row_count, k_achieved, purpose from pseudo_extract"
    ).fetchone()
    assert row == ("evaluator", date(2026, 9, 30), rec.row_count, rec.k_achieved, SPEC.purpose)
    a = audit.query(con, action="export")[0]
    assert a["target"] == rec.extract_id and a["n_children"] == rec.row_count
    # A second extract of the same project reuses the key: pseudonyms join across extracts.
    rec2 = pseudonymise.create_extract(
        con, EVAL, city(), SPEC, tmp_path, date(2026, 9, 30), now=NOW + timedelta(seconds=1)
    )
    assert rec2.key_path == rec.key_path


def test_deleting_file_and_key_ends_the_project(con, tmp_path):
    r1 = pseudonymise.create_extract(con, EVAL, city(), SPEC, tmp_path, date(2026, 5, 1), now=NOW)
    r2 = pseudonymise.create_extract(con, EVAL, city(), SPEC, tmp_path, date(2026, 6, 1), now=NOW)
    assert [d[0] for d in pseudonymise.extracts_due(con, date(2026, 5, 2))] == [r1.extract_id]
    pseudonymise.delete_extract(con, "admin", r1.extract_id, now=NOW)
    assert not r1.file_path.exists() and r1.key_path.exists()  # r2 still needs the key
    pseudonymise.delete_extract(con, "admin", r2.extract_id, now=NOW)
    assert not r2.file_path.exists() and not r2.key_path.exists()
    assert pseudonymise.extracts_due(con, date(2027, 1, 1)) == []
    assert con.execute("select count(*) from pseudo_extract where deleted_by = 'admin'").fetchone()[0] == 2
    with pytest.raises(ExtractRefused):
        pseudonymise.delete_extract(con, "admin", r1.extract_id)
    assert audit.verify(con).ok


@pytest.mark.parametrize("role", ["ward_staff", "school", "ssw", "yotaikyo"])
def test_extract_refused_for_other_roles(con, tmp_path, role):
    with pytest.raises(matrix.AccessDenied):
        pseudonymise.create_extract(
            con,
            Principal("x", role, ward_codes=("40131",), school_codes=("401001",)),
            city(),
            SPEC,
            tmp_path,
            date(2026, 9, 30),
            now=NOW,
        )
    assert not any(tmp_path.rglob("*.csv"))


def test_delete_by_must_be_in_the_future(con, tmp_path):
    with pytest.raises(ExtractRefused):
        pseudonymise.create_extract(con, EVAL, city(), SPEC, tmp_path, date(2026, 4, 1), now=NOW)
