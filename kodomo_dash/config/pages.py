"""The screens of the product (``config/pages.yaml``): key, menu section, icon, title, who may do what.

One definition a page, read by the navigation (``kodomo_dash.ui.navigation``), the authorisation
matrix (``kodomo_dash.security.matrix``, its page list and refusal labels) and the UI text (the
``page.<key>`` titles), so the menu, the matrix and a refusal always name a page the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

PAGES_PATH = Path(__file__).with_name("pages.yaml")
SECTIONS = ("overview", "children", "screening", "support", "evaluation", "admin")


class PagesConfigError(ValueError):
    """pages.yaml is missing something a page needs (the message names the page)."""


@dataclass(frozen=True)
class PageDef:
    key: str
    section: str
    icon: str
    title: dict[str, str]
    allow: dict[str, tuple[str, ...]] = field(default_factory=dict)
    default: bool = False

    @property
    def path(self) -> str:
        return f"screens/{self.key}.py"

    @property
    def title_ja(self) -> str:
        return self.title["ja"]


@cache
def pages(path: Path = PAGES_PATH) -> tuple[PageDef, ...]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    out: list[PageDef] = []
    for entry in raw.get("pages") or []:
        key = entry.get("key")
        if not key:
            raise PagesConfigError(f"{path.name}: a page without a key")
        title = entry.get("title") or {}
        if not title.get("ja") or not title.get("en"):
            raise PagesConfigError(f"{path.name}: page {key} needs title ja and en")
        if entry.get("section") not in SECTIONS:
            raise PagesConfigError(f"{path.name}: page {key} has section {entry.get('section')!r}, not one of {SECTIONS}")
        allow = {str(role): tuple(acts) for role, acts in (entry.get("allow") or {}).items()}
        out.append(PageDef(str(key), entry["section"], str(entry.get("icon") or ""), dict(title), allow,
                           bool(entry.get("default", False))))  # fmt: skip
    keys = [p.key for p in out]
    if len(set(keys)) != len(keys):
        raise PagesConfigError(f"{path.name}: a page key is listed twice")
    if sum(p.default for p in out) != 1:
        raise PagesConfigError(f"{path.name}: exactly one page must be the default")
    return tuple(out)
