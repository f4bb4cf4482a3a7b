"""The child card's household tab (世帯・きょうだい, Fukuoka's 情報共有画面): two tables and the counts
of people outside the viewer's scope.

Draws what ``kodomo_dash.services.household.household_view`` returned — the service has already
chosen the rows (scope), the columns (tax only for admin and yotaikyo; programme flags by group)
and audited the view; here codes become words in the viewer's language. Plain-text cells only.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from kodomo_dash.services.household import HouseholdView
from kodomo_dash.ui.i18n import label, t

_COLUMNS = ["card", "me", "name_kanji", "name_kana", "relationship", "sex", "age_years", "ward_name", "programmes",
            "support", "assignee"]  # fmt: skip
_TAX = ["tax_fiscal_year", "tax_exempt", "income_band"]


def _support(fy, stage, is_open) -> str:
    if stage is None:
        return t("ccard.hh.support.none")
    return t("ccard.hh.support.on_list", fy=fy,
             stage=t("ccard.hh.support.listed") if stage == "listed" else label("stage", stage),
             state=t("ccard.hh.support.open" if is_open else "ccard.hh.support.closed"))  # fmt: skip


def people_frame(frame: pd.DataFrame, tax: bool) -> pd.DataFrame:
    """The service's rows in the viewer's words: labels for codes, one text for the programmes held."""
    shown = frame.assign(
        card=[f"/child_card?rid={r}" if age is not None and age < 18 and not me else None
              for r, age, me in zip(frame["resident_id"], frame["age_years"], frame["is_self"], strict=True)],
        me=["◎" if me else "" for me in frame["is_self"]],
        sex=[t(f"csearch.sex.{s}") if s in ("1", "2") else "—" for s in frame["sex"]],
        programmes=["、".join(t(f"ccard.hh.prog.{c}") for c in codes) or "—" for codes in frame["programmes"]],
        support=[_support(*v) for v in zip(frame["support_fy"], frame["support_stage"], frame["support_open"],
                                           strict=True)],
    )  # fmt: skip
    if tax:
        shown = shown.assign(tax_exempt=[None if v is None else t("ccard.hh.tax_exempt" if v else "ccard.hh.taxed")
                                         for v in shown["tax_exempt"]])  # fmt: skip
    return shown[_COLUMNS + (_TAX if tax else [])]


def _table(frame: pd.DataFrame, tax: bool, key: str) -> None:
    config = {c: st.column_config.TextColumn(t(f"ccard.hh.col.{c}")) for c in _COLUMNS[1:] + (_TAX if tax else [])}
    config["card"] = st.column_config.LinkColumn(t("ccard.hh.col.card"), display_text=t("ccard.hh.open"))
    config["age_years"] = st.column_config.NumberColumn(t("ccard.hh.col.age_years"))
    st.dataframe(people_frame(frame, tax), hide_index=True, width="stretch", key=key, column_config=config)


def household_section(view: HouseholdView | None) -> None:
    """The household, then the others at the same address code; out-of-scope people as a count only."""
    if view is None:
        st.info(t("ccard.hh.none"))
        return
    st.markdown(f"**{t('ccard.hh.members')}**")
    _table(view.members, view.tax, "cc_household")
    if view.hidden_members:
        st.info(t("ccard.hh.hidden_members", n=view.hidden_members), icon=":material/visibility_off:")
    st.markdown(f"**{t('ccard.hh.same_address')}**")
    if not view.same_address.empty:
        _table(view.same_address, view.tax, "cc_same_address")
    elif not view.hidden_same_address:
        st.caption(t("ccard.hh.same_address.none"))
    if view.hidden_same_address:
        st.info(t("ccard.hh.hidden_same_address", n=view.hidden_same_address), icon=":material/visibility_off:")
