"""The resource graph's sanity check: every reference resolves and nothing is circular."""

from __future__ import annotations

from graphlib import CycleError, TopologicalSorter

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
    try:
        TopologicalSorter(graph).prepare()
    except CycleError as exc:
        cycle = exc.args[1][:-1]  # graphlib repeats the first node at the end
        raise TemplateError(f"Circular dependency between resources: [{', '.join(sorted(cycle))}]") from None
