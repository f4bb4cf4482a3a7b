"""Rule points (Amagasaki, 表 8-2 / 8-3): system-judged points plus recorded human assessment.

The 15 system items are computed from the warehouse. The 16 human-assessment items have no
warehouse data: a person records each as 0/1 in casework (`screening_assessment`), default
0, and recorded values add their points. Some items have a `suggest` condition the
recording form may show as a hint ('データ上は一時保護歴あり'), but a hint never scores by
itself: Amagasaki kept those items for a person's judgement.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from kodomo_dash.config.messages import msg
from kodomo_dash.screening.base import ParamSpec, ScoreResult, order_ranks
from kodomo_dash.screening.cohorts import ensure_derived
from kodomo_dash.screening.errors import ScreeningError
from kodomo_dash.screening.rule_method import RuleSetMethod
from kodomo_dash.screening.rules import RuleSet, condition_columns, item_points

ASSESSMENT_PREFIX = "【人によるアセスメント】"


def check_assessments(rule_set: RuleSet, assessments: pd.DataFrame | None) -> pd.DataFrame:
    """Validated (resident_id, item_key, value) rows; the latest per child and item is expected."""
    cols = ["resident_id", "item_key", "value"]
    if assessments is None or len(assessments) == 0:
        return pd.DataFrame(columns=cols)
    missing = [c for c in cols if c not in assessments.columns]
    if missing:
        raise ScreeningError(msg("sc.assessment_columns", missing="、".join(missing)), code="bad_assessment")
    keys = {i.key for i in rule_set.items if i.section == "assessment"}
    unknown = sorted(set(assessments["item_key"]) - keys)
    if unknown:
        raise ScreeningError(msg("sc.assessment_unknown_item", item="、".join(unknown), rule_set=rule_set.label_ja),
                             code="bad_assessment")  # fmt: skip
    bad = ~assessments["value"].isin([0, 1])
    if bad.any():
        raise ScreeningError(msg("sc.assessment_values"), code="bad_assessment")
    return assessments[cols]


def suggest_assessments(rule_set: RuleSet, frame: pd.DataFrame, as_of: date | str | None = None) -> pd.DataFrame:
    """Hints for the recording form: (resident_id, item_key, label_ja) where data suggests 'yes'."""
    frame = ensure_derived(frame, as_of)
    rows = []
    for item in rule_set.items:
        if item.section != "assessment" or not item.suggest:
            continue
        cols = [c for c in condition_columns(item.suggest) if c not in frame.columns]
        if cols:
            continue
        mask = rule_set.mask(frame, item.suggest)
        rows.append(pd.DataFrame({"resident_id": frame.loc[mask, "resident_id"].to_numpy(), "item_key": item.key,
                                  "label_ja": item.label_ja}))
    if not rows:
        return pd.DataFrame(columns=["resident_id", "item_key", "label_ja"])
    return pd.concat(rows, ignore_index=True)


class RulePointsMethod(RuleSetMethod):
    """Sum of item points; the list is everyone at or above the rule set's list threshold."""

    name = "rule_points"
    label_ja = "ルール点数（尼崎市方式）"
    description_ja = "項目ごとの点数（表 8-2・8-3）の合計。点数と閾値は管理者が変更でき、版として残る。"
    preset = "amagasaki"

    def __init__(
        self,
        rule_set: RuleSet | None = None,
        assessments: pd.DataFrame | None = None,
        as_of: date | str | None = None,
        explain: bool = True,
    ) -> None:
        super().__init__(rule_set, as_of, explain)
        self.assessments = check_assessments(self.rule_set, assessments)

    def param_specs(self) -> list[ParamSpec]:
        default = self.rule_set.params["list_threshold"].value if "list_threshold" in self.rule_set.params else 10
        return [
            ParamSpec("threshold", "リストに載せる合計点（以上）", "float", default, min=0, max=100000),
            ParamSpec("include_assessment", "人によるアセスメントの点数を含める", "bool", True),
        ]

    def _score(self, frame: pd.DataFrame, params: dict[str, Any]) -> ScoreResult:
        frame = ensure_derived(frame, self.as_of)
        rs = self.rule_set
        hits = rs.hits(frame, "system")
        pts = item_points(rs, hits)
        system = pts.sum(axis=1).to_numpy() if len(pts.columns) else np.zeros(len(frame))
        all_hits = hits
        assessment = np.zeros(len(frame))
        if params["include_assessment"] and len(self.assessments):
            enabled = {i.key: float(i.points) for i in rs.items_in("assessment")}
            recorded = self.assessments[self.assessments["item_key"].isin(list(enabled))]
            wide = recorded.pivot_table(index="resident_id", columns="item_key", values="value", aggfunc="last")
            wide = wide.reindex(frame["resident_id"]).fillna(0).astype(bool)
            wide.index = frame.index
            a_pts = wide.astype(float).mul(pd.Series(enabled)[wide.columns], axis=1)
            assessment = a_pts.sum(axis=1).to_numpy()
            all_hits = pd.concat([hits, wide], axis=1)
        reasons = self.reasons(frame, all_hits, prefix={"assessment": ASSESSMENT_PREFIX})
        out = pd.DataFrame(
            {
                "resident_id": frame["resident_id"].to_numpy(),
                "score": system + assessment,
                "system_points": system,
                "assessment_points": assessment,
                "reasons": reasons.to_numpy(),
            }
        )
        out["rank"] = order_ranks(out, ["score"], [False])
        out["in_list"] = out["score"] >= params["threshold"]
        return ScoreResult(
            method=self.name,
            label_ja=self.label_ja,
            frame=out,
            params=params,
            version=self.version(),
            meta={"rule_set": rs.name, "rule_set_checksum": rs.checksum(),
                  "hits_per_item": hits.sum().astype(int).to_dict()},
        )
