"""Capacity planner: pick the list size from the visits staff can make (Izumi's lesson).

Izumi found targets should be set backwards from the support capacity already decided, not
by growth over last year. Fukuoka's FY2025 funnel gives the pass-through rates: 217 listed →
151 after ward checks → 80 decided at the three-department conference → 73 still there to
approach → 57 contacted → 45 with needs. Given the visits available, the planner works
backwards to the list size N and forwards to the expected yield. Rates can be replaced with
a city's own history.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from kodomo_dash.config.messages import Localized, msg
from kodomo_dash.screening.base import check_number
from kodomo_dash.screening.errors import ScreeningError

FUKUOKA_FY2025 = {"listed": 217, "secondary": 151, "conference": 80, "approached": 73, "contacted": 57, "needs": 45}

STAGES_JA = {
    "listed": "一次スクリーニング（リスト）",
    "secondary": "二次スクリーニング後",
    "conference": "三課協議でアプローチ対象",
    "approached": "アプローチ（転出等を除く）",
    "contacted": "接触",
    "needs": "ニーズあり",
}
STAGES_EN = {
    "listed": "primary screening (the list)",
    "secondary": "after secondary screening",
    "conference": "approach decided at the conference",
    "approached": "approached (moves etc. excluded)",
    "contacted": "contacted",
    "needs": "with needs",
}


def _stage(name: str) -> Localized:
    return Localized(STAGES_JA[name], STAGES_EN[name])


@dataclass(frozen=True)
class FunnelRates:
    """Stage-to-stage pass rates; each in (0, 1]."""

    secondary: float  # listed → kept after ward departments' checks
    conference: float  # secondary → decided at the conference
    approached: float  # conference → still there to approach (not moved out)
    contacted: float  # approached → actually met or spoke with the guardian
    needs: float  # contacted → needs found

    @classmethod
    def from_counts(cls, counts: Mapping[str, int]) -> FunnelRates:
        stages = list(STAGES_JA)
        for s in stages:
            check_number(counts.get(s), msg("cap.count_of", stage=_stage(s)))
        rates = {}
        for prev, cur in zip(stages, stages[1:], strict=False):
            if counts[prev] <= 0:
                raise ScreeningError(msg("cap.count_positive", stage=_stage(prev)), code="out_of_range")
            rates[cur] = counts[cur] / counts[prev]
        return cls(**rates)

    @classmethod
    def fukuoka_fy2025(cls) -> FunnelRates:
        return cls.from_counts(FUKUOKA_FY2025)

    def validate(self) -> None:
        for name, v in self.__dict__.items():
            check_number(v, msg("cap.rate_of", stage=_stage(name)))
            if not 0 < v <= 1:
                raise ScreeningError(msg("cap.rate_range", stage=_stage(name), value=v), code="out_of_range")

    def listed_to_approached(self) -> float:
        return self.secondary * self.conference * self.approached


@dataclass(frozen=True)
class CapacityPlan:
    visits_available: float
    visits_per_family: float
    list_size: int
    expected: dict[str, float]  # stage → expected children
    expected_similar: float | None = None  # sum of calibrated probabilities on the list, if given

    def table(self) -> pd.DataFrame:
        """Stage table for the page: 段階, 見込み人数."""
        return pd.DataFrame({"stage": list(self.expected), "stage_ja": [STAGES_JA[s] for s in self.expected],
                             "expected": [round(v, 1) for v in self.expected.values()]})


def plan_from_capacity(
    visits_available: float,
    visits_per_family: float = 2.0,
    rates: FunnelRates | None = None,
    scores: Sequence[float] | None = None,
) -> CapacityPlan:
    """List size N so the approaches it leads to fit the visits available, and the expected yield.

    visits_per_family: home visits and calls needed per approached family on average,
    including repeat attempts. scores: calibrated probabilities of the ranked cohort (the
    similarity model's), to add the expected number of children resembling past cases.
    """
    check_number(visits_available, msg("cap.visits"))
    check_number(visits_per_family, msg("cap.per_family"))
    if visits_available < 0:
        raise ScreeningError(msg("cap.visits_nonnegative"), code="out_of_range")
    if visits_per_family <= 0:
        raise ScreeningError(msg("cap.per_family_positive"), code="out_of_range")
    rates = rates or FunnelRates.fukuoka_fy2025()
    rates.validate()
    families = visits_available / visits_per_family
    n = int(math.floor(families / rates.listed_to_approached() + 1e-9))
    if scores is not None:
        n = min(n, len(scores))
    expected = {"listed": float(n)}
    expected["secondary"] = expected["listed"] * rates.secondary
    expected["conference"] = expected["secondary"] * rates.conference
    expected["approached"] = expected["conference"] * rates.approached
    expected["contacted"] = expected["approached"] * rates.contacted
    expected["needs"] = expected["contacted"] * rates.needs
    similar = None
    if scores is not None:
        s = np.sort(np.asarray(scores, dtype=float))[::-1]
        similar = float(s[:n].sum())
    return CapacityPlan(float(visits_available), float(visits_per_family), n, expected, similar)


def plan_by_ward(
    visits_by_ward: Mapping[str, float],
    visits_per_family: float = 2.0,
    rates: FunnelRates | None = None,
) -> pd.DataFrame:
    """One plan per ward (each ward's nurses visit their own families); totals in the last row."""
    if not visits_by_ward:
        raise ScreeningError(msg("cap.no_wards"), code="missing_param")
    rows = []
    for ward, visits in visits_by_ward.items():
        plan = plan_from_capacity(visits, visits_per_family, rates)
        rows.append({"ward_code": ward, "visits_available": visits, "list_size": plan.list_size,
                     **{f"expected_{k}": v for k, v in plan.expected.items() if k != "listed"}})
    df = pd.DataFrame(rows)
    total = df.drop(columns=["ward_code"]).sum(numeric_only=True).to_dict()
    df = pd.concat([df, pd.DataFrame([{"ward_code": "合計", **total}])], ignore_index=True)
    df["list_size"] = df["list_size"].astype(int)
    return df


def select_by_ward_capacity(ranked: pd.DataFrame, list_sizes: Mapping[str, int]) -> pd.DataFrame:
    """Take each ward's top N from one ranked frame (resident_id, ward_code, rank)."""
    parts = []
    for ward, n in list_sizes.items():
        part = ranked[ranked["ward_code"] == ward].sort_values("rank").head(int(n))
        parts.append(part)
    return pd.concat(parts, ignore_index=True) if parts else ranked.head(0)
