from kodomo_dash.ui import widgets as ui
ui.require_entrypoint()
from kodomo_dash.ui.current import require
principal = require("worklist")

# ruff: noqa: E402, I001 - the four guard lines must come first, exactly as on every page.
# 担当一覧: what is due from the signed-in person — forms assigned to them, contacts and follow-ups
# they own, and (for their departments) secondary screenings waiting. Within their scope only.
# Layout only: rows come from kodomo_dash.services.workflow.worklist.
import streamlit as st

from kodomo_dash.ui.i18n import current_lang, fmt_int, t
from kodomo_dash.services import alerts as qa
from kodomo_dash.services import workflow as q

st.title(t("wl.title"))
st.caption(t("wl.lead"))
if not q.has_casework():
    st.info(t("wf.no_casework"))
    st.stop()

departments = ui.code_multiselect(t("wl.department"), "department", key="wl_departments")
items = q.worklist(principal, tuple(departments))
alerts = qa.watched_alerts(principal)
current = alerts[alerts["status"] == "current"]
mine = current[current["resident_id"].isin(items["resident_id"])] if not items.empty else current.iloc[0:0]
with st.container(horizontal=True, key="wl_metrics"):
    st.metric(t("wl.metric.open"), fmt_int(len(items)), border=True)
    st.metric(t("wl.metric.overdue"), fmt_int(int(items["overdue"].sum()) if not items.empty else 0), border=True)
    st.metric(t("wl.metric.alerts"), fmt_int(mine["resident_id"].nunique()), border=True)

st.subheader(t("wl.alerts.title"))
st.caption(t("wl.alerts.caption"))
if alerts.empty:
    st.info(t("wl.alerts.none"))
else:
    lang = current_lang()
    shown = alerts.assign(label=alerts["label_en" if lang == "en" else "label_ja"],
                          status=[t(f"wl.alerts.status.{s}") for s in alerts["status"]])  # fmt: skip
    st.dataframe(shown[["label", "resident_id", "ward_code", "event_date", "arrived_on", "status", "assignees"]],
                 hide_index=True, width="stretch", key="wl_alerts",
                 column_config={"label": st.column_config.TextColumn(t("wl.alerts.col.label")),
                                "resident_id": st.column_config.TextColumn(t("wl.col.resident_id")),
                                "ward_code": st.column_config.TextColumn(t("wl.col.ward")),
                                "event_date": st.column_config.DateColumn(t("wl.alerts.col.event_date")),
                                "arrived_on": st.column_config.DateColumn(t("wl.alerts.col.arrived_on")),
                                "status": st.column_config.TextColumn(t("wl.alerts.col.status")),
                                "assignees": st.column_config.TextColumn(t("wl.alerts.col.assignees"))})  # fmt: skip
    if principal.role in ("manager", "admin"):
        st.caption(t("wl.alerts.by_ward"))
        st.dataframe(qa.counts_per_ward(alerts), hide_index=True, width="stretch", key="wl_alerts_by_ward",
                     column_config={"ward_code": st.column_config.TextColumn(t("wl.col.ward")),
                                    **{c: st.column_config.NumberColumn(t(f"wl.alerts.col.{c}"))
                                       for c in ("current", "expired", "children")}})  # fmt: skip

if items.empty:
    st.success(t("wl.none"))
    st.stop()
badges = current.groupby("resident_id").size()
items = items.assign(alerts=[f"🔔 {badges[r]}" if r in badges.index else "" for r in items["resident_id"]])
st.dataframe(
    items[["label_ja", "alerts", "resident_id", "ward_code", "school_code", "due_date", "since_on", "days_waiting",
           "overdue"]],
    hide_index=True,
    width="stretch",
    key="wl_table",
    column_config={
        "label_ja": st.column_config.TextColumn(t("wl.col.label")),
        "alerts": st.column_config.TextColumn(t("wl.col.alerts")),
        "resident_id": st.column_config.TextColumn(t("wl.col.resident_id")),
        "ward_code": st.column_config.TextColumn(t("wl.col.ward")),
        "school_code": st.column_config.TextColumn(t("wl.col.school")),
        "due_date": st.column_config.DateColumn(t("wl.col.due")),
        "since_on": st.column_config.DateColumn(t("wl.col.since")),
        "days_waiting": st.column_config.NumberColumn(t("wl.col.days")),
        "overdue": st.column_config.CheckboxColumn(t("wl.col.overdue")),
    },
)
