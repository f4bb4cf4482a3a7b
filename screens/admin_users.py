from kodomo_dash.ui import widgets as ui
ui.require_entrypoint()
from kodomo_dash.ui.current import require
principal = require("admin_users")

# ruff: noqa: E402, I001 - the four guard lines must come first, exactly as on every page.
# 利用者管理: every account with role and scope; deactivate and revoke (takes effect on the user's
# next click), end a user's sessions, unlock a locked account, reactivate. All audited.
# Layout only: reads and actions are kodomo_dash.services.users.
import streamlit as st

from kodomo_dash.services.access import can
from kodomo_dash.services.errors import UserFileError
from kodomo_dash.ui.i18n import error_text, t
from kodomo_dash.ui.signin import K_SESSION
from kodomo_dash.services import users as q

RESULT_KEY = "ua_result"

st.title(t("page.admin_users"))
st.caption(t("uadmin.lead"))
st.caption(t("uadmin.audited"))

try:
    table = q.user_table(principal)
except UserFileError as e:
    st.error(error_text(e))
    st.stop()

shown = table.assign(role=[t(f"auth.role.{r}") for r in table["role"]])
# Display names and usernames come from the users file: shown in a dataframe, never as markdown.
st.dataframe(shown, hide_index=True, width="stretch", key="ua_table",
             column_config={c: st.column_config.Column(t(f"uadmin.col.{c}")) for c in shown.columns})

if not can(principal, "admin_users", "save"):
    st.stop()

result = st.session_state.pop(RESULT_KEY, None)
if result is not None:
    ok, message = result
    (st.success if ok else st.error)(message)

names = list(table["username"])
user = st.selectbox(t("uadmin.pick"), names, key="ua_user")
row = table.set_index("username").loc[user]
st.text(t("uadmin.status", active=t("uadmin.active") if row["active"] else t("uadmin.inactive"),
          locked=t("uadmin.yes") if row["locked"] else t("uadmin.no"), failures=int(row["failures"]),
          epoch=int(row["epoch"])))


def _act(action: str, username: str) -> None:
    try:
        if action == "deactivate":
            q.revoke_user(principal, username, deactivate=True)
            message = t("uadmin.revoked", user=username)
        elif action == "end_sessions":
            q.revoke_user(principal, username, deactivate=False)
            message = t("uadmin.sessions_ended", user=username)
        elif action == "unlock":
            q.unlock_user(principal, username)
            message = t("uadmin.unlocked", user=username)
        else:
            q.reactivate_user(principal, username)
            message = t("uadmin.reactivated", user=username)
        st.session_state[RESULT_KEY] = (True, message)
    except (q.UserActionRefused, UserFileError) as e:
        st.session_state[RESULT_KEY] = (False, error_text(e))


def _end_session(short_id: str) -> None:
    try:
        who = q.end_session(principal, short_id)
        st.session_state[RESULT_KEY] = (True, t("uadmin.sessions.ended", session=short_id, user=who))
    except q.UserActionRefused as e:
        st.session_state[RESULT_KEY] = (False, error_text(e))


is_self = user == principal.username
with st.container(horizontal=True, key="ua_actions"):
    if row["active"]:
        st.button(t("uadmin.deactivate"), key="ua_deactivate", type="primary", icon=":material/person_off:",
                  disabled=is_self, on_click=ui.guarded(_act), args=("deactivate", user))
    else:
        st.button(t("uadmin.reactivate"), key="ua_reactivate", icon=":material/person_check:",
                  on_click=ui.guarded(_act), args=("reactivate", user))
    st.button(t("uadmin.end_sessions"), key="ua_end_sessions", icon=":material/logout:", disabled=is_self,
              on_click=ui.guarded(_act), args=("end_sessions", user))
    st.button(t("uadmin.unlock"), key="ua_unlock", icon=":material/lock_open:",
              disabled=not (row["locked"] or row["failures"]), on_click=ui.guarded(_act), args=("unlock", user))
if is_self:
    st.caption(t("uadmin.self"))

st.subheader(t("uadmin.sessions.title"))
open_now = q.open_sessions(principal)
if open_now.empty:
    st.caption(t("uadmin.sessions.none"))
else:
    st.dataframe(open_now, hide_index=True, width="stretch", key="ua_sessions",
                 column_config={c: st.column_config.Column(t(f"uadmin.sessions.col.{c}")) for c in open_now.columns})
    own = getattr(st.session_state.get(K_SESSION), "short_id", None)
    choices = [s for s in open_now["short_id"] if s != own]
    if choices:
        chosen = st.selectbox(t("uadmin.sessions.pick"), choices, key="ua_session_pick",
                              format_func=lambda s: f"{s}（{open_now.set_index('short_id').loc[s, 'username']}）")
        st.button(t("uadmin.sessions.end"), key="ua_session_end", icon=":material/logout:",
                  on_click=ui.guarded(_end_session), args=(chosen,))
