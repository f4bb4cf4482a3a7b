"""Name pools: kanji and kana pairs taken from Faker's provider data, never a hand list.

Japanese names come from ``faker.providers.person.ja_JP`` (surname and given-name pairs of
kanji, katakana and romaji), so the kanji and the kana of one person always belong together.
Foreign residents are registered under their Latin-script name (as on the residence card)
with a katakana reading; the Latin names come from Faker's other locales and the reading
from a small romaji-style transliteration. Pools are read once as numpy arrays and sampled
by index, which keeps a city of 450,000 people vectorised.

Faker's ja_JP lists are short (50 surnames, 30 male and 21 female given names), so surnames
are drawn uniformly rather than by Faker's frequency weights: weighting would put one child
in seven under 佐藤/鈴木 and multiply the same-name-same-birthday pairs the linkage must
resolve. Even so such pairs occur naturally; the school module records them as noise.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache

import jaconv
import numpy as np
from faker.providers.person import en_US, ja_JP, vi_VN, zh_CN

FW_SPACE = "\u3000"  # registry convention: full-width space between surname and given name


@dataclass(frozen=True)
class Pool:
    """Parallel arrays of one list of names: display form and katakana reading."""

    kanji: np.ndarray
    kana: np.ndarray

    def __len__(self) -> int:
        return len(self.kanji)


def _pool(pairs) -> Pool:
    return Pool(np.array([p[0] for p in pairs], dtype=object), np.array([p[1] for p in pairs], dtype=object))


@cache
def japanese() -> dict[str, Pool]:
    """Surname, male and female given-name pools from Faker's ja_JP provider."""
    p = ja_JP.Provider
    return {
        "surname": _pool(list(p.last_name_pairs.keys())),
        "male": _pool(p.first_name_male_pairs),
        "female": _pool(p.first_name_female_pairs),
    }


# --------------------------------------------------------------------- foreign names

_VOWELS = set("aeiou")
# Spelling to a romaji-like form; C and S stand for the ch and sh sounds until the end.
_CLUSTERS = (("ce", "se"), ("ci", "si"), ("cy", "si"), ("tch", "C"), ("sch", "S"), ("ch", "C"), ("sh", "S"), ("ph", "f"), ("th", "t"), ("zh", "j"),
             ("x", "S"), ("q", "C"), ("ck", "k"), ("c", "k"), ("l", "r"), ("ng", "n"))  # fmt: skip


def _strip_accents(text: str) -> str:
    text = text.replace("Đ", "D").replace("đ", "d")
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


def latin_to_katakana(word: str) -> str:
    """A plausible katakana reading of a Latin-script name (as a ward clerk would write it).

    Not a linguistic transcription: consonants without a vowel get the u/o that Japanese
    inserts (Smith -> スミツ, Tran -> トラン), ``l`` becomes ``r``, a final ``ng`` becomes ``n``.
    Deterministic, so the registry and the school write the same reading unless noise says
    otherwise.
    """
    w = re.sub(r"[^a-z]", "", _strip_accents(word).lower())
    w = re.sub(r"([^aeiou])\1", r"\1", w)  # doubled consonants read as one
    w = re.sub(r"(?<=[^aeiou])y(?![aeiou])|y$", "i", w)  # Billy -> biri
    for a, b in _CLUSTERS:
        w = w.replace(a, b)
    w = re.sub(r"(?<=[^aeiou])h", "", w)  # a silent h after a consonant
    out = []
    for i, ch in enumerate(w):
        out.append(ch)
        nxt = w[i + 1] if i + 1 < len(w) else ""
        if ch in _VOWELS or ch == "n" or nxt in _VOWELS or (ch == "y" and nxt in _VOWELS):
            continue
        if nxt == "y" and i + 2 < len(w) and w[i + 2] in _VOWELS:
            continue
        out.append({"t": "o", "d": "o", "C": "i", "j": "i"}.get(ch, "u"))
    roman = "".join(out).replace("C", "ch").replace("S", "sh")
    for w_syllable, spelled in (("wi", "ui"), ("we", "ue"), ("wo", "uo"), ("wu", "u"), ("yi", "i")):
        roman = roman.replace(w_syllable, spelled)  # ウィ/ウェ/ウォ as clerks write them, never ヲ
    return jaconv.hira2kata(jaconv.alphabet2kana(roman))


def _latin_pool(names) -> Pool:
    latin = [_strip_accents(n).upper() for n in dict.fromkeys(names)]  # de-duplicated, ordered
    return Pool(np.array(latin, dtype=object), np.array([latin_to_katakana(n) for n in latin], dtype=object))


@cache
def foreign() -> dict[str, dict[str, Pool]]:
    """Latin-script pools per nationality group: 'cn' (pinyin), 'vn', 'other' (en_US).

    Korean residents use the pinyin pool too: Faker's ko_KR lists are Hangul only and the
    registry field is Latin script; a known simplification of the synthetic city.
    """
    en_male = list(en_US.Provider.first_names_male)
    en_female = list(en_US.Provider.first_names_female)
    cn_first = list(zh_CN.Provider.first_romanized_names)
    return {
        "cn": {
            "surname": _latin_pool(zh_CN.Provider.last_romanized_names),
            "male": _latin_pool(cn_first),
            "female": _latin_pool(cn_first),
        },
        "vn": {
            "surname": _latin_pool(vi_VN.Provider.last_names),
            "male": _latin_pool(vi_VN.Provider.first_names_male),
            "female": _latin_pool(vi_VN.Provider.first_names_female),
        },
        "other": {
            "surname": _latin_pool(list(en_US.Provider.last_names)[:300]),
            "male": _latin_pool(en_male[:200]),
            "female": _latin_pool(en_female[:200]),
        },
    }


def join(a: np.ndarray, b: np.ndarray, sep: str) -> np.ndarray:
    """Element-wise ``a + sep + b`` for object arrays of strings."""
    return np.array([f"{x}{sep}{y}" for x, y in zip(a, b, strict=True)], dtype=object)
