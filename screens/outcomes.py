from kodomo_dash.ui import widgets as ui
ui.require_entrypoint()
from kodomo_dash.ui.current import require
principal = require("outcomes")

# ruff: noqa: E402, I001 - the four guard lines must come first, exactly as on every page.
# 成果指標: 図表 7-3 (children at each stage, needs found, outcomes), 図表 6-4 support acts,
# exclusion reasons, and the breakdown by ward, this year beside last year — as safe aggregates
# (suppressed cells show 「秘匿」). Layout only: tables come from kodomo_dash.services.outcomes.
import streamlit as st

from kodomo_dash.services.access import can
from kodomo_dash.services.errors import VisitPlanError
from kodomo_dash.ui.i18n import error_text, t
from kodomo_dash.services import outcomes as q

st.title(t("oc.title"))
st.caption(t("oc.lead"))
if not q.has_casework():
    st.info(t("wf.no_casework"))
    st.stop()

programmes = q.programme_options()
programme = None
if len(programmes) > 1:
    programme = st.selectbox(t("oc.programme"), list(programmes), format_func=programmes.get, key="oc_programme")
inputs = q.outcome_inputs(principal, programme)
if not inputs.years:
    st.info(t("wf.no_casework"))
    st.stop()
with st.container(horizontal=True, key="oc_filters"):
    fy = st.selectbox(t("wf.fy"), inputs.years, format_func=lambda y: f"{y}年度（令和{y - 2018}年度）", key="oc_fy")
    units = [q.TOTAL, *[u for u in inputs.data.units() if u != "unknown"]]
    if len(units) > 2:  # a city without wards (Izumi, Beppu) has nothing to break down
        unit = st.selectbox(t("oc.unit"), units, key="oc_unit",
                            format_func=lambda u: t("oc.city") if u == q.TOTAL else inputs.data.unit_label(u))  # fmt: skip
    else:
        unit = q.TOTAL

tables = q.outcome_tables(inputs, fy, unit)
for key, table in tables.items():
    st.subheader(table.title)
    frame = table.to_frame(display=True)
    st.dataframe(frame, hide_index=True, width="stretch", key=f"oc_{key}")  # text cells: never HTML
    for note in table.notes:
        st.caption(note)

if can(principal, "outcomes", "save") and inputs.path == "ward":
    wards = q.visit_plan_wards(inputs)

    def _save_plan() -> None:
        ss = st.session_state
        try:
            fy_, ward, n = q.save_visit_plan(principal, inputs, fy, ss.get("oc_plan_ward"), ss.get("oc_plan_n"))
            ss["oc_plan_msg"] = ("ok", t("oc.plan.saved", ward=wards.get(ward, ward), n=n))
        except VisitPlanError as e:
            ss["oc_plan_msg"] = ("error", error_text(e))

    with st.expander(t("oc.plan.title")):
        st.caption(t("oc.plan.caption"))
        with st.form("oc_plan_form"):
            st.selectbox(t("oc.plan.ward"), list(wards), format_func=lambda u: wards[u], key="oc_plan_ward")
            st.number_input(t("oc.plan.planned"), min_value=0, max_value=100_000, step=1, key="oc_plan_n")
            st.form_submit_button(t("oc.plan.save"), on_click=ui.guarded(_save_plan))
        kind, text = st.session_state.pop("oc_plan_msg", (None, None))
        if kind == "ok":
            st.success(text)
        elif kind == "error":
            st.error(text)
