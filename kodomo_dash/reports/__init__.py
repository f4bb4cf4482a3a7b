"""Evaluation and the year-end report meeting: safe aggregates, indicator tables, exports.

Modules, in the order data flows through them:

* ``suppression`` — primary and complementary suppression (NDB rule: counts 1–9 hidden), audited
  by linear programming so no hidden cell can be recomputed from published totals.
* ``shapes`` — each city's funnel (Fukuoka, Izumi, Beppu) as data; ``published`` — their
  published figures and texts.
* ``indicators`` — the long-format funnel input (``FunnelData``), one protected system per year
  (``figures_for_year``), and the report tables (``build_tables``: 図表 6-1 … 8-1, by ward).
* ``evaluation`` — Wilson/Newcombe intervals, contacted vs pending, year over year, capacity.
* ``charts`` — plotly figures and PNG rendering through kaleido; ``fonts`` — the CJK font.
* ``deck`` — the slide deck in the order of the report; ``export`` — PPTX, PDF, XLSX, CSV, audited.

Submodules are imported on use: importing this package does not start plotly, scipy or fpdf2.
"""
