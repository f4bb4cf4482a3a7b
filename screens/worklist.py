from kodomo_dash.ui import widgets as ui
ui.require_entrypoint()
from kodomo_dash.ui.current import require
principal = require("worklist")

# ruff: noqa: E402, I001 - the four guard lines must come first, exactly as on every page.
# 担当一覧: what is due from the signed-in person — forms assigned to them, contacts and follow-ups
# they own, and (for their departments) secondary screenings waiting. Within their scope only.
# Layout only: rows come from kodomo_dash.services.workflow.worklist.
import streamlit as st

from kodomo_dash.ui.i18n import fmt_int, t
from kodomo_dash.services import workflow as q

st.title(t("wl.title"))
st.caption(t("wl.lead"))
if not q.has_casework():
    st.info(t("wf.no_casework"))
    st.stop()

departments = ui.code_multiselect(t("wl.department"), "department", key="wl_departments")
items = q.worklist(principal, tuple(departments))
with st.container(horizontal=True, key="wl_metrics"):
    st.metric(t("wl.metric.open"), fmt_int(len(items)), border=True)
    st.metric(t("wl.metric.overdue"), fmt_int(int(items["overdue"].sum()) if not items.empty else 0), border=True)
if items.empty:
    st.success(t("wl.none"))
    st.stop()
st.dataframe(
    items[["label_ja", "resident_id", "ward_code", "school_code", "due_date", "since_on", "days_waiting", "overdue"]],
    hide_index=True,
    width="stretch",
    key="wl_table",
    column_config={
        "label_ja": st.column_config.TextColumn(t("wl.col.label")),
        "resident_id": st.column_config.TextColumn(t("wl.col.resident_id")),
        "ward_code": st.column_config.TextColumn(t("wl.col.ward")),
        "school_code": st.column_config.TextColumn(t("wl.col.school")),
        "due_date": st.column_config.DateColumn(t("wl.col.due")),
        "since_on": st.column_config.DateColumn(t("wl.col.since")),
        "days_waiting": st.column_config.NumberColumn(t("wl.col.days")),
        "overdue": st.column_config.CheckboxColumn(t("wl.col.overdue")),
    },
)
