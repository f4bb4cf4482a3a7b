"""UI text, one module per screen (named as the screen's file) plus ``common``, merged into
kodomo_dash.ui.i18n.MESSAGES at import.

Each module defines ``MESSAGES: dict[str, dict[str, str]]`` with "ja" and "en" for every key. A
screen's words are found next to nothing else; a key defined twice is an error, so two modules
cannot silently overwrite each other's text.
"""

from __future__ import annotations

import importlib
import pkgutil


def collect() -> dict[str, dict[str, str]]:
    merged: dict[str, dict[str, str]] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        for key, value in getattr(module, "MESSAGES", {}).items():
            if key in merged:
                raise KeyError(f"UI text key {key!r} is defined twice (kodomo_dash.ui.messages.{info.name})")
            merged[key] = value
    return merged
