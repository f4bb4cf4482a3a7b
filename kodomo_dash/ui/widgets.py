"""Small page pieces shared by every screen: the language switch, the no-build notice, charts.

They live here rather than in each page so that every screen looks and behaves the same, and
so pages stay pure layout. Nothing here reads the database.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import plotly.graph_objects as go
import streamlit as st

from kodomo_dash.ui import i18n
from kodomo_dash.ui.i18n import t
from kodomo_dash.ui.signin import guarded as guarded  # screens wrap their write callbacks

_LANG_WIDGET_KEY = "_lang_toggle"
_ENTRYPOINT_RUNNING: ContextVar[bool] = ContextVar("kodomo_entrypoint_running", default=False)


@contextmanager
def entrypoint() -> Iterator[None]:
    """Mark the page run started by ``app.py`` (wrap ``st.navigation(...).run()`` in it)."""
    token = _ENTRYPOINT_RUNNING.set(True)
    try:
        yield
    finally:
        _ENTRYPOINT_RUNNING.reset(token)


def require_entrypoint() -> None:
    """First line of every screen: never run a screen except through ``app.py``.

    Screens live in ``screens/``, not ``pages/``: a ``pages/`` folder beside ``app.py`` switches
    on Streamlit's legacy multipage mode, in which the first run of a fresh server (and every
    ``AppTest`` run) executes a page file alone and this guard had to rerun it through
    ``app.py`` — a rerun that swallowed the click that started it (docs/decisions/053). Without
    that folder the only way here without ``app.py`` is ``streamlit run screens/x.py``, which
    gets a Japanese message and stops.
    """
    if _ENTRYPOINT_RUNNING.get():
        return
    st.error(t("app.entrypoint_only"))
    st.stop()


def _sync_lang() -> None:
    st.session_state[i18n.SESSION_KEY] = st.session_state[_LANG_WIDGET_KEY]


def language_toggle() -> str:
    """Render the 日本語 / English switch in the sidebar and return the chosen language.

    The choice is stored under a plain session-state key (``i18n.SESSION_KEY``), not only the
    widget's key, because Streamlit drops a widget's state on a run where the widget is not
    drawn (a login screen, say); the plain key survives that and the switch is redrawn from it.
    """
    lang = st.session_state.get(i18n.SESSION_KEY, i18n.DEFAULT_LANG)
    if lang not in i18n.LANGS:
        lang = i18n.DEFAULT_LANG
    st.session_state[i18n.SESSION_KEY] = lang
    if st.session_state.get(_LANG_WIDGET_KEY) not in i18n.LANGS:
        st.session_state[_LANG_WIDGET_KEY] = lang
    st.sidebar.segmented_control(
        t("app.language"),
        options=list(i18n.LANGS),
        format_func=i18n.LANG_NAMES.__getitem__,
        required=True,
        key=_LANG_WIDGET_KEY,
        on_change=_sync_lang,
    )
    return st.session_state[i18n.SESSION_KEY]


def warehouse_missing_notice() -> None:
    """Tell a user with no build how to make one, in words rather than a stack trace."""
    st.info(f"**{t('nobuild.title')}**\n\n{t('nobuild.body')}", icon=":material/database:")
    st.code(
        f"{t('nobuild.demo')}\nkodomo demo\n\n{t('nobuild.build')}\nkodomo build --source {t('nobuild.folder')}",
        language="bash",
    )


def bar_chart(
    x: Sequence,
    y: Sequence,
    *,
    x_title: str,
    y_title: str,
    horizontal: bool = False,
    height: int = 360,
) -> go.Figure:
    """A plain single-series bar chart with value labels, styled alike on every page.

    Bars take the theme's primary colour (``.streamlit/config.toml``); the rest of the styling
    comes from ``st.plotly_chart(theme="streamlit")``. The layout keeps Japanese category
    labels from being clipped.
    """
    bar = (
        go.Bar(x=list(y), y=list(x), orientation="h", text=list(y))
        if horizontal
        else go.Bar(x=list(x), y=list(y), text=list(y))
    )
    bar.update(
        texttemplate="%{text:,}",
        textposition="outside",
        cliponaxis=False,
        hoverinfo="x+y",
        marker_color=st.get_option("theme.primaryColor") or None,
    )
    fig = go.Figure(bar)
    fig.update_layout(
        height=height,
        margin={"l": 8, "r": 24, "t": 24, "b": 8},
        showlegend=False,
        separators=".,",
    )
    value_axis = {"title": {"text": y_title}, "tickformat": ",d", "rangemode": "tozero"}
    category_axis = {"title": {"text": x_title}, "type": "category", "automargin": True}
    if horizontal:
        fig.update_xaxes(**value_axis)
        fig.update_yaxes(**category_axis, autorange="reversed")
    else:
        fig.update_xaxes(**category_axis)
        fig.update_yaxes(**value_axis)
    return fig


def code_select(label: str, domain: str, key: str, **kwargs: Any) -> str | None:
    """A selectbox of one workflow code domain (casework.vocabulary), labelled in the viewer's language."""
    from kodomo_dash.casework.vocabulary import CODE_DOMAINS

    lang = i18n.current_lang()  # fixed for the run: a format_func called outside it must not fall back to ja
    return st.selectbox(label, list(CODE_DOMAINS[domain]), format_func=lambda c: i18n.label(domain, c, lang), key=key,
                        **kwargs)  # fmt: skip


def code_multiselect(label: str, domain: str, key: str, **kwargs: Any) -> list[str]:
    """A multiselect of one workflow code domain, labelled in the viewer's language (none chosen at first)."""
    from kodomo_dash.casework.vocabulary import CODE_DOMAINS

    lang = i18n.current_lang()
    return st.multiselect(label, list(CODE_DOMAINS[domain]), format_func=lambda c: i18n.label(domain, c, lang),
                          key=key, select_all=False, **kwargs)  # fmt: skip


def alert_banner(alerts) -> None:
    """A child's alerts from the monthly builds (services.alerts.arrived_alerts): the current ones as a
    warning, the expired ones as a quiet line (no longer a current risk, but not hidden)."""
    if alerts is None or alerts.empty:
        return
    label_col = "label_en" if i18n.current_lang() == "en" else "label_ja"

    def items(rows) -> str:
        return "、".join(t("ccard.alerts.item", label=lab, date=i18n.fmt_date(a.date() if hasattr(a, "date") else a))
                        for lab, a in zip(rows[label_col], rows["arrived_on"], strict=True))  # fmt: skip

    now, old = alerts[alerts["status"] == "current"], alerts[alerts["status"] != "current"]
    if not now.empty:
        st.warning(t("ccard.alerts.current", items=items(now)), icon=":material/notifications_active:")
    if not old.empty:
        st.caption(t("ccard.alerts.expired", items=items(old)))
