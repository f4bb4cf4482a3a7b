"""こども検索: find a child by the four facts, within the signed-in user's scope.

Layout only: the search (normalisation, parameterised SQL, scope, audit) is
``kodomo_dash.services.children.search_children``. Typed text is shown back only through
plain-text widgets; nothing here renders HTML.
"""

from __future__ import annotations

import datetime as dt

import streamlit as st

import kodomo_dash.ui.current
from kodomo_dash.services import WarehouseMissing
from kodomo_dash.services import children as q
from kodomo_dash.ui import widgets as ui
from kodomo_dash.ui.i18n import t

ui.require_entrypoint()
p = kodomo_dash.ui.current.require("child_search", "search")

st.title(t("page.child_search"))
st.caption(t("csearch.lead"))

with st.form("child_search_form"):
    c1, c2 = st.columns([3, 1])
    name = c1.text_input(t("csearch.name"), max_chars=q.MAX_INPUT, key="cs_name")
    exact = c2.checkbox(t("csearch.exact"), key="cs_exact")
    c3, c4 = st.columns(2)
    address = c3.text_input(t("csearch.address"), max_chars=q.MAX_INPUT, key="cs_address")
    alias = c4.text_input(t("csearch.alias"), max_chars=q.MAX_INPUT, key="cs_alias")
    c5, c6, c7 = st.columns(3)
    use_bd = c5.checkbox(t("csearch.use_birth_date"), key="cs_use_bd")
    birth = c6.date_input(t("csearch.birth_date"), value=dt.date(2015, 1, 1), min_value=dt.date(1990, 1, 1),
                          max_value=dt.date.today(), key="cs_birth")
    sex = c7.selectbox(t("csearch.sex"), ["", "1", "2"], key="cs_sex",
                       format_func=lambda v: t(f"csearch.sex.{v or 'any'}"))
    submitted = st.form_submit_button(t("csearch.submit"), type="primary")

if submitted:
    criteria = q.SearchCriteria(name=name or "", exact=exact, address=address or "", alias=alias or "",
                                birth_date=birth if use_bd else None, sex=sex or None)
    if not criteria.used():
        st.warning(t("csearch.need_criteria"))
        st.session_state.pop("cs_results", None)
    else:
        try:
            st.session_state["cs_results"] = q.search_children(p, criteria)
        except q.InputTooLong:
            st.warning(t("csearch.too_long", max=q.MAX_INPUT))
            st.session_state.pop("cs_results", None)
        except WarehouseMissing:
            ui.warehouse_missing_notice()
            st.stop()

results = st.session_state.get("cs_results")
if results is not None:
    if results.empty:
        st.info(t("csearch.none"))
    else:
        st.caption(t("csearch.count", n=len(results), limit=q.SEARCH_LIMIT))
        shown = [c for c in ("resident_id", "name_kanji", "name_kana", "alias_name", "birth_date", "sex",
                             "age_years", "ward_name", "address_text") if c in results.columns]
        table = results[shown].assign(sex=[t(f"csearch.sex.{s}") if s in ("1", "2") else "—" for s in results["sex"]])
        st.dataframe(table, hide_index=True, width="stretch", key="cs_table",
                     column_config={c: st.column_config.Column(t(f"csearch.col.{c}")) for c in shown})
        options = list(results["resident_id"])
        labels = dict(zip(results["resident_id"], results["name_kanji"].fillna("—"), strict=True))
        pick = st.selectbox(t("csearch.pick"), options, key="cs_pick",
                            format_func=lambda rid: f"{rid}  {labels.get(rid, '')}")
        if st.button(t("csearch.open"), key="cs_open", type="primary"):
            st.session_state["child_card_rid"] = pick
            st.switch_page("screens/child_card.py")
