"""Japanese first: no Streamlit widget shows its own English option text on a Japanese screen."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_multiselect_hides_streamlits_english_select_all():
    """st.multiselect offers an English 「Select all」; screens that need it have their own checkbox."""
    missing = []
    for path in [*ROOT.glob("screens/*.py"), *ROOT.glob("kodomo_dash/**/*.py"), ROOT / "app.py"]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "multiselect"
                    and not any(k.arg == "select_all" for k in node.keywords)):  # fmt: skip
                missing.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert missing == []
