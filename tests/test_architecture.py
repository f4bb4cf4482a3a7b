"""The layer rules of docs/architecture.md, read from the code's own imports (decision 059).

Every import statement is counted, including the ones inside functions: an import deferred to
keep start-up fast is still a dependency.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "kodomo_dash"

# The core: what a city runs. It never reaches up into the layers that drive it.
CORE = ("infra", "config", "security", "warehouse", "casework", "screening", "reports", "services")
DRIVERS = ("demo", "bench", "testing", "cli", "ui")


def _module(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _sources() -> list[Path]:
    return sorted([*PACKAGE.rglob("*.py"), *(REPO / "screens").glob("*.py"), REPO / "app.py"])


def _imports(path: Path) -> Iterator[str]:
    """Every module this file imports, absolute (``from a import b`` yields ``a`` and ``a.b``)."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            assert node.level == 0, f"{path}: relative import"
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if parts[0] == "kodomo_dash" and len(parts) > 1 else parts[0]


def _our_layers(path: Path) -> set[str]:
    return {_layer(m) for m in _imports(path) if m.startswith("kodomo_dash.")}


def _by_layer(*layers: str) -> list[Path]:
    return [p for p in _sources() if _layer(_module(p)) in layers]


def test_the_rules_see_every_layer() -> None:
    seen = {_layer(_module(p)) for p in _sources()}
    assert set(CORE) | set(DRIVERS) | {"screens", "app"} <= seen | {"kodomo_dash"}


@pytest.mark.parametrize("path", _sources(), ids=lambda p: str(p.relative_to(REPO)))
def test_only_ui_and_screens_import_streamlit(path: Path) -> None:
    layer = _layer(_module(path))
    streamlit = {m for m in _imports(path) if m == "streamlit" or m.startswith("streamlit.")}
    if layer in ("ui", "screens", "app"):
        return
    if layer in ("testing", "bench"):  # they drive the app through AppTest, nothing else
        allowed = {"streamlit.testing.v1", "streamlit.testing.v1.AppTest"}
        if _module(path) == "kodomo_dash.bench.load":
            # The load test (decision 068) drives the real server over its websocket as a browser does:
            # it needs the wire messages (BackMsg out, ForwardMsg in, the widget states it sends) and
            # nothing else of Streamlit; AppTest cannot stand in, since it never goes through the server.
            allowed |= {f"streamlit.proto.{m}_pb2" for m in ("BackMsg", "ClientState", "ForwardMsg", "WidgetStates")}
            allowed |= {f"streamlit.proto.{m}_pb2.{m}" for m in ("BackMsg", "ClientState", "ForwardMsg", "WidgetStates")}
            allowed |= {"streamlit.proto.ClientState_pb2.ContextInfo", "streamlit.proto.WidgetStates_pb2.WidgetState"}
        assert streamlit <= allowed, streamlit
        return
    assert not streamlit, f"{path.relative_to(REPO)} imports {sorted(streamlit)}"


@pytest.mark.parametrize("path", _by_layer("screens", "app"), ids=lambda p: p.name)
def test_screens_import_only_services_and_ui(path: Path) -> None:
    assert _our_layers(path) <= {"services", "ui"}, f"{path.name}: {sorted(_our_layers(path))}"


@pytest.mark.parametrize("path", [p for p in _by_layer("cli") if p.name != "__init__.py"], ids=lambda p: p.name)
def test_the_cli_calls_services_and_its_own_drivers(path: Path) -> None:
    # `kodomo synth`, `kodomo demo` and `kodomo bench` are the demo's and the bench's own commands.
    assert _our_layers(path) <= {"services", "cli", "demo", "bench"}, f"{path.name}: {sorted(_our_layers(path))}"


@pytest.mark.parametrize("path", _by_layer(*CORE), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_the_core_never_imports_its_drivers(path: Path) -> None:
    assert not _our_layers(path) & set(DRIVERS), f"{path.relative_to(REPO)}: {sorted(_our_layers(path))}"


@pytest.mark.parametrize("path", _by_layer("ui"), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_ui_does_not_import_demo_bench_or_cli(path: Path) -> None:
    assert not _our_layers(path) & {"demo", "bench", "cli", "testing"}


def test_no_import_cycles() -> None:
    modules = {_module(p): p for p in _sources()}
    graph = {m: {i for i in _imports(p) if i in modules and i != m} for m, p in modules.items()}
    for module in graph:  # a package's face imports its own modules: not a cycle of the design
        graph[module] = {i for i in graph[module] if not (module.startswith(i + ".") and i in modules)}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    assert not cycles, cycles


def test_the_readme_layout_table_matches_the_tree() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    table = readme.split("## Where things live", 1)[1].split("\n## ", 1)[0]
    named = {line.split("`")[1].rstrip("/") for line in table.splitlines() if line.startswith("| `")}
    packages = {f"kodomo_dash/{p.name}" for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    assert packages <= named, sorted(packages - named)
    assert [n for n in named if n != "warehouse" and not (REPO / n).exists()] == []


def test_tests_mirror_the_package() -> None:
    tests = REPO / "tests"
    folders = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()} | {"pages", "browser", "scenarios"}
    whole = {"test_architecture.py", "test_defined_once.py", "test_packaged_install.py", "test_offline_bundle.py"}
    misplaced = [str(f.relative_to(tests)) for f in tests.rglob("test_*.py")
                 if not (f.parent == tests and f.name in whole) and f.relative_to(tests).parts[0] not in folders]
    assert misplaced == []


# Service modules that hold no behaviour of their own, so no direct test of theirs.
NO_DIRECT_TEST = {
    "access": "re-exports the matrix's can and require for the screens",
    "errors": "re-exports the refusal types the screens catch",
}


def test_every_service_module_has_direct_tests() -> None:
    """Issue 13: each module of services/ is imported by a test in tests/services (not only reached
    through a page), so its scope, refusals and audit rows are pinned where they are written."""
    imported = set()
    for path in (REPO / "tests" / "services").glob("test_*.py"):
        for module in _imports(path):
            parts = module.split(".")
            if parts[:2] == ["kodomo_dash", "services"] and len(parts) > 2:
                imported.add(parts[2])
    modules = {p.stem for p in (PACKAGE / "services").glob("*.py")} - {"__init__"} - set(NO_DIRECT_TEST)
    assert sorted(modules - imported) == []


# Public service functions with a principal that do not enter unit_of_work, each with its reason.
OUTSIDE_THE_UNIT = {
    "children.tax_columns_for": "asks the matrix alone, of any principal or none (None), and reads no row",
    "screening.accept": "hands the 確定 to support.accept_run, the one acceptance, which enters the unit",
}


def _principal_functions() -> Iterator[tuple[str, ast.FunctionDef]]:
    """Every public function of kodomo_dash/services/ taking a ``principal``, but the frame's own module."""
    for path in sorted((PACKAGE / "services").glob("*.py")):
        if path.name == "unit_of_work.py":  # the frame itself: unit_of_work and scope_of take the principal
            continue
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
                args = node.args
                if "principal" in {a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)}:
                    yield f"{path.stem}.{node.name}", node


def _enters_unit_of_work(node: ast.FunctionDef) -> bool:
    """True when the function's body has a ``with unit_of_work(...)``."""
    return any(
        isinstance(item.context_expr, ast.Call)
        and isinstance(item.context_expr.func, ast.Name)
        and item.context_expr.func.id == "unit_of_work"
        for n in ast.walk(node)
        if isinstance(n, ast.With)
        for item in n.items
    )


def test_every_service_call_for_a_principal_enters_the_unit_of_work() -> None:
    # issue 13: the matrix check, the scope, casework's transaction and the audit row have one frame
    found = dict(_principal_functions())
    assert len(found) > 50, "the walk must see the services"
    outside = sorted(name for name, node in found.items() if not _enters_unit_of_work(node))
    assert outside == sorted(OUTSIDE_THE_UNIT), "enter unit_of_work, or list it above with its reason"
