"""Education + welfare sum (Izumi): two sub-scores from two departments' data, summed.

Izumi ranked 6,500 children by the sum and took the top 200, plus 6 children whose welfare
score alone was high (to check what the school-side data missed). Both sizes are parameters.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from kodomo_dash.screening.base import ParamSpec, ScoreResult, order_ranks
from kodomo_dash.screening.cohorts import ensure_derived
from kodomo_dash.screening.rule_method import RuleSetMethod
from kodomo_dash.screening.rules import item_points

PREFIX = {"education": "【教育】", "welfare": "【福祉】"}


class EduWelfareMethod(RuleSetMethod):
    name = "edu_welfare"
    label_ja = "教育＋福祉スコア（和泉市方式）"
    description_ja = "教育側と福祉側のスコアを別々に計算して合計する。合計の上位と、福祉側だけが高いこどもをリストにする。"

    preset = "izumi"

    def param_specs(self) -> list[ParamSpec]:
        return [
            ParamSpec("top_n", "合計スコアで選ぶ人数（上位）", "int", 200, min=0, max=100000),
            ParamSpec("extra_welfare_n", "福祉側スコアだけで追加する人数", "int", 6, min=0, max=100000),
            ParamSpec("min_score", "リストに載せる最低スコア", "float", 1, min=0, max=100000),
        ]

    def _score(self, frame: pd.DataFrame, params: dict[str, Any]) -> ScoreResult:
        frame = ensure_derived(frame, self.as_of)
        rs = self.rule_set
        edu_hits = rs.hits(frame, "education")
        wel_hits = rs.hits(frame, "welfare")
        edu = item_points(rs, edu_hits).sum(axis=1).to_numpy() if len(edu_hits.columns) else np.zeros(len(frame))
        wel = item_points(rs, wel_hits).sum(axis=1).to_numpy() if len(wel_hits.columns) else np.zeros(len(frame))
        out = pd.DataFrame(
            {"resident_id": frame["resident_id"].to_numpy(), "education_score": edu, "welfare_score": wel}
        )
        out["score"] = out["education_score"] + out["welfare_score"]
        main_rank = order_ranks(out, ["score", "welfare_score"], [False, False])
        eligible = out["score"] >= params["min_score"]
        top = out.index[(main_rank <= params["top_n"]) & eligible]
        rest = out.drop(index=top)
        rest = rest[rest["welfare_score"] >= params["min_score"]]
        extra = rest.sort_values(["welfare_score", "score", "resident_id"], ascending=[False, False, True],
                                 kind="mergesort").head(params["extra_welfare_n"]).index
        out["list_part"] = pd.Series(pd.NA, index=out.index, dtype="string")
        out.loc[top, "list_part"] = "top"
        out.loc[extra, "list_part"] = "welfare_only"
        out["in_list"] = out["list_part"].notna()
        picked = sorted(top, key=lambda i: main_rank[i]) + list(extra)
        remaining = out.drop(index=picked)
        rank = pd.Series(0, index=out.index, dtype="int64")
        rank.loc[picked] = np.arange(1, len(picked) + 1)
        rank.loc[remaining.index] = order_ranks(remaining, ["score", "welfare_score"], [False, False]) + len(picked)
        out["rank"] = rank
        hits = pd.concat([edu_hits, wel_hits], axis=1)
        out["reasons"] = self.reasons(frame, hits, prefix=PREFIX).to_numpy()
        return ScoreResult(
            method=self.name,
            label_ja=self.label_ja,
            frame=out,
            params=params,
            version=self.version(),
            meta={"hits_per_item": hits.sum().astype(int).to_dict()},
        )
