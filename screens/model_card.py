from kodomo_dash.ui import widgets as ui
ui.require_entrypoint()
from kodomo_dash.ui.current import require
principal = require("model_card")

# ruff: noqa: E402, I001 - the four guard lines must come first, exactly as on every page.
# モデルカード: AUC, PR-AUC, precision at k, calibration, global importance (図表 7-2), the four
# methods side by side on one cohort, and fairness by group with warnings. Aggregates only.
# Layout only: every figure comes from kodomo_dash.services.screening.model_card.

import plotly.graph_objects as go
import streamlit as st

from kodomo_dash.ui.i18n import t
from kodomo_dash.services import WarehouseMissing
from kodomo_dash.services import screening as q
from kodomo_dash.services.home import current_build

st.title(t("page.model_card"))
st.caption(t("mc.lead"))

try:
    build = current_build()
except WarehouseMissing:
    ui.warehouse_missing_notice()
    st.stop()

model = q.existing_model()
if model is None:
    st.info(t("mc.no_model"), icon=":material/model_training:")
    st.stop()

with st.spinner(t("mc.computing")):  # shown only when the figures are not stored yet (decision 054)
    card = q.model_card(build.build_id, model.model_version)
size = st.segmented_control(t("mc.compare.size"), card["sizes"], default=min(20, card["sizes"][-1]), required=True,
                            key="mc_list_size")
m = card["metrics"]
st.caption(f"{model.model_version} ・ {model.created_at} ・ n={card['holdout']:,}")
with st.container(horizontal=True, key="mc_metrics"):
    st.metric(t("mc.metric.auc"), f"{m['auc']:.3f}", border=True)
    st.metric(t("mc.metric.pr_auc"), f"{m['pr_auc']:.3f}", border=True)
    for k in (10, 20, 50, 100, 200):
        if f"precision_at_{k}" in m:
            st.metric(t("mc.metric.precision_at", k=k), f"{m[f'precision_at_{k}']:.1%}", border=True)
    st.metric(t("mc.metric.base_rate"), f"{m['base_rate']:.1%}", border=True)
st.caption(t("mc.anchors"))

left, right = st.columns(2, gap="large")
with left:
    st.subheader(t("mc.calibration"))
    cal = card["calibration"]
    fig = go.Figure([
        go.Scatter(x=[0, 1], y=[0, 1], mode="lines", line={"dash": "dot", "color": "gray"}, hoverinfo="skip"),
        go.Scatter(x=cal["mean_predicted"], y=cal["observed_rate"], mode="lines+markers", text=cal["n"],
                   hovertemplate="%{x:.3f} → %{y:.3f} (n=%{text})<extra></extra>"),
    ])
    top = float(max(cal["mean_predicted"].max(), cal["observed_rate"].max(), 0.05)) * 1.1
    fig.update_layout(height=360, showlegend=False, margin={"l": 8, "r": 8, "t": 24, "b": 8},
                      xaxis={"title": {"text": t("mc.calibration.x")}, "range": [0, top]},
                      yaxis={"title": {"text": t("mc.calibration.y")}, "range": [0, top]})
    st.plotly_chart(fig, width="stretch", key="mc_calibration", alt=t("mc.calibration"))
with right:
    st.subheader(t("mc.importance"))
    imp = card["importance"].head(15)
    if len(imp):
        bar = go.Bar(x=imp["mean_abs_shap"], y=imp["label_ja"], orientation="h", text=imp["direction_ja"],
                     hovertemplate="%{y}: %{x:.3f}（%{text}）<extra></extra>")
        fig = go.Figure(bar)
        fig.update_layout(height=max(300, 28 * len(imp) + 80), margin={"l": 8, "r": 8, "t": 24, "b": 8},
                          xaxis={"title": {"text": t("mc.importance.x")}},
                          yaxis={"autorange": "reversed", "automargin": True})
        st.plotly_chart(fig, width="stretch", key="mc_importance", alt=t("mc.importance"))

st.subheader(t("mc.compare"))
cmp = card["comparison"][size]
st.caption(t("mc.compare.caption"))
cols = ["label_ja", "list_size", "precision_at_list", "recall_of_label", "auc"]
cols += [c for c in ("expected_precision", "precision_of_true_need", "recall_of_true_need") if c in cmp.columns]
cols += ["label_columns"]
st.dataframe(
    cmp[cols], hide_index=True, width="stretch", key="mc_compare",
    column_config={
        "label_ja": st.column_config.TextColumn(t("mc.col.method")),
        "list_size": st.column_config.NumberColumn(t("mc.col.list_size"), format="%d"),
        "precision_at_list": st.column_config.NumberColumn(t("mc.col.precision"), format="percent"),
        "recall_of_label": st.column_config.NumberColumn(t("mc.col.recall"), format="percent"),
        "auc": st.column_config.NumberColumn(t("mc.col.auc"), format="%.3f"),
        "expected_precision": st.column_config.NumberColumn(t("mc.col.expected_precision"), format="percent",
                                                            help=t("mc.col.expected_precision.help")),
        "precision_of_true_need": st.column_config.NumberColumn(t("mc.col.precision_need"), format="percent"),
        "recall_of_true_need": st.column_config.NumberColumn(t("mc.col.recall_need"), format="percent"),
        "label_columns": st.column_config.TextColumn(t("mc.col.label_columns"), help=t("mc.col.label_columns.help")),
    },
)

st.subheader(t("mc.curve"))
curves = card["curves"]
measures = list(dict.fromkeys(curves["measure"]))
default = "expected_precision" if "expected_precision" in measures else measures[0]
measure = st.segmented_control(t("mc.curve.measure"), measures, default=default, required=True, key="mc_curve_measure",
                               format_func=lambda m: t(f"mc.measure.{m}"))
shown = curves[curves["measure"] == measure]
fig = go.Figure([
    go.Scatter(x=g["list_size"], y=g["value"], mode="lines+markers", name=name,
               line={"dash": "dot" if key.endswith("_label_free") else "solid"},
               hovertemplate="%{x}人: %{y:.1%}<extra>" + name + "</extra>")
    for (key, name), g in shown.groupby(["method", "label_ja"], sort=False)
])
fig.update_layout(height=380, margin={"l": 8, "r": 8, "t": 24, "b": 8}, legend={"orientation": "h", "y": -0.25},
                  xaxis={"title": {"text": t("mc.curve.x")}, "type": "log", "tickvals": sorted(shown["list_size"].unique())},
                  yaxis={"title": {"text": t(f"mc.measure.{measure}")}, "tickformat": ".0%", "rangemode": "tozero"})
st.plotly_chart(fig, width="stretch", key="mc_curve", alt=t("mc.curve"))
st.caption(t("mc.curve.caption"))

st.subheader(t("mc.fairness"))
st.caption(t("mc.fairness.caption"))
for warning in card["warnings"][size]:
    st.warning(warning, icon=":material/warning:")
if not card["warnings"][size]:
    st.success(t("mc.fairness.ok"))
fair = card["fairness_table"][size]
fcols = ["attribute_ja", "group", "n", "selection_rate", "tpr", "fpr"]
fcols += [c for c in ("calibration_gap",) if c in fair.columns]
st.dataframe(
    fair[fcols], hide_index=True, width="stretch", key="mc_fairness",
    column_config={
        "attribute_ja": st.column_config.TextColumn(t("mc.col.attribute")),
        "group": st.column_config.TextColumn(t("mc.col.group")),
        "n": st.column_config.NumberColumn(t("mc.col.n"), format="localized"),
        "selection_rate": st.column_config.NumberColumn(t("mc.col.selection_rate"), format="percent"),
        "tpr": st.column_config.NumberColumn(t("mc.col.tpr"), format="percent"),
        "fpr": st.column_config.NumberColumn(t("mc.col.fpr"), format="percent"),
        "calibration_gap": st.column_config.NumberColumn(t("mc.col.calibration_gap"), format="%.3f"),
    },
)

# Synthetic builds only: the generator's truth gives a Bayes-optimal reference, stored with the
# card's other figures (computed once per build and model, where the model was trained).
st.subheader(t("mc.bayes"))
st.caption(t("mc.bayes.caption"))
if q.truth_dir() is None:
    st.info(t("mc.bayes.none", path=q.expected_truth_dir()), icon=":material/info:")
else:
    ref = q.bayes_reference(build.build_id, model.model_version)
    if ref is not None:
        with st.container(horizontal=True, key="mc_bayes"):
            st.metric(t("mc.metric.auc"), f"{m['auc']:.3f}", border=True)
            st.metric(t("mc.bayes.model"), f"{ref['model_expected_auc']:.3f}", border=True)
            st.metric(t("mc.bayes.optimal"), f"{ref['bayes_optimal_auc']:.3f}", border=True)
            st.metric(t("mc.bayes.share"), f"{ref['model_auc_share_of_bayes']:.1%}", border=True)
            st.metric(t("mc.bayes.oracle"), f"{ref['latent_oracle_auc']:.3f}", border=True)
        st.caption(t("mc.bayes.explain", n=f"{ref['reference_children']:,}", pos=ref["reference_expected_positives"]))
