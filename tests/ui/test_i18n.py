"""UI text: one message module per screen, and every workflow code labelled in both languages."""

from __future__ import annotations

from pathlib import Path

from kodomo_dash.casework.vocabulary import CODE_DOMAINS, LABELS_EN
from kodomo_dash.ui import i18n

REPO = Path(__file__).resolve().parents[2]


def test_every_screen_has_its_message_file():
    messages = {p.stem for p in (REPO / "kodomo_dash" / "ui" / "messages").glob("*.yaml")}
    screens = {p.stem for p in (REPO / "screens").glob("*.py") if not p.stem.startswith("forms_")}
    assert screens <= messages, sorted(screens - messages)
    assert messages - screens == {"common", "forms", "signin"}  # shared, and the renderer's


def test_every_workflow_code_has_an_english_label():
    assert {d: set(codes) for d, codes in LABELS_EN.items()} == {d: set(codes) for d, codes in CODE_DOMAINS.items()}
    assert all(text.strip() and text.isascii() for codes in LABELS_EN.values() for text in codes.values())


def test_label_shows_a_code_in_the_chosen_language():
    assert i18n.label("department", "health", "ja") == CODE_DOMAINS["department"]["health"] == "健康課"
    assert i18n.label("department", "health", "en") == "Health Division"
    assert i18n.label("stage", "conference", "en") == "Three-department conference"
    assert i18n.label("department", "unknown_code", "en") == "unknown_code"  # shown as stored, not hidden
