"""stackctl/promotion/ keeps its layers: the editor and its verifier never import each other, and no module circles.

Read from the source (every import statement, including the ones inside
functions), so nothing is imported to check it. Each module may import only
the modules listed for it below; a new import between them is a decision to
write down here.
"""
from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "stackctl" / "promotion"

# module -> the promotion modules it may import (bottom first).
ALLOWED = {
    "stack_file": set(),
    "plan": {"stack_file"},
    "release_value_spans": {"stack_file"},
    "stack_file_edit": {"stack_file", "release_value_spans"},
    "edit_verification": {"stack_file", "release_value_spans"},
    "evidence": {"stack_file"},
    "ledger": {"stack_file", "evidence"},
    "file_writes": {"stack_file"},
    "release_promotion": {"stack_file", "plan", "release_value_spans", "stack_file_edit", "edit_verification",
                          "evidence", "ledger", "file_writes"},
}
# What the package may use from the rest of stackctl: never a verb (the verbs import the package).
OUTSIDE_ALLOWED = {"stackctl.verification_record"}


def _stackctl_imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        found.update(name for name in names if name == "stackctl" or name.startswith("stackctl."))
    return found


def _graph() -> dict[str, set[str]]:
    prefix = "stackctl.promotion."
    return {path.stem: {name[len(prefix):] for name in _stackctl_imports(path) if name.startswith(prefix)}
            for path in sorted(PACKAGE.glob("*.py")) if path.stem != "__init__"}


def test_every_module_is_listed_and_imports_only_what_its_layer_allows():
    graph = _graph()
    assert sorted(graph) == sorted(ALLOWED)
    assert {module: sorted(imports - ALLOWED[module]) for module, imports in graph.items()
            if imports - ALLOWED[module]} == {}


def test_the_editor_and_the_verifier_do_not_reach_each_other():
    graph = _graph()

    def reachable(start: str) -> set[str]:
        seen, todo = set(), [start]
        while todo:
            for module in graph[todo.pop()] - seen:
                seen.add(module)
                todo.append(module)
        return seen

    assert "edit_verification" not in reachable("stack_file_edit")
    assert "stack_file_edit" not in reachable("edit_verification")


def test_no_import_circle():
    graph, order = _graph(), []
    remaining = dict(graph)
    while remaining:
        ready = sorted(module for module, imports in remaining.items() if not imports - set(order))
        assert ready, f"import circle among {sorted(remaining)}"
        order += ready
        for module in ready:
            del remaining[module]


def test_the_package_imports_no_verb():
    outside = set()
    for path in PACKAGE.glob("*.py"):
        outside |= {name for name in _stackctl_imports(path) if not name.startswith("stackctl.promotion")}
    assert outside <= OUTSIDE_ALLOWED, sorted(outside - OUTSIDE_ALLOWED)
