"""Kana normalisation: every variant the school and the registry write for the same child."""

from __future__ import annotations

import duckdb
import pytest

from kodomo_dash.warehouse.linkage.normalise import (
    kana_keys,
    kana_loose,
    kana_roman,
    kana_strict,
    name_strict,
    register_duckdb_functions,
)

# ---------- strict: NFKC, hiragana → katakana, spaces


@pytest.mark.parametrize(
    ("raw", "strict"),
    [
        ("ヤマダ タロウ", "ヤマダタロウ"),  # ASCII space
        ("ヤマダ　タロウ", "ヤマダタロウ"),  # ideographic space U+3000
        ("ヤマダ  \tタロウ ", "ヤマダタロウ"),  # several, tab, trailing
        ("ﾔﾏﾀﾞ ﾀﾛｳ", "ヤマダタロウ"),  # half-width with a separate voiced mark
        ("ﾎﾟﾁ", "ポチ"),  # half-width semi-voiced mark
        ("やまだ たろう", "ヤマダタロウ"),  # hiragana
        ("ゔぁ", "ヴァ"),  # hiragana ゔ
        ("ＪＯＨＮ　スミス", "JOHNスミス"),  # full-width Latin → ASCII
        ("ユーキ", "ユーキ"),  # strict keeps the long-vowel mark
        ("キッカワ", "キッカワ"),  # strict keeps small kana
    ],
)
def test_strict(raw: str, strict: str) -> None:
    assert kana_strict(raw) == strict


@pytest.mark.parametrize("blank", [None, "", "   ", "　"])
def test_blank_is_none(blank) -> None:
    assert kana_keys(blank) == (None, None, None)


# ---------- loose: pairs that must share a key


@pytest.mark.parametrize(
    ("a", "b"),
    [
        # long vowels: ー against the spelled-out vowel
        ("ユーキ", "ユウキ"),
        ("オーノ", "オオノ"),
        ("オーノ", "オウノ"),
        ("ケーコ", "ケイコ"),
        ("ケーコ", "ケエコ"),
        ("サトー", "サトウ"),
        ("マーヤ", "マアヤ"),
        ("ニーナ", "ニイナ"),
        ("ユーーキ", "ユウキ"),  # doubled mark
        ("ユ-キ", "ユウキ"),  # ASCII hyphen typed for ー
        ("ユ－キ", "ユウキ"),  # full-width hyphen
        ("ユ～キ", "ユウキ"),  # wave dash
        ("ｼﾞｮｰｼﾞ", "ジョウジ"),  # half-width + long vowel after a small kana
        # small kana
        ("キッカワ", "キツカワ"),
        ("ショウタ", "シヨウタ"),
        ("チャコ", "チヤコ"),
        ("リュウ", "リユウ"),
        ("ファミ", "フアミ"),
        ("ティナ", "テイナ"),
        ("ヶイ", "ケイ"),
        # ヴ family
        ("ヴァン", "バン"),
        ("ヴィクトル", "ビクトル"),
        ("ヴェラ", "ベラ"),
        ("ヴォルフ", "ボルフ"),
        ("ヴ", "ブ"),
        ("ヷ", "バ"),
        # ヂ/ジ and ヅ/ズ, obsolete kana
        ("ミヤヂ", "ミヤジ"),
        ("チヅル", "チズル"),
        ("ヲノ", "オノ"),
        # punctuation in foreign names
        ("スミス・ジョン", "スミスジョン"),
        ("スミス＝ジョン", "スミスジョン"),
        # everything at once
        ("ﾔﾏﾀﾞ　ゆーき", "ヤマダ ユウキ"),
    ],
)
def test_loose_folds_variants(a: str, b: str) -> None:
    assert kana_loose(a) == kana_loose(b)
    assert kana_roman(a) == kana_roman(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("ユウキ", "ユキ"),  # a dropped vowel is a different name, not a spelling
        ("ユウト", "ユウマ"),  # twins
        ("サトウ", "サイトウ"),
        ("ハナ", "ハンナ"),
        ("オノ", "オオノ"),
        ("カ", "ガ"),  # voicing is kept
    ],
)
def test_loose_keeps_different_names_apart(a: str, b: str) -> None:
    assert kana_loose(a) != kana_loose(b)


def test_loose_examples() -> None:
    assert kana_loose("ヤマダ タロウ") == "ヤマダタロウ"
    assert kana_loose("オーノ ユーキ") == "オウノユウキ"
    assert kana_loose("ヴァイオレット") == "バイオレツト"
    assert kana_loose("ー") is None  # nothing left


# ---------- roman: ASCII, so byte-counting distances mean letters


def test_roman_is_ascii_and_letterwise() -> None:
    assert kana_roman("ヤマダ タロウ") == "yamadatarou"
    assert kana_roman("シンジ") == "shinji"
    assert kana_roman("ＪＯＨＮ　スミス") == "johnsumisu"
    for name in ("キッカワ ショウ", "ヴァン ミン", "ﾔﾏﾀﾞ"):
        assert kana_roman(name).isascii()


def test_duckdb_byte_distance_is_meaningless_on_kana_but_not_on_roman() -> None:
    """Why the romanised form exists: DuckDB's Jaro-Winkler compares UTF-8 bytes, and all
    katakana share their first two bytes, so four entirely different kana look 82% alike."""
    con = duckdb.connect()
    jw = "select jaro_winkler_similarity(?, ?)"
    assert con.execute(jw, ["アイウエ", "カキクケ"]).fetchone()[0] > 0.8
    assert con.execute(jw, [kana_roman("アイウエ"), kana_roman("カキクケ")]).fetchone()[0] < 0.75
    assert con.execute(jw, [kana_roman("ヤマダタロウ"), kana_roman("ヤマダタロー")]).fetchone()[0] == 1.0


def test_name_strict() -> None:
    assert name_strict("山田　太郎") == "山田太郎"
    assert name_strict("ＡＢＣ 花子") == "ABC花子"
    assert name_strict(" ") is None
    assert name_strict("髙橋") != name_strict("高橋")  # variant characters are not folded


# ---------- the DuckDB functions are the same code


def test_duckdb_functions_match_python() -> None:
    con = duckdb.connect()
    register_duckdb_functions(con)
    register_duckdb_functions(con)  # twice is harmless
    samples = ["ﾔﾏﾀﾞ　ゆーき", "キッカワ ショウ", "ヴァン ミン", "ミヤヂ チヅル", None, "  "]
    con.execute("create table t as select unnest(?::varchar[]) as v", [samples])
    rows = con.execute(
        "select v, kd_kana_strict(v), kd_kana_loose(v), kd_kana_roman(v), kd_name_strict(v) from t"
    ).fetchall()
    assert len(rows) == len(samples)
    for v, strict, loose, roman, name in rows:
        assert (strict, loose, roman) == kana_keys(v)
        assert name == name_strict(v)
