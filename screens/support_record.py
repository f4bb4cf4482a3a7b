from kodomo_dash.ui import widgets as ui
ui.require_entrypoint()
from kodomo_dash.ui.current import require
principal = require("support_record")

# ruff: noqa: E402, I001 - the four guard lines must come first, exactly as on every page.
# 支援の記録: every step after a list is accepted, for the roles the matrix names — secondary screening per
# department, the conference, the approach start, the school-path decision, sheet requests, and a manager's
# corrections. Layout only: reads and saves are kodomo_dash.services.support; widgets are ui_support.
import streamlit as st

from kodomo_dash.services.access import can
from kodomo_dash.ui.i18n import t
from kodomo_dash.services import support as s
from kodomo_dash.ui.support import history_tab, sheets_tab, step_form

st.title(t("sr.title"))
st.caption(t("sr.lead"))
lists = s.lists(principal)
if lists.empty:
    st.info(t("wf.no_casework"))
    st.stop()
labels = {
    r.list_id: t("sr.list_label", fy=r.fy, label=r.cohort_label_ja or r.programme or r.method, n=r.list_size,
                 on=r.accepted_on.strftime("%Y-%m-%d"))
    for r in lists.itertuples()
}  # fmt: skip
list_id = st.selectbox(t("sr.list"), list(labels), format_func=labels.__getitem__, key="sr_list")
path = lists.set_index("list_id").at[list_id, "path"]
can_save = can(principal, "support_record", "save")
if not can_save:
    st.info(t("sr.read_only"))

if path == "ward":
    tab_sec, tab_conf, tab_appr, tab_visit, tab_hist = st.tabs(
        [t("sr.tab.secondary"), t("sr.tab.conference"), t("sr.tab.approach"), t("sr.tab.visits"), t("sr.tab.history")]
    )
    with tab_sec:
        dept = ui.code_select(t("sr.department"), "department", key="sr_sec_department")
        waiting = s.queue(principal, list_id, "secondary", department=dept)
        step_form("secondary", list_id, waiting, principal, can_save, extra={"department": dept})
    with tab_conf:
        waiting = s.queue(principal, list_id, "conference")
        step_form("conference", list_id, waiting, principal, can_save, assignee=True, department=True)
    with tab_appr:
        waiting = s.queue(principal, list_id, "approach")
        step_form("approach", list_id, waiting, principal, can_save, assignee=True, how=True)
    with tab_visit:
        st.write(t("sr.visits.lead"))
        st.page_link("screens/forms_home_visit.py", label=t("sr.visits.link"), icon=":material/home_health:")
    with tab_hist:
        history_tab(list_id, principal)
else:
    tab_sheets, tab_dec, tab_hist = st.tabs([t("sr.tab.sheets"), t("sr.tab.school_decision"), t("sr.tab.history")])
    with tab_sheets:
        sheets_tab(list_id, principal, can_save)
    with tab_dec:
        waiting = s.queue(principal, list_id, "school_decision")
        step_form("school_decision", list_id, waiting, principal, can_save)
    with tab_hist:
        history_tab(list_id, principal)
