"""No casework write is reachable only from demo code (issue 12).

The simulation (casework/simulate.py) and the scenario year (scenario_year.py) play people's steps
through the service functions the screens and the `kodomo` command call. This test reads their
source: they may not call a casework write of the library directly, nor write SQL of their own;
and every library write they reach through a service is reachable from a screen or a command.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEMO_MODULES = ("kodomo_dash/demo/simulate.py", "kodomo_dash/demo/scenario_year.py")
# The library's casework writes (module attribute names): what only a service may call.
RECORD = {"record_event", "record_event_in_tx", "record_secondary", "record_conference", "record_approach",
          "record_contact_attempt", "record_contact", "record_support_act", "record_outcome", "record_follow_up",
          "record_school_decision", "void_event", "void_events_in_tx"}  # fmt: skip
LISTS = {"accept_list", "accept_screening_run"}
WRITES = {
    "workflow": RECORD | LISTS,  # casework.workflow, the package's face
    "record": RECORD,  # or its modules, imported by name
    "lists": LISTS,
    "form_store": {"request_form", "request_forms_for_list", "save_draft", "submit_form", "reopen_form"},
    "runs": {"accept_run", "discard_run"},
}  # fmt: skip
ALL_WRITES = set().union(*WRITES.values())
SERVICE_MODULES = ("kodomo_dash/services/support.py", "kodomo_dash/services/workflow.py",
                   "kodomo_dash/services/screening.py")  # fmt: skip


def _calls(path: str) -> list[tuple[str, str, int]]:
    """(owner, name, line) of every call `owner.name(...)` or bare `name(...)` in a module."""
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name):
                found.append((f.value.id, f.attr, node.lineno))
            elif isinstance(f, ast.Name):
                found.append(("", f.id, node.lineno))
    return found


def _imported_writes(path: str) -> list[str]:
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    return [
        f"{node.module}.{a.name}"
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("kodomo_dash.")
        for a in node.names
        if a.name in ALL_WRITES
    ]


@pytest.mark.parametrize("path", DEMO_MODULES)
def test_demo_code_calls_no_casework_write_directly(path):
    direct = [(o, n, line) for o, n, line in _calls(path) if n in WRITES.get(o, set()) or (not o and n in ALL_WRITES)]
    assert direct == [], f"{path} writes casework itself: {direct}"
    assert _imported_writes(path) == []


@pytest.mark.parametrize("path", DEMO_MODULES)
def test_demo_code_holds_no_sql_that_writes(path):
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    writes = [
        (node.lineno, node.value[:40])
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
        and node.value.lstrip().lower().startswith(("insert ", "update ", "delete ", "create ", "alter "))
    ]  # fmt: skip
    assert writes == []


def test_every_library_write_the_services_use_is_reachable_from_a_screen_or_command():
    """The services the demo drives are the ones screens and commands call (names checked in their files)."""
    services = {n for p in SERVICE_MODULES for o, n, _ in _calls(p) if n in WRITES.get(o, set())}
    assert {"record_event", "accept_screening_run", "void_event", "request_forms_for_list", "reopen_form",
            "request_form", "submit_form", "save_draft"} <= services  # fmt: skip
    front = "\n".join(p.read_text(encoding="utf-8") for p in [*ROOT.glob("screens/*.py"), *ROOT.glob("kodomo_dash/ui/*.py"),
                                                               *ROOT.glob("kodomo_dash/cli/*.py")])  # fmt: skip
    for name in ("accept_run", "record_secondary", "record_conference", "record_approach", "record_school_decision",
                 "request_sheets", "void_event", "send_back_form", "save_form", "start_form"):
        assert f"{name}" in front, f"service {name} is called by no screen or command"


def test_messages_that_ask_for_a_correction_name_the_real_button():
    """「管理者に依頼」 messages point at the tab where a manager's cancel and send-back buttons are."""
    from kodomo_dash.casework import form_store
    from kodomo_dash.casework.workflow import record, rules
    from kodomo_dash.ui.i18n import MESSAGES

    place = rules.CORRECTION_PLACE_JA
    assert place == f"「{MESSAGES['page.support_record']['ja']}」画面の「{MESSAGES['sr.tab.history']['ja']}」"
    place_en = rules.CORRECTION_PLACE.text("en")
    assert place_en == f'the "{MESSAGES["sr.tab.history"]["en"]}" tab of the "{MESSAGES["page.support_record"]["en"]}" screen'
    for module in (rules, record, form_store):
        assert "CORRECTION_PLACE" in Path(module.__file__).read_text(encoding="utf-8")
    assert "記録の履歴・訂正" in MESSAGES["form.submitted_note"]["ja"]
    screen = (ROOT / "kodomo_dash/ui/support.py").read_text(encoding="utf-8")
    assert "sr.void.button" in screen and "sr.back.button" in screen
