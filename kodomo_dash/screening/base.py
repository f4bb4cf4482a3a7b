"""The one interface every screening method implements (decision 000, point 4).

A page, a run and the model card treat the four shipped methods alike: each declares its
parameters (so a page can draw inputs and a run can store them as JSON), validates them
with Japanese messages before anything is computed, and returns a `ScoreResult` with a
score, a rank and reasons per child, plus the method's own list rule (`in_list`).
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from kodomo_dash.config.messages import msg
from kodomo_dash.screening.errors import ScreeningError


@dataclass(frozen=True)
class ParamSpec:
    """A parameter a manager may set; `kind` is int, float, bool or choice."""

    name: str
    label_ja: str
    kind: str
    default: Any
    min: float | None = None
    max: float | None = None
    choices: tuple[Any, ...] = ()
    optional: bool = False
    help_ja: str = ""

    def validate(self, value: Any) -> Any:
        if value is None:
            if self.optional:
                return None
            raise ScreeningError(msg("sc.param_missing", label=self.label_ja), code="missing_param")
        if self.kind == "bool":
            if not isinstance(value, bool):
                raise ScreeningError(msg("sc.param_bool", label=self.label_ja), code="bad_param")
            return value
        if self.kind == "choice":
            if value not in self.choices:
                shown = "、".join(str(c) for c in self.choices)
                raise ScreeningError(msg("sc.param_choice", label=self.label_ja, choices=shown), code="bad_param")
            return value
        number = check_number(value, self.label_ja)
        if self.kind == "int":
            if not float(number).is_integer():
                raise ScreeningError(msg("sc.param_int", label=self.label_ja, value=value), code="bad_param")
            number = int(number)
        check_range(number, self.label_ja, self.min, self.max)
        return number


def check_number(value: Any, label: Any) -> float | int:
    """Numbers only: a bool, a string or NaN from a form or YAML is refused, not coerced."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ScreeningError(msg("sc.not_number", label=label, value=repr(value)), code="not_numeric")
    if isinstance(value, float) and not math.isfinite(value):
        raise ScreeningError(msg("sc.not_finite", label=label, value=value), code="not_numeric")
    return value


def check_range(value: float, label: Any, lo: float | None, hi: float | None) -> None:
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        lo_s = "" if lo is None else f"{lo:g}"
        hi_s = "" if hi is None else f"{hi:g}"
        raise ScreeningError(msg("sc.out_of_range", label=label, lo=lo_s, hi=hi_s, value=value), code="out_of_range")


def validate_params(specs: Sequence[ParamSpec], params: Mapping[str, Any] | None) -> dict[str, Any]:
    """Defaults filled in, unknown names refused (a typo must not be silently ignored)."""
    params = dict(params or {})
    known = {s.name for s in specs}
    unknown = sorted(set(params) - known)
    if unknown:
        raise ScreeningError(msg("sc.unknown_params", unknown="、".join(unknown), known="、".join(sorted(known))),
                             code="unknown_param")  # fmt: skip
    return {s.name: s.validate(params.get(s.name, s.default)) for s in specs}


RESULT_COLUMNS = ("resident_id", "score", "rank", "reasons", "in_list")


@dataclass
class ScoreResult:
    """Per-child output of one method on one frame.

    `frame` has resident_id, score (higher = more in need of a look), rank (1 = first on
    the list, in the method's own order), reasons (list of Japanese strings), in_list (the
    method's own list rule: Beppu's 20+10, Izumi's N+welfare-only, a threshold...) and
    any sub-scores. `version` is the model version or rule-set checksum used.
    """

    method: str
    label_ja: str
    frame: pd.DataFrame
    params: dict[str, Any]
    version: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def ranked(self) -> pd.DataFrame:
        return self.frame.sort_values("rank").reset_index(drop=True)

    def own_list(self) -> pd.DataFrame:
        return self.ranked().loc[lambda d: d["in_list"]].reset_index(drop=True)

    def select(self, top_n: int | None = None, threshold: float | None = None) -> pd.DataFrame:
        """The list a run writes: the method's own rule, or top N and/or score ≥ threshold."""
        if top_n is None and threshold is None:
            return self.own_list()
        out = self.ranked()
        if threshold is not None:
            out = out[out["score"] >= threshold]
        if top_n is not None:
            out = out.head(top_n)
        return out.reset_index(drop=True)

    def sub_score_columns(self) -> list[str]:
        return [c for c in self.frame.columns if c not in RESULT_COLUMNS]


def order_ranks(frame: pd.DataFrame, keys: Sequence[str], ascending: Sequence[bool]) -> pd.Series:
    """Rank 1..n by the given sort keys, ties broken by resident_id so runs are repeatable."""
    order = frame.sort_values([*keys, "resident_id"], ascending=[*ascending, True], kind="mergesort").index
    rank = pd.Series(range(1, len(frame) + 1), index=order)
    return rank.reindex(frame.index).astype("int64")


class Method(ABC):
    """A screening method. Subclasses set `name`, `label_ja` and implement `param_specs`, `_score`."""

    name: str = ""
    label_ja: str = ""
    description_ja: str = ""

    @abstractmethod
    def param_specs(self) -> list[ParamSpec]: ...

    def validate_params(self, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        return validate_params(self.param_specs(), params)

    def version(self) -> str | None:
        """Model version or rule-set checksum; stored with every run."""
        return None

    def columns_read(self) -> frozenset[str] | None:
        """The feature columns the method scores from (None: not known).

        Comparisons use it to flag a method that reads the label's own definition.
        """
        return None

    def score(self, frame: pd.DataFrame, params: Mapping[str, Any] | None = None) -> ScoreResult:
        """Validate, then score. An empty frame is refused: there is nobody to rank."""
        checked = self.validate_params(params)
        if "resident_id" not in frame.columns:
            raise ScreeningError(msg("sc.no_resident_id"), code="missing_columns")
        if len(frame) == 0:
            raise ScreeningError(msg("sc.no_children"), code="empty_cohort")
        if frame["resident_id"].duplicated().any():
            raise ScreeningError(msg("sc.duplicate_ids"), code="duplicate_ids")
        result = self._score(frame.reset_index(drop=True), checked)
        missing = [c for c in RESULT_COLUMNS if c not in result.frame.columns]
        if missing:  # a programming error in a method, not user input
            raise RuntimeError(f"{self.name} returned no {missing}")
        return result

    @abstractmethod
    def _score(self, frame: pd.DataFrame, params: dict[str, Any]) -> ScoreResult: ...
