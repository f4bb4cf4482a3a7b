"""ホーム: what is loaded — build time, as-of date, rows per source, quarantine, children per ward.

Layout only: every figure comes from ``kodomo_dash.services.home``.
"""

from __future__ import annotations

import streamlit as st

import kodomo_dash.ui.current
from kodomo_dash.services import WarehouseMissing
from kodomo_dash.services import home as q
from kodomo_dash.ui import widgets as ui
from kodomo_dash.ui.i18n import current_lang, fmt_date, fmt_datetime, fmt_int, label, t

ui.require_entrypoint()
p = kodomo_dash.ui.current.require("home")
st.title(t("app.title"))
st.caption(t("home.lead"))

try:
    build = q.current_build()
except WarehouseMissing:
    ui.warehouse_missing_notice()
    st.stop()

sources = q.source_counts(build.build_id)
rules = q.quarantine_by_rule(build.build_id)
wards = q.children_by_ward(build.build_id)
n_children = q.total_children(build.build_id)

loaded = int(sources["status"].isin(["ok", "partial"]).sum())
with st.container(horizontal=True, key="home_metrics"):
    st.metric(t("home.metric.children"), fmt_int(n_children), border=True)
    st.metric(t("home.metric.as_of"), fmt_date(build.as_of), border=True)
    st.metric(t("home.metric.built_at"), fmt_datetime(build.built_at), border=True)
    st.metric(t("home.metric.sources"), f"{loaded} / {len(sources)}", border=True)
    st.metric(t("home.metric.quarantined"), fmt_int(sources["rows_quarantined"].sum()), border=True)

left, right = st.columns(2, gap="large")
with left, st.container(key="ward_chart"):
    st.subheader(t("home.wards.title"))
    if wards.empty:
        st.info(t("home.wards.empty"))
    else:
        names = wards["ward_name"].fillna("—")
        fig = ui.bar_chart(names, wards["children"], x_title=t("home.wards.x"), y_title=t("home.wards.y"))
        st.plotly_chart(fig, width="stretch", key="ward_bar", alt=t("home.wards.title"))
with right, st.container(key="quarantine_chart"):
    st.subheader(t("home.quarantine.title"))
    st.caption(t("home.quarantine.caption"))
    if rules.empty:
        st.success(t("home.quarantine.none"))
    else:
        fig = ui.bar_chart(
            [label("rule", r) for r in rules["rule"]],
            rules["entries"],
            x_title=t("home.quarantine.y"),
            y_title=t("home.quarantine.x"),
            horizontal=True,
            height=max(240, 44 * len(rules) + 80),
        )
        st.plotly_chart(fig, width="stretch", key="quarantine_bar", alt=t("home.quarantine.title"))

st.subheader(t("home.sources.title"))
st.caption(t("home.sources.caption"))
# Contracts carry Japanese labels only; English readers get the contract's code name instead.
names = sources["label_ja"] if current_lang() == "ja" else sources["source"]
table = sources.assign(label_ja=names, status=[label("status", s) for s in sources["status"]])
text_cols = ["file_name", "encoding", "message"]
table = table.drop(columns="source").fillna(dict.fromkeys(text_cols, ""))
st.dataframe(
    table,
    hide_index=True,
    width="stretch",
    height="content",  # all sources at once: a problem row must not hide below a scrollbar
    key="source_table",
    column_order=[
        "label_ja",
        "status",
        "rows_in",
        "rows_staged",
        "rows_quarantined",
        "values_nullified",
        "file_name",
        "encoding",
        "message",
    ],
    column_config={
        col: st.column_config.NumberColumn(t(f"col.{col}"), format="localized")
        if col in {"rows_in", "rows_staged", "rows_quarantined", "values_nullified"}
        else st.column_config.TextColumn(t(f"col.{col}"))
        for col in table.columns
    },
)
st.caption(
    t(
        "home.build.caption",
        build_id=build.build_id,
        duration=f"{build.duration_s:.1f}" if build.duration_s is not None else "—",
        version=build.kodomo_version,
    )
)
