"""Name and address variants that school clerks produce for the same child (名寄せ noise).

Each function takes one registry string and returns the variant a school system would hold,
or None when the variant does not apply to that string (no long vowel to respell, no 外字
candidate in the address). Only the few per cent of roster rows chosen for a noise kind go
through these Python-level functions, so they stay simple and readable.

The kinds mirror what the reports describe: long-vowel spelling (ユウキ/ユーキ), small kana
written large (ショウ/シヨウ), ヴ/ブ, ヂ/ジ, ヅ/ズ, half-width kana, stray or missing spaces,
and 外字-style variant kanji in the address text (髙/高, 﨑/崎, 德/徳, 濵/浜) while the address
code stays right.
"""

from __future__ import annotations

import re

import jaconv
import numpy as np

_O_U_ROW = "オコソトノホモヨロゴゾドボポョウクスツヌフムユルグズブプュ"
_LONG = {**dict.fromkeys("アカサタナハマヤラワガザダバパャ", "ア"), **dict.fromkeys("イキシチニヒミリギジビピ", "イ"),
         **dict.fromkeys("エケセテネヘメレゲゼデベペ", "イ"), **dict.fromkeys(_O_U_ROW, "ウ")}  # fmt: skip
_SMALL = str.maketrans("ャュョッァィゥェォ", "ヤユヨツアイウエオ")
_VOICED = (("ヴァ", "バ"), ("ヴィ", "ビ"), ("ヴェ", "ベ"), ("ヴォ", "ボ"), ("ヴ", "ブ"),
           ("ヂ", "ジ"), ("ジ", "ヂ"), ("ヅ", "ズ"), ("ズ", "ヅ"))  # fmt: skip
VARIANT_KANJI = {"高": "髙", "崎": "﨑", "徳": "德", "浜": "濵"}
_VARIANT_RE = re.compile("[" + "".join(VARIANT_KANJI) + "]")
_SPACE_FORMS = ("", " ", "\u3000\u3000", "  ")


def long_vowel(kana: str) -> str | None:
    """ー spelled out (ユーキ -> ユウキ) or a spelled-out vowel written ー (ユウキ -> ユーキ)."""
    if "ー" in kana:
        i = kana.index("ー")
        prev = kana[i - 1] if i else ""
        return kana[:i] + _LONG.get(prev, "ウ") + kana[i + 1 :] if prev else None
    m = re.search(f"(?<=[{_O_U_ROW}])ウ|(?<=オ)オ|(?<=[エケセテネヘメレゲゼデベペ])イ", kana)
    if not m:
        return None
    return kana[: m.start()] + "ー" + kana[m.end() :]


def small_kana(kana: str) -> str | None:
    """Small kana written full size, as old systems and hurried clerks do (ショウタ -> シヨウタ)."""
    out = kana.translate(_SMALL)
    return out if out != kana else None


def voiced_variant(kana: str) -> str | None:
    """One of the ヴ/ブ, ヂ/ジ, ヅ/ズ spellings swapped (スズキ -> スヅキ)."""
    for a, b in _VOICED:
        if a in kana:
            return kana.replace(a, b, 1)
    return None


def half_width(kana: str) -> str | None:
    """The whole name in half-width katakana with an ASCII space (ｻﾄｳ ﾀﾛｳ)."""
    return jaconv.z2h(kana, kana=True, ascii=False, digit=False).replace("\u3000", " ")


def spacing(kana: str, choice: int) -> str | None:
    """The separator dropped, made ASCII or doubled (サトウタロウ, サトウ タロウ, サトウ　　タロウ)."""
    if "\u3000" not in kana:
        return None
    return kana.replace("\u3000", _SPACE_FORMS[choice % len(_SPACE_FORMS)], 1)


def variant_kanji(text: str) -> str | None:
    """The first 高/崎/徳/浜 replaced by its 外字-style variant (髙/﨑/德/濵)."""
    m = _VARIANT_RE.search(text)
    if not m:
        return None
    return text[: m.start()] + VARIANT_KANJI[m.group()] + text[m.end() :]


KANA_NOISE = {
    "kana_long_vowel": long_vowel,
    "kana_small": small_kana,
    "kana_voiced": voiced_variant,
    "kana_halfwidth": half_width,
}


def apply(values: np.ndarray, rows: np.ndarray, fn, *extra) -> np.ndarray:
    """Apply ``fn`` to ``values[rows]`` in place; returns the rows where it applied."""
    done = []
    for i, r in enumerate(rows):
        out = fn(values[r], *(e[i] for e in extra))
        if out is not None and out != values[r]:
            values[r] = out
            done.append(r)
    return np.array(done, dtype=np.int64)
