"""Every screen of the product, in menu order, with the section it sits in (from config/pages.yaml).

A screen is defined once, by its stable key (URL path, title ``page.<key>``, and the page name in
the authorisation matrix), in ``kodomo_dash/config/pages.yaml``. A screen whose file does not
exist yet is left out, so capabilities can add their pages without touching this list again.
"""

from __future__ import annotations

from pathlib import Path

from kodomo_dash.config.pages import PageDef, pages
from kodomo_dash.infra.db import REPO_ROOT

ALL_PAGES: tuple[PageDef, ...] = pages()


def existing_pages(root: Path = REPO_ROOT) -> tuple[PageDef, ...]:
    return tuple(p for p in ALL_PAGES if (root / p.path).exists())
