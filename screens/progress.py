from kodomo_dash.ui import widgets as ui
ui.require_entrypoint()
from kodomo_dash.ui.current import require
principal = require("progress")

# ruff: noqa: E402, I001 - the four guard lines must come first, exactly as on every page.
# 様式の提出状況: requested / draft / submitted sheets per school and per ward, within the viewer's
# scope, so the city sees teachers' and SSWs' sheets arrive as they are saved (Izumi's lesson).
# Layout only: figures come from kodomo_dash.services.workflow.form_progress.
import streamlit as st

from kodomo_dash.ui.i18n import fmt_int, t
from kodomo_dash.services import workflow as q

st.title(t("pg.title"))
st.caption(t("pg.lead"))
if not q.has_casework():
    st.info(t("wf.no_casework"))
    st.stop()

defs = q.form_definitions()
titles = {k: d.title_ja for k, d in defs.items()}
with st.container(horizontal=True, key="pg_filters"):
    form_type = st.selectbox(t("pg.form_type"), [None, *titles], format_func=lambda k: titles.get(k, t("pg.all_forms")),
                             key="pg_form_type")  # fmt: skip
    by = st.segmented_control(t("pg.col.group"), ["school", "ward"], default="school",
                              format_func=lambda b: t(f"pg.by_{b}"), key="pg_by") or "school"  # fmt: skip

table = q.form_progress(principal, by, form_type)
if table.empty:
    st.info(t("pg.none"))
    st.stop()

with st.container(horizontal=True, key="pg_metrics"):
    for col in ("requested", "draft", "submitted", "overdue"):
        st.metric(t(f"pg.metric.{col}"), fmt_int(table[col].sum()), border=True)

names = table["group_code"].fillna("—").map(lambda c: q.ward_name(c) if by == "ward" else c)
chart = table.assign(group=names).groupby("group")[["requested", "draft", "submitted"]].sum()
chart.columns = [t(f"pg.metric.{c}") for c in chart.columns]
st.subheader(t("pg.chart"))
st.bar_chart(chart, horizontal=True, stack=True)

shown = table.assign(group_code=names, form_type=table["form_type"].map(lambda k: titles.get(k, k)))
st.dataframe(
    shown,
    hide_index=True,
    width="stretch",
    key="pg_table",
    column_config={
        "group_code": st.column_config.TextColumn(t("pg.col.group")),
        "form_type": st.column_config.TextColumn(t("pg.col.form_type")),
        "requested": st.column_config.NumberColumn(t("pg.metric.requested")),
        "draft": st.column_config.NumberColumn(t("pg.metric.draft")),
        "submitted": st.column_config.NumberColumn(t("pg.metric.submitted")),
        "total": st.column_config.NumberColumn(t("pg.col.total")),
        "overdue": st.column_config.NumberColumn(t("pg.metric.overdue")),
        "submitted_pct": st.column_config.NumberColumn(t("pg.col.pct"), format="%.1f"),
        "last_updated_at": st.column_config.DatetimeColumn(t("pg.col.updated"), format="YYYY-MM-DD HH:mm"),
    },
)
