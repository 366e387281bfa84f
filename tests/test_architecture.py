"""The shape of the package: no import cycles, layers point one way, no module or function
too long to read, no import hidden inside a function.

Run as a script (`python tests/test_architecture.py`) to list every violation at once.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import grimp

PACKAGE = "marketplace"
ROOT = Path(__file__).resolve().parent.parent / PACKAGE
MAX_MODULE_LINES = 800
MAX_FUNCTION_LINES = 80

AUDIENCES = ("auth", "buyer", "producer", "public", "staff")

# (importer, what it must not import): web -> services -> models -> the base modules.
FORBIDDEN = [
    ("marketplace.models", ("marketplace.services", "marketplace.web", "marketplace.ops")),
    ("marketplace.services", ("marketplace.web",)),
    *(
        (f"marketplace.{base}", ("marketplace.models", "marketplace.services", "marketplace.web"))
        for base in ("labels", "numbers", "formatting", "types", "config", "extensions")
    ),
    # Audience blueprints are siblings: what two of them share lives in a shared web module.
    *(
        (f"marketplace.web.{a}", tuple(f"marketplace.web.{b}" for b in AUDIENCES if b != a))
        for a in AUDIENCES
    ),
]


if str(ROOT.parent) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT.parent))


def _in(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _graph() -> grimp.ImportGraph:
    return grimp.build_graph(PACKAGE, cache_dir=None)


def import_cycles(graph: grimp.ImportGraph | None = None) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan, iterative)."""
    graph = graph or _graph()
    edges = {m: sorted(graph.find_modules_directly_imported_by(m)) for m in graph.modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    counter = 0
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, iter(edges[start]))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(edges.get(child, ()))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(sorted(group))
    return groups


def layer_violations(graph: grimp.ImportGraph | None = None) -> list[str]:
    graph = graph or _graph()
    found = []
    for importer in sorted(graph.modules):
        for layer, forbidden in FORBIDDEN:
            if not _in(importer, layer):
                continue
            for imported in sorted(graph.find_modules_directly_imported_by(importer)):
                if any(_in(imported, f) for f in forbidden):
                    found.append(f"{importer} imports {imported}")
    return found


def _python_files() -> list[Path]:
    return sorted(p for p in ROOT.rglob("*.py") if "__pycache__" not in p.parts)


def size_violations() -> list[str]:
    found = []
    for path in _python_files():
        text = path.read_text(encoding="utf-8")
        rel = path.relative_to(ROOT.parent)
        lines = text.count("\n") + 1
        if lines > MAX_MODULE_LINES:
            found.append(f"{rel}: {lines} lines (at most {MAX_MODULE_LINES})")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    found.append(
                        f"{rel}:{node.lineno} {node.name}: {length} lines "
                        f"(at most {MAX_FUNCTION_LINES})"
                    )
    return found


def function_imports() -> list[str]:
    found = []
    for path in _python_files():
        rel = path.relative_to(ROOT.parent)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for inner in ast.walk(node):
                if isinstance(inner, (ast.Import, ast.ImportFrom)):
                    found.append(f"{rel}:{inner.lineno} import inside {node.name}()")
    return sorted(set(found))


def test_the_package_has_no_import_cycle():
    assert import_cycles() == []


def test_layers_point_one_way():
    assert layer_violations() == []


def test_no_import_hides_inside_a_function():
    assert function_imports() == []


def test_modules_and_functions_stay_readable():
    assert size_violations() == []


if __name__ == "__main__":
    graph = _graph()
    for title, items in (
        ("cycles", [" ".join(c) for c in import_cycles(graph)]),
        ("layers", layer_violations(graph)),
        ("imports inside functions", function_imports()),
        ("sizes", size_violations()),
    ):
        print(f"== {title}: {len(items)}")
        for item in items:
            print("  ", item)
