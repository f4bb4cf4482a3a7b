"""A setting file shipped with the product, overlaid by the city's own copy (one rule for all of them).

``config/<name>.yaml`` holds the defaults; a city puts ``<name>.yaml`` with only the keys it changes
in its own folder (``KODOMO_CITIES``, where its city files live), and those keys win. The build
gate's thresholds and the session timeouts are read this way.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

import yaml

CONFIG_DIR = Path(__file__).resolve().parent


def city_settings(name: str, *, deep: tuple[str, ...] = ()) -> dict[str, Any]:
    """The shipped settings overlaid by the city's; read on each call (a city may edit its file while
    the server runs), parsed once per distinct text (the session policy is asked on every click).

    Keys named in ``deep`` hold mappings merged entry by entry (the alert rules: a city changes one
    rule without copying the others); every other key of the city's file replaces the shipped one.
    """
    raw = dict(_parse((CONFIG_DIR / f"{name}.yaml").read_text(encoding="utf-8")))
    city = os.environ.get("KODOMO_CITIES")
    if city and (Path(city) / f"{name}.yaml").exists():
        own = _parse((Path(city) / f"{name}.yaml").read_text(encoding="utf-8"))
        for key, value in own.items():
            if key in deep and isinstance(raw.get(key), dict) and isinstance(value, dict):
                raw[key] = {**raw[key], **value}
            else:
                raw[key] = value
    return raw


@functools.lru_cache(maxsize=32)
def _parse(text: str) -> dict[str, Any]:
    return yaml.safe_load(text) or {}
