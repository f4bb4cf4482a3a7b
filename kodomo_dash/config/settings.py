"""A setting file shipped with the product, overlaid by the city's own copy (one rule for all of them).

``config/<name>.yaml`` holds the defaults; a city puts ``<name>.yaml`` with only the keys it changes
in its own folder (``KODOMO_CITIES``, where its city files live), and those keys win. The build
gate's thresholds and the session timeouts are read this way.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

CONFIG_DIR = Path(__file__).resolve().parent


def city_settings(name: str) -> dict[str, Any]:
    raw: dict[str, Any] = yaml.safe_load((CONFIG_DIR / f"{name}.yaml").read_text(encoding="utf-8")) or {}
    city = os.environ.get("KODOMO_CITIES")
    if city and (Path(city) / f"{name}.yaml").exists():
        raw |= yaml.safe_load((Path(city) / f"{name}.yaml").read_text(encoding="utf-8")) or {}
    return raw
