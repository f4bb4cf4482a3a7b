"""Contract-driven CSV writing: one file per contract, exactly its header, agreed formats.

Generator modules hand over typed numpy columns (datetime64 dates, numbers, object strings)
and this module turns them into the text a source system would export: UTF-8, dates as
YYYY-MM-DD, booleans as 1/0, an empty field for null. Null conventions on the way in:
NaT for dates, NaN for floats, a negative number for integer ids and counts, None for
strings. Text columns are kept as Arrow strings so the dirt module can damage them (an
impossible date is only expressible as text).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from kodomo_dash.warehouse.contracts import Column, Contract


def _as_text(col: Column, values: np.ndarray | pd.Series) -> pa.Array:
    if isinstance(values, pd.Series):
        if isinstance(values.dtype, (pd.StringDtype, pd.CategoricalDtype)) or values.dtype == "str":
            return pc.cast(pa.array(values, from_pandas=True), pa.string())
        values = values.to_numpy()
    v = np.asarray(values)
    if np.issubdtype(v.dtype, np.datetime64):
        arr = pa.array(v.astype("datetime64[D]"), type=pa.date32(), from_pandas=True)
        return pc.cast(arr, pa.string())
    if v.dtype == bool:
        return pc.cast(pa.array(v.astype(np.int8)), pa.string())
    if np.issubdtype(v.dtype, np.integer):
        arr = pa.array(v, mask=v < 0)
        if col.type == "boolean":
            arr = pc.if_else(pc.greater(arr, 0), "1", "0")
        return pc.cast(arr, pa.string())
    if np.issubdtype(v.dtype, np.floating):
        mask = np.isnan(v)
        if col.type in ("integer", "boolean") or col.type in ("varchar", "code"):
            ints = pa.array(np.where(mask, 0, v).astype(np.int64), mask=mask)
            if col.type == "boolean":
                return pc.if_else(pc.greater(ints, 0), "1", "0")
            return pc.cast(ints, pa.string())
        return pc.cast(pa.array(v, mask=mask), pa.string())
    arr = pa.array(v, type=pa.string(), from_pandas=True)
    return arr


def to_text(contract: Contract, table: pd.DataFrame | dict) -> dict[str, pa.Array]:
    """Every contract column rendered as Arrow strings, in contract order.

    A missing column is a bug in the generator, so it raises rather than writing blanks.
    """
    out: dict[str, pa.Array] = {}
    for col in contract.columns:
        if col.name not in table:
            raise KeyError(f"{contract.name}: generator produced no column {col.name!r}")
        out[col.name] = _as_text(col, table[col.name])
    return out


def write(path: Path, contract: Contract, columns: dict[str, pa.Array]) -> int:
    """Write the text columns to ``path`` with a plain header line; returns the row count."""
    names = contract.column_names
    table = pa.table({n: columns[n] for n in names})
    with path.open("wb") as fh:
        fh.write((",".join(names) + "\n").encode("utf-8"))
        if table.num_rows:
            pacsv.write_csv(table, fh, pacsv.WriteOptions(include_header=False, quoting_style="none"))
    return table.num_rows
