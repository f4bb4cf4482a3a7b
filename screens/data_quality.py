from kodomo_dash.ui import widgets as ui
ui.require_entrypoint()
from kodomo_dash.ui.current import require
principal = require("data_quality")

# ruff: noqa: E402, I001 - the four guard lines must come first, exactly as on every page.
# データ品質: the load manifest, quarantine by source and rule (with raw examples), and the
# 名寄せ results in the shape of Amagasaki's 表 7-2 plus the unlinked rate and reasons.
# Layout only: every figure comes from kodomo_dash.services.quality.

import streamlit as st

from kodomo_dash.ui.i18n import current_lang, fmt_int, label, t
from kodomo_dash.services import WarehouseMissing
from kodomo_dash.services import quality as q

st.title(t("page.data_quality"))
st.caption(t("dq.lead"))

attempts, attempt_rows = q.build_attempts(principal)
if attempts and attempts[0]["outcome"] == "refused":  # the newest build was held back: say so first
    last = attempts[0]
    reasons = [r["message_ja"] for r in last.get("refused", [])] + list(last.get("errors", []))
    st.error(t("dq.refused", at=last["attempted_at"], reasons="\n".join(f"- {r}" for r in reasons)),
             icon=":material/block:")  # fmt: skip

try:
    build = q.current_build()
except WarehouseMissing:
    ui.warehouse_missing_notice()
    st.stop()

sources = q.source_counts(build.build_id)
by_rule = q.quarantine_by_source_rule(build.build_id)
steps = q.linkage_steps(build.build_id)
reasons = q.unlinked_by_reason(build.build_id)

total = steps[steps["step"] == "total"]
unlinked = int(reasons["records"].sum()) if len(reasons) else 0
with st.container(horizontal=True, key="dq_metrics"):
    st.metric(t("dq.metric.sources"), f"{int(sources['status'].isin(['ok', 'partial']).sum())} / {len(sources)}",
              border=True)
    st.metric(t("dq.metric.quarantined"), fmt_int(int(by_rule["entries"].sum()) if len(by_rule) else 0), border=True)
    if len(total):
        st.metric(t("dq.metric.school_records"), fmt_int(int(total["records_in"].iloc[0])), border=True)
        st.metric(t("dq.metric.unlinked_rate"), f"{float(total['error_rate'].iloc[0]):.2%}", border=True)
    st.metric(t("dq.metric.no_data"), fmt_int(unlinked), border=True)

tab_load, tab_builds, tab_quarantine, tab_link = st.tabs(
    [t("dq.tab.load"), t("dq.tab.builds"), t("dq.tab.quarantine"), t("dq.tab.link")]
)

# ---------------------------------------------------------------- recent builds (swapped or refused)
with tab_builds:
    st.caption(t("dq.builds.caption"))
    if attempt_rows.empty:
        st.info(t("dq.builds.none"))
    else:
        shown = attempt_rows.assign(outcome=[t(f"dq.outcome.{o}") for o in attempt_rows["outcome"]],
                                    status=[label("status", x) for x in attempt_rows["status"]])  # fmt: skip
        st.dataframe(
            shown, hide_index=True, width="stretch", key="dq_builds",
            column_config={c: st.column_config.Column(t(f"dq.builds.col.{c}")) for c in shown.columns},
        )  # fmt: skip

# ---------------------------------------------------------------- load manifest
with tab_load:
    st.subheader(t("dq.load.title"))
    st.caption(t("home.sources.caption"))
    names = sources["label_ja"] if current_lang() == "ja" else sources["source"]
    table = sources.assign(label_ja=names, status=[label("status", s) for s in sources["status"]])
    table = table.drop(columns="source").fillna(dict.fromkeys(["file_name", "encoding", "message"], ""))
    numeric = {"rows_in", "rows_staged", "rows_quarantined", "values_nullified"}
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        height="content",
        key="dq_manifest",
        column_order=["label_ja", "status", *sorted(numeric), "file_name", "encoding", "message"],
        column_config={
            col: st.column_config.NumberColumn(t(f"col.{col}"), format="localized")
            if col in numeric
            else st.column_config.TextColumn(t(f"col.{col}"))
            for col in table.columns
        },
    )

# ---------------------------------------------------------------- quarantine
with tab_quarantine:
    st.subheader(t("dq.quarantine.title"))
    st.caption(t("home.quarantine.caption"))
    if by_rule.empty:
        st.success(t("home.quarantine.none"))
    else:
        per_source = by_rule.groupby("label_ja", sort=False)["entries"].sum().sort_values(ascending=False)
        fig = ui.bar_chart(per_source.index, per_source.to_numpy(), x_title=t("dq.col.source"),
                           y_title=t("dq.col.entries"), horizontal=True,
                           height=max(240, 40 * len(per_source) + 80))
        st.plotly_chart(fig, width="stretch", key="dq_quarantine_bar", alt=t("dq.quarantine.title"))
        examples = q.quarantine_examples(principal)
        shown = by_rule.merge(examples, on=["source", "column_name", "rule"], how="left")
        shown["rule"] = [label("rule", r) for r in shown["rule"]]
        shown["examples"] = [
            t("dq.examples.hidden") if h is True else "、".join(map(str, e)) if isinstance(e, list) else ""
            for e, h in zip(shown["examples"], shown["hidden"], strict=True)
        ]
        st.dataframe(
            shown[["label_ja", "column_name", "rule", "entries", "rows_rejected", "examples"]],
            hide_index=True,
            width="stretch",
            key="dq_quarantine_table",
            column_config={
                "label_ja": st.column_config.TextColumn(t("dq.col.source")),
                "column_name": st.column_config.TextColumn(t("dq.col.column")),
                "rule": st.column_config.TextColumn(t("dq.col.rule")),
                "entries": st.column_config.NumberColumn(t("dq.col.entries"), format="localized"),
                "rows_rejected": st.column_config.NumberColumn(t("dq.col.rows_rejected"), format="localized"),
                "examples": st.column_config.TextColumn(t("dq.col.examples")),
            },
        )

# ---------------------------------------------------------------- 名寄せ (表 7-2)
with tab_link:
    st.subheader(t("dq.link.title"))
    st.caption(t("dq.link.caption"))
    if steps.empty:
        st.info(t("dq.link.none"))
    else:
        table = steps.assign(
            step_ja=[label("dq.step", s) for s in steps["step"]],
            error_rate=steps["error_rate"] * 100,
        )
        st.dataframe(
            table[["step_no", "step_ja", "records_in", "linked", "failed", "error_rate", "in_review"]],
            hide_index=True,
            width="stretch",
            height="content",
            key="dq_link_steps",
            column_config={
                "step_no": st.column_config.NumberColumn(t("dq.col.step_no"), format="%d"),
                "step_ja": st.column_config.TextColumn(t("dq.col.step")),
                "records_in": st.column_config.NumberColumn(t("dq.col.records_in"), format="localized"),
                "linked": st.column_config.NumberColumn(t("dq.col.linked"), format="localized"),
                "failed": st.column_config.NumberColumn(t("dq.col.failed"), format="localized"),
                "error_rate": st.column_config.NumberColumn(t("dq.col.error_rate"), format="%.2f%%"),
                "in_review": st.column_config.NumberColumn(t("dq.col.in_review"), format="localized"),
            },
        )
        per_step = steps[steps["step"] != "total"]
        left, right = st.columns(2, gap="large")
        with left:
            st.markdown(f"**{t('dq.link.chart')}**")
            fig = ui.bar_chart([label("dq.step", s) for s in per_step["step"]], per_step["linked"],
                               x_title=t("dq.col.step"), y_title=t("dq.col.linked"))
            st.plotly_chart(fig, width="stretch", key="dq_link_bar", alt=t("dq.link.chart"))
        with right:
            st.markdown(f"**{t('dq.unlinked.title')}**")
            st.caption(t("dq.unlinked.caption"))
            if reasons.empty:
                st.success(t("dq.unlinked.none"))
            else:
                fig = ui.bar_chart([label("dq.reason", r) for r in reasons["reason"]], reasons["records"],
                                   x_title=t("dq.col.reason"), y_title=t("dq.col.records"), horizontal=True,
                                   height=max(220, 44 * len(reasons) + 80))
                st.plotly_chart(fig, width="stretch", key="dq_unlinked_bar", alt=t("dq.unlinked.title"))
