"""The analytical warehouse's packaged SQL (``sql/20_core``, ``30_features``, ``40_cohorts``, ``50_marts``).

Packaged with the code, so an installed wheel builds a warehouse as a checkout does; the build runs
the numbered files in order of their path (docs/decisions/056).
"""
