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

from kodomo_dash.warehouse.statements import statement_of, statements_of


def all_statements() -> dict[str, str]:
    """Every statement by name (the file name without its number), from the packaged folder."""
    return statements_of(__package__)


def statement(name: str) -> str:
    """The text of ``sql/NN_<name>.sql``."""
    return statement_of(__package__, name)
