"""Source contracts: one machine-readable layout per source system.

The contract is the single statement of what an extract looks like. The synthetic
generator writes to it, the loader validates against it and the docs are generated
from it, so a column added here reaches all three at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

LAYOUT_DIR = Path(__file__).parent / "layouts"

# Column types a contract may declare and the DuckDB type each is staged as.
DUCKDB_TYPES = {
    "varchar": "VARCHAR",
    "integer": "INTEGER",
    "double": "DOUBLE",
    "date": "DATE",
    "code": "VARCHAR",
    "boolean": "BOOLEAN",
}


class ContractError(ValueError):
    """A layout file that does not describe a usable contract."""


@dataclass(frozen=True)
class Column:
    name: str
    label_ja: str
    type: str
    required: bool = False
    codes: dict[str, str] = field(default_factory=dict)
    min: float | None = None
    max: float | None = None
    pattern: str | None = None
    basic_item: int | None = None
    description: str = ""

    @property
    def duckdb_type(self) -> str:
        return DUCKDB_TYPES[self.type]


@dataclass(frozen=True)
class Contract:
    name: str
    label_ja: str
    system_ja: str
    owner_ja: str
    key: tuple[str, ...]
    person_key: str | None
    columns: tuple[Column, ...]
    participant_only: bool = False
    restricted: bool = False
    side: str = "city"
    description: str = ""

    @property
    def file_name(self) -> str:
        return f"{self.name}.csv"

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name}.{name}")


_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def _parse_column(source: str, raw: dict) -> Column:
    name = raw.get("name", "")
    if not _NAME.match(name):
        raise ContractError(f"{source}: bad column name {name!r}")
    ctype = raw.get("type", "varchar")
    if ctype not in DUCKDB_TYPES:
        raise ContractError(f"{source}.{name}: unknown type {ctype!r}")
    codes = {str(k): str(v) for k, v in (raw.get("codes") or {}).items()}
    if ctype == "code" and not codes:
        raise ContractError(f"{source}.{name}: a code column needs a code list")
    basic = raw.get("basic_item")
    if basic is not None and not 1 <= int(basic) <= 19:
        raise ContractError(f"{source}.{name}: basic_item must be 1..19")
    return Column(
        name=name,
        label_ja=raw.get("label_ja") or raw.get("label") or name,
        type=ctype,
        required=bool(raw.get("required", False)),
        codes=codes,
        min=raw.get("min"),
        max=raw.get("max"),
        pattern=raw.get("pattern"),
        basic_item=int(basic) if basic is not None else None,
        description=raw.get("description", ""),
    )


def parse_contract(raw: dict, source: str = "<contract>") -> Contract:
    name = raw.get("name", "")
    if not _NAME.match(name):
        raise ContractError(f"{source}: bad contract name {name!r}")
    columns = tuple(_parse_column(name, c) for c in raw.get("columns", []))
    names = [c.name for c in columns]
    if len(set(names)) != len(names):
        raise ContractError(f"{name}: duplicate column names")
    key = tuple(raw.get("key", []))
    for k in key:
        if k not in names:
            raise ContractError(f"{name}: key column {k!r} is not declared")
    person_key = raw.get("person_key")
    if person_key is not None and person_key not in names:
        raise ContractError(f"{name}: person_key {person_key!r} is not declared")
    return Contract(
        name=name,
        label_ja=raw.get("label_ja", name),
        system_ja=raw.get("system_ja", ""),
        owner_ja=raw.get("owner_ja", ""),
        key=key,
        person_key=person_key,
        columns=columns,
        participant_only=bool(raw.get("participant_only", False)),
        restricted=bool(raw.get("restricted", False)),
        side=raw.get("side", "city"),
        description=raw.get("description", ""),
    )


@cache
def all_contracts() -> dict[str, Contract]:
    """Every shipped contract by name, in file order (files are numbered)."""
    out: dict[str, Contract] = {}
    for path in sorted(LAYOUT_DIR.glob("*.yaml")):
        with path.open(encoding="utf-8") as fh:
            raw = yaml.safe_load(fh)
        contract = parse_contract(raw, source=path.name)
        if contract.name in out:
            raise ContractError(f"{path.name}: contract {contract.name} declared twice")
        out[contract.name] = contract
    return out


def get(name: str) -> Contract:
    return all_contracts()[name]


def basic_items() -> dict[int, list[tuple[str, str]]]:
    """The 19 basic linkage items mapped to (contract, column) pairs."""
    mapping: dict[int, list[tuple[str, str]]] = {}
    for contract in all_contracts().values():
        for col in contract.columns:
            if col.basic_item is not None:
                mapping.setdefault(col.basic_item, []).append((contract.name, col.name))
    return mapping
