"""UI text as data: one YAML file per screen (named as the screen's file), plus ``common.yaml``, merged
into kodomo_dash.ui.i18n.MESSAGES at import.

Each file maps a key to its Japanese and English text (``ja``, ``en``), so the people who word a
screen edit a text file, not code. Page titles come from ``config/pages.yaml`` (``page.<key>``),
their one home. A key defined twice is an error, so two files cannot silently overwrite each
other's text.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from kodomo_dash.config.pages import pages

FOLDER = Path(__file__).resolve().parent


def collect() -> dict[str, dict[str, str]]:
    merged: dict[str, dict[str, str]] = {f"page.{p.key}": dict(p.title) for p in pages()}
    for path in sorted(FOLDER.glob("*.yaml")):
        for key, value in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).items():
            if key in merged:
                raise KeyError(f"UI text key {key!r} is defined twice (kodomo_dash/ui/messages/{path.name})")
            merged[key] = {lang: str(text) for lang, text in value.items()}
    return merged
