"""Fixed SQL kept as files: one statement per ``sql/NN_name.sql`` of a package, read once per process.

A statement whose text does not depend on Python lives in a numbered file so it reads, diffs and
reviews as SQL; ``NN`` is the order a run executes them. Code asks by name, without the number, so
renumbering a file touches no module. Values are bound with ``?``. Used by 名寄せ
(``warehouse/linkage/sql``) and the monthly refresh (``warehouse/refresh/sql``).
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

_FILE = re.compile(r"^[0-9]{2}_(?P<name>[a-z0-9_]+)\.sql$")


@cache
def statements_of(package: str) -> dict[str, str]:
    """Every statement of ``package``'s ``sql/`` folder by name (the file name without its number)."""
    found: dict[str, str] = {}
    for entry in sorted(resources.files(package).joinpath("sql").iterdir(), key=lambda e: e.name):
        match = _FILE.match(entry.name)
        if not match:
            continue
        name = match["name"]
        if name in found:
            raise RuntimeError(f"two SQL files of {package} are named {name!r}")
        found[name] = entry.read_text(encoding="utf-8")
    return found


def statement_of(package: str, name: str) -> str:
    """The text of ``sql/NN_<name>.sql`` in ``package``."""
    try:
        return statements_of(package)[name]
    except KeyError:
        raise KeyError(f"no SQL file named NN_{name}.sql in {package}") from None
