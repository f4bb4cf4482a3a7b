"""One renderer for every declarative form (YAML in casework/form_defs): widgets, errors, save, print.

The four form pages (school screening sheet, SSW hearing sheet, conference sheet, home-visit record)
call :func:`form_page` with their page key and form type and nothing else, so every sheet behaves
the same: pick a form in scope, fill it in an ``st.form``, keep a draft or submit. Messages from the
casework library are Japanese already; a field's message is drawn right under that field. A save
made on an old version is refused by the library and shown here, with a button to load the latest.
「保存しました」 appears only after the save function returned (after COMMIT and the audit row).
Free text is only ever drawn by widgets or plain-text tables (never ``unsafe_allow_html``); the
print view is the library's escaped HTML.
"""

from __future__ import annotations

import time
import uuid
from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

from kodomo_dash.casework import forms
from kodomo_dash.casework.form_store import FormRecord, StaleVersionError
from kodomo_dash.casework.forms import FieldDef, FormDefinition, FormValidationError
from kodomo_dash.casework.store import CaseworkError
from kodomo_dash.security.matrix import can
from kodomo_dash.security.principal import Principal
from kodomo_dash.services import workflow as q
from kodomo_dash.ui import kept_input
from kodomo_dash.ui.i18n import error_text, t
from kodomo_dash.ui.signin import guarded

_STATE = kept_input.FORM_STATE_KEY  # per form_id: version the widgets were loaded from, submit token, messages


def _state(form_id: str) -> dict[str, Any]:
    return st.session_state.setdefault(_STATE, {}).setdefault(form_id, {})


def _widget_key(rec: FormRecord, field: str, loaded_version: int) -> str:
    # The version is part of the key: loading a newer version redraws the widgets with its values.
    return f"kdf_{rec.form_id}_{loaded_version}_{field}"


def field_widget(f: FieldDef, value: Any, key: str, disabled: bool) -> Any:
    """One input for one field definition; returns what the person entered (None when empty)."""
    label = f.label_ja + (" ＊" if f.required else "")
    help_text = f.help_ja or None
    if f.type == "text":
        return st.text_input(label, value=value or "", key=key, help=help_text, disabled=disabled)
    if f.type == "textarea":
        return st.text_area(label, value=value or "", key=key, help=help_text, disabled=disabled)
    if f.type == "integer":
        return st.number_input(label, value=value, step=1, min_value=f.min, max_value=f.max, key=key,
                               help=help_text, disabled=disabled)  # fmt: skip
    if f.type == "date":
        initial = date.fromisoformat(value) if isinstance(value, str) and value else None
        picked = st.date_input(label, value=initial, key=key, help=help_text, disabled=disabled,
                               min_value=date(2000, 1, 1), format="YYYY/MM/DD")  # fmt: skip
        return picked.isoformat() if isinstance(picked, date) else None
    if f.type == "choice":
        codes = [c.value for c in f.choices]
        index = codes.index(value) if value in codes else None
        return st.selectbox(label, codes, index=index, format_func=f.choice_label, key=key, help=help_text,
                            disabled=disabled, placeholder=t("form.unset"))  # fmt: skip
    if f.type == "multichoice":
        codes = [c.value for c in f.choices]
        return st.multiselect(label, codes, default=[v for v in (value or []) if v in codes],
                              format_func=f.choice_label, select_all=False, key=key, help=help_text, disabled=disabled)  # fmt: skip
    if f.type == "boolean":
        return st.checkbox(label, value=bool(value), key=key, help=help_text, disabled=disabled)
    st.text(f"{label}: {value}")
    return value


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for k, v in data.items():
        if isinstance(v, date):
            v = v.isoformat()
        out[k] = None if v == "" or v == [] else v
    return out


def _on_save(defn: FormDefinition, form_id: str, loaded: int, principal: Principal, page: str, submit: bool,
             keys: dict[str, str]) -> None:  # fmt: skip
    """Button callback: runs once per click, before the page is drawn, so messages land in this run.

    (A callback rather than the button's return value: a rerun between the click and the page
    would otherwise lose the click.)
    """
    state = _state(form_id)
    data = _clean({name: st.session_state.get(key) for name, key in keys.items()})
    state.pop("errors", None)
    state.pop("stale", None)
    state.pop("banner", None)
    started = time.perf_counter()
    try:
        result = q.save_form(form_id, data, expected_version=loaded, principal=principal, page=page,
                             submit=submit, submit_token=state.get("token") if submit else None)  # fmt: skip
    except FormValidationError as exc:
        state["errors"] = {k: error_text(v) for k, v in exc.field_errors.items() if k != "_form"}
        form_error = exc.field_errors.get("_form")
        state["banner"] = error_text(form_error) if form_error else t("form.errors", n=len(exc.field_errors))
        return
    except StaleVersionError as exc:
        state["stale"] = error_text(exc)
        return
    except CaseworkError as exc:
        state["errors"] = {k: error_text(v) for k, v in exc.field_errors.items()}
        state["banner"] = error_text(exc)
        return
    st.session_state["_kd_last_form_save_ms"] = round((time.perf_counter() - started) * 1000, 1)
    state.clear()
    state.update({"version": result.version, "token": uuid.uuid4().hex,
                  "saved": f"{t('form.saved')} {result.message_ja}"})  # fmt: skip


def _on_reload(form_id: str) -> None:
    _state(form_id).clear()


def render_form(defn: FormDefinition, rec: FormRecord, *, can_save: bool, principal: Principal, page: str) -> None:
    """The sheet as an ``st.form``: widgets in definition order, an error under each, two buttons."""
    state = _state(rec.form_id)
    loaded = state.setdefault("version", rec.version)
    if rec.version < loaded:  # the record was reset (a new database): trust the database
        loaded = state["version"] = rec.version
    state.setdefault("token", uuid.uuid4().hex)
    read_only = not can_save or rec.status == "submitted"
    if rec.status == "submitted":
        st.info(t("form.submitted_note"))
    elif not can_save:
        st.info(t("form.read_only"))
    if state.get("stale"):
        st.error(f"**{t('form.stale')}**\n\n{state['stale']}")
        st.button(t("form.reload"), key=f"kdf_{rec.form_id}_reload", on_click=_on_reload, args=(rec.form_id,))
    if state.get("banner"):
        st.error(state["banner"])
    if state.get("saved"):
        st.success(state.pop("saved"))

    errors = state.get("errors", {})
    keys = {f.name: _widget_key(rec, f.name, loaded) for f in defn.fields}
    with st.form(key=f"kdf_{rec.form_id}", enter_to_submit=False):
        st.subheader(defn.title_ja)
        if defn.description_ja:
            st.caption(defn.description_ja)
        for f in defn.fields:
            value = kept_input.take(principal.username, keys[f.name], rec.data.get(f.name))
            field_widget(f, value, keys[f.name], read_only)
            if f.name in errors:
                st.error(errors[f.name])
        args = (defn, rec.form_id, loaded, principal, page)
        with st.container(horizontal=True):
            st.form_submit_button(t("form.save_draft"), disabled=read_only, key=f"kdf_{rec.form_id}_draft",
                                  on_click=guarded(_on_save), args=(*args, False, keys))  # fmt: skip
            st.form_submit_button(t("form.submit"), type="primary", disabled=read_only,
                                  key=f"kdf_{rec.form_id}_submit", on_click=guarded(_on_save), args=(*args, True, keys))  # fmt: skip


def print_view(defn: FormDefinition, rec: FormRecord) -> None:
    """The sheet as labels and values (plain text table) and the library's escaped HTML to print."""
    with st.expander(t("form.print"), icon=":material/print:"):
        rows = forms.print_rows(defn, rec.data)
        st.table(pd.DataFrame(rows, columns=["項目", "内容"]).set_index("項目"))
        heading = t("form.child", resident_id=rec.resident_id or "—", place=rec.school_code or q.ward_name(rec.ward_code or ""))
        html_doc = (
            "<!doctype html><html lang='ja'><meta charset='utf-8'><title>"
            + forms.html.escape(defn.title_ja)
            + "</title><body>"
            + forms.print_html(defn, rec.data, heading=heading)
            + "</body></html>"
        )
        st.download_button(t("form.print.download"), data=html_doc.encode("utf-8"), file_name=f"{rec.form_type}_{rec.form_id}.html",
                           mime="text/html", key=f"kdf_{rec.form_id}_print", on_click="ignore")  # fmt: skip


def _label(rec: FormRecord) -> str:
    place = rec.school_code or q.ward_name(rec.ward_code or "")
    return f"{rec.resident_id}（{place}）— {rec.status_label_ja}"


def form_page(page: str, form_type: str, principal: Principal) -> None:
    """A whole form page: choose (or start) a form within scope, fill it, print it."""
    defn = q.form_definition(form_type)
    st.title(defn.title_ja)
    if not q.has_casework():
        st.info(t("wf.no_casework"))
        return
    can_save = can(principal, page, "save")
    mine = st.toggle(t("form.mine_only"), value=False, key=f"kdf_{form_type}_mine")
    records = q.forms_in_scope(form_type, principal, mine_only=mine)
    if can_save and form_type in ("conference_sheet", "home_visit_record"):
        _new_form(form_type, principal, page)
    if not records:
        st.info(t("form.none"))
        return
    by_id = {r.form_id: r for r in records}
    chosen = st.selectbox(t("form.pick"), list(by_id), format_func=lambda i: _label(by_id[i]), key=f"kdf_{form_type}_pick")
    rec = q.load_form(chosen, principal, page)  # fresh from the database on every run
    st.caption(t("form.status", status=rec.status_label_ja, version=rec.version, updated_by=rec.updated_by))
    render_form(defn, rec, can_save=can_save, principal=principal, page=page)
    print_view(defn, rec)


def _new_form(form_type: str, principal: Principal, page: str) -> None:
    # A toggle, not an expander: an expander's body runs on every rerun even when closed, and the
    # children a sheet may be started for are the heaviest read of the page (the funnel's state of
    # every listed child), paid on every save of every session (decision 069).
    if not st.toggle(t("form.new"), key=f"kdf_{form_type}_new_open"):
        return
    with st.container(border=True):
        cands = q.candidates_for_new_form(form_type, principal)
        if cands.empty:
            st.caption(t("form.new.none"))
            return
        keys = [f"{a}|{b}" for a, b in zip(cands["list_id"], cands["resident_id"], strict=True)]
        wards = dict(zip(keys, cands["ward_code"], strict=True))
        pick = st.selectbox(t("form.new.child"), keys, key=f"kdf_{form_type}_new_pick",
                            format_func=lambda k: f"{k.split('|')[1]}（{q.ward_name(wards[k])}）")  # fmt: skip
        token_key = f"kdf_{form_type}_new_token"
        st.session_state.setdefault(token_key, uuid.uuid4().hex)
        st.button(t("form.new.button"), key=f"kdf_{form_type}_new_btn", on_click=guarded(_on_new),
                  args=(form_type, principal, page, pick, token_key))  # fmt: skip


def _on_new(form_type: str, principal: Principal, page: str, pick: str | None, token_key: str) -> None:
    if not pick:
        return
    list_id, resident_id = pick.split("|", 1)
    rec = q.start_form(form_type, list_id, resident_id, principal, page, client_token=st.session_state[token_key])
    st.session_state.pop(token_key, None)
    st.session_state[f"kdf_{form_type}_pick"] = rec.form_id
    st.session_state[f"kdf_{form_type}_new_open"] = False  # started: back to the form itself
