"""The four shipped methods by name, for pages and runs that let a manager choose one.

Imports are lazy so listing the methods does not load scikit-learn or SHAP.
"""

from __future__ import annotations

from typing import Any

from kodomo_dash.config.messages import msg
from kodomo_dash.screening.base import Method
from kodomo_dash.screening.errors import ScreeningError

METHODS: dict[str, tuple[str, str]] = {
    "similarity": ("類似度モデル（福岡市方式）", "kodomo_dash.screening.similarity:SimilarityMethod"),
    "rule_points": ("ルール点数（尼崎市方式）", "kodomo_dash.screening.points:RulePointsMethod"),
    "item_counts": ("該当項目数（別府市方式）", "kodomo_dash.screening.counts:ItemCountMethod"),
    "edu_welfare": ("教育＋福祉スコア（和泉市方式）", "kodomo_dash.screening.edu_welfare:EduWelfareMethod"),
}


def method_labels() -> dict[str, str]:
    return {k: v[0] for k, v in METHODS.items()}


def build_method(name: str, **kwargs: Any) -> Method:
    """e.g. build_method('rule_points', rule_set=rs, assessments=df, as_of='2025-07-01');
    build_method('similarity', model=SimilarityModel.load(path))."""
    if name not in METHODS:
        raise ScreeningError(msg("sc.unknown_method", name=name, choices="、".join(METHODS)), code="unknown_method")
    module, cls = METHODS[name][1].split(":")
    import importlib

    return getattr(importlib.import_module(module), cls)(**kwargs)
