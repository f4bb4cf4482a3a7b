from kodomo_dash.ui import widgets as ui
ui.require_entrypoint()
from kodomo_dash.ui.current import require
principal = require("presentation")

# ruff: noqa: E402, I001 - the four guard lines must come first, exactly as on every page.
# 成果報告会: the year-end deck on screen, one slide (a chart or a table) at a time in large type,
# in the order of the report, with 前へ / 次へ; PPTX and PDF downloads are the same deck, audited.
# Layout only: the deck comes from kodomo_dash.services.outcomes (safe aggregates).
import streamlit as st

from kodomo_dash.services.access import can
from kodomo_dash.ui.i18n import t
from kodomo_dash.services import outcomes as q

if not q.has_casework():
    st.title(t("pres.title"))
    st.info(t("wf.no_casework"))
    st.stop()
inputs = q.outcome_inputs(principal, page="presentation")
if not inputs.years:
    st.title(t("pres.title"))
    st.info(t("wf.no_casework"))
    st.stop()
fy = st.sidebar.selectbox(t("wf.fy"), inputs.years, key="pres_fy")
deck = q.deck_for_year(inputs, fy, charts=False)
n = len(deck.slides)
pos = min(max(int(st.session_state.get("pres_pos", 0)), 0), n - 1)


def _move(step: int) -> None:
    st.session_state["pres_pos"] = min(max(pos + step, 0), n - 1)


with st.container(horizontal=True, key="pres_nav", vertical_alignment="center"):
    st.button(t("pres.prev"), key="pres_prev", icon=":material/arrow_back:", on_click=_move, args=(-1,), disabled=pos == 0)
    st.markdown(f"**{t('pres.position', i=pos + 1, n=n)}**")
    st.button(t("pres.next"), key="pres_next", icon=":material/arrow_forward:", on_click=_move, args=(1,),
              disabled=pos == n - 1)  # fmt: skip

slide = deck.slides[pos]
with st.container(key="pres_slide"):
    st.title(slide.title)
    for line in slide.text:
        st.header(line, divider=False)
    if slide.table is not None:
        frame = slide.table.to_frame(display=True)
        st.dataframe(frame, hide_index=True, width="stretch", height="content", key="pres_table",
                     row_height=48)  # fmt: skip
    for note in slide.footnotes:
        st.caption(note)
if slide.notes:
    with st.expander(t("pres.notes")):
        st.text(slide.notes)

st.divider()
if not can(principal, "presentation", "export"):
    st.caption(t("pres.no_export"))
    st.stop()


def _make(fmt: str) -> None:
    st.session_state[f"pres_file_{fmt}"] = q.deck_bytes(q.deck_for_year(inputs, fy, charts=fmt != "xlsx"), fmt,
                                                        principal, "presentation")  # fmt: skip


with st.container(horizontal=True, key="pres_exports"):
    for fmt, mime in (("pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
                      ("pdf", "application/pdf")):  # fmt: skip
        data = st.session_state.get(f"pres_file_{fmt}")
        if data is None:
            st.button(t("pres.make", fmt=fmt.upper()), key=f"pres_make_{fmt}", on_click=ui.guarded(_make), args=(fmt,))
        else:
            st.download_button(t("pres.download", fmt=fmt.upper()), data=data, mime=mime, key=f"pres_dl_{fmt}",
                               file_name=f"seika_houkoku_{fy}.{fmt}", on_click="ignore", type="primary")  # fmt: skip
st.markdown(
    "<style>.st-key-pres_slide h1{font-size:2.6rem} .st-key-pres_slide [data-testid='stDataFrame']{font-size:1.3rem}</style>",
    unsafe_allow_html=True,
)  # constant CSS only: no data passes through here
