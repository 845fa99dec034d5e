"""The resource graph's sanity check: every reference resolves and nothing is circular."""

from __future__ import annotations

from cfnapi.template.errors import TemplateError, format_error
from cfnapi.template.model import Template


def dependency_graph(template: Template) -> dict[str, frozenset[str]]:
    """logical id → the logical ids it depends on."""
    return {name: resource.dependencies() for name, resource in template.resources.items()}


def dependency_order_check(template: Template) -> None:
    graph = dependency_graph(template)
    unresolved = sorted({target for targets in graph.values() for target in targets if target not in graph})
    if unresolved:
        raise format_error(
            f"Unresolved resource dependencies [{', '.join(unresolved)}] in the Resources block of the template"
        )
    stuck = unorderable(graph)
    if stuck:
        raise TemplateError(f"Circular dependency between resources: [{', '.join(stuck)}]")


def unorderable(graph: dict[str, frozenset[str]]) -> list[str]:
    """The resources no order can create: those on a cycle and everything that
    depends on one. AWS names all of them (an alarm on a function caught in a
    cycle is listed too), in template order here."""
    ordered: set[str] = set()
    remaining = {name: set(targets) for name, targets in graph.items()}
    ready = [name for name, targets in remaining.items() if not targets]
    dependents: dict[str, list[str]] = {}
    for name, targets in graph.items():
        for target in targets:
            dependents.setdefault(target, []).append(name)
    while ready:
        name = ready.pop()
        ordered.add(name)
        for dependent in dependents.get(name, ()):
            remaining[dependent].discard(name)
            if not remaining[dependent] and dependent not in ordered:
                ready.append(dependent)
    return [name for name in graph if name not in ordered]
