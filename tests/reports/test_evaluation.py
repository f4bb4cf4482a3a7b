"""Evaluation helpers: Wilson and Newcombe intervals against published values, and the tables."""

from __future__ import annotations

import pytest

from kodomo_dash.demo.published import published_data
from kodomo_dash.reports.evaluation import (
    capacity_view,
    contact_comparison,
    conversion_table,
    newcombe_difference,
    wilson_interval,
    year_over_year,
)
from kodomo_dash.reports.indicators import FunnelData, figures_for_year
from kodomo_dash.reports.suppression import PUBLISHED_TOP_LINE
from kodomo_dash.reports.tables import is_hidden
from tests.reports.test_indicators import WARD_NAMES, WARDS


@pytest.fixture(scope="module")
def data() -> FunnelData:
    return published_data("fukuoka", 2025, units=WARDS, unit_names=WARD_NAMES)


@pytest.fixture(scope="module")
def fig(data):
    return figures_for_year(data, 2025, policy=PUBLISHED_TOP_LINE)


def test_wilson_interval_known_values():
    # Newcombe (1998), table I: 0/10 → 0–0.2775; 1/29 → 0.0061–0.1718; 81/263 → 0.2553–0.3662
    assert wilson_interval(0, 10) == pytest.approx((0.0, 0.2775), abs=1e-4)
    assert wilson_interval(1, 29) == pytest.approx((0.0061, 0.1718), abs=1e-4)
    assert wilson_interval(81, 263) == pytest.approx((0.2553, 0.3662), abs=1e-4)
    assert wilson_interval(0, 0) is None
    with pytest.raises(ValueError):
        wilson_interval(5, 3)


def test_newcombe_difference_known_value():
    # Newcombe (1998b), method 10: 56/70 vs 48/80 → 0.2000 (0.0524, 0.3339)
    d, lo, hi = newcombe_difference(56, 70, 48, 80)
    assert d == pytest.approx(0.2)
    assert (lo, hi) == pytest.approx((0.0524, 0.3339), abs=1e-4)


def test_conversion_table_rates_and_intervals(fig):
    t = conversion_table(fig)
    step = next(r for r in t.rows if r["step"] == "二次スクリーニング → 三課協議")
    assert (step["n"], step["k"]) == (151, 80)
    assert step["rate"] == pytest.approx(80 / 151)
    assert step["ci"] == pytest.approx(wilson_interval(80, 151))
    contact = next(r for r in t.rows if r["step"] == "アプローチ → 接触")
    assert (contact["n"], contact["k"]) == (73, 57)
    shown = t.display_rows()[[r["step"] for r in t.rows].index("アプローチ → 接触")]
    assert shown[3] == "78.1%" and "〜" in shown[4]


def test_conversion_rates_of_hidden_counts_are_hidden(data):
    default = figures_for_year(data, 2025)  # outcomes and some stages hidden
    t = conversion_table(default, unit="40136")
    assert any(is_hidden(r["rate"]) and is_hidden(r["ci"]) for r in t.rows)
    for r in t.rows:
        if is_hidden(r["k"]) or is_hidden(r["n"]):
            assert is_hidden(r["rate"]) and is_hidden(r["ci"])


def test_contacted_vs_pending_by_ward_and_by_profile(fig, data):
    t = contact_comparison(fig, data)
    total = t.rows[-1]
    assert (total["unit"], total["contacted"], total["contact_pending"]) == ("計", 57, 16)
    assert total["rate"] == pytest.approx(57 / 73)
    assert len(t.rows) == 8
    profile = [
        {"fy": 2025, "group": "contacted", "attribute": "ひとり親", "level": "該当", "count": 20},
        {"fy": 2025, "group": "contacted", "attribute": "ひとり親", "level": "非該当", "count": 37},
        {"fy": 2025, "group": "contact_pending", "attribute": "ひとり親", "level": "該当", "count": 3},
        {"fy": 2025, "group": "contact_pending", "attribute": "ひとり親", "level": "非該当", "count": 13},
    ]
    p = contact_comparison(fig, data, profile=profile)
    first = p.rows[0]
    assert is_hidden(first["contact_pending"]) and is_hidden(first["contacted"]), "a 2x2 table hides the rectangle"
    assert is_hidden(first["diff"]) and is_hidden(first["diff_ci"]), (
        "a difference built on a hidden 3 is hidden"
    )
    assert any("秘匿" in n for n in p.notes)


def test_year_over_year(data):
    prev = published_data("fukuoka", 2024, units=WARDS, unit_names=WARD_NAMES)
    prev.stages.loc[prev.stages["stage"] == "cohort", "count"] += 10
    both = FunnelData.from_records(stages=[*data.stages.to_dict("records"), *prev.stages.to_dict("records")])
    this = figures_for_year(both, 2025, policy=PUBLISHED_TOP_LINE)
    last = figures_for_year(both, 2024, policy=PUBLISHED_TOP_LINE)
    t = year_over_year(this, last)
    cohort = t.rows[0]
    assert (cohort["prev"], cohort["this"], cohort["change"]) == (1397, 1327, -70)
    assert cohort["change_rate"] == pytest.approx(-70 / 1397)
    assert t.display_rows()[0][3] == "−70"


def test_capacity_view(fig, data):
    visits = [
        {"fy": 2025, "ward_code": w, "month": m, "planned": 6, "made": 2 if w == "40136" else 5}
        for w in WARDS
        for m in ("2025-09", "2025-10")
    ]
    t = capacity_view(visits, fig, data)
    total = t.rows[-1]
    assert (total["unit"], total["planned"], total["made"]) == ("計", 84, 64)
    assert total["rate"] == pytest.approx(64 / 84)
    assert total["remaining"] == 20 and total["contact_pending"] == 16
    jonan = next(r for r in t.rows if r["unit"] == "城南区")
    assert jonan["planned"] == 12 and is_hidden(jonan["made"]), "4 visits in a ward is a small count"
    assert is_hidden(jonan["rate"]) and is_hidden(jonan["remaining"])
    assert sum(1 for r in t.rows if is_hidden(r["made"])) >= 2, (
        "a complement keeps the 4 from the column total"
    )
    empty = capacity_view([], fig, data)
    assert "訪問計画・実績はありません" in empty.notes[0]


def test_profile_difference_with_newcombe_interval(fig, data):
    rows = [
        ("contacted", "該当", 20),
        ("contacted", "非該当", 37),
        ("contact_pending", "該当", 10),
        ("contact_pending", "非該当", 12),
    ]
    profile = [
        {"fy": 2025, "group": g, "attribute": "ひとり親", "level": lv, "count": n} for g, lv, n in rows
    ]
    first = contact_comparison(fig, data, profile=profile).rows[0]
    d, lo, hi = newcombe_difference(20, 57, 10, 22)
    assert first["diff"] == pytest.approx(d) and first["diff_ci"] == pytest.approx((lo, hi))
    assert first["contacted_share"] == pytest.approx(20 / 57)
