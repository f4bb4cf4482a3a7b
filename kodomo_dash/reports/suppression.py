"""Safe aggregates: primary and complementary suppression of small counts.

Why: evaluators and exported slides must not let anyone single out a child. Following the
health ministry's NDB rule, a count of 1 to 9 ("fewer than 10", configurable) is not published,
and neither is any rate computed from it. Hiding a small cell is not enough when its row and
column totals are published — the cell is the total minus the others — so more cells are
hidden (complementary suppression) until every hidden small cell's *feasible interval*, the
range of values consistent with everything published, is at least ``threshold - 1`` wide
(as wide as 0–9 for the default rule).

How: a table is described as cells plus linear equations ``total = sum(parts)`` (margins of a
2-D table, the subtotal of a 1-D list, the stages of a funnel). The auditor solves two small
linear programmes per hidden cell (min and max of the cell subject to the equations, all cells
≥ 0, the published cells fixed) with scipy's HiGHS — exactly what an attacker with the
published tables could do. For the tables built here (2-D tables whose second dimension may be
a hierarchy) the constraint matrix is a network matrix, so the LP bounds equal the integer
bounds and the audit is exact. Complements are added greedily (a published cell on a line of
the failing cell, preferring inner cells, cells whose other lines already hold a hidden cell,
and the smallest value that closes the gap) and the audit is repeated; hiding more can only
widen intervals, so each primary cell is settled once and the loop ends.

Zeros are not sensitive (a known zero is published). A top-line total is published even when
small only if the policy names it in ``exempt_totals``; naming an inner cell is refused. When a
published exempt total is itself smaller than the protection width, no suppression pattern can
reach the full width: the target becomes the widest interval the exempt totals allow (every
other cell hidden) and the table carries a plain note.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.optimize import linprog
from scipy.sparse import csr_array

try:  # a faster route to the same solver scipy ships; scipy's linprog is the fallback
    import highspy
except ImportError:  # pragma: no cover - exercised by forcing USE_HIGHSPY off in a test
    highspy = None

from kodomo_dash.reports.tables import (
    COMPLEMENTARY,
    DERIVED,
    LIMITED_NOTE,
    NO_DATA_LABEL,
    PRIMARY,
    Hidden,
    suppression_note,
)

Key = Hashable
TOTAL = "total"
TOTAL_LABEL = "計"
_EPS = 1e-6
USE_HIGHSPY = True  # tests switch this off to check the scipy route gives the same answers


@dataclass(frozen=True)
class SuppressionPolicy:
    """The city's disclosure rule.

    ``threshold``: counts from 1 to threshold-1 are hidden (NDB: 10).
    ``exempt_totals``: patterns ``"<table>:<row>:<column>"`` (shell wildcards allowed) naming
    top-line totals the city has decided to publish even when small, e.g. ``"funnel:*:total"``
    for every city-wide stage count. Only cells that are totals can be named.
    """

    threshold: int = 10
    exempt_totals: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.threshold, int) or self.threshold < 2:
            raise ValueError("秘匿の基準は2以上の整数で指定してください。 / threshold must be an int >= 2")

    @property
    def width(self) -> int:
        """The required width of every hidden small cell's feasible interval (9 for the NDB rule)."""
        return self.threshold - 1

    def is_small(self, value: float | None) -> bool:
        return value is not None and 1 <= value < self.threshold

    def resolve_exempt(
        self, table: str, totals: Iterable[tuple[str, str]], inner: Iterable[tuple[str, str]]
    ) -> set:
        """The (row, col) totals of ``table`` named by ``exempt_totals``; a pattern naming an
        inner cell of this table is an error, because only top-line totals may be exempt."""
        totals = list(totals)
        chosen: set = set()
        for pattern in self.exempt_totals:
            for row, col in inner:
                if fnmatch.fnmatchcase(f"{table}:{row}:{col}", pattern):
                    raise ValueError(
                        f"秘匿の除外「{pattern}」が合計以外のセル（{table}:{row}:{col}）を指しています。"
                        " 除外できるのは公表する合計だけです。 / exempt pattern names an inner cell"
                    )
            for row, col in totals:
                if fnmatch.fnmatchcase(f"{table}:{row}:{col}", pattern):
                    chosen.add((row, col))
        return chosen


NDB_POLICY = SuppressionPolicy()


@dataclass(frozen=True)
class Equation:
    """``total = sum(parts)``, known to anyone who reads the published tables."""

    total: Key
    parts: tuple[Key, ...]


@dataclass
class Protection:
    """What to hide, and the evidence: each primary cell's feasible interval and its target width."""

    hidden: dict[Key, Hidden] = field(default_factory=dict)
    # Per small cell, a range of values it is shown to be able to take (the LP's exact interval,
    # or the spread over feasible points already found when that spread is wide enough).
    intervals: dict[Key, tuple[float, float]] = field(default_factory=dict)
    targets: dict[Key, float] = field(default_factory=dict)
    limited: set[Key] = field(default_factory=set)  # target below full width: exempt totals too small

    def is_hidden(self, key: Key) -> bool:
        return key in self.hidden


# --------------------------------------------------------------------------- feasible intervals


def feasible_intervals(
    values: Mapping[Key, float],
    equations: Sequence[Equation],
    hidden: Iterable[Key],
    cells: Iterable[Key] | None = None,
) -> dict[Key, tuple[float, float]]:
    """For each of ``cells`` (default: all hidden), the exact min and max it can take given the
    published cells (``values`` outside ``hidden``), the equations and non-negativity.
    An unconstrained maximum is ``inf``."""
    hidden = set(hidden)
    cells = list(hidden if cells is None else cells)
    auditor = _Auditor({k: float(v) for k, v in values.items()}, equations)
    return {c: auditor.exact(c, hidden) for c in cells}


def _component(start: Key, equations: Sequence[Equation], by_var: Mapping[Key, list[int]]):
    """Hidden variables linked to ``start`` through equations; only these constrain it."""
    seen_vars = {start}
    seen_eqs: set[int] = set()
    stack = [start]
    while stack:
        k = stack.pop()
        for i in by_var.get(k, ()):
            if i in seen_eqs:
                continue
            seen_eqs.add(i)
            eq = equations[i]
            for other in (eq.total, *eq.parts):
                if other in by_var and other not in seen_vars:
                    seen_vars.add(other)
                    stack.append(other)
    return tuple(sorted(seen_vars, key=repr)), sorted(seen_eqs)


def _system(values, equations, hidden, comp_vars, comp_eqs):
    """The equations of one component as ``A x = b`` over its hidden cells (published cells moved right)."""
    index = {k: j for j, k in enumerate(comp_vars)}
    rows, cols, data = [], [], []
    b = np.zeros(len(comp_eqs))
    for r, i in enumerate(comp_eqs):
        eq = equations[i]
        rhs = 0.0
        for k, sign in ((eq.total, -1.0), *((p, 1.0) for p in eq.parts)):
            if k in hidden:
                rows.append(r)
                cols.append(index[k])
                data.append(sign)
            else:
                rhs -= sign * float(values[k])
        b[r] = rhs
    a = csr_array((data, (rows, cols)), shape=(len(comp_eqs), len(comp_vars)))
    a.sum_duplicates()
    return a, b, index


class _ScipyLp:
    """min/max of one variable over {A x = b, x >= 0} with scipy's HiGHS (one cold solve each)."""

    def __init__(self, a, b):
        self.a, self.b, self.n = a, b, a.shape[1]

    def solve(self, j: int, maximise: bool) -> tuple[str, float, np.ndarray | None]:
        c = np.zeros(self.n)
        c[j] = -1.0 if maximise else 1.0
        res = linprog(c, A_eq=self.a, b_eq=self.b, bounds=(0, None), method="highs")
        status = {0: "optimal", 2: "infeasible", 3: "unbounded"}.get(res.status, "error")
        value = float(-res.fun if maximise else res.fun) if res.status == 0 else float("nan")
        return status, value, res.x if res.status == 0 else None


class _HighsLp:
    """The same with highspy: the model is built once per component and re-solved warm with a
    new objective, about 0.2 ms a solve instead of several ms through linprog."""

    def __init__(self, a, b):
        self.n = a.shape[1]
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = self.n, a.shape[0]
        lp.col_cost_ = np.zeros(self.n)
        lp.col_lower_ = np.zeros(self.n)
        lp.col_upper_ = np.full(self.n, highspy.kHighsInf)
        lp.row_lower_ = b
        lp.row_upper_ = b
        m = lp.a_matrix_
        m.format_ = highspy.MatrixFormat.kRowwise
        m.num_col_, m.num_row_ = self.n, a.shape[0]
        m.start_, m.index_, m.value_ = a.indptr, a.indices, a.data
        h.passModel(lp)
        self.h = h

    def solve(self, j: int, maximise: bool) -> tuple[str, float, np.ndarray | None]:
        h = self.h
        h.changeColCost(j, 1.0)
        h.changeObjectiveSense(highspy.ObjSense.kMaximize if maximise else highspy.ObjSense.kMinimize)
        h.run()
        st = h.getModelStatus()
        x = np.array(h.getSolution().col_value) if st == highspy.HighsModelStatus.kOptimal else None
        h.changeColCost(j, 0.0)
        if x is not None:
            return "optimal", float(x[j]), x
        if st in (highspy.HighsModelStatus.kUnbounded, highspy.HighsModelStatus.kUnboundedOrInfeasible):
            return "unbounded", float("nan"), None
        if st == highspy.HighsModelStatus.kInfeasible:
            return "infeasible", float("nan"), None
        return "error", float("nan"), None


def _make_lp(a, b):
    return _HighsLp(a, b) if highspy is not None and USE_HIGHSPY else _ScipyLp(a, b)


class _Auditor:
    """Exact intervals, solved only when needed.

    Every LP solution is a feasible point, and so is the truth. Any cell's interval contains
    the range of its values over the points found so far, so a cell already seen to move by the
    target needs no LP of its own. Points stay feasible as more cells are hidden (the newly
    hidden cells keep their true values), so the pool only grows while ``hidden`` only grows.
    Models are kept per component (its set of hidden cells fixes its equations and right side).
    """

    def __init__(self, known: Mapping[Key, float], eqs: Sequence[Equation]):
        self.known = known
        self.eqs = eqs
        self.points: list[dict[Key, float]] = []
        self.models: dict[tuple, tuple] = {}
        self.lp_solved = 0

    def interval(self, k: Key, hidden: Iterable[Key], target: float) -> tuple[float, float]:
        """An interval the cell can be shown to take: the spread over known points when that is
        already ``target`` wide, else the exact interval."""
        vals = [p[k] for p in self.points if k in p]
        lo = min([*vals, self.known[k]])
        hi = max([*vals, self.known[k]])
        if hi - lo >= target - _EPS:
            return lo, hi
        return self.exact(k, hidden)

    def exact(self, k: Key, hidden: Iterable[Key]) -> tuple[float, float]:
        hidden = hidden if isinstance(hidden, set | dict) else set(hidden)
        if k not in hidden:
            return self.known[k], self.known[k]
        by_var: dict[Key, list[int]] = {}
        for i, eq in enumerate(self.eqs):
            for c in (eq.total, *eq.parts):
                if c in hidden:
                    by_var.setdefault(c, []).append(i)
        comp_vars, comp_eqs = _component(k, self.eqs, by_var)
        if not comp_eqs:
            return 0.0, float("inf")
        if comp_vars not in self.models:
            a, b, index = _system(self.known, self.eqs, hidden, comp_vars, comp_eqs)
            self.models[comp_vars] = (_make_lp(a, b), index)
        lp, index = self.models[comp_vars]
        out = []
        for maximise in (False, True):
            status, value, x = lp.solve(index[k], maximise)
            self.lp_solved += 1
            if status == "infeasible":  # inconsistent inputs: claim nothing
                return 0.0, float("inf")
            if x is not None:
                self.points.append(dict(zip(comp_vars, x.tolist(), strict=True)))
            out.append(value if status == "optimal" else (float("inf") if maximise else 0.0))
        return max(0.0, out[0]), out[1]


# --------------------------------------------------------------------------- protection


def protect(
    values: Mapping[Key, float | None],
    equations: Sequence[Equation],
    *,
    policy: SuppressionPolicy = NDB_POLICY,
    exempt: Iterable[Key] = (),
    keep: Iterable[Key] = (),
) -> Protection:
    """Choose the cells to hide so every small cell keeps an interval at least ``policy.width`` wide.

    ``values`` maps every cell to its count (None = no data: treated as not published and not
    part of any equation). ``exempt`` cells are published whatever their value. ``keep`` cells
    (the top line: city totals) are hidden as complements only when nothing else will do.

    Two passes: a fast line rule (every equation holding a hidden cell holds at least two, and
    when its total is published the hidden parts add up to the target), then the exact LP audit
    of each small cell, adding complements until its interval is wide enough.
    """
    exempt = set(exempt)
    keep = set(keep)
    known = {k: float(v) for k, v in values.items() if v is not None}
    eqs = [e for e in equations if all(k in known for k in (e.total, *e.parts))]
    primary = sorted((k for k, v in known.items() if k not in exempt and policy.is_small(v)), key=repr)
    result = Protection(hidden={k: PRIMARY for k in primary})
    if not primary:
        return result

    lines: dict[Key, list[int]] = {}
    for i, eq in enumerate(eqs):
        for k in (eq.total, *eq.parts):
            lines.setdefault(k, []).append(i)
    totals = {eq.total for eq in eqs}

    # Targets: the full width, unless published exempt totals cap what any pattern can reach.
    for k in primary:
        result.targets[k] = float(policy.width)
    if exempt:
        everything = [k for k in known if k not in exempt]
        widest = _Auditor(known, eqs)
        for k in primary:
            if _touches(k, eqs, lines, exempt):
                lo, hi = widest.interval(k, everything, float(policy.width))
                if hi - lo < policy.width - _EPS:
                    result.targets[k] = hi - lo
                    result.limited.add(k)

    ctx = _Ctx(known, eqs, lines, totals, result.hidden, exempt, keep)

    # Pass 1: the line rule, to a fixed point (cheap; settles most tables without an LP).
    changed = True
    while changed:
        changed = False
        for i, eq in enumerate(eqs):
            cells = (eq.total, *eq.parts)
            hid = [c for c in cells if c in result.hidden]
            if not hid:
                continue
            need = len(hid) < 2
            prim = [result.targets[c] for c in hid if c in result.targets]
            gap = 0.0
            if not need and eq.total not in result.hidden and prim:
                gap = min(prim) - sum(known[c] for c in hid)
                need = gap > _EPS
            if need:
                cand = _pick_complement(ctx, [i], max(gap, 0.0), exclude=set(hid))
                if cand is not None:
                    result.hidden[cand] = COMPLEMENTARY
                    changed = True

    # Pass 2: the exact audit; widths only grow as cells are hidden, so each cell is settled once.
    audit = _Auditor(known, eqs)
    for k in primary:
        while True:
            lo, hi = audit.interval(k, result.hidden, result.targets[k])
            gap = result.targets[k] - (hi - lo)
            if gap <= _EPS:
                result.intervals[k] = (lo, hi)
                break
            cand = _pick_complement(ctx, lines.get(k, []), gap, exclude={k})
            if cand is None:
                result.intervals[k] = (lo, hi)
                result.limited.add(k)
                break
            result.hidden[cand] = COMPLEMENTARY
    return result


def _touches(k: Key, eqs, lines, exempt) -> bool:
    """Whether ``k`` is linked (through any chain of equations) to an exempt cell."""
    seen_eq: set[int] = set()
    seen = {k}
    stack = [k]
    while stack:
        c = stack.pop()
        if c in exempt:
            return True
        for i in lines.get(c, ()):
            if i in seen_eq:
                continue
            seen_eq.add(i)
            for x in (eqs[i].total, *eqs[i].parts):
                if x not in seen:
                    seen.add(x)
                    stack.append(x)
    return False


@dataclass
class _Ctx:
    known: Mapping[Key, float]
    eqs: Sequence[Equation]
    lines: Mapping[Key, list[int]]
    totals: set
    hidden: Mapping[Key, Hidden]
    exempt: set
    keep: set


def _pick_complement(ctx: _Ctx, line_ids: Iterable[int], gap: float, *, exclude: set) -> Key | None:
    """A published cell to hide next: on the given lines first, then further out along linked lines.

    Preference: a non-zero cell, not a top-line cell, not a total, one whose other lines already
    hold a hidden cell (so hidden cells pair up instead of spreading), the smallest value that
    closes the gap (else the largest)."""
    eqs, hidden = ctx.eqs, ctx.hidden

    def candidates(ids: Iterable[int]) -> list[Key]:
        out = []
        for i in ids:
            for c in (eqs[i].total, *eqs[i].parts):
                if c not in hidden and c not in ctx.exempt and c not in exclude:
                    out.append(c)
        return list(dict.fromkeys(out))

    def score(c: Key) -> tuple:
        v = ctx.known[c]
        paired = any(
            any(x in hidden for x in (eqs[i].total, *eqs[i].parts) if x != c) for i in ctx.lines.get(c, ())
        )
        enough = v >= gap
        return (v == 0, c in ctx.keep, c in ctx.totals, not paired, not enough, v if enough else -v, repr(c))

    frontier = set(line_ids)
    seen: set[int] = set()
    while frontier:
        cand = candidates(frontier)
        if cand:
            return min(cand, key=score)
        seen |= frontier
        nxt: set[int] = set()
        for i in frontier:
            for c in (eqs[i].total, *eqs[i].parts):
                nxt.update(ctx.lines.get(c, ()))
        frontier = nxt - seen
    return None


# --------------------------------------------------------------------------- table helpers


@dataclass
class SafeTable:
    """A suppressed table: ``values`` holds counts or :class:`Hidden` markers (margins included),
    ``protection`` the evidence, ``notes`` plain Japanese notes for the reader."""

    values: pd.DataFrame
    protection: Protection
    equations: list[Equation]
    raw: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    def display(self) -> pd.DataFrame:
        def fmt(v):
            if isinstance(v, Hidden):
                return str(v)
            if v is None or (isinstance(v, float) and np.isnan(v)):
                return NO_DATA_LABEL
            return f"{int(v):,}"

        return self.values.map(fmt)

    @property
    def hidden(self) -> dict[Key, Hidden]:
        return self.protection.hidden


def suppress_table(
    counts: pd.DataFrame,
    *,
    table: str,
    policy: SuppressionPolicy = NDB_POLICY,
    row_totals: bool = True,
    col_totals: bool = True,
) -> SafeTable:
    """Suppress a 2-D table of counts (rows × columns, no margins yet), adding margins
    (column ``"total"`` = row sums, row ``"total"`` = column sums) that are published too.

    Cell keys are ``(row, col)`` with the labels as given; exempt patterns use
    ``"<table>:<row>:<col>"``, e.g. ``"wards:total:total"`` for the grand total.
    """
    raw = counts.copy()
    rows, cols = [str(r) for r in raw.index], [str(c) for c in raw.columns]
    raw.index, raw.columns = rows, cols
    values: dict[Key, float | None] = {}
    for r in rows:
        for c in cols:
            v = raw.at[r, c]
            values[(r, c)] = None if pd.isna(v) else _count(v)
    eqs: list[Equation] = []
    all_rows = list(rows)
    all_cols = list(cols)
    if row_totals:
        all_cols.append(TOTAL)
        for r in rows:
            values[(r, TOTAL)] = _sum_known(values[(r, c)] for c in cols)
            eqs.append(Equation((r, TOTAL), tuple((r, c) for c in cols)))
    if col_totals:
        all_rows.append(TOTAL)
        for c in all_cols:
            values[(TOTAL, c)] = _sum_known(values[(r, c)] for r in rows)
            eqs.append(Equation((TOTAL, c), tuple((r, c) for r in rows)))
    total_keys = [(r, c) for r in all_rows for c in all_cols if TOTAL in (r, c)]
    inner_keys = [(r, c) for r in rows for c in cols]
    exempt = policy.resolve_exempt(table, total_keys, inner_keys)
    prot = protect(values, eqs, policy=policy, exempt=exempt, keep={(TOTAL, TOTAL)})
    out = pd.DataFrame(index=all_rows, columns=all_cols, dtype=object)
    for r in all_rows:
        for c in all_cols:
            v = values[(r, c)]
            out.at[r, c] = prot.hidden.get((r, c), None if v is None else int(v))
    notes = _notes(prot, policy)
    return SafeTable(values=out, protection=prot, equations=eqs, raw=raw, notes=notes)


def suppress_series(
    counts: pd.Series | Mapping[str, int],
    *,
    table: str,
    policy: SuppressionPolicy = NDB_POLICY,
    with_total: bool = True,
) -> SafeTable:
    """Suppress a 1-D list of counts, with its total (published unless named exempt or small)."""
    s = pd.Series(counts, dtype=object)
    frame = pd.DataFrame({"count": s.values}, index=[str(i) for i in s.index])
    return suppress_table(frame, table=table, policy=policy, row_totals=False, col_totals=with_total)


def _notes(prot: Protection, policy: SuppressionPolicy) -> list[str]:
    notes = []
    if prot.hidden:
        notes.append(suppression_note(policy.threshold))
    if prot.limited:
        notes.append(LIMITED_NOTE)
    return notes


def _count(v) -> int:
    f = float(v)
    if f < 0 or not f.is_integer():
        raise ValueError(f"件数は0以上の整数で指定してください: {v!r} / counts must be non-negative integers")
    return int(f)


def _sum_known(vals: Iterable[float | None]) -> float | None:
    vals = list(vals)
    if vals and all(v is None for v in vals):
        return None
    return float(sum(v for v in vals if v is not None))


def rate_or_hidden(num, den):
    """A rate published only when both counts are published; None when there is nothing to divide."""
    if isinstance(num, Hidden) or isinstance(den, Hidden):
        return DERIVED
    if num is None or den is None or den == 0:
        return None
    return num / den


def difference_or_hidden(new, old):
    """``new - old`` published only when both are published (otherwise it reveals the hidden one)."""
    if isinstance(new, Hidden) or isinstance(old, Hidden):
        return DERIVED
    if new is None or old is None:
        return None
    return new - old


# The setting a city uses to publish every city-wide figure, as Fukuoka's report does; ward and school
# breakdowns stay protected. Without it (the NDB default) small city-wide counts are hidden too.
PUBLISHED_TOP_LINE = SuppressionPolicy(
    exempt_totals=("funnel:*:total", "exclusion:*:total", "outcome:*:total", "act:*:total")
)
