"""What a person typed into a form when their session expired, kept until they sign in again.

A nurse who writes a visit record for longer than the idle timeout and then presses 保存 sends
the form with that click; the session is found expired on the same run and the sign-in form is
shown instead of the record. The values that click carried are kept here (server-side session
state only, never the browser), and when the same person signs back in the form is drawn with
them again, so nothing typed is lost (decision 060). A different person signing in at the same
browser never sees them: they are dropped.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import streamlit as st

FORM_WIDGET_PREFIX = "kdf_"  # ui/forms.py's widget keys
FORM_STATE_KEY = "_kd_form_state"  # ui/forms.py's per-form state (versions, tokens, messages)
_KEPT = "_kd_kept_input"
_BUTTON_SUFFIXES = ("_draft", "_submit", "_reload", "_print")


def keep(username: str) -> int:
    """Copy the form widgets' values of this run aside for `username`; returns how many."""
    values = {k: v for k, v in st.session_state.items()
              if isinstance(k, str) and k.startswith(FORM_WIDGET_PREFIX) and not k.endswith(_BUTTON_SUFFIXES)}  # fmt: skip
    if values:
        st.session_state[_KEPT] = {"user": username, "values": values}
    return len(values)


def forget_forms() -> None:
    """Drop every form widget's value and the renderer's state from this browser session.

    Called at every sign-out and expiry, after ``keep``: Streamlit would otherwise hold the values
    of widgets that are not drawn, and the next person to sign in at this browser would see them.
    """
    for key in [k for k in st.session_state.keys() if isinstance(k, str) and k.startswith(FORM_WIDGET_PREFIX)]:
        del st.session_state[key]
    st.session_state.pop(FORM_STATE_KEY, None)


def signed_in(username: str) -> None:
    """After sign-in: keep the input only for the person who typed it."""
    kept = st.session_state.get(_KEPT)
    if kept and kept.get("user") != username:
        st.session_state.pop(_KEPT, None)


def take(username: str, key: str, default: Any) -> Any:
    """The kept value of one widget (as the form stores it), or `default`; each value is used once."""
    kept = st.session_state.get(_KEPT)
    if not kept or kept.get("user") != username or key not in kept["values"]:
        return default
    value = kept["values"].pop(key)
    if not kept["values"]:
        st.session_state.pop(_KEPT, None)
    return value.isoformat() if isinstance(value, dt.date) else value
