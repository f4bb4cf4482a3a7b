"""Contract checks written as SQL, so a million-row extract is validated in one pass.

Each column gets one rule expression that names the first rule its raw value breaks
(or NULL). A broken key column rejects the whole row (it cannot be joined to anyone);
any other broken value is staged as NULL, so the row still counts, and the raw value
stays in `raw` and in `meta.quarantine` for the child card to show as it came.
"""

from __future__ import annotations

from kodomo_dash.warehouse.contracts import Column, Contract

DATE_FORMATS = "['%Y-%m-%d', '%Y/%m/%d', '%Y%m%d', '%Y年%m月%d日']"

TRUE_VALUES = ("1", "true", "t", "y", "yes")
FALSE_VALUES = ("0", "false", "f", "n", "no")


def qident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def qstr(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def cleaned(col: Column) -> str:
    """The raw value trimmed, with empty strings read as missing."""
    return f"nullif(trim({qident(col.name)}), '')"


def typed_expr(col: Column) -> str:
    v = cleaned(col)
    if col.type == "integer":
        return f"try_cast({v} as bigint)"
    if col.type == "double":
        return f"try_cast({v} as double)"
    if col.type == "date":
        return f"coalesce(try_strptime({v}, {DATE_FORMATS})::date, wareki_date({v}))"
    if col.type == "boolean":
        trues = ", ".join(qstr(x) for x in TRUE_VALUES)
        falses = ", ".join(qstr(x) for x in FALSE_VALUES)
        return f"case when lower({v}) in ({trues}) then true when lower({v}) in ({falses}) then false end"
    return v


def rule_expr(col: Column) -> str:
    """SQL naming the first rule the value breaks, NULL when it is fine."""
    v = cleaned(col)
    t = typed_expr(col)
    branches: list[str] = []
    if col.required:
        branches.append(f"when {v} is null then 'required_missing'")
    if col.type in ("integer", "double", "boolean"):
        branches.append(f"when {v} is not null and {t} is null then 'invalid_type'")
    if col.type == "date":
        branches.append(f"when {v} is not null and {t} is null then 'invalid_date'")
    if col.type == "code":
        codes = ", ".join(qstr(c) for c in col.codes)
        branches.append(f"when {v} is not null and {v} not in ({codes}) then 'unknown_code'")
    if col.min is not None:
        branches.append(f"when {t} < {float(col.min)!r} then 'out_of_range'")
    if col.max is not None:
        branches.append(f"when {t} > {float(col.max)!r} then 'out_of_range'")
    if col.pattern:
        branches.append(f"when {v} is not null and not regexp_full_match({v}, {qstr(col.pattern)}) then 'pattern_mismatch'")
    if not branches:
        return "cast(null as varchar)"
    return "case " + " ".join(branches) + " end"


def rule_column(col: Column) -> str:
    return f"_rule__{col.name}"


def checked_select(contract: Contract, raw_table: str) -> str:
    """raw rows plus one rule column per contract column and a row-rejected flag."""
    rules = [f"{rule_expr(c)} as {qident(rule_column(c))}" for c in contract.columns]
    key_cols = [c for c in contract.columns if c.name in contract.key]
    if key_cols:
        rejected = " or ".join(f"{rule_expr(c)} is not null" for c in key_cols)
    else:
        rejected = "false"
    return f"select *, {', '.join(rules)}, ({rejected}) as _row_rejected from {raw_table}"


def staged_select(contract: Contract, checked_table: str) -> str:
    cols = []
    for c in contract.columns:
        cols.append(
            f"case when {qident(rule_column(c))} is null then {typed_expr(c)} end::{c.duckdb_type} as {qident(c.name)}"
        )
    return f"select source_row, {', '.join(cols)} from {checked_table} where not _row_rejected"


def quarantine_select(contract: Contract, checked_table: str) -> str:
    """One row per broken value: (source, source_row, column, rule, raw value, rejected)."""
    parts = []
    for c in contract.columns:
        parts.append(
            f"select {qstr(contract.name)} as source, source_row, {qstr(c.name)} as column_name, "
            f"{qident(rule_column(c))} as rule, {qident(c.name)} as raw_value, _row_rejected as row_rejected "
            f"from {checked_table} where {qident(rule_column(c))} is not null"
        )
    return " union all ".join(parts)
