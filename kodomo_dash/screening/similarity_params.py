"""The similarity model's parameters, apart from the model itself.

The screening page draws the run form from these on its first render; importing
`screening.similarity` would load scikit-learn and joblib (seconds) before anyone asked
for a model. Only `base` is imported here.
"""

from __future__ import annotations

from kodomo_dash.screening.base import ParamSpec

TRAIN_PARAMS: list[ParamSpec] = [
    ParamSpec("max_iter", "木の本数", "int", 100, min=10, max=2000),
    ParamSpec("learning_rate", "学習率", "float", 0.15, min=0.001, max=1.0),
    ParamSpec("max_leaf_nodes", "1本の木の葉の数", "int", 8, min=2, max=64),
    ParamSpec("max_depth", "木の深さ", "int", 3, min=1, max=16),
    ParamSpec("min_samples_leaf", "葉の最小人数", "int", 40, min=1, max=100000),
    ParamSpec("l2_regularization", "L2正則化", "float", 1.0, min=0.0, max=1000.0),
    ParamSpec("calibration_fraction", "較正・評価用に取り分ける割合", "float", 0.2, min=0.05, max=0.5),
    ParamSpec("calibration", "較正の方法", "choice", "sigmoid", choices=("sigmoid", "isotonic")),
    ParamSpec("min_positives", "学習に必要な過去の支援ケースの最少人数", "int", 20, min=2, max=100000),
    ParamSpec("importance_sample", "全体の要因集計に使う人数", "int", 5000, min=100, max=1000000),
    ParamSpec("random_state", "乱数の種", "int", 0, min=0, max=2**31 - 1),
]

SCORE_PARAMS: list[ParamSpec] = [
    ParamSpec("top_n", "リストに載せる人数（類似度の上位）", "int", 200, min=1, max=1000000),
    ParamSpec("n_reasons", "1人あたりに示す要因の数", "int", 3, min=1, max=10),
    ParamSpec("explain_top", "要因を計算する人数（上位から、0は全員）", "int", 10000, min=0, max=10000000),
    ParamSpec("min_contribution", "要因として示す最小の寄与（対数オッズ）", "float", 0.0, min=0.0, max=10.0),
]


def score_param_specs() -> list[ParamSpec]:
    """Copies, so a caller editing a spec cannot change the shipped defaults."""
    return list(SCORE_PARAMS)
