"""Every screen of the product, in menu order, with the section it sits in (from config/pages.yaml).

A screen is defined once, by its stable key (URL path, title ``page.<key>``, and the page name in
the authorisation matrix), in ``kodomo_dash/config/pages.yaml``; every key there has its file in
``screens/`` (a test holds it), so the menu never offers a page that is not there.
"""

from __future__ import annotations

from kodomo_dash.config.pages import PageDef, pages

ALL_PAGES: tuple[PageDef, ...] = pages()
