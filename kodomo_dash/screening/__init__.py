"""Screening: four methods on one interface, versioned runs, reasons per child, model-card numbers.

Modules (import what you need; this file stays light so pages load fast):
  base        Method / ParamSpec / ScoreResult — the interface
  features    the input contract (features.child_features columns, labels, model features)
  cohorts     cohorts and exclusions, in pandas and SQL (sql/40_cohorts/)
  rules       rule sets as data (presets/*.yaml), validation, conditions
  similarity  Fukuoka: gradient boosting + calibration + SHAP reasons
  points      Amagasaki: rule points (表 8-2 + recorded 表 8-3)
  counts      Beppu: basic / other item counts
  edu_welfare Izumi: education + welfare sub-scores
  runs        runs, lists, rule-set versions, assessments in casework; enter/leave diffs
  capacity    list size from visits available, expected yield
  evaluation  AUC, PR-AUC, precision@k, calibration, method comparison, fairness
  registry    the four methods by name
"""

from kodomo_dash.screening.errors import ScreeningError

__all__ = ["ScreeningError"]
