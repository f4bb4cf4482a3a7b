"""Rule sets: items, weights and thresholds kept as data a manager can edit.

Amagasaki's points (表 8-2, 8-3), Beppu's item lists and Izumi's two sub-scores are all
rule sets: named parameters (young-mother age, absence days...) and items, each a condition
over feature columns with points and a section. The presets ship as YAML in
`screening/presets/`; an edited set is validated here (Japanese messages naming the item)
and versioned in casework by `runs.save_rule_set`. Conditions are a small closed language
(compare a column with a number or a parameter; any / all / not) so a saved rule set can
never run code.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd
import yaml

from kodomo_dash.config.messages import Message, msg
from kodomo_dash.screening.base import check_number, check_range
from kodomo_dash.screening.errors import ScreeningError
from kodomo_dash.screening.features import BY_NAME, DERIVED_COLUMNS, OPTIONAL_COLUMNS, label_ja

OPS = {"eq", "ne", "lt", "le", "gt", "ge", "in"}
TARGETS = {"all": "全員", "preschool": "未就学児のみ", "school": "小中学生のみ"}
MAX_POINTS = 1000
PRESETS = ("amagasaki", "beppu", "izumi")


def _known_column(name: str) -> bool:
    return name in BY_NAME or name in DERIVED_COLUMNS or name in OPTIONAL_COLUMNS


@dataclass(frozen=True)
class RuleParam:
    key: str
    label_ja: str
    value: float
    min: float
    max: float
    kind: str = "int"  # int | float
    unit: str = ""
    format: str = ""  # "percent" shows 0.1 as 10%

    def shown(self) -> str:
        return _fmt_value(self.value, self.format) + self.unit


@dataclass(frozen=True)
class RuleItem:
    key: str
    label_ja: str
    section: str
    points: float
    item_no: int | None = None  # the number in the source table (①..⑯)
    target: str = "all"
    when: dict | None = None
    suggest: dict | None = None
    reason_ja: str = ""
    enabled: bool = True
    optional: bool = False
    basic_item: int | None = None

    def columns(self) -> list[str]:
        return condition_columns(self.when) if self.when else []


def _fmt_value(v: Any, fmt: str = "") -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return "データなし"
    if fmt == "percent":
        return f"{float(v):.0%}"
    f = float(v)
    return str(int(f)) if f.is_integer() else f"{f:.1f}"


def condition_columns(cond: Mapping) -> list[str]:
    for key in ("any", "all"):
        if key in cond:
            return [c for sub in cond[key] for c in condition_columns(sub)]
    if "not" in cond:
        return condition_columns(cond["not"])
    return [cond["column"]]


class RuleSet:
    """A validated, immutable rule set. Build with `from_dict`, `from_yaml` or `preset`."""

    def __init__(self, definition: dict[str, Any]) -> None:
        self._definition = definition
        self.name: str = definition["name"]
        self.label_ja: str = definition["label_ja"]
        self.description_ja: str = definition.get("description_ja", "")
        self.source_ja: str = definition.get("source_ja", "")
        self.sections: dict[str, str] = dict(definition.get("sections", {}))
        self.params: dict[str, RuleParam] = {
            k: RuleParam(key=k, **v) for k, v in (definition.get("params") or {}).items()
        }
        self.items: tuple[RuleItem, ...] = tuple(RuleItem(**i) for i in definition["items"])

    # ------------------------------------------------------------ construction

    @classmethod
    def from_dict(cls, definition: Mapping[str, Any]) -> RuleSet:
        d = copy.deepcopy(dict(definition))
        _validate_definition(d)
        return cls(d)

    @classmethod
    def from_yaml(cls, text: str) -> RuleSet:
        try:
            d = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ScreeningError(msg("rs.not_yaml", error=exc), code="bad_rule_set") from exc
        if not isinstance(d, dict):
            raise ScreeningError(msg("rs.not_mapping"), code="bad_rule_set")
        return cls.from_dict(d)

    @classmethod
    def preset(cls, name: str) -> RuleSet:
        if name not in PRESETS:
            raise ScreeningError(msg("rs.unknown_preset", name=name, choices="、".join(PRESETS)), code="unknown_preset")
        return cls.from_dict(_preset_definition(name))

    def to_dict(self) -> dict[str, Any]:
        return copy.deepcopy(self._definition)

    def to_json(self) -> str:
        return json.dumps(self._definition, ensure_ascii=False, sort_keys=True)

    def checksum(self) -> str:
        """Identifies the exact weights and thresholds; stored with every run."""
        return hashlib.sha256(self.to_json().encode()).hexdigest()[:16]

    def with_changes(
        self,
        points: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
        enabled: Mapping[str, bool] | None = None,
    ) -> RuleSet:
        """A new, validated rule set with edited weights, parameters or switched-off items."""
        d = self.to_dict()
        items = {i["key"]: i for i in d["items"]}
        for kind, changes in (("points", points), ("enabled", enabled)):
            for key, value in (changes or {}).items():
                if key not in items:
                    raise ScreeningError(msg("rs.unknown_item", key=key), code="unknown_item")
                items[key][kind] = value
        for key, value in (params or {}).items():
            if key not in (d.get("params") or {}):
                raise ScreeningError(msg("rs.unknown_param", key=key), code="unknown_param")
            d["params"][key]["value"] = value
        return RuleSet.from_dict(d)

    # ------------------------------------------------------------ reading

    def item(self, key: str) -> RuleItem:
        for i in self.items:
            if i.key == key:
                return i
        raise ScreeningError(msg("rs.unknown_item", key=key), code="unknown_item")

    def items_in(self, section: str) -> list[RuleItem]:
        return [i for i in self.items if i.section == section and i.enabled]

    def param_value(self, key: str) -> float:
        return self.params[key].value

    def without_columns(self, columns: Iterable[str]) -> RuleSet:
        """The same set with every item that reads one of `columns` switched off.

        Used by the model card to compare methods without label-derived columns
        (features.LABEL_DERIVED), which would otherwise re-find the training label.
        """
        cols = set(columns)
        off = {i.key: False for i in self.items if i.enabled and i.when and cols & set(i.columns())}
        return self.with_changes(enabled=off) if off else self

    def point_table(self) -> pd.DataFrame:
        """Items as a table (section, no, label, target, points, condition) for pages and docs."""
        rows = []
        for i in self.items:
            rows.append(
                {
                    "section": i.section,
                    "section_ja": self.sections.get(i.section, i.section),
                    "item_no": i.item_no,
                    "key": i.key,
                    "label_ja": i.label_ja,
                    "target_ja": TARGETS[i.target],
                    "points": i.points,
                    "enabled": i.enabled,
                    "condition_ja": self.describe_condition(i.when) if i.when else "職員が記録",
                }
            )
        return pd.DataFrame(rows)

    def describe_condition(self, cond: Mapping) -> str:
        names = {"eq": "＝", "ne": "≠", "lt": "＜", "le": "≦", "gt": "＞", "ge": "≧", "in": "∈"}
        if "any" in cond:
            return "（" + " または ".join(self.describe_condition(c) for c in cond["any"]) + "）"
        if "all" in cond:
            return "（" + " かつ ".join(self.describe_condition(c) for c in cond["all"]) + "）"
        if "not" in cond:
            return f"（{self.describe_condition(cond['not'])} ではない）"
        if "param" in cond:
            p = self.params[cond["param"]]
            rhs = f"{p.label_ja}（{p.shown()}）"
        else:
            rhs = str(cond["value"])
        return f"{label_ja(cond['column'])} {names[cond['op']]} {rhs}"

    # ------------------------------------------------------------ evaluation

    def mask(self, frame: pd.DataFrame, cond: Mapping) -> np.ndarray:
        if "any" in cond:
            out = np.zeros(len(frame), dtype=bool)
            for sub in cond["any"]:
                out |= self.mask(frame, sub)
            return out
        if "all" in cond:
            out = np.ones(len(frame), dtype=bool)
            for sub in cond["all"]:
                out &= self.mask(frame, sub)
            return out
        if "not" in cond:
            return ~self.mask(frame, cond["not"])
        col = frame[cond["column"]]
        rhs = self.params[cond["param"]].value if "param" in cond else cond["value"]
        op = cond["op"]
        if op == "in":
            res = col.isin(list(rhs))
        else:
            res = getattr(col, op)(rhs)
        # A missing value never satisfies a comparison: no data is not a risk in itself.
        return np.asarray(res.fillna(False), dtype=bool) & np.asarray(col.notna(), dtype=bool)

    def unavailable_items(self, frame: pd.DataFrame) -> list[RuleItem]:
        """Optional items whose columns this data lacks (e.g. check-up questionnaire answers)."""
        return [i for i in self.items if i.when and i.optional and any(c not in frame.columns for c in i.columns())]

    def hits(self, frame: pd.DataFrame, section: str) -> pd.DataFrame:
        """Boolean frame (children × enabled items of a section) of which conditions are met."""
        items = [i for i in self.items_in(section) if i.when]
        unavailable = {i.key for i in self.unavailable_items(frame)}
        needed = sorted({c for i in items if i.key not in unavailable for c in i.columns()} | {"stage"})
        missing = [c for c in needed if c not in frame.columns]
        if missing:
            shown = "、".join(f"{label_ja(c)}（{c}）" for c in missing)
            raise ScreeningError(msg("rs.missing_columns", rule_set=self.label_ja, shown=shown), code="missing_columns")
        stage = frame["stage"].astype("string")
        out = {}
        for i in items:
            if i.key in unavailable:
                continue
            mask = self.mask(frame, i.when)
            if i.target != "all":
                mask &= np.asarray(stage == i.target, dtype=bool)
            out[i.key] = mask
        return pd.DataFrame(out, index=frame.index, dtype=bool)

    def reason_texts(self, frame: pd.DataFrame, item: RuleItem, mask: np.ndarray) -> pd.Series:
        """Japanese reason for each child the item hits, e.g. '若年出産: 母親の妊娠届出時年齢が18歳（20歳未満）'."""
        idx = frame.index[mask]
        template = item.reason_ja or item.label_ja
        params = {k: p.shown() for k, p in self.params.items()}
        if "{value}" in template:
            col = item.columns()[0]
            fmt = "percent" if col == "attendance_ratio" else ""
            values = frame.loc[idx, col].map(lambda v: _fmt_value(v, fmt))
            texts = values.map(lambda v: template.format(value=v, **params))
        else:
            texts = pd.Series(template.format(**params), index=idx)
        return texts


# ---------------------------------------------------------------- validation


def _fail(message: Message, code: str = "bad_rule_set") -> None:
    raise ScreeningError(message, code=code)


def _validate_condition(cond: Any, where: Message, params: Mapping[str, Any], optional: bool) -> None:
    if not isinstance(cond, Mapping):
        _fail(msg("rs.cond_shape", where=where))
    for key in ("any", "all"):
        if key in cond:
            subs = cond[key]
            if not isinstance(subs, list) or not subs:
                _fail(msg("rs.cond_list", where=where, key=key))
            for s in subs:
                _validate_condition(s, where, params, optional)
            return
    if "not" in cond:
        _validate_condition(cond["not"], where, params, optional)
        return
    col = cond.get("column")
    if not isinstance(col, str) or (not optional and not _known_column(col)):
        _fail(msg("rs.cond_column", where=where, column=col))
    if cond.get("op") not in OPS:
        _fail(msg("rs.cond_op", where=where, op=cond.get("op"), ops="、".join(sorted(OPS))))
    has_param, has_value = "param" in cond, "value" in cond
    if has_param == has_value:
        _fail(msg("rs.cond_value_or_param", where=where))
    if has_param and cond["param"] not in params:
        _fail(msg("rs.cond_param_undefined", where=where, param=cond["param"]))
    if has_value:
        v = cond["value"]
        if cond["op"] == "in":
            if not isinstance(v, list) or not v:
                _fail(msg("rs.cond_in", where=where))
        elif not isinstance(v, str):
            check_number(v, msg("rs.compared_value", where=where))


def _validate_definition(d: dict[str, Any]) -> None:
    for key in ("name", "label_ja", "items"):
        if key not in d:
            _fail(msg("rs.missing_key", key=key))
    if not isinstance(d["name"], str) or not d["name"].strip():
        _fail(msg("rs.name_required"))
    params = d.get("params") or {}
    if not isinstance(params, Mapping):
        _fail(msg("rs.params_shape"))
    allowed = {"label_ja", "value", "min", "max", "kind", "unit", "format"}
    for key, p in params.items():
        if not isinstance(p, Mapping) or "label_ja" not in p or "value" not in p:
            _fail(msg("rs.param_needs", key=key))
        extra = set(p) - allowed
        if extra:
            _fail(msg("rs.param_unknown_settings", label=p["label_ja"], extra="、".join(sorted(map(str, extra)))))
        label = msg("rs.param", label=p["label_ja"])
        value = check_number(p["value"], label)
        lo = check_number(p.get("min", value), msg("rs.lower", what=label))
        hi = check_number(p.get("max", value), msg("rs.upper", what=label))
        if lo > hi:
            _fail(msg("rs.lower_above_upper", what=label))
        check_range(value, p["label_ja"], lo, hi)
        kind = p.get("kind", "int")
        if kind not in ("int", "float"):
            _fail(msg("rs.param_kind", what=label))
        if kind == "int" and not float(value).is_integer():
            _fail(msg("sc.param_int", label=p["label_ja"], value=value), code="bad_param")
        p.setdefault("min", lo)
        p.setdefault("max", hi)
    items = d["items"]
    if not isinstance(items, list) or not items:
        _fail(msg("rs.no_items"))
    seen: set[str] = set()
    sections = d.get("sections") or {}
    allowed_items = {"key", "label_ja", "section", "points", "item_no", "target", "when", "suggest", "reason_ja",
                     "enabled", "optional", "basic_item"}
    for item in items:
        if not isinstance(item, Mapping) or "key" not in item or "label_ja" not in item:
            _fail(msg("rs.item_needs"))
        where = msg("rs.item", label=item["label_ja"], key=item["key"])
        extra = set(item) - allowed_items
        if extra:
            _fail(msg("rs.item_unknown_settings", where=where, extra="、".join(sorted(map(str, extra)))))
        if item["key"] in seen:
            _fail(msg("rs.item_key_twice", key=item["key"]))
        seen.add(item["key"])
        if "section" not in item or (sections and item["section"] not in sections):
            _fail(msg("rs.item_section", where=where))
        points = check_number(item.get("points"), msg("rs.points_of", where=where))
        if points < 0:
            _fail(msg("rs.points_negative", where=where, value=points), code="negative_weight")
        if points > MAX_POINTS:
            _fail(msg("rs.points_max", where=where, max=MAX_POINTS, value=points), code="out_of_range")
        if item.get("target", "all") not in TARGETS:
            _fail(msg("rs.item_target", where=where, targets="、".join(TARGETS)))
        if not isinstance(item.get("enabled", True), bool):
            _fail(msg("rs.item_enabled", where=where))
        optional = bool(item.get("optional", False))
        for key in ("when", "suggest"):
            if item.get(key) is not None:
                _validate_condition(item[key], where, params, optional)
        template = item.get("reason_ja", "")
        try:
            template.format(value="", **{k: "" for k in params})
        except (KeyError, IndexError, ValueError) as exc:
            _fail(msg("rs.reason_placeholder", where=where, error=exc))


# ---------------------------------------------------------------- helpers shared by the methods


def item_points(rule_set: RuleSet, hits: pd.DataFrame) -> pd.DataFrame:
    """Points per child and item (0 where not hit)."""
    weights = pd.Series({i.key: float(i.points) for i in rule_set.items if i.key in hits.columns})
    return hits[weights.index].astype(float).mul(weights, axis=1)


def collect_reasons(
    frame: pd.DataFrame,
    rule_set: RuleSet,
    hits: pd.DataFrame,
    prefix: Mapping[str, str] | None = None,
    show_points: bool = True,
) -> pd.Series:
    """A list of Japanese reasons per child, highest-point items first."""
    parts = []
    order = {i.key: n for n, i in enumerate(rule_set.items)}
    for key in hits.columns:
        mask = hits[key].to_numpy()
        if not mask.any():
            continue
        item = rule_set.item(key)
        texts = rule_set.reason_texts(frame, item, mask)
        pre = (prefix or {}).get(item.section, "")
        suffix = f"（+{_fmt_value(item.points)}点）" if show_points else ""
        parts.append(pd.DataFrame({"pos": np.flatnonzero(mask), "p": -float(item.points), "o": order[key],
                                   "text": pre + texts.to_numpy() + suffix}))
    out: list[list[str]] = [[] for _ in range(len(frame))]
    if parts:
        allp = pd.concat(parts, ignore_index=True).sort_values(["pos", "p", "o"], kind="mergesort")
        pos = allp["pos"].to_numpy()
        starts = np.flatnonzero(np.r_[True, pos[1:] != pos[:-1]])
        for p, texts in zip(pos[starts], np.split(allp["text"].to_numpy(), starts[1:]), strict=True):
            out[int(p)] = texts.tolist()
    return pd.Series(out, index=frame.index, dtype=object)


@functools.cache
def _preset_definition(name: str) -> dict[str, Any]:
    """A shipped preset's YAML, parsed once per process (from_dict copies it before use)."""
    text = resources.files("kodomo_dash.screening").joinpath("presets", f"{name}.yaml").read_text("utf-8")
    return RuleSet.from_yaml(text).to_dict()
