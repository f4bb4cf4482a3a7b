from kodomo_dash.ui import widgets as ui
ui.require_entrypoint()
from kodomo_dash.ui.current import require
principal = require("funnel")

# ruff: noqa: E402, I001 - the four guard lines must come first, exactly as on every page.
# 支援の流れ（ファネル）: the casework funnel per fiscal year and ward, with conversion, exclusions,
# durations, pending contacts, a year comparison and a drill-down within the viewer's scope.
# A viewer who may see aggregates only (evaluator) gets the city line as safe aggregates instead:
# counts 1–9 and their complements 「秘匿」, no durations, no lists, no drill-down.
# Layout only: every figure comes from kodomo_dash.services.workflow / .outcomes.
import plotly.graph_objects as go
import streamlit as st

from kodomo_dash.ui.i18n import fmt_int, t
from kodomo_dash.services import outcomes as q_safe
from kodomo_dash.services import workflow as q
from kodomo_dash.services.unit_of_work import scope_of


def funnel_chart(labels: list[str], values: list[int]) -> None:
    fig = go.Figure(
        go.Funnel(
            y=labels,
            x=values,
            textinfo="value+percent initial",
            texttemplate="%{value:,}名<br>%{percentInitial:.1%}",
            marker={"color": st.get_option("theme.primaryColor") or None},
        )
    )
    fig.update_layout(height=80 + 60 * len(labels), margin={"l": 8, "r": 24, "t": 16, "b": 8}, separators=".,")
    st.plotly_chart(fig, width="stretch", key="funnel_chart", alt=t("fn.chart"))

st.title(t("fn.title"))
st.caption(t("fn.lead"))

if not q.has_casework():
    st.info(t("wf.no_casework"))
    st.stop()

scope = scope_of(principal)
years = q.funnel_fiscal_years(principal)
wards = q.ward_options(principal)
if not wards:
    st.warning(t("wf.out_of_scope"))
    st.stop()

with st.container(horizontal=True, key="fn_filters"):
    fy = st.selectbox(t("wf.fy"), years, format_func=lambda y: f"{y}年度（令和{y - 2018}年度）", key="fn_fy")
    ward = st.selectbox(t("wf.ward"), wards, format_func=q.ward_name, key="fn_ward")
    paths = q.funnel_paths(fy)
    path = st.segmented_control(
        t("fn.path"), paths, default="ward" if "ward" in paths else paths[0], format_func=lambda p: t(f"wf.path.{p}"), key="fn_path"
    ) or ("ward" if "ward" in paths else paths[0])
    programmes = q.funnel_programmes(fy, path)
    programme = None
    if len(programmes) > 1:  # two cities on one path (Izumi, Beppu): never add them up
        programme = st.selectbox(t("fn.programme"), list(programmes), format_func=programmes.get, key="fn_programme")

if not scope.persons:
    safe = q_safe.safe_funnel(principal, fy, path, programme)
    st.caption(t("fn.safe.lead"))
    st.subheader(t("fn.chart"))
    if safe.chart:
        funnel_chart([label for label, _ in safe.chart], [n for _, n in safe.chart])
    if safe.hidden_stages:
        st.caption(t("fn.safe.chart_hidden", n=safe.hidden_stages))
    for key, table in (("fn_safe_funnel", safe.funnel), ("fn_safe_exclusions", safe.exclusions)):
        st.subheader(table.title)
        st.dataframe(table.to_frame(display=True), hide_index=True, width="stretch", key=key)  # text cells only
        for note in table.notes:
            st.caption(note)
    st.info(t("fn.aggregate_only"))
    st.stop()

view = q.funnel_view(fy, ward, principal, path, programme)
bars = view.bars
main = bars[bars["kind"] == "main"]
counts = dict(zip(bars["stage"], bars["n"], strict=True))

if path == "ward":
    with st.container(horizontal=True, key="fn_metrics"):
        for stage in ("cohort", "listed", "secondary_passed", "conference_approach", "approached", "contacted",
                      "contact_pending"):  # fmt: skip
            st.metric(t(f"fn.metric.{stage}"), fmt_int(counts.get(stage, 0)), border=True)

st.subheader(t("fn.chart"))
funnel_chart(list(main["label_ja"]), [int(n) for n in main["n"]])

left, right = st.columns(2, gap="large")
with left:
    st.subheader(t("fn.conversion"))
    conv = view.conversion
    st.dataframe(
        conv[["to_label_ja", "from_n", "to_n", "rate"]],
        hide_index=True,
        width="stretch",
        key="fn_conversion",
        column_config={
            "to_label_ja": st.column_config.TextColumn(t("fn.col.label")),
            "from_n": st.column_config.NumberColumn(t("fn.col.from_n"), format="localized"),
            "to_n": st.column_config.NumberColumn(t("fn.col.to_n"), format="localized"),
            "rate": st.column_config.NumberColumn(t("fn.col.rate"), format="percent"),
        },
    )
    st.subheader(t("fn.branches"))
    branches = bars[bars["kind"] != "main"][["label_ja", "n"]]
    st.dataframe(
        branches,
        hide_index=True,
        width="stretch",
        key="fn_branches",
        column_config={
            "label_ja": st.column_config.TextColumn(t("fn.col.label")),
            "n": st.column_config.NumberColumn(t("fn.col.n"), format="localized"),
        },
    )
with right:
    st.subheader(t("fn.exclusions"))
    excl = view.exclusions
    st.dataframe(
        excl[["stage_label_ja", "department_label_ja", "reason_label_ja", "n"]],
        hide_index=True,
        width="stretch",
        key="fn_exclusions",
        column_config={
            "stage_label_ja": st.column_config.TextColumn(t("fn.col.label")),
            "department_label_ja": st.column_config.TextColumn(t("fn.col.department")),
            "reason_label_ja": st.column_config.TextColumn(t("fn.col.reason")),
            "n": st.column_config.NumberColumn(t("fn.col.n"), format="localized"),
        },
    )
    st.subheader(t("fn.durations"))
    st.dataframe(
        view.durations,
        hide_index=True,
        width="stretch",
        key="fn_durations",
        column_config={
            "label_ja": st.column_config.TextColumn(t("fn.col.label")),
            "n": st.column_config.NumberColumn(t("fn.col.n"), format="localized"),
            "median_days": st.column_config.NumberColumn(t("fn.col.median")),
            "p90_days": st.column_config.NumberColumn(t("fn.col.p90")),
            "max_days": st.column_config.NumberColumn(t("fn.col.max")),
        },
    )

st.subheader(t("fn.years"))
years_frame = view.years
if not years_frame.empty:
    year_cols = [c for c in years_frame.columns if isinstance(c, int | float) and not isinstance(c, bool)]
    table = years_frame[["label_ja", *year_cols]].rename(columns={c: f"{int(c)}年度" for c in year_cols})
    st.dataframe(table, hide_index=True, width="stretch", key="fn_years",
                 column_config={"label_ja": st.column_config.TextColumn(t("fn.col.label"))})  # fmt: skip

if path == "ward":
    st.subheader(t("fn.pending"))
    pending = q.pending_contacts(fy, ward, principal)
    if pending.empty:
        st.success(t("fn.pending.none"))
    else:
        st.dataframe(
            pending,
            hide_index=True,
            width="stretch",
            key="fn_pending",
            column_config={
                "resident_id": st.column_config.TextColumn(t("fn.col.resident_id")),
                "ward_code": st.column_config.TextColumn(t("wf.ward")),
                "assigned_staff": st.column_config.TextColumn(t("fn.col.assigned_staff")),
                "approach_on": st.column_config.DateColumn(t("fn.col.approach_on")),
                "attempts": st.column_config.NumberColumn(t("fn.col.attempts")),
                "last_attempt_on": st.column_config.DateColumn(t("fn.col.last_attempt_on")),
                "last_attempt_result": st.column_config.TextColumn(t("fn.col.last_attempt_result")),
                "days_since_approach": st.column_config.NumberColumn(t("fn.col.days")),
            },
        )

st.subheader(t("fn.drill"))
st.caption(t("fn.drill.caption"))
drillable = bars[bars["stage"].isin(q.DRILLDOWN_STAGES)]
labels = dict(zip(drillable["stage"], drillable["label_ja"], strict=True))
stage = st.selectbox(t("fn.drill.stage"), list(labels), format_func=lambda s: f"{labels[s]}（{fmt_int(counts.get(s, 0))}名）",
                     key="fn_drill_stage")  # fmt: skip
if stage:
    children = q.funnel_children(fy, stage, ward, principal, programme)
    st.caption(t("fn.drill.count", n=fmt_int(len(children))))
    if children.empty:
        st.info(t("fn.drill.none"))
    else:
        cols = [c for c in ("resident_id", "ward_code", "school_code", "rank", "current_stage", "exclusion_reason",
                            "assigned_staff", "attempts", "needs", "contacted_on") if c in children.columns]  # fmt: skip
        st.dataframe(children[cols], hide_index=True, width="stretch", key="fn_drill_table")
