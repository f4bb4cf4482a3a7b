"""City files (``config/cities/*.yaml``): each city's units and programmes, read once per process.

Why data and not code: a fourth city that uses the similarity model must not be reported as
Fukuoka because it shares Fukuoka's method. A workflow list records the programme it was accepted
under, and everything after (the one-list-per-programme-and-year rule, report shapes, capacity
defaults) is looked up by that programme key.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from kodomo_dash.config.messages import CodedError, msg

CITIES_DIR = Path(__file__).with_name("cities")
PATHS = ("ward", "school")


class CityConfigError(CodedError, ValueError):
    """A city file that does not say what the product needs (the Message names the file)."""


@dataclass(frozen=True)
class Programme:
    key: str
    city: str
    city_name_ja: str
    label_ja: str
    path: str
    method: str
    cohort: str
    cohort_label_ja: str
    exclusions: tuple[str, ...] = ()
    list_rule: dict[str, Any] = field(default_factory=dict)
    report_shape: str = ""
    screening_sheet_required: bool = False
    capacity: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class City:
    key: str
    name_ja: str
    units: dict[str, str]
    programmes: tuple[Programme, ...]


_REQUIRED = ("key", "label_ja", "path", "method", "cohort", "cohort_label_ja", "report_shape")


def _parse(path: Path) -> City:
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    for name in ("key", "name_ja", "units", "programmes"):
        if name not in raw:
            raise CityConfigError(msg("city.missing_key", file=path.name, key=name))
    progs = []
    for i, p in enumerate(raw["programmes"], 1):
        missing = [k for k in _REQUIRED if not p.get(k)]
        if missing:
            raise CityConfigError(msg("city.programme_incomplete", file=path.name, n=i, missing=", ".join(missing)))
        if p["path"] not in PATHS:
            raise CityConfigError(msg("city.programme_path", file=path.name, key=p["key"]))
        progs.append(Programme(
            key=str(p["key"]), city=str(raw["key"]), city_name_ja=str(raw["name_ja"]), label_ja=str(p["label_ja"]),
            path=p["path"], method=str(p["method"]), cohort=str(p["cohort"]),
            cohort_label_ja=str(p["cohort_label_ja"]), exclusions=tuple(p.get("exclusions") or ()),
            list_rule=dict(p.get("list_rule") or {}), report_shape=str(p["report_shape"]),
            screening_sheet_required=bool(p.get("screening_sheet_required", False)),
            capacity=dict(p.get("capacity") or {}),
        ))  # fmt: skip
    units = {str(k): str(v) for k, v in (raw["units"] or {}).items()}
    return City(str(raw["key"]), str(raw["name_ja"]), units, tuple(progs))


def cities() -> tuple[City, ...]:
    """The shipped city files, plus a city's own folder named by KODOMO_CITIES (its files win by key)."""
    return _cities(CITIES_DIR, os.environ.get("KODOMO_CITIES") or None)


# The city's own setting files (build gate, sessions) sit beside its city files; they are not cities.
SETTING_FILES = frozenset(p.name for p in Path(__file__).resolve().parent.glob("*.yaml"))


@cache
def _cities(shipped: Path, extra: str | None) -> tuple[City, ...]:
    by_key = {c.key: c for c in (_parse(p) for p in sorted(shipped.glob("*.yaml")))}
    if extra:
        folder = Path(extra)
        if not folder.is_dir():
            raise CityConfigError(msg("city.no_folder", folder=folder))
        by_key |= {c.key: c for c in (_parse(p) for p in sorted(folder.glob("*.yaml")) if p.name not in SETTING_FILES)}
    found = tuple(by_key.values())
    keys = [p.key for c in found for p in c.programmes]
    dupes = {k for k in keys if keys.count(k) > 1}
    if dupes:
        raise CityConfigError(msg("city.duplicate_programmes", keys=", ".join(sorted(dupes))))
    return found


def programmes() -> dict[str, Programme]:
    return {p.key: p for c in cities() for p in c.programmes}


def programme(key: str) -> Programme:
    try:
        return programmes()[key]
    except KeyError:
        raise CityConfigError(msg("city.unknown_programme", key=key)) from None


def programme_or_none(key: str | None) -> Programme | None:
    """The programme of a list, or None when the list has none or no city file names it (an old list)."""
    return programmes().get(key) if key else None


def programmes_for_run(method: str, cohort: str | None) -> list[Programme]:
    """Programmes a screening run could be accepted under: its method's, those of its cohort first.

    The method must match (a programme's report and rules assume its method); the cohort is a
    preference only, since a manager may screen a programme's method over another cohort.
    """
    same = [p for p in programmes().values() if p.method == method]
    return sorted(same, key=lambda p: p.cohort != cohort)


def unit_names() -> dict[str, str]:
    """Every city's units: ward code or city code → name."""
    return {code: name for c in cities() for code, name in c.units.items()}
