from kodomo_dash.ui import widgets as ui
ui.require_entrypoint()
from kodomo_dash.ui.current import require
principal = require("rules")

# ruff: noqa: E402, I001 - the four guard lines must come first, exactly as on every page.
# ルール設定: the Amagasaki rule points (表 8-2, 表 8-3) as editable data; validation errors in
# Japanese; a new version saved with who and when; who enters and leaves the list before saving.
# Layout only: reads and the save are in kodomo_dash.services.screening.

import pandas as pd
import streamlit as st

from kodomo_dash.services.access import can
from kodomo_dash.ui.i18n import error_text, fmt_datetime, fmt_int, t
from kodomo_dash.services import WarehouseMissing
from kodomo_dash.services import screening as q
from kodomo_dash.services.home import current_build
from kodomo_dash.services.errors import ScreeningError

RULE_SET = "amagasaki"
SAVED_KEY = "rules_saved_message"

st.title(t("page.rules"))
st.caption(t("rules.lead"))

try:
    build = current_build()
except WarehouseMissing:
    ui.warehouse_missing_notice()
    st.stop()

may_save = can(principal, "rules", "save")
version, rule_set = q.latest_rule_set(principal, RULE_SET)
st.caption(t("rules.version", version=version.version, created_by=version.created_by,
             created_at=fmt_datetime(version.created_at)))
if SAVED_KEY in st.session_state:
    st.success(st.session_state.pop(SAVED_KEY))
if not may_save:
    st.info(t("rules.read_only"))

items = rule_set.point_table()
st.subheader(t("rules.items"))
edited_items = st.data_editor(
    items[["key", "section_ja", "item_no", "label_ja", "target_ja", "condition_ja", "points", "enabled"]],
    hide_index=True, width="stretch", key=f"rules_items_{version.rule_set_id}", disabled=not may_save,
    column_config={
        "key": None,
        "section_ja": st.column_config.TextColumn(t("rules.col.section"), disabled=True),
        "item_no": st.column_config.NumberColumn("No.", disabled=True, format="%d"),
        "label_ja": st.column_config.TextColumn(t("rules.col.label"), disabled=True),
        "target_ja": st.column_config.TextColumn("対象", disabled=True),
        "condition_ja": st.column_config.TextColumn("条件", disabled=True, width="large"),
        "points": st.column_config.NumberColumn(t("rules.col.points")),
        "enabled": st.column_config.CheckboxColumn(t("rules.col.enabled")),
    },
)
params = pd.DataFrame([{"key": p.key, "label_ja": p.label_ja, "value": p.value, "min": p.min, "max": p.max,
                        "unit": p.unit} for p in rule_set.params.values()])
st.subheader(t("rules.params"))
edited_params = st.data_editor(
    params, hide_index=True, width="stretch", key=f"rules_params_{version.rule_set_id}", disabled=not may_save,
    column_config={
        "key": None,
        "label_ja": st.column_config.TextColumn(t("rules.col.label"), disabled=True),
        "value": st.column_config.NumberColumn(t("rules.col.value")),
        "min": st.column_config.NumberColumn("最小", disabled=True),
        "max": st.column_config.NumberColumn("最大", disabled=True),
        "unit": st.column_config.TextColumn("単位", disabled=True),
    },
)

try:
    candidate = q.edited_rule_set(rule_set, edited_items, edited_params)
except ScreeningError as e:
    st.error(error_text(e), icon=":material/error:")
    candidate = None

if candidate is not None and candidate.checksum() != rule_set.checksum():
    st.subheader(t("rules.preview"))
    changes = q.rule_set_changes(rule_set, candidate)
    st.markdown(f"**{t('rules.changes')}**")
    st.dataframe(changes[["label_ja", "before", "after"]].astype(str), hide_index=True, width="stretch",
                 key="rules_changes")
    diff = q.diff_with_previous_version(principal, build.build_id, rule_set, candidate)
    counts = diff["change"].value_counts()
    with st.container(horizontal=True, key="rules_diff_metrics"):
        for change in ("entered", "left", "stayed"):
            st.metric(t(f"sc.change.{change}"), fmt_int(int(counts.get(change, 0))), border=True)
    st.dataframe(diff[diff["change"] != "stayed"][["change_ja", "resident_id", "score_before", "score_after"]],
                 hide_index=True, width="stretch", key="rules_diff")
    if may_save:
        note = st.text_input(t("rules.note"), key="rules_note", max_chars=200)

        def _save() -> None:
            saved = q.save_rule_set(principal, candidate, version.rule_set_id, note or None)
            st.session_state[SAVED_KEY] = t("rules.saved", version=saved.version)

        st.button(t("rules.save"), type="primary", key="rules_save", on_click=ui.guarded(_save))
elif candidate is not None:
    st.caption(t("rules.unchanged"))

with st.expander(t("rules.history")):
    st.dataframe(q.rule_set_history(RULE_SET)[["version", "created_by", "created_at", "note"]], hide_index=True,
                 width="stretch", key="rules_history")
