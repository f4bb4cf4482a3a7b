from kodomo_dash.ui import widgets as ui
ui.require_entrypoint()
from kodomo_dash.ui.current import require
principal = require("audit_log")

# ruff: noqa: E402, I001 - the four guard lines must come first, exactly as on every page.
# 操作履歴: the hash-chained audit trail for the administrator — is the chain intact, who did what
# with which child (filter by user, resident id, action and dates), and the mass-download alerts.
# Layout only: reads, the look-up's own audit row and the CSV export are kodomo_dash.services.audit.
import re

import streamlit as st

from kodomo_dash.services.access import can
from kodomo_dash.ui.i18n import t
from kodomo_dash.services import audit as qa

LIMIT = 500
CSV_KEY = "alog_csv"
SUBMIT_KEY = "alog_submitted"
_RESIDENT_ID = re.compile(r"^[0-9A-Za-z_-]{0,32}$")

st.title(t("page.audit_log"))
st.caption(t("alog.lead"))

# ---------- chain verification
st.subheader(t("alog.verify.title"))
# A callback, not the button's return value: the request survives a rerun of the app before the page.
st.button(t("alog.verify.full"), key="alog_verify_full", help=t("alog.verify.full.help"), icon=":material/fact_check:",
          on_click=st.session_state.__setitem__, args=("alog_full_requested", True))
with st.spinner():
    result = qa.verify_status(principal, full=st.session_state.pop("alog_full_requested", False))
if result.ok and result.head_seq is None:
    st.info(t("alog.verify.empty"))
elif result.ok and result.resumed_after:
    st.success(t("alog.verify.resumed", n=f"{result.checked:,}", after=f"{result.resumed_after:,}"),
               icon=":material/verified:")
    st.caption(t("alog.head"))
    st.code(f"{result.head_seq}:{result.head_hash}", language=None)
elif result.ok:
    st.success(t("alog.verify.ok", n=f"{result.checked:,}"), icon=":material/verified:")
    st.caption(t("alog.head"))
    st.code(f"{result.head_seq}:{result.head_hash}", language=None)
else:
    st.error(t("alog.verify.bad"), icon=":material/gpp_bad:")
    for problem in result.problems[:50]:
        st.text(problem)

# ---------- alerts
settings = qa.audit_settings(principal)
st.subheader(t("alog.alerts.title"))
st.caption(t("alog.alerts.caption", window=settings.alert_window_minutes, threshold=settings.alert_threshold))
alerts = qa.mass_download_alerts(principal)
if alerts.empty:
    st.info(t("alog.alerts.none"))
else:
    st.dataframe(alerts, hide_index=True, width="stretch", key="alog_alerts",
                 column_config={c: st.column_config.Column(t(f"alog.col.{c}")) for c in alerts.columns})

# ---------- filter
st.subheader(t("alog.filter.title"))
actions = ["", *sorted(qa.ACTIONS)]
with st.form("alog_filter"):
    c1, c2, c3 = st.columns(3)
    user = c1.selectbox(t("alog.user"), ["", *qa.audit_usernames(principal)], key="alog_user",
                        format_func=lambda u: u or t("alog.user.any"))
    rid = c2.text_input(t("alog.child"), max_chars=32, key="alog_rid", help=t("alog.child.help"))
    action = c3.selectbox(t("alog.action"), actions, key="alog_action",
                          format_func=lambda a: t(f"alog.action.{a}") if a else t("alog.action.any"))
    c4, c5 = st.columns(2)
    since = c4.date_input(t("alog.since"), value=None, key="alog_since")
    until = c5.date_input(t("alog.until"), value=None, key="alog_until")
    # The flag is set by a callback: a button's return value can be lost when a rerun follows at once.
    st.form_submit_button(t("alog.filter"), type="primary", on_click=st.session_state.__setitem__,
                          args=(SUBMIT_KEY, True))
submitted = bool(st.session_state.pop(SUBMIT_KEY, False))

if submitted:
    st.session_state.pop(CSV_KEY, None)
rid = (rid or "").strip()
if not _RESIDENT_ID.match(rid):
    st.warning(t("alog.bad_child"))
    st.stop()
if since and until and since > until:
    st.warning(t("alog.bad_range"))
    st.stop()

rows = qa.audit_rows(principal, username=user or None, resident_id=rid or None, action=action or None,
                     since=since, until=until, limit=LIMIT, record=submitted)
st.caption(t("alog.rows", n=f"{len(rows):,}") + "　" + t("alog.limit", limit=LIMIT))
if rows.empty:
    st.info(t("alog.none"))
    st.stop()
shown = rows.assign(action=[t(f"alog.action.{a}") if a in qa.ACTIONS else a for a in rows["action"]])
st.dataframe(shown, hide_index=True, width="stretch", key="alog_rows",
             column_config={c: st.column_config.Column(t(f"alog.col.{c}")) for c in shown.columns})

if can(principal, "audit_log", "export"):

    def _make_csv() -> None:
        st.session_state[CSV_KEY] = qa.audit_csv(principal, rows)

    st.button(t("alog.export"), key="alog_make_csv", icon=":material/download:", on_click=ui.guarded(_make_csv))
    if CSV_KEY in st.session_state:
        st.download_button(t("alog.download"), st.session_state[CSV_KEY], file_name="audit_log.csv",
                           mime="text/csv", key="alog_download", on_click="ignore")
