"""Sentences the core says to people (refusals, errors), kept as a code and parameters until shown.

Why not Japanese strings: the screen a nurse or an evaluator reads has a language toggle, and a
refusal raised deep in the workflow used to arrive as finished Japanese, so the English screen
showed it untranslated. A :class:`Message` is rendered by whoever shows it, in the viewer's
language (``ui.i18n.error_text``); ``str()`` of it is the Japanese text, so the command line, the
logs and every caller that only knows strings keep working (decision 065).

The texts live beside the code that raises them, one ``errors.yaml`` per package folder
(``casework/errors.yaml``, ...), each key with ``ja`` and ``en`` and ``str.format`` fields; a key
defined twice is an error. A parameter that itself needs translating (a stage's label) is passed
as :class:`Localized`; a date is written the way each language writes dates.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

PACKAGE = Path(__file__).resolve().parents[1]
LANGS = ("ja", "en")


@dataclass(frozen=True)
class Localized:
    """A parameter already worded in both languages (a code's label from the vocabulary)."""

    ja: str
    en: str

    def text(self, lang: str) -> str:
        return self.en if lang == "en" else self.ja

    def __str__(self) -> str:
        return self.ja


@dataclass(frozen=True)
class Message:
    """One sentence as a code and its parameters; ``text(lang)`` words it, ``str()`` is Japanese."""

    code: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def text(self, lang: str = "ja") -> str:
        entry = catalogue().get(self.code)
        if entry is None:
            raise KeyError(f"message {self.code!r} is not in any errors.yaml")
        template = entry.get(lang) or entry["ja"]
        return template.format(**{k: _param(v, lang) for k, v in self.params.items()})

    def __str__(self) -> str:
        return self.text("ja")


@dataclass(frozen=True)
class Joined:
    """Several messages shown as one (all the problems of one form field), joined by ``sep``."""

    parts: tuple[Any, ...]
    sep: str = " "

    def text(self, lang: str = "ja") -> str:
        return self.sep.join(text_of(p, lang) for p in self.parts)

    def __str__(self) -> str:
        return self.text("ja")


def msg(code: str, /, **params: Any) -> Message:
    """The message ``code`` with its parameters (checked against the catalogue's fields by a test)."""
    return Message(code, params)


def text_of(value: Any, lang: str = "ja") -> str:
    """A Message (or Joined, Localized) in ``lang``; anything else (an older plain string) as it is."""
    return value.text(lang) if isinstance(value, (Message, Joined, Localized)) else str(value)


def _param(value: Any, lang: str) -> str:
    if isinstance(value, (Localized, Message, Joined)):
        return value.text(lang)
    if isinstance(value, dt.date):
        if lang == "en":
            return value.isoformat()
        return f"{value.year}年{value.month}月{value.day}日"
    return str(value)


@cache
def catalogue() -> dict[str, dict[str, str]]:
    """Every ``errors.yaml`` under the package, merged; a key in two files is refused."""
    merged: dict[str, dict[str, str]] = {}
    for path in sorted(PACKAGE.rglob("errors.yaml")):
        for key, value in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).items():
            if key in merged:
                raise KeyError(f"message {key!r} is defined twice ({path.relative_to(PACKAGE)})")
            merged[key] = {lang: str(value[lang]) for lang in LANGS if lang in value}
    return merged


class CodedError(Exception):
    """Base/mixin of the refusals that are plain ``ValueError``/``RuntimeError`` subclasses.

    Constructed with a :class:`Message` (or, for older callers, a plain string): ``.message`` keeps
    it for the screen to word in the viewer's language (``ui.i18n.error_text``), ``str()`` is the
    Japanese. Listed first among a class's bases (``class X(CodedError, ValueError)``) so
    ``except ValueError`` callers still catch it.
    """

    def __init__(self, message: Any, *args: Any) -> None:
        super().__init__(str(message), *args)
        self.message = message

    def text(self, lang: str = "ja") -> str:
        return text_of(self.message, lang)
