"""Each workflow code, stage and cohort is defined once (issue 13: they had drifted in 3–5 copies).

The test reads every dict and tuple literal of the package: none outside its home may repeat the
codes with their labels. Page titles are held in tests/security/test_matrix.py and the calendar in
tests/config/test_calendar.py.
"""

from __future__ import annotations

import ast
from pathlib import Path

from kodomo_dash.casework.vocabulary import CODE_DOMAINS
from kodomo_dash.screening.cohorts import COHORTS

PACKAGE = Path(__file__).resolve().parents[1] / "kodomo_dash"


def _literals(home: str) -> list[tuple[str, int, list[tuple[str, str]]]]:
    """(file, line, constant key/value pairs) of every dict literal outside ``home``."""
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.relative_to(PACKAGE).as_posix() == home:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Dict):
                pairs = [(k.value, v.value) for k, v in zip(node.keys, node.values, strict=True)
                         if isinstance(k, ast.Constant) and isinstance(v, ast.Constant)]
                out.append((path.relative_to(PACKAGE).as_posix(), node.lineno, pairs))
    return out


def test_no_second_copy_of_a_workflow_vocabulary() -> None:
    pairs = {(code, label) for domain in CODE_DOMAINS.values() for code, label in domain.items()
             if label != "その他"}  # the one word every list ends with proves nothing
    copies = [(f, line, [p for p in got if p in pairs]) for f, line, got in _literals("casework/vocabulary.py")]
    assert [c for c in copies if c[2]] == []


def test_no_second_list_of_stage_labels() -> None:
    stages = CODE_DOMAINS["stage"]
    labels = set(stages.values())
    copies = [(f, line) for f, line, got in _literals("casework/vocabulary.py")
              if len({v for _, v in got if v in labels}) >= 3]
    assert copies == []


def test_cohorts_are_defined_once() -> None:
    names = set(COHORTS)
    copies = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.relative_to(PACKAGE).as_posix() == "screening/cohorts.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Dict | ast.Tuple | ast.List | ast.Set):
                items = node.keys if isinstance(node, ast.Dict) else node.elts
                found = {i.value for i in items if isinstance(i, ast.Constant) and i.value in names}
                if len(found) >= 2:
                    copies.append((path.relative_to(PACKAGE).as_posix(), node.lineno, sorted(found)))
    assert copies == []
