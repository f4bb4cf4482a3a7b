"""Forms defined in YAML, and the validation that gives a Japanese message per field.

A city changes its sheets by editing YAML (labels, help text, choices, required-ness, lengths), not
code: the four shipped definitions are in ``form_defs/``; a folder named by ``KODOMO_FORM_DEFS``
replaces any of them by form_type. What a city must not change is the part the workflow reads:
each ``kind`` names fields (and choice codes) that become stage events and funnel counts, and the
loader refuses a definition that drops or retypes them, with a message saying which.

Free text is stored exactly as typed (pages escape it on output); an over-long entry is refused,
never cut. Drafts are checked for type and length only, so half-finished work can always be kept;
submit adds required fields, required-if rules and date order (not before the list existed, not in
the future, not before the approach started, ...).
"""

from __future__ import annotations

import hashlib
import html
import os
import re
import time
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from kodomo_dash.casework import vocabulary
from kodomo_dash.casework.store import CaseworkError, canonical_json, fmt_date_ja
from kodomo_dash.config.messages import CodedError, Joined, Localized, Message, msg

DEFS_DIR = Path(__file__).parent / "form_defs"
FIELD_TYPES = ("text", "textarea", "integer", "date", "choice", "multichoice", "boolean")
DEFAULT_MAX_LENGTH = {"text": 200, "textarea": 4000}
HARD_MAX_LENGTH = 20_000  # no definition may allow more than this in one field

# Names of the dates a rule may refer to (besides "field:<name>"), with how a message names them.
DATE_CONTEXT_LABELS: dict[str, str] = {
    "today": "本日",
    "list_accepted": "対象者リストの確定日",
    "secondary_done": "二次スクリーニングの完了日",
    "approach_started": "アプローチ開始日",
    "screening_sheet_submitted": "スクリーニングシートの記入日",
}
DATE_CONTEXT_LABELS_EN: dict[str, str] = {
    "today": "today",
    "list_accepted": "the date the list was accepted",
    "secondary_done": "the date secondary screening was finished",
    "approach_started": "the start of the approach",
    "screening_sheet_submitted": "the date the screening sheet was filled in",
}

# What each kind's submit handler reads: field → (type, allowed choice codes or None).
KIND_FIELDS: dict[str, dict[str, tuple[str, frozenset[str] | None]]] = {
    "school_screening_sheet": {
        "observed_on": ("date", None),
        "concern_level": ("choice", None),
    },
    "ssw_hearing_sheet": {
        "heard_on": ("date", None),
        "abuse_risk": ("choice", None),
        "recommended_path": ("choice", frozenset(vocabulary.SCHOOL_DECISIONS)),
    },
    "conference_sheet": {
        "held_on": ("date", None),
        "approach": ("choice", frozenset(vocabulary.CONFERENCE_DECISIONS)),
        "no_approach_reason": ("choice", frozenset(vocabulary.CONFERENCE_REASONS)),
        "assigned_department": ("choice", frozenset(vocabulary.DEPARTMENTS)),
        "assigned_staff": ("text", None),
        "living_conditions": ("choice", None),
        "parenting_capacity": ("choice", None),
        "help_seeking": ("choice", None),
    },
    "home_visit_record": {
        "attempted_on": ("date", None),
        "method": ("choice", frozenset(vocabulary.CONTACT_METHODS)),
        "result": ("choice", frozenset(vocabulary.ATTEMPT_RESULTS)),
        "needs": ("choice", frozenset(vocabulary.NEEDS)),
        "advice": ("multichoice", frozenset(vocabulary.ADVICE)),
        "information": ("multichoice", frozenset(vocabulary.INFORMATION)),
        "outcomes": ("multichoice", frozenset(vocabulary.OUTCOMES)),
        "follow_up_on": ("date", None),
    },
}

_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


class FormDefinitionError(CodedError, ValueError):
    """A YAML definition the product cannot use; says which file and which field (a Message)."""


class FormValidationError(CaseworkError):
    """Input refused at save or submit; field_errors maps field name → a Message (decision 065)."""

    def __init__(self, field_errors: Mapping[str, str | Message], *, title_ja: str = "") -> None:
        n = len(field_errors)
        head = msg("form.check_input_titled", title=title_ja, n=n) if title_ja else msg("form.check_input", n=n)
        super().__init__(msg("form.check_input_with", head=head, problems=Joined(tuple(field_errors.values()))),
                         field_errors=field_errors)  # fmt: skip


@dataclass(frozen=True)
class Choice:
    value: str
    label_ja: str


@dataclass(frozen=True)
class FieldDef:
    name: str
    label_ja: str
    type: str
    required: bool = False
    required_if: tuple[str, str] | None = None  # (other field, value) → this field is required
    help_ja: str = ""
    choices: tuple[Choice, ...] = ()
    max_length: int | None = None
    min: int | None = None
    max: int | None = None
    not_before: tuple[str, ...] = ()
    not_after: tuple[str, ...] = ()

    def choice_label(self, value: Any) -> str:
        for c in self.choices:
            if c.value == value:
                return c.label_ja
        return str(value)


@dataclass(frozen=True)
class FormDefinition:
    form_type: str
    kind: str
    title_ja: str
    description_ja: str
    filled_by: tuple[str, ...]
    one_per_child: bool
    fields: tuple[FieldDef, ...]
    def_version: str
    source: str = ""
    _by_name: dict[str, FieldDef] = field(default_factory=dict, compare=False, repr=False)

    def field(self, name: str) -> FieldDef:
        return self._by_name[name]

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)


# ---------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------


def parse_definition(raw: Mapping[str, Any], source: str = "") -> FormDefinition:
    """Check a definition's shape and the fields its kind needs; a clear error names the problem."""

    def fail(problem: Message) -> FormDefinitionError:
        return FormDefinitionError(msg("fd.in_source", source=source or msg("fd.definition"), problem=problem))

    if not isinstance(raw, Mapping):
        raise fail(msg("fd.not_mapping"))
    for key in ("form_type", "kind", "title_ja", "fields"):
        if key not in raw:
            raise fail(msg("fd.missing_key", key=key))
    form_type, kind = str(raw["form_type"]), str(raw["kind"])
    if not _NAME.match(form_type):
        raise fail(msg("fd.bad_form_type", form_type=form_type))
    if kind not in KIND_FIELDS:
        raise fail(msg("fd.unknown_kind", kind=kind, kinds=", ".join(KIND_FIELDS)))
    fields: list[FieldDef] = []
    seen: set[str] = set()
    for i, f in enumerate(raw["fields"] or []):
        if not isinstance(f, Mapping) or "name" not in f or "type" not in f or "label_ja" not in f:
            raise fail(msg("fd.field_incomplete", n=i + 1))
        name, ftype = str(f["name"]), str(f["type"])
        where = msg("fd.field", name=name)
        if not _NAME.match(name):
            raise fail(msg("fd.bad_name", where=where))
        if name in seen:
            raise fail(msg("fd.duplicate", where=where))
        seen.add(name)
        if ftype not in FIELD_TYPES:
            raise fail(msg("fd.unknown_type", where=where, type=ftype, types=", ".join(FIELD_TYPES)))
        choices = tuple(Choice(str(c["value"]), str(c["label_ja"])) for c in (f.get("choices") or []))
        if ftype in ("choice", "multichoice") and not choices:
            raise fail(msg("fd.no_choices", where=where))
        if len({c.value for c in choices}) != len(choices):
            raise fail(msg("fd.duplicate_choice", where=where))
        max_length = f.get("max_length", DEFAULT_MAX_LENGTH.get(ftype))
        if max_length is not None and not (0 < int(max_length) <= HARD_MAX_LENGTH):
            raise fail(msg("fd.max_length", where=where, max=HARD_MAX_LENGTH))
        req_if = f.get("required_if")
        if req_if is not None:
            if not isinstance(req_if, Mapping) or "field" not in req_if or "equals" not in req_if:
                raise fail(msg("fd.required_if_shape", where=where))
            req_if = (str(req_if["field"]), str(req_if["equals"]))
        rules = {}
        for rule in ("not_before", "not_after"):
            refs = f.get(rule) or []
            refs = [refs] if isinstance(refs, str) else list(refs)
            for ref in refs:
                if not (ref in DATE_CONTEXT_LABELS or str(ref).startswith("field:")):
                    raise fail(msg("fd.unknown_date_ref", where=where, rule=rule, ref=ref,
                                   refs=", ".join(DATE_CONTEXT_LABELS)))  # fmt: skip
            if refs and ftype != "date":
                raise fail(msg("fd.date_rule_on_date", where=where, rule=rule))
            rules[rule] = tuple(str(r) for r in refs)
        fields.append(
            FieldDef(
                name=name, label_ja=str(f["label_ja"]), type=ftype, required=bool(f.get("required", False)),
                required_if=req_if, help_ja=str(f.get("help_ja") or ""), choices=choices,
                max_length=None if max_length is None else int(max_length),
                min=f.get("min"), max=f.get("max"), **rules,
            )
        )  # fmt: skip
    by_name = {f.name: f for f in fields}
    for f in fields:
        if f.required_if and f.required_if[0] not in by_name:
            raise fail(msg("fd.required_if_missing", name=f.name, other=f.required_if[0]))
        for ref in f.not_before + f.not_after:
            if ref.startswith("field:") and ref[6:] not in by_name:
                raise fail(msg("fd.ref_missing", name=f.name, ref=ref))
    for name, (ftype, allowed) in KIND_FIELDS[kind].items():
        if name not in by_name:
            raise fail(msg("fd.kind_needs_field", kind=kind, name=name))
        if by_name[name].type != ftype:
            raise fail(msg("fd.kind_field_type", name=name, type=ftype))
        if allowed is not None:
            unknown = {c.value for c in by_name[name].choices} - allowed
            if unknown:
                raise fail(msg("fd.kind_choices", name=name, unknown=sorted(unknown), allowed=sorted(allowed)))
    return FormDefinition(
        form_type=form_type,
        kind=kind,
        title_ja=str(raw["title_ja"]),
        description_ja=str(raw.get("description_ja") or ""),
        filled_by=tuple(str(r) for r in (raw.get("filled_by") or ())),
        one_per_child=bool(raw.get("one_per_child", True)),
        fields=tuple(fields),
        def_version=hashlib.sha256(canonical_json(raw).encode()).hexdigest()[:16],
        source=source,
        _by_name=by_name,
    )


def _dirs(directory: Path | None) -> list[Path]:
    dirs = [DEFS_DIR]
    override = directory or (
        Path(os.environ["KODOMO_FORM_DEFS"]) if os.environ.get("KODOMO_FORM_DEFS") else None
    )
    if override is not None:
        dirs.append(Path(override))
    return dirs


_RECHECK_SECONDS = 2.0
_recent: dict[tuple[str, ...], tuple[float, dict[str, FormDefinition]]] = {}


def load_definitions(directory: Path | None = None) -> dict[str, FormDefinition]:
    """Shipped definitions, each replaced by a city's file of the same form_type if present.

    Files are re-stat'ed at most every two seconds, so an edited YAML is live almost at once while a
    save does not pay for a directory scan each time.
    """
    dirs = _dirs(directory)
    key = tuple(str(d) for d in dirs)
    now = time.monotonic()
    hit = _recent.get(key)
    if hit is not None and now - hit[0] < _RECHECK_SECONDS:
        return hit[1]
    defs = dict(_load_cached(key, _mtimes(dirs)))
    _recent[key] = (now, defs)
    return defs


def _mtimes(dirs: list[Path]) -> tuple[tuple[str, int], ...]:
    """Cache key part: an edited YAML is picked up without restarting the app."""
    out = []
    for d in dirs:
        for p in sorted(d.glob("*.yaml")) if d.is_dir() else []:
            out.append((str(p), p.stat().st_mtime_ns))
    return tuple(out)


@lru_cache(maxsize=8)
def _load_cached(
    dirs: tuple[str, ...], _mtimes: tuple[tuple[str, int], ...]
) -> tuple[tuple[str, FormDefinition], ...]:
    defs: dict[str, FormDefinition] = {}
    for d in dirs:
        for p in sorted(Path(d).glob("*.yaml")):
            try:
                raw = yaml.safe_load(p.read_text(encoding="utf-8"))
            except yaml.YAMLError as exc:
                raise FormDefinitionError(msg("fd.not_yaml", file=p.name, error=exc)) from exc
            defn = parse_definition(raw, source=p.name)
            defs[defn.form_type] = defn
    return tuple(defs.items())


def get_definition(form_type: str, directory: Path | None = None) -> FormDefinition:
    defs = load_definitions(directory)
    if form_type not in defs:
        raise CaseworkError(msg("form.undefined", form_type=form_type, defined=", ".join(sorted(defs))))
    return defs[form_type]


# ---------------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------------


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "") or value == []


def _parse_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        raise ValueError("形式")
    text = unicodedata.normalize("NFKC", value).strip().replace("/", "-")
    m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text)
    if not m:
        raise ValueError("形式")
    try:
        return date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        raise ValueError("存在しない") from None


def _normalise_field(f: FieldDef, value: Any) -> tuple[Any, Message | None]:
    """(stored value, error) for one non-empty value: type, choices and length."""
    label = f.label_ja
    if f.type in ("text", "textarea"):
        if not isinstance(value, str):
            return None, msg("form.text_expected", label=label)
        limit = f.max_length or HARD_MAX_LENGTH
        if len(value) > limit:
            return None, msg("form.too_long", label=label, limit=limit, n=len(value))
        return value, None  # verbatim: pages escape on output, nothing is rewritten here
    if f.type == "integer":
        if isinstance(value, bool):
            return None, msg("form.number_expected", label=label)
        if isinstance(value, str):
            text = unicodedata.normalize("NFKC", value).strip()
            if not re.fullmatch(r"-?\d{1,9}", text):
                return None, msg("form.number_expected", label=label)
            value = int(text)
        if not isinstance(value, int):
            return None, msg("form.number_expected", label=label)
        if f.min is not None and value < f.min:
            return None, msg("form.at_least", label=label, min=f.min)
        if f.max is not None and value > f.max:
            return None, msg("form.at_most", label=label, max=f.max)
        return value, None
    if f.type == "date":
        try:
            return _parse_date(value).isoformat(), None
        except ValueError as exc:
            if str(exc) == "存在しない":
                return None, msg("form.no_such_date", label=label, value=value)
            return None, msg("form.date_format", label=label)
    if f.type == "choice":
        if not isinstance(value, str) or value not in {c.value for c in f.choices}:
            return None, msg("form.choose_from", label=label)
        return value, None
    if f.type == "multichoice":
        if isinstance(value, str) or not isinstance(value, (list, tuple, set, frozenset)):
            return None, msg("form.choose_from", label=label)
        allowed = [c.value for c in f.choices]
        values = list(value)
        if any(not isinstance(v, str) or v not in allowed for v in values):
            return None, msg("form.not_a_choice", label=label)
        if len(set(values)) != len(values):
            return None, msg("form.choice_twice", label=label)
        return [v for v in allowed if v in values], None
    if f.type == "boolean":
        if not isinstance(value, bool):
            return None, msg("form.yes_no", label=label)
        return value, None
    return None, msg("form.unknown_type", label=label)


def validate(
    defn: FormDefinition,
    data: Mapping[str, Any],
    *,
    mode: str,
    context: Mapping[str, date] | None = None,
) -> dict[str, Any]:
    """Return the data to store, or raise FormValidationError with a message per field.

    mode "draft": types, choices and lengths only. mode "submit": also required, required_if and
    date rules against `context` (today, list_accepted, approach_started, ...). A rule whose date
    is not known yet (no approach recorded) is skipped here; the workflow rule refuses instead.
    """
    if mode not in ("draft", "submit"):
        raise ValueError(mode)
    if not isinstance(data, Mapping):
        raise FormValidationError({"_form": msg("form.bad_shape")}, title_ja=defn.title_ja)
    errors: dict[str, Message] = {}
    unknown = [k for k in data if k not in defn.field_names]
    if unknown:
        errors["_form"] = msg("form.unknown_fields", fields=", ".join(map(str, unknown)))
    out: dict[str, Any] = {}
    for f in defn.fields:
        value = data.get(f.name)
        if _is_empty(value):
            out[f.name] = value if isinstance(value, str) else None  # keep "" as typed
            continue
        stored, err = _normalise_field(f, value)
        if err:
            errors[f.name] = err
        else:
            out[f.name] = stored
    if mode == "submit":
        for f in defn.fields:
            if f.name in errors:
                continue
            needed = f.required or (
                f.required_if is not None and out.get(f.required_if[0]) == f.required_if[1]
            )  # fmt: skip
            if needed and _is_empty(out.get(f.name)):
                verb = "choose" if f.type in ("choice", "multichoice", "boolean") else "enter"
                if f.required_if and not f.required:
                    other = defn.field(f.required_if[0])
                    cond = other.choice_label(f.required_if[1])
                    errors[f.name] = msg(f"form.required_if_{verb}", other=other.label_ja, cond=cond, label=f.label_ja)
                else:
                    errors[f.name] = msg(f"form.needed_{verb}", label=f.label_ja)
        errors.update(_date_rule_errors(defn, out, errors, context or {}))
    if errors:
        raise FormValidationError(errors, title_ja=defn.title_ja)
    return out


def _date_rule_errors(
    defn: FormDefinition, out: Mapping[str, Any], errors: Mapping[str, Any], context: Mapping[str, date]
) -> dict[str, Message]:
    found: dict[str, Message] = {}
    for f in defn.fields:
        if f.type != "date" or f.name in errors or _is_empty(out.get(f.name)):
            continue
        value = date.fromisoformat(out[f.name])

        def ref_date(ref: str) -> tuple[date | None, str | Localized]:
            if ref.startswith("field:"):
                other = defn.field(ref[6:])
                raw = out.get(other.name)
                return (date.fromisoformat(raw) if raw and other.name not in errors else None), other.label_ja
            return context.get(ref), Localized(DATE_CONTEXT_LABELS[ref], DATE_CONTEXT_LABELS_EN[ref])

        for ref in f.not_after:
            limit, what = ref_date(ref)
            if limit is not None and value > limit:
                if ref == "today":
                    found[f.name] = msg("form.future_date", label=f.label_ja, date=value, today=limit)
                else:
                    found[f.name] = msg("form.date_after", label=f.label_ja, date=value, what=what, limit=limit)
                break
        if f.name in found:
            continue
        for ref in f.not_before:
            limit, what = ref_date(ref)
            if limit is not None and value < limit:
                found[f.name] = msg("form.date_before", label=f.label_ja, date=value, what=what, limit=limit)
                break
    return found


# ---------------------------------------------------------------------------------------------
# Display and print
# ---------------------------------------------------------------------------------------------


def display_value(f: FieldDef, value: Any) -> str:
    """A stored value as a person reads it (choice labels, 2025年9月1日, はい/いいえ); unescaped."""
    if _is_empty(value):
        return ""
    if f.type == "choice":
        return f.choice_label(value)
    if f.type == "multichoice":
        return "、".join(f.choice_label(v) for v in value)
    if f.type == "boolean":
        return "はい" if value else "いいえ"
    if f.type == "date":
        try:
            return fmt_date_ja(date.fromisoformat(value))
        except (TypeError, ValueError):
            return str(value)
    return str(value)


def print_rows(defn: FormDefinition, data: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(label, value) per field in definition order: what a printed form shows."""
    return [(f.label_ja, display_value(f, data.get(f.name))) for f in defn.fields]


def print_html(defn: FormDefinition, data: Mapping[str, Any], *, heading: str = "") -> str:
    """A printable HTML table; every label and value is escaped, so typed <script> stays text."""
    rows = "".join(
        f"<tr><th>{html.escape(label)}</th><td>{html.escape(value).replace(chr(10), '<br>')}</td></tr>"
        for label, value in print_rows(defn, data)
    )
    head = f"<h2>{html.escape(defn.title_ja)}</h2>" + (f"<p>{html.escape(heading)}</p>" if heading else "")
    return f'<section class="kodomo-form-print">{head}<table>{rows}</table></section>'
