"""Dirty extracts: the bad values Fukuoka met (report 2.3.2), injected at small rates.

Three kinds of damage, each written so that validation against the contract catches it:
a required value left empty, an entry error (an impossible calendar date such as
2019-02-30, a code outside the code list such as '7' where codes are 1-5) and an OCR
misread that drops the decimal point (height 165.3 read as 1653, percentile 25.0 as 250).
What is damaged is decided from the contract alone, so a new column is covered without
touching this module. Each damaged row is damaged once, so "rows quarantined" equals the
sum of the counts recorded in truth/dirt.csv.

Some columns are never damaged, because they define the scenario's ground truth (who lives
in the city, who is enrolled in a nursery, who is already in support): damaging them would
move the Fukuoka funnel's cohort or the training label away from the truth files.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from kodomo_dash.warehouse.contracts import Column, Contract

RATES = {"required_missing": 0.001, "impossible_date": 0.001, "wrong_code": 0.002, "out_of_range": 0.002}

PROTECTED_FILES = frozenset({"resident_registry", "nursery_enrolment", "yotaikyo_case", "student_roster",
                             "student_resident_map"})  # fmt: skip
PROTECTED_COLUMNS = frozenset({("child_consultation", "main_complaint"), ("child_consultation", "opened_date"),
                               ("child_consultation", "closed_date"), ("attendance", "month")})  # fmt: skip

_BAD_MONTH_DAYS = ("02-30", "02-31", "04-31", "06-31", "09-31", "11-31")
_BAD_CODES = ("7", "8", "6", "0", "99", "19", "XX", "6m")


@dataclass(frozen=True)
class DirtRecord:
    file: str
    column: str
    kind: str
    rows: int


def kinds_for(contract: Contract, col: Column) -> list[str]:
    """Which damage a column can take: only what its contract lets validation detect."""
    if contract.name in PROTECTED_FILES or (contract.name, col.name) in PROTECTED_COLUMNS or col.pattern:
        return []
    kinds = []
    if col.required:
        kinds.append("required_missing")
    if col.type == "date":
        kinds.append("impossible_date")
    if col.type == "code":
        kinds.append("wrong_code")
    if col.type in ("integer", "double") and col.max is not None:
        kinds.append("out_of_range")
    return kinds


def _damage(kind: str, col: Column, values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    if kind == "required_missing":
        return np.full(len(values), None, dtype=object)
    if kind == "impossible_date":
        md = np.array(_BAD_MONTH_DAYS, dtype=object)[rng.integers(0, len(_BAD_MONTH_DAYS), len(values))]
        return np.array([f"{v[:4]}-{m}" for v, m in zip(values, md, strict=True)], dtype=object)
    if kind == "wrong_code":
        bad = [c for c in _BAD_CODES if c not in col.codes][:3]
        return np.array(bad, dtype=object)[rng.integers(0, len(bad), len(values))]
    # out_of_range: an OCR pass that lost the decimal point (or read an extra zero).
    out = []
    for v in values:
        text = v.replace(".", "") if "." in v else v + "0"
        text = text.lstrip("0") or "0"
        while float(text) <= col.max and text != "0":
            text += "0"
        out.append(text if text != "0" else str(int(col.max * 10)))
    return np.array(out, dtype=object)


def inject(
    contract: Contract, columns: dict[str, pa.Array], rng: np.random.Generator, skip_rows: np.ndarray | None = None
) -> tuple[dict[str, pa.Array], list[DirtRecord]]:
    """Damage a few values per column; ``skip_rows`` (bool mask) marks rows left alone."""
    n = len(next(iter(columns.values()))) if columns else 0
    used = np.zeros(n, dtype=bool) if skip_rows is None else skip_rows.copy()
    records: list[DirtRecord] = []
    out = dict(columns)
    for col in contract.columns:
        kinds = kinds_for(contract, col)
        if not kinds or n == 0:
            continue
        counts = [int(rng.binomial(n, RATES[kind])) for kind in kinds]
        if not any(counts):
            continue
        arr = out[col.name]
        valid = ~arr.is_null().to_numpy(zero_copy_only=False)
        rows_all, values_all = [], []
        for kind, k in zip(kinds, counts, strict=True):
            candidates = np.flatnonzero(~used & valid)
            if k == 0 or len(candidates) == 0:
                continue
            rows = np.sort(rng.choice(candidates, size=min(k, len(candidates)), replace=False))
            current = np.array(arr.take(pa.array(rows)).to_pylist(), dtype=object)
            rows_all.append(rows)
            values_all.append(_damage(kind, col, current, rng))
            used[rows] = True
            records.append(DirtRecord(contract.name, col.name, kind, len(rows)))
        if rows_all:
            rows = np.concatenate(rows_all)
            values = np.concatenate(values_all)[np.argsort(rows, kind="stable")]
            mask = np.zeros(n, dtype=bool)
            mask[rows] = True
            out[col.name] = pc.replace_with_mask(arr, pa.array(mask), pa.array(values, type=pa.string(), from_pandas=True))
    return out, records
