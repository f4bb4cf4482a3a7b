"""Name and kana normalisation for 名寄せ (linkage) and for four-fact search.

Why three forms:

* ``kana_strict`` — what a careful clerk would call "the same kana": NFKC (half-width
  katakana become full-width, full-width ASCII becomes ASCII), hiragana become katakana,
  every space removed. The exact four-fact pass compares this form, so an exact link never
  rests on a folding rule.
* ``kana_loose`` — a blocking and comparison key that also folds the spelling variants
  school and registry clerks produce for the same child: long vowels (``ー`` against the
  spelled-out vowel: ユーキ/ユウキ, オーノ/オオノ/オウノ, ケーコ/ケイコ), small kana
  (ァィゥェォャュョッヮヵヶ → large), the ヴ family (ヴァ→バ, ヴ→ブ), ヂ→ジ, ヅ→ズ and the
  obsolete ヰヱヲ. Punctuation (・, ＝) is dropped. It is deliberately lossy; two different
  children can share a loose key, which is why the probabilistic pass still looks at the
  other facts and why the same loose key and birth date on two registry children forces
  review.
* ``kana_roman`` — the loose key romanised to lower-case ASCII. DuckDB's ``jaro_winkler``
  and ``levenshtein`` count bytes, and every katakana is three UTF-8 bytes that mostly share
  their first two, so on raw kana those functions say almost nothing. On ASCII a byte is a
  letter, and romaji also puts カ and ガ one letter apart, which is what a typo looks like.

The same functions are registered on a DuckDB connection (:func:`register_duckdb_functions`)
so the warehouse computes exactly the keys that the tests check, with one implementation.
"""

from __future__ import annotations

import re
import unicodedata

import duckdb

__all__ = [
    "kana_keys",
    "kana_strict",
    "kana_loose",
    "kana_roman",
    "name_strict",
    "register_duckdb_functions",
]

# ---------------------------------------------------------------- tables

# Hiragana → katakana as one translate table (jaconv.hira2kata does the same mapping but
# several times slower; ゔ → ヴ is included, the iteration marks ゝゞ are left alone).
_HIRA_TO_KATA = str.maketrans({chr(c): chr(c + 0x60) for c in range(0x3041, 0x3097)})

# Characters people type instead of the long-vowel mark ー in kana fields.
_LONG_VOWEL_LOOKALIKES = "-‐‑‒–—―−─━ｰ～〜~"

# ヴ combinations first (two characters to one), then single-character folds.
_VU_PAIRS = (("ヴァ", "バ"), ("ヴィ", "ビ"), ("ヴェ", "ベ"), ("ヴォ", "ボ"), ("ヴュ", "ビュ"), ("ヴ", "ブ"))
_VU_RE = re.compile("|".join(re.escape(a) for a, _ in _VU_PAIRS))
_VU_MAP = dict(_VU_PAIRS)

_FOLD_TABLE = str.maketrans(
    {
        # small kana → large
        "ァ": "ア", "ィ": "イ", "ゥ": "ウ", "ェ": "エ", "ォ": "オ",
        "ャ": "ヤ", "ュ": "ユ", "ョ": "ヨ", "ッ": "ツ", "ヮ": "ワ", "ヵ": "カ", "ヶ": "ケ",
        # voiced variants written two ways, and obsolete kana
        "ヂ": "ジ", "ヅ": "ズ", "ヰ": "イ", "ヱ": "エ", "ヲ": "オ",
        # ヷヸヹヺ are ヴァ.. written as one character
        "ヷ": "バ", "ヸ": "ビ", "ヹ": "ベ", "ヺ": "ボ",
        **{c: "ー" for c in _LONG_VOWEL_LOOKALIKES},
    }
)  # fmt: skip

# Vowel row of every large katakana left after folding.
_ROWS = {
    "a": "アカサタナハマヤラワガザダバパ",
    "i": "イキシチニヒミリギジビピ",
    "u": "ウクスツヌフムユルグズブプ",
    "e": "エケセテネヘメレゲゼデベペ",
    "o": "オコソトノホモヨロゴゾドボポ",
}
_ROW_OF = {ch: row for row, chars in _ROWS.items() for ch in chars}
# How a long vowel after each row is spelled out in the loose key. After e- and o-row kana
# the usual spelling in names is イ and ウ (ケイコ, コウジ), so ー, エ and オ all fold to those.
_EXTENSION = {"a": "ア", "i": "イ", "u": "ウ", "e": "イ", "o": "ウ"}
# After folding, a loose key holds only katakana, ー (until it is spelled out) and A-Z.
_NOT_KEY_RE = re.compile("[^ア-ンーA-Z]")

_ROMAJI = {
    "ア": "a", "イ": "i", "ウ": "u", "エ": "e", "オ": "o",
    "カ": "ka", "キ": "ki", "ク": "ku", "ケ": "ke", "コ": "ko",
    "サ": "sa", "シ": "shi", "ス": "su", "セ": "se", "ソ": "so",
    "タ": "ta", "チ": "chi", "ツ": "tsu", "テ": "te", "ト": "to",
    "ナ": "na", "ニ": "ni", "ヌ": "nu", "ネ": "ne", "ノ": "no",
    "ハ": "ha", "ヒ": "hi", "フ": "fu", "ヘ": "he", "ホ": "ho",
    "マ": "ma", "ミ": "mi", "ム": "mu", "メ": "me", "モ": "mo",
    "ヤ": "ya", "ユ": "yu", "ヨ": "yo",
    "ラ": "ra", "リ": "ri", "ル": "ru", "レ": "re", "ロ": "ro",
    "ワ": "wa", "ン": "n",
    "ガ": "ga", "ギ": "gi", "グ": "gu", "ゲ": "ge", "ゴ": "go",
    "ザ": "za", "ジ": "ji", "ズ": "zu", "ゼ": "ze", "ゾ": "zo",
    "ダ": "da", "デ": "de", "ド": "do",
    "バ": "ba", "ビ": "bi", "ブ": "bu", "ベ": "be", "ボ": "bo",
    "パ": "pa", "ピ": "pi", "プ": "pu", "ペ": "pe", "ポ": "po",
    **{chr(c): chr(c).lower() for c in range(ord("A"), ord("Z") + 1)},
}  # fmt: skip
_ROMAJI_TABLE = str.maketrans(_ROMAJI)


# ---------------------------------------------------------------- functions


def kana_strict(value: str | None) -> str | None:
    """NFKC, hiragana → katakana, all spaces removed; ``None`` for blank input.

    NFKC is what turns half-width ｶﾀｶﾅ (and its separate ﾞ/ﾟ marks) into full-width and
    U+3000 ideographic spaces into ordinary ones, so one ``split`` removes every space.
    """
    if value is None:
        return None
    text = "".join(unicodedata.normalize("NFKC", value).translate(_HIRA_TO_KATA).split())
    return text or None


def _fold(text: str) -> str:
    """Strict form → loose key. One pass for the context rules keeps it a few µs a name."""
    if "ヴ" in text:
        text = _VU_RE.sub(lambda m: _VU_MAP[m.group(0)], text)
    text = text.upper().translate(_FOLD_TABLE)
    if _NOT_KEY_RE.search(text):
        text = _NOT_KEY_RE.sub("", text)
    if "ー" not in text and "エ" not in text and "オ" not in text:
        return text
    out: list[str] = []
    row = None  # vowel row of the last character written
    last_long = False
    for ch in text:
        if ch == "ー":
            if row is not None and not last_long:
                ch = _EXTENSION[row]
                out.append(ch)
                row = _ROW_OF[ch]
            last_long = True
            continue  # ー after ン, a Latin letter, at the start or repeated: dropped
        last_long = False
        if ch == "エ" and row == "e":
            ch = "イ"
        elif ch == "オ" and row == "o":
            ch = "ウ"
        out.append(ch)
        row = _ROW_OF.get(ch)
    return "".join(out)


def _roman(loose: str) -> str | None:
    return loose.translate(_ROMAJI_TABLE) or None


def kana_keys(value: str | None) -> tuple[str | None, str | None, str | None]:
    """``(kana_strict, kana_loose, kana_roman)`` in one pass — what the linker computes."""
    strict = kana_strict(value)
    if strict is None:
        return None, None, None
    loose = _fold(strict) or None
    return strict, loose, (_roman(loose) if loose else None)


def kana_loose(value: str | None) -> str | None:
    """The strict form with spelling variants folded (see the module docstring)."""
    return kana_keys(value)[1]


def kana_roman(value: str | None) -> str | None:
    """The loose key in lower-case ASCII romaji, for byte-counting string distances."""
    return kana_keys(value)[2]


def name_strict(value: str | None) -> str | None:
    """Kanji name: NFKC and spaces removed (variant characters are left as they are).

    Kanji names are shown and searched, not matched on: 外字 variants make them unreliable,
    exactly as for address text.
    """
    if value is None:
        return None
    text = "".join(unicodedata.normalize("NFKC", value).split())
    return text or None


def given_part(value: str | None) -> str | None:
    """The given name: what follows the last space of a name written with one (NFKC first).

    A surname changes with a divorce, an adoption or a remarriage while the given name stays,
    so 名寄せ compares it on its own (decision 063). A name written without a separator has no
    given part we could trust, so ``None``: the comparison then says nothing rather than guess
    where the surname ends.
    """
    if value is None:
        return None
    parts = unicodedata.normalize("NFKC", value).split()
    return parts[-1] if len(parts) >= 2 else None


def given_loose(value: str | None) -> str | None:
    """The loose kana key of the given name alone (``None`` when the name has no separator)."""
    return kana_keys(given_part(value))[1]


# ---------------------------------------------------------------- DuckDB

_UDFS = {
    "kd_kana_strict": kana_strict,
    "kd_kana_loose": kana_loose,
    "kd_kana_roman": kana_roman,
    "kd_name_strict": name_strict,
}


def _vectorised(fn):
    import pyarrow as pa

    def apply(values):  # no annotations: DuckDB evaluates them and pa is local
        return pa.array([fn(v) for v in values.to_pylist()], type=pa.string())

    return apply


def register_duckdb_functions(con: duckdb.DuckDBPyConnection) -> None:
    """Register ``kd_kana_strict/loose/roman`` and ``kd_name_strict`` on ``con``.

    Arrow-vectorised UDFs (one Python call per vector of 2,048 values, not per row) are
    the same code as the Python functions above, so SQL and tests cannot drift apart.
    Registering twice on the same connection is a no-op.
    """
    from duckdb.sqltypes import VARCHAR

    existing = {
        r[0]
        for r in con.execute(
            "select function_name from duckdb_functions() where function_name like 'kd\\_%' escape '\\'"
        ).fetchall()
    }
    for name, fn in _UDFS.items():
        if name in existing:
            continue
        con.create_function(
            name,
            _vectorised(fn),
            [VARCHAR],
            VARCHAR,
            type="arrow",
            null_handling="special",
            side_effects=False,
        )
