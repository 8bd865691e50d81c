"""The layers of ARCHITECTURE.md, checked on the source: what each package may import.

Read from the files with ``ast`` (nothing is imported), so an import inside a function counts
as much as one at the top: a lazy import hides a dependency, it does not remove it.
"""

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("audits", "worker")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    """Every module a file imports, absolute names (``from a import b`` counts a and a.b)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _graph() -> dict[str, set[str]]:
    modules = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            modules[_module_name(path)] = _imports(path)
    names = set(modules)
    # Keep edges to our own modules (a name that is a module, or the module it is in).
    return {
        module: {name for name in imported if name in names} | {"<ext>:" + n for n in imported}
        for module, imported in modules.items()
    }


GRAPH = _graph()


def _under(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def _violations(source_prefix: str, forbidden: tuple[str, ...]) -> list[str]:
    found = []
    for module, imported in GRAPH.items():
        if not _under(module, source_prefix):
            continue
        for name in imported:
            name = name.removeprefix("<ext>:")
            if any(_under(name, bad) for bad in forbidden):
                found.append(f"{module} imports {name}")
    return sorted(set(found))


def test_the_graph_is_read():
    # A check that reads nothing passes everything: make sure the walk finds what we know.
    assert "audits.core.stats" in GRAPH
    assert "audits.selectors.scoping" in GRAPH
    assert "audits.models" in GRAPH["audits.selectors.scoping"]


def test_pure_cores_import_no_django_and_nothing_of_ours_outside_core():
    assert (
        _violations(
            "audits.core",
            (
                "django",
                "rest_framework",
                "celery",
                "audits.models",
                "audits.selectors",
                "audits.services",
                "audits.api",
                "audits.web",
                "audits.infra",
                "worker",
            ),
        )
        == []
    )


def test_standalone_scripts_import_only_the_standard_library():
    stdlib = sys.stdlib_module_names
    found = []
    for module, imported in GRAPH.items():
        if not _under(module, "audits.standalone") or module == "audits.standalone":
            continue
        for name in imported:
            top = name.removeprefix("<ext>:").split(".")[0]
            if top not in stdlib and top != "__future__":
                found.append(f"{module} imports {name}")
    assert found == []


def test_selectors_only_read():
    assert (
        _violations("audits.selectors", ("audits.services", "audits.api", "audits.web", "worker"))
        == []
    )


def test_services_know_nothing_of_pages_or_api():
    assert _violations("audits.services", ("audits.api", "audits.web")) == []


def test_pages_do_not_borrow_api_serializers():
    assert _violations("audits.web", ("audits.api",)) == []


def test_the_app_does_not_import_the_worker():
    """The worker orchestrates (claim, build, render, store) and imports the app; the app
    starts a job by name and never imports the worker, so there is no cycle between them."""
    assert _violations("audits", ("worker",)) == []


def _cycles() -> list[list[str]]:
    graph = {m: {n for n in deps if n in GRAPH and n != m} for m, deps in GRAPH.items()}
    # A package's __init__ importing its children is not a cycle of dependencies.
    graph = {m: {n for n in deps if not _under(n, m)} for m, deps in graph.items()}
    index, low, stack, on_stack, result, counter = {}, {}, [], set(), [], [0]

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))

    def visit(node):
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                item = stack.pop()
                on_stack.discard(item)
                component.append(item)
                if item == node:
                    break
            if len(component) > 1:
                result.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return result


def test_no_import_cycles():
    assert _cycles() == []


@pytest.mark.parametrize("package", PACKAGES)
def test_every_module_is_under_400_lines(package):
    long = []
    for path in (ROOT / package).rglob("*.py"):
        if "migrations" in path.parts:
            continue
        lines = path.read_text(encoding="utf-8").count("\n")
        if lines > 400:
            long.append(f"{path.relative_to(ROOT)}: {lines}")
    assert long == []
