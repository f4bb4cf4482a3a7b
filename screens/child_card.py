"""こどもカード: one child — indicators, timeline, household and siblings, support, forms, quarantined values.

Layout only. ``kodomo_dash.services.children.child_card`` checks the right, the scope and the
columns (tax only for admin and yotaikyo) and audits the view; the summary sheet download is
audited as an export. The household tab is ``kodomo_dash.services.household.household_view`` (its
own scope, tax columns and audit row), drawn by ``kodomo_dash.ui.household``. All values are shown
through plain-text elements (no HTML).
"""

from __future__ import annotations

import re

import streamlit as st

import kodomo_dash.ui.current
from kodomo_dash.services import WarehouseMissing
from kodomo_dash.services import audit as qa
from kodomo_dash.services import children as q
from kodomo_dash.services import household as qh
from kodomo_dash.services.access import can
from kodomo_dash.ui import widgets as ui
from kodomo_dash.ui.household import household_section
from kodomo_dash.ui.i18n import fmt_date, label, t

ui.require_entrypoint()
p = kodomo_dash.ui.current.require("child_card")

st.title(t("page.child_card"))
# A link such as /child_card?rid=0000012345 opens that child's card. The id goes through the same
# scoped, audited query as a pick from the search: out of scope is refused like a missing child.
shared = st.query_params.get("rid")
if shared:
    st.session_state["child_card_rid"] = shared if re.fullmatch(r"[0-9A-Za-z_-]{1,32}", shared) else "-"
rid = st.session_state.get("child_card_rid")
if not rid:
    st.info(t("ccard.pick_first"))
    if st.button(t("ccard.to_search"), key="cc_to_search"):
        st.switch_page("screens/child_search.py")
    st.stop()

try:
    card = q.child_card(p, rid)
except WarehouseMissing:
    ui.warehouse_missing_notice()
    st.stop()
if card is None:
    st.error(t("ccard.not_found"))
    st.stop()
if card.alert:
    st.warning(card.alert, icon=":material/warning:")
ui.alert_banner(card.alerts)  # what the monthly builds brought that alerts (config/alerts.yaml)

b = card.basic
if b.get("is_resident") is False or (b.get("is_resident") is not None and not bool(b.get("is_resident"))):
    moved = b.get("moved_out_date")
    st.warning(t("ccard.moved_out", date=fmt_date(moved.date() if moved is not None else None)),
               icon=":material/move_item:")
st.subheader(t("ccard.basic"))
with st.container(horizontal=True, key="cc_basic"):
    st.metric(t("csearch.col.name_kanji"), str(b.get("name_kanji") or "—"), border=True)
    st.metric(t("csearch.col.name_kana"), str(b.get("name_kana") or "—"), border=True)
    st.metric(t("csearch.col.birth_date"), fmt_date(b["birth_date"].date() if b.get("birth_date") is not None else None),
              border=True)
    st.metric(t("csearch.col.age_years"), str(b.get("age_years") if b.get("age_years") is not None else "—"), border=True)
    st.metric(t("csearch.col.sex"), t(f"csearch.sex.{b.get('sex')}") if b.get("sex") in ("1", "2") else "—", border=True)
    st.metric(t("csearch.col.resident_id"), str(b.get("resident_id")), border=True)
st.text(f"{t('csearch.col.address_text')}：{b.get('address_text') or '—'}　{b.get('ward_name') or ''}")
if b.get("alias_name"):
    st.text(f"{t('csearch.col.alias_name')}：{b.get('alias_name')}")
if card.school_linked is False:
    st.warning(t("ccard.school_unlinked"), icon=":material/link_off:")
if card.tax is not None:
    st.subheader(t("ccard.tax"))
    if card.tax:
        st.text(f"{card.tax.get('fiscal_year')}年度　住民税：{'非課税' if card.tax.get('tax_exempt') else '課税'}"
                f"　所得階層：{card.tax.get('income_band') or '—'}")
    else:
        st.text(t("ccard.no_data"))

st.subheader(t("ccard.indicators"))
st.caption(t("ccard.indicators.caption"))
with st.container(horizontal=True, key="cc_indicators"):
    for ind in card.indicators:
        name = f"{ind.item}. {ind.label}" if ind.item else ind.label
        st.metric(name, t("ccard.no_data") if ind.missing else ind.value, border=True, width=220)

tab_tl, tab_hh, tab_sup, tab_forms, tab_q, tab_who = st.tabs([
    t("ccard.timeline"), t("ccard.household"), t("ccard.support"), t("ccard.forms"), t("ccard.quarantine"),
    t("ccard.viewers"),
])
with tab_tl:
    if card.timeline.empty:
        st.info(t("ccard.timeline.empty"))
    else:
        st.caption(t("ccard.timeline.caption"))
        shown = card.timeline.assign(kind=[t(f"ccard.tl.kind.{k}") for k in card.timeline["kind"]])
        st.dataframe(shown, hide_index=True, width="stretch", key="cc_timeline",
                     column_config={c: st.column_config.Column(t(f"ccard.tl.col.{c}")) for c in shown.columns})
with tab_hh:
    st.caption(t("ccard.household.caption"))
    household_section(qh.household_view(p, card.resident_id))
with tab_sup:
    if card.screening.empty and card.funnel.empty:
        st.info(t("ccard.support.none"))
    else:
        if not card.funnel.empty:
            stage_cols = [c for c in ("fy", "current_stage", "listed_on", "conference_decision", "approach_decision",
                                      "contacted_on", "exclusion_reason") if c in card.funnel.columns]
            st.dataframe(card.funnel[stage_cols], hide_index=True, width="stretch", key="cc_funnel")
            history = card.support_history
            if not history.empty:
                st.caption(t("ccard.support.history"))
                st.dataframe(history[["stage_label", "event_date", "what", "recorded_by", "voided", "void_reason"]],
                             hide_index=True, width="stretch", key="cc_support_history",
                             column_config={c: st.column_config.Column(t(f"sr.col.{c}")) for c in
                                            ("stage_label", "event_date", "what", "recorded_by", "voided",
                                             "void_reason")})  # fmt: skip
        if not card.screening.empty:
            st.caption(t("ccard.flag.caption"))
            flags = card.screening.assign(status=[t(f"ccard.flag.{s}") for s in card.screening["status"]])
            st.dataframe(flags, hide_index=True, width="stretch", key="cc_screening",
                         column_config={"status": st.column_config.Column(t("ccard.flag.status")),
                                        "expires_on": st.column_config.DateColumn(t("ccard.flag.expires_on"))})
with tab_forms:
    if card.forms.empty:
        st.info(t("ccard.forms.none"))
    else:
        st.dataframe(card.forms, hide_index=True, width="stretch", key="cc_forms")
with tab_q:
    st.caption(t("ccard.quarantine.caption"))
    if not card.quarantine.empty:
        shown = card.quarantine.assign(rule=[label("rule", r) for r in card.quarantine["rule"]])
        shown.insert(0, "⚠", "⚠")
        st.dataframe(shown, hide_index=True, width="stretch", key="cc_quarantine")
with tab_who:
    st.dataframe(qa.viewers_of_child(p, card.resident_id), hide_index=True, width="stretch", key="cc_viewers")

if can(p, "child_card", "export"):
    st.subheader(t("ccard.sheet"))
    sections = st.multiselect(t("ccard.sheet.sections"), list(q.SHEET_SECTIONS),
                              default=list(q.SHEET_SECTIONS), select_all=False, key="cc_sections",
                              format_func=q.SHEET_SECTIONS.__getitem__)
    if st.button(t("ccard.sheet"), key="cc_make_sheet", icon=":material/picture_as_pdf:"):
        pdf = q.summary_sheet_pdf(p, card, sections)
        st.session_state["cc_sheet"] = (card.resident_id, pdf)
    made = st.session_state.get("cc_sheet")
    if made and made[0] == card.resident_id:
        st.download_button(t("ccard.sheet.download"), made[1], file_name=f"summary_{card.resident_id}.pdf",
                           mime="application/pdf", key="cc_download", on_click="ignore")
