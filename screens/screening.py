from kodomo_dash.ui import widgets as ui
ui.require_entrypoint()
from kodomo_dash.ui.current import require
principal = require("screening")

# ruff: noqa: E402, I001 - the four guard lines must come first, exactly as on every page.
# スクリーニング: choose a method, a cohort, parameters and top N or a threshold; run → a draft list
# saved in casework; a manager accepts it; compare with an earlier run (who enters, who leaves).
# Layout only: reads and writes are in kodomo_dash.services.screening.

import streamlit as st

from kodomo_dash.services.access import can
from kodomo_dash.services.errors import CaseworkError
from kodomo_dash.ui.i18n import error_text, fmt_int, t
from kodomo_dash.services import WarehouseMissing
from kodomo_dash.services import screening as q
from kodomo_dash.services.home import current_build
from kodomo_dash.services.errors import ScreeningError

RUN_KEY = "sc_current_run"
SUBMIT_KEY = "sc_submit_requested"
ACCEPT_ERROR_KEY = "sc_accept_error"
ACCEPTED_KEY = "sc_accepted_list"
COHORTS = ("fukuoka_unenrolled_3_6", "school_children", "all_children")

st.title(t("page.screening"))
st.caption(t("sc.lead"))

try:
    build = current_build()
except WarehouseMissing:
    ui.warehouse_missing_notice()
    st.stop()

may_save = can(principal, "screening", "save")
labels = q.method_labels()

# ---------------------------------------------------------------- capacity planner
with st.expander(t("sc.capacity.title"), icon=":material/calculate:"):
    st.caption(t("sc.capacity.caption"))
    c1, c2 = st.columns(2)
    visits = c1.number_input(t("sc.capacity.visits"), min_value=0, value=146, step=1, key="sc_cap_visits")
    per_family = c2.number_input(t("sc.capacity.per_family"), min_value=0.5, value=2.0, step=0.5,
                                 key="sc_cap_per_family")
    try:
        plan = q.capacity_plan(float(visits), float(per_family))
        st.metric(t("sc.capacity.list_size"), fmt_int(plan.list_size), border=True)
        table = plan.table()
        fig = ui.bar_chart(table["stage_ja"], table["expected"], x_title=t("sc.capacity.stage"),
                           y_title=t("sc.capacity.expected"), height=280)
        st.plotly_chart(fig, width="stretch", key="sc_capacity_bar", alt=t("sc.capacity.title"))
    except ScreeningError as e:
        st.error(error_text(e))

# ---------------------------------------------------------------- run form
if may_save:
    st.subheader(t("sc.run.title"))
    left, right = st.columns(2)
    method = left.selectbox(t("sc.method"), list(labels), format_func=labels.__getitem__, key="sc_method")
    cohort = right.selectbox(t("sc.cohort"), COHORTS, format_func=lambda c: t(f"sc.cohort.{c}"), key="sc_cohort")
    schools: list[str] = []
    if cohort == "school_children":
        sizes = q.school_sizes(build.build_id)
        schools = st.multiselect(t("sc.schools"), list(sizes["school_code"]), select_all=False, key="sc_schools",
                                 default=list(sizes["school_code"][:2]))
    with st.form("sc_run_form"):
        params = {}
        specs = q.param_specs(method)
        cols = st.columns(3)
        for i, spec in enumerate(specs):
            box = cols[i % 3]
            key = f"sc_p_{method}_{spec.name}"
            if spec.kind == "bool":
                params[spec.name] = box.checkbox(spec.label_ja, value=bool(spec.default), key=key)
            elif spec.kind == "choice":
                params[spec.name] = box.selectbox(spec.label_ja, list(spec.choices),
                                                  index=list(spec.choices).index(spec.default), key=key)
            elif spec.kind == "int":
                params[spec.name] = int(box.number_input(spec.label_ja, value=int(spec.default), step=1, key=key,
                                                         help=spec.help_ja or None))
            else:
                params[spec.name] = float(box.number_input(spec.label_ja, value=float(spec.default), key=key,
                                                           help=spec.help_ja or None))
        selection = st.radio(t("sc.selection"), ["own", "top_n", "threshold"], horizontal=True,
                             format_func=lambda s: t(f"sc.selection.{s}"), key="sc_selection")
        s1, s2 = st.columns(2)
        top_n = s1.number_input(t("sc.top_n"), min_value=1, value=200, step=1, key="sc_top_n")
        threshold = s2.number_input(t("sc.threshold"), value=10.0, key="sc_threshold")
        # A flag set by the callback survives any rerun between the click and this line.
        st.form_submit_button(t("sc.run.submit"), type="primary", key="sc_run_submit",
                              on_click=st.session_state.__setitem__, args=(SUBMIT_KEY, True))
    if st.session_state.pop(SUBMIT_KEY, False):
        bar = st.progress(0.0, text=t("sc.progress.start"))

        def progress(fraction: float, stage: str) -> None:
            bar.progress(fraction, text=t(f"sc.progress.{stage}"))

        try:
            run = q.run_screening(
                principal, build.build_id, method, cohort, params, school_codes=tuple(schools),
                top_n=int(top_n) if selection == "top_n" else None,
                threshold=float(threshold) if selection == "threshold" else None,
                progress=progress,
            )
            st.session_state[RUN_KEY] = run.run_id
            st.session_state["sc_run_pick"] = run.run_id  # show the new run, not the one picked before
            bar.progress(1.0, text=t("sc.progress.done"))
            st.success(t("sc.run.saved", run_id=run.run_id, n=run.list_size, cohort=run.cohort_size,
                         excluded=len(set(run.excluded["resident_id"]))))
        except ScreeningError as e:
            bar.empty()
            st.error(error_text(e), icon=":material/error:")

# ---------------------------------------------------------------- saved runs
st.subheader(t("sc.runs.title"))
history = q.run_history(principal)
if history.empty:
    st.info(t("sc.runs.none"))
    st.stop()

run_ids = list(history["run_id"])
current = st.session_state.get(RUN_KEY)
by_id = history.set_index("run_id")


def _run_option(run_id: str) -> str:
    row = by_id.loc[run_id]
    return t("sc.runs.option", method=row["method_label_ja"], n=int(row["list_size"]),
             status=t(f"sc.status.{row['status']}"), run_id=run_id)


chosen = st.selectbox(t("sc.runs.choose"), run_ids, index=run_ids.index(current) if current in run_ids else 0,
                      key="sc_run_pick", format_func=_run_option)
info = by_id.loc[chosen]
with st.container(horizontal=True, key="sc_run_metrics"):
    st.metric(t("sc.metric.list"), fmt_int(info["list_size"]), border=True)
    st.metric(t("sc.metric.cohort"), fmt_int(info["cohort_size"]), border=True)
    st.metric(t("sc.metric.excluded"), fmt_int(info["excluded_count"]), border=True)
    st.metric(t("sc.metric.status"), t(f"sc.status.{info['status']}"), border=True)



def _accept(run_id: str) -> None:
    try:
        list_id = q.accept(principal, run_id, fy=int(st.session_state["sc_accept_fy"]),
                           programme=st.session_state.get("sc_accept_programme") or "")  # fmt: skip
    except (ScreeningError, CaseworkError) as e:
        st.session_state[ACCEPT_ERROR_KEY] = error_text(e)
    else:
        st.session_state[ACCEPTED_KEY] = list_id


if ACCEPT_ERROR_KEY in st.session_state:
    st.error(st.session_state.pop(ACCEPT_ERROR_KEY))
if ACCEPTED_KEY in st.session_state:
    st.success(t("sc.accepted", list_id=st.session_state.pop(ACCEPTED_KEY)))
    st.page_link("screens/support_record.py", label=t("sc.accepted.next"), icon=":material/edit_note:")
if may_save and info["status"] == "draft" and principal.role in ("manager", "admin"):
    programmes = q.programmes_for(info["method"], info["cohort"])
    with st.container(horizontal=True, key="sc_accept_row", vertical_alignment="bottom"):
        st.selectbox(t("sc.accept.programme"), list(programmes), format_func=programmes.__getitem__,
                     key="sc_accept_programme", placeholder=t("sc.accept.no_programme"))  # fmt: skip
        st.number_input(t("sc.accept.fy"), min_value=2000, max_value=2100, step=1, value=q.fiscal_year(),
                        key="sc_accept_fy")  # fmt: skip
        st.button(t("sc.accept"), type="primary", key="sc_accept", icon=":material/task_alt:", on_click=ui.guarded(_accept),
                  args=(chosen,))

listed = q.saved_list(principal, chosen)
listed = listed.assign(reasons=listed["reasons"].map("、".join))
st.dataframe(
    listed[["rank", "resident_id", "ward_code", "school_code", "score", "reasons"]],
    hide_index=True,
    width="stretch",
    key="sc_list",
    column_config={
        "rank": st.column_config.NumberColumn(t("sc.col.rank"), format="%d"),
        "resident_id": st.column_config.TextColumn(t("sc.col.resident_id")),
        "ward_code": st.column_config.TextColumn(t("sc.col.ward")),
        "school_code": st.column_config.TextColumn(t("sc.col.school")),
        "score": st.column_config.NumberColumn(t("sc.col.score"), format="%.3f"),
        "reasons": st.column_config.TextColumn(t("sc.col.reasons"), width="large"),
    },
)

# ---------------------------------------------------------------- compare with an earlier run
others = [r for r in run_ids if r != chosen]
if others:
    st.subheader(t("sc.compare.title"))
    before = st.selectbox(t("sc.compare.choose"), others, key="sc_compare_pick",
                          format_func=_run_option)
    diff = q.run_diff(principal, before, chosen)
    counts = diff["change"].value_counts()
    with st.container(horizontal=True, key="sc_diff_metrics"):
        for change in ("entered", "left", "stayed"):
            st.metric(t(f"sc.change.{change}"), fmt_int(int(counts.get(change, 0))), border=True)
    st.dataframe(
        diff[diff["change"] != "stayed"][["change_ja", "resident_id", "rank_before", "rank_after"]],
        hide_index=True, width="stretch", key="sc_diff",
        column_config={
            "change_ja": st.column_config.TextColumn(t("sc.col.change")),
            "resident_id": st.column_config.TextColumn(t("sc.col.resident_id")),
            "rank_before": st.column_config.NumberColumn(t("sc.col.rank_before"), format="%d"),
            "rank_after": st.column_config.NumberColumn(t("sc.col.rank_after"), format="%d"),
        },
    )
