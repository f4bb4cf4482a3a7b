"""Child search over the precomputed keys (core.child_search) finds exactly what normalising every
child in Python finds, for the kinds of input people type (kanji, hiragana, half-width kana,
spaces, partial names, addresses, aliases, birth dates)."""

from __future__ import annotations

import datetime as dt
import unicodedata

import duckdb
import pandas as pd
import pytest

from kodomo_dash.infra.db import analytics_cursor
from kodomo_dash.security import matrix
from kodomo_dash.services import children as q
from kodomo_dash.testing.apptest import principal_for
from kodomo_dash.warehouse.linkage.normalise import kana_loose, name_strict


def _samples(warehouse) -> list[tuple]:
    con = duckdb.connect(str(warehouse / "kodomo.duckdb"), read_only=True)
    try:
        return con.execute(
            "select name_kanji, name_kana, address_text, birth_date, sex, alias_name from core.child"
            " where name_kana is not null order by hash(resident_id) limit 6"
        ).fetchall() + con.execute(
            "select name_kanji, name_kana, address_text, birth_date, sex, alias_name from core.child"
            " where alias_name is not null order by resident_id limit 2"
        ).fetchall()
    finally:
        con.close()


def _criteria(rows) -> list[q.SearchCriteria]:
    to_hira = str.maketrans({chr(c): chr(c - 0x60) for c in range(0x30A1, 0x30F7)})
    out = []
    for kanji, kana, address, birth, sex, alias in rows:
        family = kana.replace("\u3000", " ").split(" ")[0]
        birth = birth.date() if isinstance(birth, dt.datetime) else birth
        out += [
            q.SearchCriteria(name=kanji or "", exact=True),
            q.SearchCriteria(name=(kanji or "")[-2:]),
            q.SearchCriteria(name=kana.translate(to_hira), exact=True),
            q.SearchCriteria(name=unicodedata.normalize("NFKC", kana).replace(" ", "　")),
            q.SearchCriteria(name=family.replace("ウ", "ー")),  # a long-vowel spelling variant
            q.SearchCriteria(name=family, birth_date=birth, sex=sex),
            q.SearchCriteria(address=(address or "")[:6]),
            q.SearchCriteria(birth_date=birth),
        ]
        if alias:
            out += [q.SearchCriteria(alias=alias[:3]), q.SearchCriteria(name=alias, exact=True)]
    return out


def _search_in_python(cur, principal, criteria: q.SearchCriteria, cols: list[str], limit: int) -> pd.DataFrame:
    """The oracle: the same search normalising every child in scope in Python, with the linkage normalisers."""
    where, wparams = q._base_where(principal, criteria)
    select = ", ".join(f"c.{col}" for col in cols)
    sql = f"select {select} from core.child as c where {' and '.join(where)} order by c.name_kana, c.resident_id"  # noqa: S608 - identifiers from code, values bound
    df = cur.execute(sql, wparams).fetchdf()
    # Text criteria are matched in Python with the linkage normalisers themselves (no SQL text at
    # all; Python UDFs on the shared read-only connection would outlive their cursor).
    df = df.astype({c: "object" for c in ("name_kanji", "name_kana", "alias_name", "address_text") if c in df})
    df = df.where(df.notna(), None)
    mask = pd.Series(True, index=df.index)
    name = criteria.name.strip()
    if name:
        strict, loose = name_strict(name) or "", kana_loose(name) or "\x00"
        kanji = df["name_kanji"].map(lambda v: name_strict(v) if isinstance(v, str) else None or "")
        kana = df["name_kana"].map(lambda v: kana_loose(v) if isinstance(v, str) else None or "")
        alias = df["alias_name"].map(lambda v: name_strict(v) if isinstance(v, str) else None or "")
        if criteria.exact:
            mask &= (kanji == strict) | (kana == loose) | (alias == strict)
        else:
            mask &= kanji.str.contains(strict, regex=False) | kana.str.contains(loose, regex=False) | alias.str.contains(
                strict, regex=False)
    if criteria.address.strip():
        a = name_strict(criteria.address) or ""
        mask &= df["address_text"].map(lambda v: name_strict(v) if isinstance(v, str) else None or "").str.contains(a, regex=False)
    if criteria.alias.strip():
        a, al = name_strict(criteria.alias) or "", kana_loose(criteria.alias) or "\x00"
        mask &= df["alias_name"].map(lambda v: name_strict(v) if isinstance(v, str) else None or "").str.contains(a, regex=False) | df[
            "alias_name"].map(lambda v: kana_loose(v) if isinstance(v, str) else None or "").str.contains(al, regex=False)
    return df[mask].head(int(limit)).reset_index(drop=True)


@pytest.mark.parametrize("role", ["manager", "ward_staff"])
def test_key_search_equals_python_search(built_warehouse, role):
    p = principal_for(role)
    cols = matrix.allowed_columns(p, q.IDENTITY_COLUMNS)
    cur = analytics_cursor()
    try:
        for c in _criteria(_samples(built_warehouse)):
            with_keys = q._search_with_keys(cur, p, c, cols, q.SEARCH_LIMIT)
            in_python = _search_in_python(cur, p, c, cols, q.SEARCH_LIMIT)
            assert list(with_keys["resident_id"]) == list(in_python["resident_id"]), c.used()
            pd.testing.assert_frame_equal(with_keys, in_python, check_dtype=False, check_index_type=False,
                                          obj=str(c.used()))
    finally:
        cur.close()


def test_search_uses_the_keys_and_finds_a_child_by_hiragana(built_warehouse):
    from kodomo_dash.ui.gate import ensure_casework_once

    ensure_casework_once()  # the search is audited in casework, as the app's gate prepares it
    (kanji, kana, *_rest), *_ = _samples(built_warehouse)
    to_hira = str.maketrans({chr(c): chr(c - 0x60) for c in range(0x30A1, 0x30F7)})
    cur = analytics_cursor()
    try:
        assert cur.execute("select count(*) from core.child_search").fetchone()[0] == cur.execute(
            "select count(*) from core.child").fetchone()[0]
    finally:
        cur.close()
    found = q.search_children(principal_for("manager"), q.SearchCriteria(name=kana.translate(to_hira), exact=True))
    assert kanji in set(found["name_kanji"])
