from kodomo_dash.ui import widgets as ui
ui.require_entrypoint()
from kodomo_dash.ui.current import require
principal = require("privacy_checklist")

# ruff: noqa: E402, I001 - the four guard lines must come first, exactly as on every page.
# プライバシーチェック: Fukuoka's eight annual privacy check items, each answered with a date, a person and
# the evidence, kept per fiscal year. Only the current year can be saved (past years read-only).
# Layout only: reads, validation, the save and its audit row are kodomo_dash.services.privacy.
import datetime as dt

import streamlit as st

from kodomo_dash.services.access import can
from kodomo_dash.services.privacy import ITEMS_EN, ITEMS_JA, MAX_EVIDENCE, MAX_PERSON, fy_label
from kodomo_dash.ui.i18n import current_lang, error_text, fmt_date, fmt_datetime, t
from kodomo_dash.services import privacy as q

RESULT_KEY = "pc_result"  # {item_no: (ok, message)} of the last save, shown once

st.title(t("page.privacy_checklist"))
st.caption(t("privacy.lead"))

current = q.fiscal_year()
years = q.fiscal_years(principal)
fy = st.selectbox(t("privacy.year"), years, key="pc_fy", format_func=fy_label)
answers = q.checklist(principal, fy)
editable = fy == current and can(principal, "privacy_checklist", "save")
st.progress(len(answers) / len(ITEMS_JA), text=t("privacy.done", done=len(answers), total=len(ITEMS_JA)))
if fy != current:
    st.info(t("privacy.read_only"), icon=":material/lock:")
elif not editable:
    st.info(t("privacy.no_right"))

items = ITEMS_JA if current_lang() == "ja" else ITEMS_EN
results: dict = st.session_state.pop(RESULT_KEY, {})


def _save(item_no: int) -> None:
    prefix = f"pc_{fy}_{item_no}"
    try:
        q.save_answer(principal, fy, item_no, st.session_state.get(f"{prefix}_done"),
                      st.session_state.get(f"{prefix}_person", ""), st.session_state.get(f"{prefix}_evidence", ""))
        outcome = (True, t("privacy.saved"))
    except q.ChecklistError as e:
        outcome = (False, error_text(e))
    st.session_state.setdefault(RESULT_KEY, {})[item_no] = outcome


for n, text in enumerate(items, start=1):
    answer = answers.get(n)
    with st.container(border=True, key=f"pc_item_{n}"):
        st.markdown(f"**{t('privacy.item', n=n)}**　{text}")  # fixed text from the report, not user input
        if answer is not None:
            # Typed text goes through st.text (never markdown/HTML): <script> shows as characters.
            st.text(t("privacy.recorded", done_on=fmt_date(answer.done_on), person=answer.person,
                      saved_by=answer.saved_by, saved_at=fmt_datetime(answer.saved_at)))
            if not editable:
                st.text(answer.evidence)
        elif not editable:
            st.text(t("privacy.not_recorded"))
        if editable:
            prefix = f"pc_{fy}_{n}"
            with st.form(f"pc_form_{fy}_{n}"):
                c1, c2 = st.columns([1, 2])
                c1.date_input(t("privacy.done_on"), value=answer.done_on if answer else dt.date.today(),
                              min_value=dt.date(fy - 1, 4, 1), max_value=dt.date.today(), key=f"{prefix}_done")
                c2.text_input(t("privacy.person"), value=answer.person if answer else "", key=f"{prefix}_person",
                              help=f"{MAX_PERSON}文字まで")
                st.text_area(t("privacy.evidence"), value=answer.evidence if answer else "", key=f"{prefix}_evidence",
                             help=f"{MAX_EVIDENCE}文字まで", height=100)
                st.form_submit_button(t("privacy.save"), on_click=ui.guarded(_save), args=(n,))
        if n in results:
            ok, message = results[n]
            (st.success if ok else st.error)(message)
