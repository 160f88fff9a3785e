"""The core's import graph has no cycles (the layers are checked by ``lint-imports`` in ``.ci/run``).

Checked with grimp (which import-linter uses) over the imports made at run time, at every
package level: among ``carrier_sdk``'s modules and subpackages, and among each subpackage's.
Imports made only for annotations (under ``TYPE_CHECKING``) are not import-time dependencies.
"""

from __future__ import annotations

import pytest

pytest.importorskip("grimp", reason="grimp comes with import-linter (the dev extra): pip install -e '.[dev]'")

import grimp

#: The one cycle left, (importer, imported): ``Sandbox.advance`` tracks a parcel through a
#: throwaway ``Client`` while ``Client(sandbox=True)`` builds the ``Sandbox``.
ALLOWED = {("carrier_sdk.sandbox", "carrier_sdk._client")}


def sibling_cycles(graph: grimp.ImportGraph, package: str) -> list[list[str]]:
    """Cycles among the children of ``package`` (each child with its descendants), as sorted lists."""
    children = sorted(graph.find_children(package))
    edges: dict[str, set[str]] = {child: set() for child in children}
    for child in children:
        for module in {child, *graph.find_descendants(child)}:
            for imported in graph.find_modules_directly_imported_by(module):
                target = next((c for c in children if imported == c or imported.startswith(c + ".")), None)
                if target is not None and target != child and (module, imported) not in ALLOWED:
                    edges[child].add(target)
    return strongly_connected(edges)


def strongly_connected(edges: dict[str, set[str]]) -> list[list[str]]:
    """The components of more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(edges.get(node, ())):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = grimp.ImportGraph()
    for module in ("pkg", "pkg.a", "pkg.b", "pkg.c", "pkg.sub", "pkg.sub.x"):
        graph.add_module(module)
    graph.add_import(importer="pkg.a", imported="pkg.b")
    graph.add_import(importer="pkg.sub.x", imported="pkg.a")
    assert sibling_cycles(graph, "pkg") == []
    graph.add_import(importer="pkg.b", imported="pkg.sub.x")
    assert sibling_cycles(graph, "pkg") == [["pkg.a", "pkg.b", "pkg.sub"]]


def test_no_import_cycles_in_the_core() -> None:
    graph = grimp.build_graph("carrier_sdk", exclude_type_checking_imports=True)
    packages = sorted(m for m in graph.modules if graph.find_children(m))
    assert "carrier_sdk.cli" in packages
    cycles = {package: sibling_cycles(graph, package) for package in packages}
    assert {package: found for package, found in cycles.items() if found} == {}
