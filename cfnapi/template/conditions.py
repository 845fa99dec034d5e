"""Evaluating the Conditions section and filtering resources by it."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from cfnapi.template.condition_functions import resolve_boolean
from cfnapi.template.expr import Expr, ResolveContext
from cfnapi.template.model import ResourceDefinition, Template
from cfnapi.template.parameters import ResolvedParameters
from cfnapi.template.pseudo import StackIdentity


class _LazyConditions(Mapping[str, bool]):
    """Evaluates each condition on first use, so conditions may name each other in any order."""

    def __init__(self, definitions: dict[str, Expr]):
        self._definitions = definitions
        self._values: dict[str, bool] = {}
        self.ctx: ResolveContext | None = None

    def __getitem__(self, name: str) -> bool:
        if name not in self._values:
            assert self.ctx is not None
            self._values[name] = resolve_boolean(self._definitions[name], self.ctx, f"Condition {name}")
        return self._values[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._definitions)

    def __len__(self) -> int:
        return len(self._definitions)


def evaluate_conditions(
    template: Template, params: ResolvedParameters, identity: StackIdentity
) -> dict[str, bool]:
    lazy = _LazyConditions(template.conditions)
    lazy.ctx = ResolveContext(
        parameters=params.values, conditions=lazy, identity=identity, mappings=template.mappings
    )
    return {name: lazy[name] for name in template.conditions}


def active_resources(template: Template, conditions: Mapping[str, bool]) -> dict[str, ResourceDefinition]:
    """Resources whose Condition is absent or true, in template order."""
    return {
        name: resource
        for name, resource in template.resources.items()
        if resource.condition is None or conditions[resource.condition]
    }
