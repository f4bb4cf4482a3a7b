"""名寄せ (linkage): school records (児童生徒番号) to registry children (宛名番号).

Public API — the build calls :func:`link_students` after staging; the review page writes
:func:`record_decision` to casework and the next build re-applies :func:`load_decisions`.
"""

from kodomo_dash.warehouse.linkage.decisions import (
    Decision,
    decisions_for_build,
    load_decisions,
    record_decision,
)
from kodomo_dash.warehouse.linkage.link import LinkResult, link_students
from kodomo_dash.warehouse.linkage.model import LinkSettings
from kodomo_dash.warehouse.linkage.normalise import (
    kana_keys,
    kana_loose,
    kana_roman,
    kana_strict,
    register_duckdb_functions,
)

__all__ = [
    "Decision",
    "decisions_for_build",
    "LinkResult",
    "LinkSettings",
    "kana_keys",
    "kana_loose",
    "kana_roman",
    "kana_strict",
    "link_students",
    "load_decisions",
    "record_decision",
    "register_duckdb_functions",
]
