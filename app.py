"""Entry point: page setup, language, sign-in, and the list of pages this user may open. Nothing else.

Only pages handed to ``st.navigation`` are reachable at all, so the page list (filtered by the
signed-in user's role through the authorisation matrix) is the gate. Screens the role may not
open are registered hidden as refusal stubs, so a hand-typed URL shows an audited refusal and
never runs the page file. Screens live in ``screens/`` and are registered here explicitly; every
page begins with ``ui.require_entrypoint()`` and ``kodomo_dash.ui.current.require(<key>)``.
Sign-in, re-validation on every rerun and time-outs: ``kodomo_dash.ui.gate``.
"""

from __future__ import annotations

import streamlit as st

from kodomo_dash.ui import gate
from kodomo_dash.ui import widgets as ui
from kodomo_dash.ui.i18n import t
from kodomo_dash.ui.navigation import ALL_PAGES

st.set_page_config(page_title=t("app.title"), page_icon=":material/child_care:", layout="wide")
ui.language_toggle()
principal, logout = gate.sign_in()
gate.user_badge(principal)
gate.logout_button(logout)
gate.idle_warning()

specs = ALL_PAGES
allowed = {s.key for s in gate.allowed_pages(specs, principal)}
sections: dict[str, list] = {}
hidden: list = []
by_key: dict[str, st.Page] = {}
for spec in specs:
    title = t(f"page.{spec.key}")
    if spec.key in allowed:
        page = st.Page(spec.path, title=title, icon=spec.icon, url_path=spec.key, default=spec.default)
        sections.setdefault(t(f"nav.{spec.section}"), []).append(page)
    else:
        page = st.Page(gate.refusal_page(spec.key), title=title, url_path=spec.key, visibility="hidden")
        hidden.append(page)
    by_key[spec.key] = page
next(iter(sections.values())).extend(hidden)  # hidden pages draw no menu entry of their own
current = st.navigation(sections)
gate.go_to_destination(by_key, current)  # a link opened before sign-in (e.g. a card's ?rid=)
with ui.entrypoint():
    current.run()
