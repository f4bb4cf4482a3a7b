"""Primary and complementary suppression, checked the way an attacker would attack it.

The check below does not use the library's solver: it rebuilds the linear system from the
published table (every published cell fixed, every hidden cell a variable >= 0, every margin
an equation) and asks scipy's LP for the smallest and largest value each hidden small cell can
take. The spread must stay at least as wide as 0-9 (threshold - 1).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog

from kodomo_dash.reports import suppression as sup
from kodomo_dash.reports.suppression import (
    TOTAL,
    Equation,
    SuppressionPolicy,
    difference_or_hidden,
    protect,
    rate_or_hidden,
    suppress_series,
    suppress_table,
)
from kodomo_dash.reports.tables import LIMITED_NOTE, SUPPRESSED_LABEL, Hidden, is_hidden

# --------------------------------------------------------------------------- the independent attacker


def attacker_interval(values: dict, equations: list[Equation], hidden, cell) -> tuple[float, float]:
    """min/max of ``cell`` over all non-negative tables agreeing with every published cell."""
    hidden = sorted(hidden, key=repr)
    col = {k: j for j, k in enumerate(hidden)}
    a_rows, b = [], []
    for eq in equations:
        row = np.zeros(len(hidden))
        rhs = 0.0
        for k, sign in [(eq.total, -1.0)] + [(p, 1.0) for p in eq.parts]:
            if k in col:
                row[col[k]] += sign
            else:
                rhs -= sign * values[k]
        if row.any():
            a_rows.append(row)
            b.append(rhs)
    if not a_rows:
        return 0.0, float("inf")
    a = np.array(a_rows)
    c = np.zeros(len(hidden))
    c[col[cell]] = 1.0
    lo = linprog(c, A_eq=a, b_eq=b, bounds=(0, None), method="highs-ds")
    hi = linprog(-c, A_eq=a, b_eq=b, bounds=(0, None), method="highs-ds")
    assert lo.status == 0, "the published table must be consistent"
    return lo.fun, (float("inf") if hi.status == 3 else -hi.fun)


def table_system(frame: pd.DataFrame, row_totals=True, col_totals=True):
    """Values and margin equations of a 2-D table, written out independently of the library."""
    values, eqs = {}, []
    rows, cols = [str(r) for r in frame.index], [str(c) for c in frame.columns]
    for r in rows:
        for c in cols:
            values[(r, c)] = float(frame.loc[r, c])
    if row_totals:
        for r in rows:
            values[(r, TOTAL)] = sum(values[(r, c)] for c in cols)
            eqs.append(Equation((r, TOTAL), tuple((r, c) for c in cols)))
        cols = cols + [TOTAL]
    if col_totals:
        for c in cols:
            values[(TOTAL, c)] = sum(values[(r, c)] for r in rows)
            eqs.append(Equation((TOTAL, c), tuple((r, c) for r in rows)))
    return values, eqs


def assert_protected(values, eqs, hidden, *, threshold=10, exempt=()):
    """Every hidden small cell: width >= min(threshold-1, the width with everything else hidden)."""
    p = threshold - 1
    small = [k for k in hidden if 1 <= values[k] < threshold]
    everything = [k for k in values if k not in exempt]
    for k in small:
        lo, hi = attacker_interval(values, eqs, hidden, k)
        need = p
        if exempt:  # with nothing published the system is a cone: unbounded, so only exempt totals cap it
            best_lo, best_hi = attacker_interval(values, eqs, everything, k)
            need = min(p, best_hi - best_lo)
        assert hi - lo >= need - 1e-6, f"{k} (true {values[k]}) can be narrowed to [{lo}, {hi}]"
        assert lo - 1e-6 <= values[k] <= hi + 1e-6


def hidden_keys(safe) -> set:
    return set(safe.hidden)


# --------------------------------------------------------------------------- primary


def test_small_counts_are_hidden_zero_and_large_are_not():
    safe = suppress_series({"a": 0, "b": 5, "c": 30, "d": 40}, table="list")
    v = safe.values["count"]
    assert is_hidden(v["b"]) and v["b"].reason == "primary"
    assert not is_hidden(v["a"]), "a zero is not sensitive"
    assert v["total"] == 75, "the total stays published"
    # the 5 cannot be recomputed from the total: a complement was hidden too
    assert sum(1 for x in v if is_hidden(x)) >= 2
    values, eqs = table_system(pd.DataFrame({"count": [0, 5, 30, 40]}, index=list("abcd")), row_totals=False)
    assert_protected(values, eqs, {(r, "count") for r in v.index if is_hidden(v[r])})


def test_threshold_is_configurable():
    frame = pd.DataFrame({"x": [4, 7, 30], "y": [12, 25, 40]}, index=["r1", "r2", "r3"])
    ndb = suppress_table(frame, table="t")
    five = suppress_table(frame, table="t", policy=SuppressionPolicy(threshold=5))
    assert ndb.protection.hidden[("r2", "x")].reason == "primary"
    assert five.protection.hidden.get(("r2", "x")) != Hidden("primary"), "7 is fine under a threshold of 5"
    assert five.protection.hidden[("r1", "x")].reason == "primary"
    values, eqs = table_system(frame)
    assert_protected(values, eqs, hidden_keys(five), threshold=5)
    assert_protected(values, eqs, hidden_keys(ndb))


def test_threshold_must_be_sensible():
    with pytest.raises(ValueError):
        SuppressionPolicy(threshold=1)


# --------------------------------------------------------------------------- complementary, 2-D


HAND_TABLES = {
    "one small cell": pd.DataFrame(
        {"A": [20, 3, 15], "B": [30, 25, 41], "C": [40, 18, 22]}, index=["x", "y", "z"]
    ),
    "two small in a column": pd.DataFrame(
        {"A": [20, 3, 1, 30], "B": [30, 25, 12, 18], "C": [40, 18, 22, 5]}, index=["w", "x", "y", "z"]
    ),
    "small row total": pd.DataFrame(
        {"A": [2, 30, 15], "B": [1, 25, 41], "C": [0, 18, 22]}, index=["x", "y", "z"]
    ),
    "all small": pd.DataFrame({"A": [2, 3], "B": [1, 4]}, index=["x", "y"]),
    "zeros around": pd.DataFrame({"A": [0, 0, 7], "B": [0, 12, 30], "C": [15, 0, 22]}, index=["x", "y", "z"]),
}


@pytest.mark.parametrize("name", list(HAND_TABLES))
def test_hand_built_tables_keep_every_hidden_cell_wide(name):
    frame = HAND_TABLES[name]
    safe = suppress_table(frame, table="t")
    values, eqs = table_system(frame)
    hidden = hidden_keys(safe)
    small = {k for k, v in values.items() if 1 <= v < 10}
    assert small <= hidden, "every small cell is hidden"
    assert_protected(values, eqs, hidden)
    # the published table shows the marker, the library keeps the reason
    shown = safe.display()
    for r, c in hidden:
        assert shown.loc[r, c] == SUPPRESSED_LABEL


def test_one_small_cell_needs_a_rectangle_of_hidden_cells():
    safe = suppress_table(HAND_TABLES["one small cell"], table="t")
    hidden = hidden_keys(safe)
    assert ("y", "A") in hidden
    rows = {r for r, _ in hidden}
    cols = {c for _, c in hidden}
    assert len(rows) >= 2 and len(cols) >= 2, "a lone cell or a lone pair in one line could be recomputed"
    assert safe.values.loc[TOTAL, TOTAL] == sum(HAND_TABLES["one small cell"].sum()), "the grand total stays"


def test_random_tables_are_protected():
    rng = np.random.default_rng(7)
    for _ in range(12):
        shape = (int(rng.integers(2, 5)), int(rng.integers(2, 6)))
        raw = rng.choice([0, 1, 2, 3, 5, 8, 9, 10, 14, 20, 35, 60], size=shape)
        frame = pd.DataFrame(
            raw, index=[f"r{i}" for i in range(shape[0])], columns=[f"c{j}" for j in range(shape[1])]
        )
        safe = suppress_table(frame, table="t")
        values, eqs = table_system(frame)
        assert_protected(values, eqs, hidden_keys(safe))


def test_one_dimensional_list_with_total():
    values = {"a": 12, "b": 3, "c": 40, "total": 55}
    eqs = [Equation("total", ("a", "b", "c"))]
    prot = protect(values, eqs)
    assert prot.hidden["b"].reason == "primary"
    assert len(prot.hidden) >= 2
    assert "total" not in prot.hidden
    assert_protected({k: float(v) for k, v in values.items()}, eqs, set(prot.hidden))


# --------------------------------------------------------------------------- exempt totals


def test_small_total_hidden_unless_named_exempt():
    frame = pd.DataFrame({"A": [2, 1], "B": [3, 0]}, index=["x", "y"])
    default = suppress_table(frame, table="t")
    assert is_hidden(default.values.loc[TOTAL, TOTAL]), "a grand total of 6 is small: hidden by default"

    named = suppress_table(frame, table="t", policy=SuppressionPolicy(exempt_totals=("t:total:total",)))
    assert named.values.loc[TOTAL, TOTAL] == 6
    values, eqs = table_system(frame)
    assert_protected(values, eqs, hidden_keys(named), exempt={(TOTAL, TOTAL)})
    assert named.protection.limited, "with a published total of 6 no cell can reach the full width"
    assert LIMITED_NOTE in named.notes


def test_exempting_an_inner_cell_is_refused():
    frame = pd.DataFrame({"A": [2, 10], "B": [30, 40]}, index=["x", "y"])
    with pytest.raises(ValueError, match="合計以外"):
        suppress_table(frame, table="t", policy=SuppressionPolicy(exempt_totals=("t:x:*",)))


def test_other_tables_patterns_do_not_apply():
    frame = pd.DataFrame({"A": [2, 1], "B": [3, 0]}, index=["x", "y"])
    safe = suppress_table(frame, table="t", policy=SuppressionPolicy(exempt_totals=("other:total:total",)))
    assert is_hidden(safe.values.loc[TOTAL, TOTAL])


# --------------------------------------------------------------------------- derived values, solvers


def test_rates_and_differences_from_hidden_counts_are_hidden():
    h = Hidden("primary")
    assert is_hidden(rate_or_hidden(h, 100))
    assert is_hidden(rate_or_hidden(20, h))
    assert rate_or_hidden(20, 80) == 0.25
    assert rate_or_hidden(0, 0) is None
    assert is_hidden(difference_or_hidden(h, 10))
    assert difference_or_hidden(15, 10) == 5
    assert difference_or_hidden(None, 10) is None


def test_library_intervals_match_the_attacker():
    frame = HAND_TABLES["two small in a column"]
    safe = suppress_table(frame, table="t")
    values, eqs = table_system(frame)
    mine = sup.feasible_intervals(values, safe.equations, safe.hidden)
    for k in safe.hidden:
        lo, hi = attacker_interval(values, eqs, safe.hidden, k)
        assert mine[k] == pytest.approx((lo, hi), abs=1e-6)


def test_scipy_route_gives_the_same_suppression(monkeypatch):
    frame = HAND_TABLES["two small in a column"]
    fast = suppress_table(frame, table="t")
    monkeypatch.setattr(sup, "USE_HIGHSPY", False)
    slow = suppress_table(frame, table="t")
    assert set(fast.hidden) == set(slow.hidden)


def test_bad_counts_are_refused():
    with pytest.raises(ValueError):
        suppress_table(pd.DataFrame({"A": [-1, 3]}, index=["x", "y"]), table="t")
    with pytest.raises(ValueError):
        suppress_table(pd.DataFrame({"A": [1.5, 3]}, index=["x", "y"]), table="t")


def test_marker_text():
    assert str(Hidden("complementary")) == "秘匿"
