"""Each workflow code, stage and cohort is defined once (issue 13: they had drifted in 3–5 copies).

The test reads every dict and tuple literal of the package: none outside its home may repeat the
codes with their labels. The reports speak the same codes: no dict in reports/ turns a casework code
into a second name for it. Page titles are held in tests/security/test_matrix.py and the calendar in
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


def _casework_codes() -> set[str]:
    from kodomo_dash.casework.funnel import FUNNEL_STAGES

    # the workflow's stage names are left out: report tables are named after the same steps ("outcome")
    return {s for _, s, *_ in FUNNEL_STAGES} | {code for name, domain in CODE_DOMAINS.items() if name != "stage"
                                                for code in domain}  # fmt: skip


def test_reports_keep_no_second_set_of_funnel_codes() -> None:
    """A dict in reports/ that turns a casework code into another code is a renaming map (issue 13)."""
    codes = _casework_codes()
    renames = []
    for path in sorted((PACKAGE / "reports").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Dict):
                continue
            for k, v in zip(node.keys, node.values, strict=True):
                keys = k.elts if isinstance(k, ast.Tuple) else [k]
                names = {x.value for x in keys if isinstance(x, ast.Constant) and isinstance(x.value, str)}
                if isinstance(v, ast.Constant) and isinstance(v.value, str) and v.value.isascii() and names & codes:
                    if v.value not in names:
                        renames.append((path.name, node.lineno, sorted(names), v.value))
    assert renames == []


def test_report_shapes_speak_the_casework_codes() -> None:
    from kodomo_dash.casework import vocabulary
    from kodomo_dash.casework.funnel import FUNNEL_STAGES
    from kodomo_dash.reports import funnel_adapter
    from kodomo_dash.reports.shapes import COMMON_REASONS, SHAPES

    bars = {path: {s for p, s, *_ in FUNNEL_STAGES if p == path} for path in vocabulary.PATHS}
    reasons = {code for name, domain in CODE_DOMAINS.items() if name.endswith("_reason") for code in domain}
    report_only = {funnel_adapter.SCREENED_OUT, funnel_adapter.YOTAIKYO_REGISTERED, funnel_adapter.BELOW_TOP}
    for shape in SHAPES.values():
        path = "ward" if shape is SHAPES["fukuoka"] else "school"
        parts = {p for _, ps in shape.splits for p in ps} - bars[path]  # a list's parts: the screening method's
        assert set(shape.stage_codes) - parts <= bars[path], shape.key
        assert {s.decided_at for s in shape.stages if s.decided_at} <= set(vocabulary.STAGES)
        assert set(shape.exclusion_reasons) <= reasons | report_only | set(COMMON_REASONS), shape.key
        for o in shape.outcomes:
            assert o.code in (vocabulary.OUTCOMES if path == "ward" else bars[path]), (shape.key, o.code)
        for a in shape.acts:
            known = vocabulary.SUPPORT_CATEGORIES.get(a.category, {}) if path == "ward" else bars[path]
            assert a.code in known, (shape.key, a.code)
