"""What the three rule-based methods share: a versioned rule set, an as-of date, and knowing
which columns they read.

Knowing the columns matters for comparisons: a rule set that scores 相談歴 or 一時保護歴
re-finds the similarity model's training label (every past support case has a consultation
by definition), so the model card and the benchmark also compare it with those items switched
off (`label_free`). See docs/decisions/052-comparing-methods-fairly.md.
"""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

import pandas as pd

from kodomo_dash.screening.base import Method
from kodomo_dash.screening.features import LABEL_DERIVED
from kodomo_dash.screening.rules import RuleSet, collect_reasons


class RuleSetMethod(Method):
    """A method scored from a `RuleSet` (Amagasaki's points, Beppu's counts, Izumi's sum)."""

    preset: str = ""

    def __init__(self, rule_set: RuleSet | None = None, as_of: date | str | None = None,
                 explain: bool = True) -> None:
        self.rule_set = rule_set or RuleSet.preset(self.preset)
        self.as_of = as_of
        self.explain = explain  # False: no reason texts (a comparison over 40,000 children shows none)

    def reasons(self, frame: pd.DataFrame, hits: pd.DataFrame, **kwargs: Any) -> pd.Series:
        """Each child's reasons (`rules.collect_reasons`), or empty lists when not explaining."""
        if not self.explain:
            return pd.Series([[] for _ in range(len(frame))], index=frame.index, dtype=object)
        return collect_reasons(frame, self.rule_set, hits, **kwargs)

    def version(self) -> str:
        return f"{self.rule_set.name}:{self.rule_set.checksum()}"

    def columns_read(self) -> frozenset[str]:
        """Feature columns read by the switched-on items (human assessments read none)."""
        return frozenset(c for item in self.rule_set.items if item.enabled for c in item.columns())

    def label_free(self) -> RuleSetMethod:
        """The same method with every item reading a label-derived column switched off."""
        twin = copy.copy(self)
        twin.rule_set = self.rule_set.without_columns(LABEL_DERIVED)
        return twin
