"""The linkage's fixed SQL: one statement per file in ``sql/``, read once per process.

A statement whose text does not depend on Python lives in ``sql/NN_name.sql`` so it reads,
diffs and reviews as SQL; ``NN`` is the order a run executes them, and the alternative for an
input the city did not deliver shares its number (``06_map_pair`` / ``06_map_pair_absent``).
Code asks by name, without the number — ``statement("exact_pair")`` — so renumbering a file
touches no module. Values are bound with ``?``. SQL assembled from the model's constants (the
comparison levels, the term-frequency columns) stays in Python beside the constants it reads.

Named ``statements`` rather than ``sql`` so the module and the ``sql/`` folder do not share a
name in the package.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

_FILE = re.compile(r"^[0-9]{2}_(?P<name>[a-z0-9_]+)\.sql$")


@cache
def all_statements() -> dict[str, str]:
    """Every statement by name (the file name without its number), from the packaged folder."""
    found: dict[str, str] = {}
    for entry in sorted(resources.files(__package__).joinpath("sql").iterdir(), key=lambda e: e.name):
        match = _FILE.match(entry.name)
        if not match:
            continue
        name = match["name"]
        if name in found:
            raise RuntimeError(f"two linkage SQL files are named {name!r}")
        found[name] = entry.read_text(encoding="utf-8")
    return found


def statement(name: str) -> str:
    """The text of ``sql/NN_<name>.sql``."""
    try:
        return all_statements()[name]
    except KeyError:
        raise KeyError(f"no linkage SQL file named NN_{name}.sql") from None
