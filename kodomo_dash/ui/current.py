"""The signed-in principal of this Streamlit session, and the guard every page starts with.

app.py puts the principal here after the login flow (and re-checks it on every rerun, so a
revoked right takes effect at once); pages and queries only ever read it from here. Session
state lives on the server, so nothing a browser sends can set it.
"""

from __future__ import annotations

import streamlit as st

from kodomo_dash.security.principal import Principal

PRINCIPAL_KEY = "_kodomo_principal"


def principal() -> Principal | None:
    value = st.session_state.get(PRINCIPAL_KEY)
    return value if isinstance(value, Principal) else None


def set_principal(p: Principal | None) -> None:
    if p is None:
        st.session_state.pop(PRINCIPAL_KEY, None)
    else:
        st.session_state[PRINCIPAL_KEY] = p


def require(page: str, action: str = "view") -> Principal:
    """A page's guard: the signed-in principal if it may do `action` on `page`, else stop."""
    from kodomo_dash.ui.signin import require_page

    p = principal()
    if p is None:
        st.warning("ログインしてください。")
        st.stop()
    require_page(p, page, action)
    return p
