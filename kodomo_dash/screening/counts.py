"""Item counts (Beppu): hits among the 19 basic linkage items and among the other items.

Beppu listed the top 20 children by basic-item hits plus the top 10 by other-item hits (30).
Its lesson — the highest counts were mostly children already in support — is why a run
applies the exclusions before this list is cut, and why the sizes are parameters.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from kodomo_dash.screening.base import ParamSpec, ScoreResult, order_ranks
from kodomo_dash.screening.cohorts import ensure_derived
from kodomo_dash.screening.rule_method import RuleSetMethod

BASIC_PREFIX = "【基本項目】"
OTHER_PREFIX = "【その他項目】"


class ItemCountMethod(RuleSetMethod):
    name = "item_counts"
    label_ja = "該当項目数（別府市方式）"
    description_ja = "基本連携データ項目19項目への該当数の上位と、その他の項目への該当数の上位を合わせてリストにする。"

    preset = "beppu"

    def param_specs(self) -> list[ParamSpec]:
        return [
            ParamSpec("top_basic", "基本項目の該当数で選ぶ人数（上位）", "int", 20, min=0, max=100000),
            ParamSpec("top_other", "その他項目の該当数で選ぶ人数（上位）", "int", 10, min=0, max=100000),
            ParamSpec("min_hits", "リストに載せる最低該当数", "int", 1, min=1, max=100),
        ]

    def _score(self, frame: pd.DataFrame, params: dict[str, Any]) -> ScoreResult:
        frame = ensure_derived(frame, self.as_of)
        rs = self.rule_set
        basic_hits = rs.hits(frame, "basic")
        other_hits = rs.hits(frame, "other")
        out = pd.DataFrame(
            {
                "resident_id": frame["resident_id"].to_numpy(),
                "basic_hits": basic_hits.sum(axis=1).to_numpy(dtype=int),
                "other_hits": other_hits.sum(axis=1).to_numpy(dtype=int),
            }
        )
        out["score"] = (out["basic_hits"] + out["other_hits"]).astype(float)
        # Basic list first (ties: more other hits, then id), then the other list among the rest.
        by_basic = out.sort_values(["basic_hits", "other_hits", "resident_id"], ascending=[False, False, True],
                                   kind="mergesort")
        basic_pick = by_basic[by_basic["basic_hits"] >= params["min_hits"]].head(params["top_basic"])
        rest = out.drop(index=basic_pick.index)
        by_other = rest.sort_values(["other_hits", "basic_hits", "resident_id"], ascending=[False, False, True],
                                    kind="mergesort")
        other_pick = by_other[by_other["other_hits"] >= params["min_hits"]].head(params["top_other"])
        picked = list(basic_pick.index) + list(other_pick.index)
        out["list_part"] = pd.Series(pd.NA, index=out.index, dtype="string")
        out.loc[basic_pick.index, "list_part"] = "basic"
        out.loc[other_pick.index, "list_part"] = "other"
        out["in_list"] = out["list_part"].notna()
        remaining = out.drop(index=picked)
        rest_rank = order_ranks(remaining, ["score", "basic_hits"], [False, False])
        rank = pd.Series(0, index=out.index, dtype="int64")
        rank.loc[picked] = np.arange(1, len(picked) + 1)
        rank.loc[remaining.index] = rest_rank + len(picked)
        out["rank"] = rank
        hits = pd.concat([basic_hits, other_hits], axis=1)
        out["reasons"] = self.reasons(frame, hits, prefix={"basic": BASIC_PREFIX, "other": OTHER_PREFIX},
                                         show_points=False).to_numpy()
        unavailable = [i.label_ja for i in rs.unavailable_items(frame)]
        return ScoreResult(
            method=self.name,
            label_ja=self.label_ja,
            frame=out,
            params=params,
            version=self.version(),
            meta={"unavailable_items": unavailable, "hits_per_item": hits.sum().astype(int).to_dict()},
        )
