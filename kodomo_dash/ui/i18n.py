"""Every piece of UI text, in Japanese first and English second.

Staff work in Japanese; the English toggle exists for evaluators and developers. Every string
lives in ``ui/messages/`` — one YAML file per screen, plus ``common.yaml`` — merged here into one dict
(instead of literals in pages), so a page cannot show a half-translated screen and the test suite
can check that every key has both languages. Workflow codes are labelled from
``casework.vocabulary`` through :func:`label`.

The current language lives in Streamlit's session state under ``SESSION_KEY`` so each user's
choice is their own; outside a Streamlit run (tests, CLI, reports) Japanese is used.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from kodomo_dash.casework import vocabulary
from kodomo_dash.config.messages import text_of

LANGS: tuple[str, ...] = ("ja", "en")
DEFAULT_LANG = "ja"
SESSION_KEY = "lang"
LANG_NAMES = {"ja": "日本語", "en": "English"}

MESSAGES: dict[str, dict[str, str]] = {}


def _merge_area_messages() -> None:
    from kodomo_dash.ui.messages import collect

    for key, value in collect().items():
        if key in MESSAGES:
            raise KeyError(f"UI text key {key!r} is defined twice (kodomo_dash.ui.messages)")
        MESSAGES[key] = value


_merge_area_messages()


def current_lang() -> str:
    """The viewer's language: their session's choice inside Streamlit, Japanese elsewhere."""
    try:
        import streamlit as st
        from streamlit.runtime.scriptrunner import get_script_run_ctx
    except ImportError:  # pragma: no cover - streamlit is a hard dependency of the app
        return DEFAULT_LANG
    if get_script_run_ctx(suppress_warning=True) is None:
        return DEFAULT_LANG
    lang = st.session_state.get(SESSION_KEY, DEFAULT_LANG)
    return lang if lang in LANGS else DEFAULT_LANG


def t(key: str, lang: str | None = None, /, **fmt: Any) -> str:
    """Text for ``key`` in the viewer's language, with ``str.format`` fields filled from ``fmt``.

    An unknown key returns the key itself, so a missing translation shows up on screen (and in
    the key-coverage test) instead of crashing a page.
    """
    entry = MESSAGES.get(key)
    if entry is None:
        return key
    text = entry.get(lang or current_lang()) or entry[DEFAULT_LANG]
    return text.format(**fmt) if fmt else text


def error_text(error: Any, lang: str | None = None) -> str:
    """A refusal or error in the viewer's language (decision 065).

    Refusals of the core carry a :class:`~kodomo_dash.config.messages.Message` (``.message``) or
    are one; a field's problems may be a ``Joined`` of several. An older plain message is shown as
    it is, in the Japanese it was written in.
    """
    return text_of(getattr(error, "message", error), lang or current_lang())


def label(prefix: str, code: str | None, lang: str | None = None) -> str:
    """Display label for a code in the viewer's language; unknown codes pass through unchanged.

    ``prefix`` is a workflow code domain of ``casework.vocabulary`` (``department``, ``stage``, ...),
    whose labels live there once, or a message prefix (``rule``, ``status``).
    """
    if code is None:
        return ""
    if prefix in vocabulary.CODE_DOMAINS:
        return vocabulary.code_label(prefix, str(code), lang or current_lang())
    key = f"{prefix}.{code}"
    return t(key, lang) if key in MESSAGES else str(code)


def fmt_date(value: dt.date | None, lang: str | None = None) -> str:
    """A date the way staff write it (2025年10月1日); ISO in English."""
    if value is None:
        return "—"
    if (lang or current_lang()) == "ja":
        return f"{value.year}年{value.month}月{value.day}日"
    return value.isoformat()


def fmt_datetime(value: dt.datetime | None, lang: str | None = None) -> str:
    """A timestamp to the minute; seconds only add noise on a status screen."""
    if value is None:
        return "—"
    if (lang or current_lang()) == "ja":
        return f"{fmt_date(value.date(), 'ja')} {value:%H:%M}"
    return f"{value:%Y-%m-%d %H:%M}"


def fmt_int(value: int | None) -> str:
    """Counts with thousands separators, the same in both languages."""
    return "—" if value is None else f"{int(value):,}"
