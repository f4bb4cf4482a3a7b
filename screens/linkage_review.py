from kodomo_dash.ui import widgets as ui
ui.require_entrypoint()
from kodomo_dash.ui.current import require
principal = require("linkage_review")

# ruff: noqa: E402, I001 - the four guard lines must come first, exactly as on every page.
# 名寄せ確認 (managers): each school record the automatic step could not settle, side by side with
# its registry candidates and the comparison levels that fired; link / not the same child / later.
# Layout only: reads and the decision write are in kodomo_dash.services.linkage.

import math

import pandas as pd
import streamlit as st

from kodomo_dash.services.access import can
from kodomo_dash.ui.i18n import fmt_date, label, t
from kodomo_dash.services import WarehouseMissing
from kodomo_dash.services import linkage as q
from kodomo_dash.services.home import current_build

SAVED_KEY = "lk_saved_message"
FIELDS = ("name_kanji", "name_kana", "sex", "birth_date", "address_text", "address_code", "school_code", "grade",
          "guardian_name", "arrival")
COMPARISONS = ("name", "birth", "sex", "address", "guardian", "arrival")

st.title(t("page.linkage_review"))
st.caption(t("lk.lead"))

try:
    build = current_build()
    queue = q.review_queue(principal)
except WarehouseMissing:
    ui.warehouse_missing_notice()
    st.stop()


def _decide(student_no: str, resident_id: str, decision: str, probability: float | None) -> None:
    q.record_review_decision(principal, student_no, resident_id, decision, probability)
    st.session_state[SAVED_KEY] = t("lk.saved", student_no=student_no, resident_id=resident_id,
                                    decision=t(f"lk.decision.{decision}"))


def _value(field: str, value) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "—"
    if field in ("birth_date", "arrival"):
        return fmt_date(pd.Timestamp(value).date())
    if field == "sex":
        return label("lk.sex", str(value))
    if field == "grade":
        return str(int(value))
    return str(value)


def _levels(row) -> str:
    parts = []
    for comp in COMPARISONS:
        level = row.get(f"lvl_{comp}")
        parts.append(f"{t(f'lk.cmp.{comp}')}: {label('lk.lvl', 'null' if level is None else str(level))}")
    return " ／ ".join(parts)


if SAVED_KEY in st.session_state:
    st.success(st.session_state.pop(SAVED_KEY), icon=":material/check_circle:")
st.info(t("lk.applied_note"), icon=":material/info:")

pupils = list(dict.fromkeys(queue["student_no"]))
with st.container(horizontal=True, key="lk_metrics"):
    st.metric(t("lk.metric.pupils"), f"{len(pupils):,}", border=True)
    st.metric(t("lk.metric.pairs"), f"{len(queue):,}", border=True)

viewed_key = f"lk_viewed_{build.build_id}"
if pupils and not st.session_state.get(viewed_key):
    q.record_queue_view(principal, len(pupils))
    st.session_state[viewed_key] = True

if not pupils:
    st.success(t("lk.empty"))
    st.stop()

may_save = can(principal, "linkage_review", "save")
size = st.segmented_control(t("lk.page_size"), [5, 10, 20], default=10, key="lk_page_size", required=True)
pages = max(1, math.ceil(len(pupils) / size))
page_no = st.number_input(t("lk.page_no"), min_value=1, max_value=pages, value=1, step=1, key="lk_page_no") \
    if pages > 1 else 1
shown = pupils[(page_no - 1) * size: page_no * size]

for student_no in shown:
    cands = queue[queue["student_no"] == student_no].reset_index(drop=True)
    first = cands.iloc[0]
    with st.container(border=True, key=f"lk_pupil_{student_no}"):
        on_hold = (cands["decision"] == "later").all()
        st.subheader(t("lk.pupil", student_no=student_no, n=len(cands)) + (t("lk.later_mark") if on_hold else ""))
        st.caption(t("lk.reason", reason=label("lk.review_reason", first["review_reason"])))
        table = {t("lk.side.school"): [_value(f, first[f"s_{f}"]) for f in FIELDS] + ["", "", ""]}
        for _, c in cands.iterrows():
            head = t("lk.side.candidate", rank=int(c["candidate_rank"]), resident_id=c["resident_id"])
            p = c["match_probability"]
            table[head] = [_value(f, c[f"r_{f}"]) for f in FIELDS] + [
                "—" if pd.isna(p) else f"{float(p):.1%}",
                _levels(c),
                _value("linked_to", c["resident_linked_to"]),
            ]
        index = [t(f"lk.field.{f}") for f in FIELDS] + [t("lk.field.probability"), t("lk.field.levels"),
                                                          t("lk.field.linked_to")]
        st.dataframe(pd.DataFrame(table, index=index), width="stretch", key=f"lk_table_{student_no}")
        for _, c in cands.iterrows():
            rid, prob = str(c["resident_id"]), c["match_probability"]
            prob = None if pd.isna(prob) else float(prob)
            with st.container(horizontal=True, key=f"lk_actions_{c['review_id']}"):
                st.markdown(t("lk.side.candidate", rank=int(c["candidate_rank"]), resident_id=rid)
                            + (t("lk.later_mark") if c["decision"] == "later" else ""))
                for decision, kind in (("link", "primary"), ("not_same", "secondary"), ("later", "tertiary")):
                    st.button(t(f"lk.btn.{decision}"), key=f"lk_{decision}_{c['review_id']}", type=kind,
                              disabled=not may_save, on_click=ui.guarded(_decide), args=(student_no, rid, decision, prob))
