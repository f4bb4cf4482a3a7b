"""Widgets of the support-record screen: a queue with card links, one step form, sheets, history.

Every save runs in a button callback (so the click is never lost to a rerun) and calls one function
of ``kodomo_dash.services.support``; its Japanese refusal is drawn under the field it names, and
「保存しました」 appears only after the function returned (after COMMIT, audit row included).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

from kodomo_dash.casework.store import CaseworkError
from kodomo_dash.security.matrix import AccessDenied, can
from kodomo_dash.security.principal import Principal
from kodomo_dash.services import support as s
from kodomo_dash.services.workflow import OutOfScope, ward_name
from kodomo_dash.ui.i18n import error_text, label, t
from kodomo_dash.ui.signin import guarded
from kodomo_dash.ui.widgets import code_select

_MSG = "_kd_support_msg"  # per form key: {"ok": text} or {"error": text, "fields": {...}}

_SAVERS = {
    "secondary": s.record_secondary,
    "conference": s.record_conference,
    "approach": s.record_approach,
    "school_decision": s.record_school_decision,
}


def _messages(key: str) -> dict[str, Any]:
    return st.session_state.setdefault(_MSG, {}).setdefault(key, {})


def _run(key: str, fn, *args: Any, ok: Callable[[Any], str], **kwargs: Any) -> None:
    """Call a service; keep its outcome for this run's drawing (callbacks run before the page).

    ``ok`` turns what the service returned into the 「保存しました」 line.
    """
    box = _messages(key)
    box.clear()
    try:
        result = fn(*args, **kwargs)
    except CaseworkError as exc:  # StaleVersionError included
        box.update(error=error_text(exc), fields={k: error_text(v) for k, v in exc.field_errors.items()})
        return
    except (OutOfScope, AccessDenied) as exc:
        box.update(error=error_text(exc), fields={})
        return
    box["ok"] = ok(result)


def _show(key: str) -> dict[str, str]:
    box = _messages(key)
    if box.get("ok"):
        st.success(box.pop("ok"))
    if box.get("error"):
        st.error(box["error"])
    return box.get("fields", {})


def _under(fields: Mapping[str, str], name: str) -> None:
    if name in fields:
        st.error(fields[name])


def queue_table(frame: pd.DataFrame, key: str) -> None:
    """The children waiting, each with a link to the child card (one click away)."""
    if frame.empty:
        st.success(t("sr.none_waiting"))
        return
    st.caption(t("sr.waiting", n=len(frame)))
    shown = frame.assign(card=[f"/child_card?rid={r}" for r in frame["resident_id"]],
                         ward=[ward_name(w) if w else "" for w in frame["ward_code"]],
                         stage=[label("stage", c) if c else "" for c in frame["current_stage"]])  # fmt: skip
    st.dataframe(
        shown[["card", "resident_id", "ward", "school_code", "rank", "selection_reason", "stage", "assigned_staff"]],
        hide_index=True, width="stretch", key=f"sr_{key}_table",
        column_config={
            "card": st.column_config.LinkColumn(t("sr.col.card"), display_text="開く"),
            "resident_id": st.column_config.TextColumn(t("sr.col.resident_id")),
            "ward": st.column_config.TextColumn(t("sr.col.ward")),
            "school_code": st.column_config.TextColumn(t("sr.col.school")),
            "rank": st.column_config.NumberColumn(t("sr.col.rank")),
            "selection_reason": st.column_config.TextColumn(t("sr.col.reason")),
            "stage": st.column_config.TextColumn(t("sr.col.stage")),
            "assigned_staff": st.column_config.TextColumn(t("sr.col.assigned")),
        },
    )  # fmt: skip


# Each step's decision and reason code domains (casework.vocabulary).
STEP_DOMAINS: dict[str, tuple[str, str]] = {
    "secondary": ("secondary_decision", "secondary_reason"),
    "conference": ("conference_decision", "conference_reason"),
    "approach": ("approach_decision", "approach_reason"),
    "school_decision": ("school_decision", "school_reason"),
}


def _choice(text: str, domain: str, key: str, disabled: bool) -> str | None:
    return code_select(text, domain, key, index=None, placeholder=t("sr.unset"), disabled=disabled)


def step_form(stage: str, list_id: str, waiting: pd.DataFrame, principal: Principal, can_save: bool, *,
              extra: Mapping[str, Any] | None = None, assignee: bool = False, department: bool = False,
              how: bool = False) -> None:  # fmt: skip
    """One step for one or many children: the outcome of the last save, the children waiting (each
    with its card link), then who, when, the decision, the reason, a note and one button."""
    key = f"sr_{stage}"
    fields = _show(key) if can_save else {}  # first: saving the last child waiting still says 保存しました
    queue_table(waiting, stage)
    if waiting.empty or not can_save:
        return
    versions = dict(zip(waiting["resident_id"], waiting["state_version"].astype(int), strict=True))
    with st.form(key=f"{key}_form", enter_to_submit=False):
        st.checkbox(t("sr.all"), key=f"{key}_all")
        st.multiselect(t("sr.children"), list(versions), select_all=False, key=f"{key}_children", placeholder=t("sr.unset"))
        _under(fields, "children")
        st.date_input(t("sr.date"), value=None, key=f"{key}_date", format="YYYY/MM/DD", min_value=date(2000, 1, 1))
        _under(fields, "event_date")
        decisions, reasons = STEP_DOMAINS[stage]
        _choice(t("sr.decision"), decisions, f"{key}_decision", False)
        _under(fields, "decision")
        if assignee:
            st.text_input(t("sr.assignee"), key=f"{key}_assignee")
            _under(fields, "assignee")
        if department:
            _choice(t("sr.assigned_department"), "department", f"{key}_department", False)
        if how:
            _choice(t("sr.how"), "contact_method", f"{key}_how", False)
            _under(fields, "how")
        _choice(t("sr.reason"), reasons, f"{key}_reason", False)
        _under(fields, "reason")
        st.text_area(t("sr.note"), key=f"{key}_note")
        _under(fields, "note")
        _under(fields, "_all")
        st.form_submit_button(t("sr.save"), type="primary", key=f"{key}_save", on_click=guarded(_on_step),
                              args=(stage, key, list_id, principal, versions, dict(extra or {})))  # fmt: skip


def _on_step(stage: str, key: str, list_id: str, principal: Principal, versions: dict[str, int],
             extra: dict[str, Any]) -> None:  # fmt: skip
    ss = st.session_state
    chosen = list(versions) if ss.get(f"{key}_all") else list(ss.get(f"{key}_children") or [])
    kwargs: dict[str, Any] = {
        "decision": ss.get(f"{key}_decision"), "event_date": ss.get(f"{key}_date"),
        "reason": ss.get(f"{key}_reason"), "note": (ss.get(f"{key}_note") or "").strip() or None,
        "versions": {r: versions[r] for r in chosen if r in versions}, **extra,
    }  # fmt: skip
    if f"{key}_assignee" in ss:
        kwargs["assignee"] = (ss.get(f"{key}_assignee") or "").strip() or None
    if f"{key}_department" in ss:
        kwargs["department"] = ss.get(f"{key}_department")
    if f"{key}_how" in ss:
        kwargs["how"] = ss.get(f"{key}_how")
    _run(key, _SAVERS[stage], principal, list_id, chosen, ok=lambda ids: t("sr.saved", n=len(ids)), **kwargs)
    if _messages(key).get("ok"):
        # Set, not pop: a popped key leaves the saved children showing as chosen in the browser.
        for suffix, empty in (("children", []), ("all", False), ("note", "")):
            ss[f"{key}_{suffix}"] = empty


def sheets_tab(list_id: str, principal: Principal, can_save: bool) -> None:
    """The city's request of school screening sheets or SSW hearing sheets for everyone on the list."""
    if not can_save:
        return
    key = "sr_sheets"
    fields = _show(key)
    titles = {"school_screening_sheet": "スクリーニングシート（学校）", "ssw_hearing_sheet": "ヒアリングシート（SSW）"}
    with st.form(key=f"{key}_form", enter_to_submit=False):
        st.selectbox(t("sr.sheets.type"), list(titles), format_func=titles.__getitem__, key=f"{key}_type")
        st.text_area(t("sr.sheets.assignees"), key=f"{key}_assignees", placeholder="272191001=teacher_a")
        _under(fields, "assignees")
        st.date_input(t("sr.sheets.due"), value=None, key=f"{key}_due", format="YYYY/MM/DD")
        st.form_submit_button(t("sr.sheets.request"), type="primary", key=f"{key}_save", on_click=guarded(_on_sheets),
                              args=(key, list_id, principal))  # fmt: skip


def _on_sheets(key: str, list_id: str, principal: Principal) -> None:
    ss = st.session_state
    assignees: dict[str, str] = {}
    for i, line in enumerate((ss.get(f"{key}_assignees") or "").splitlines(), 1):
        if not line.strip():
            continue
        school, sep, user = line.partition("=")
        if not sep or not school.strip() or not user.strip():
            msg = t("sr.sheets.bad_line", line=i, text=line.strip())
            _messages(key).update(error=msg, fields={"assignees": msg})
            return
        assignees[school.strip()] = user.strip()
    _run(key, s.request_sheets, principal, list_id, ss.get(f"{key}_type"), assignee_for=assignees,
         due_date=ss.get(f"{key}_due"), ok=lambda n: t("sr.sheets.done", n=n))  # fmt: skip


def history_tab(list_id: str, principal: Principal) -> None:
    """One child's records as kept (cancelled ones marked), and a manager's cancel and send-back."""
    members = s.queue(principal, list_id, "all")
    if members.empty:
        st.info(t("sr.history.empty"))
        return
    rid = st.selectbox(t("sr.history.child"), list(members["resident_id"]), key="sr_hist_child")
    st.page_link("screens/child_card.py", label=t("sr.col.card"), icon=":material/badge:",
                 query_params={"rid": rid})  # fmt: skip
    history = s.child_history(principal, list_id, rid)
    if history.empty:
        st.caption(t("sr.history.empty"))
    else:
        st.dataframe(
            history[["event_id", "stage_label", "event_date", "what", "recorded_by", "voided", "void_reason"]],
            hide_index=True, width="stretch", key="sr_hist_table",
            column_config={c: st.column_config.Column(t(f"sr.col.{c}")) for c in
                           ("event_id", "stage_label", "event_date", "what", "recorded_by", "voided", "void_reason")},
        )  # fmt: skip
    if not can(principal, s.CORRECTION, "save"):
        return
    _void_form(history, principal)
    _send_back_form(list_id, rid, principal)


def _void_form(history: pd.DataFrame, principal: Principal) -> None:
    key = "sr_void"
    st.subheader(t("sr.void.title"))
    fields = _show(key)
    live = history[(~history["voided"]) & (history["stage"] != "void") & history["form_id"].isna()]
    if live.empty:
        st.caption(t("sr.void.none"))
        return
    options = {int(r.event_id): f"{r.event_id}：{r.stage_label}（{r.event_date}）{r.what}" for r in live.itertuples()}
    with st.form(key=f"{key}_form", enter_to_submit=False):
        st.selectbox(t("sr.void.event"), list(options), format_func=options.__getitem__, key=f"{key}_event")
        st.text_input(t("sr.void.note"), key=f"{key}_note")
        _under(fields, "note")
        st.form_submit_button(t("sr.void.button"), key=f"{key}_save", on_click=guarded(_on_void), args=(key, principal))


def _on_void(key: str, principal: Principal) -> None:
    ss = st.session_state
    event_id = ss.get(f"{key}_event")
    _run(key, s.void_event, principal, event_id, note=ss.get(f"{key}_note") or "",
         ok=lambda _void: t("sr.void.done", event_id=event_id))  # fmt: skip


def _send_back_form(list_id: str, rid: str, principal: Principal) -> None:
    key = "sr_back"
    st.subheader(t("sr.back.title"))
    fields = _show(key)
    submitted = [f for f in s.submitted_forms(principal, list_id, rid) if f.status == "submitted"]
    if not submitted:
        st.caption(t("sr.back.none"))
        return
    options = {f.form_id: f"{f.form_type}（版 {f.version}、{f.submitted_by}）" for f in submitted}
    versions = {f.form_id: f.version for f in submitted}
    with st.form(key=f"{key}_form", enter_to_submit=False):
        st.selectbox(t("sr.back.form"), list(options), format_func=options.__getitem__, key=f"{key}_form_id")
        st.text_input(t("sr.back.note"), key=f"{key}_note")
        _under(fields, "note")
        st.form_submit_button(t("sr.back.button"), key=f"{key}_save", on_click=guarded(_on_back),
                              args=(key, principal, versions))  # fmt: skip


def _on_back(key: str, principal: Principal, versions: dict[str, int]) -> None:
    ss = st.session_state
    form_id = ss.get(f"{key}_form_id")
    _run(key, s.send_back_form, principal, form_id, expected_version=versions.get(form_id, 0),
         note=ss.get(f"{key}_note") or "", ok=lambda result: t("sr.back.done", version=result.version))  # fmt: skip
