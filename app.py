"""Entry point: page setup, language, and the list of pages this user may open. Nothing else.

Only pages handed to ``st.navigation`` are reachable at all, so the page list (filtered, later, by
the signed-in user's role) is the gate. Screens live in ``pages/`` and are registered here
explicitly; Streamlit's automatic ``pages/`` discovery is not used, and every page begins with
``ui.require_entrypoint()`` so that it cannot run without this file (see there why).
"""

from __future__ import annotations

import streamlit as st

from kodomo_dash import ui
from kodomo_dash.i18n import t
from kodomo_dash.navigation import PageSpec, existing_pages


def allowed_pages(specs: tuple[PageSpec, ...]) -> list[PageSpec]:
    """The pages the current user may open (roles arrive with the auth work; all pages for now)."""
    return list(specs)


st.set_page_config(page_title=t("app.title"), page_icon=":material/child_care:", layout="wide")
ui.language_toggle()
sections: dict[str, list] = {}
for spec in allowed_pages(existing_pages()):
    page = st.Page(spec.path, title=t(f"page.{spec.key}"), icon=spec.icon, url_path=spec.key, default=spec.default)
    sections.setdefault(t(f"nav.{spec.section}"), []).append(page)
with ui.entrypoint():
    st.navigation(sections).run()
