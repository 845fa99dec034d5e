"""Resolving resource properties and outputs against a running stack."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cfnapi.template.expr import Expr, ResolutionEnv, ResolveContext, as_string, resolve_expr
from cfnapi.template.model import Template
from cfnapi.template.parameters import ResolvedParameters
from cfnapi.template.pseudo import NO_VALUE, StackIdentity


@dataclass(frozen=True)
class ResolvedOutput:
    key: str
    value: str
    description: str | None = None
    export_name: str | None = None


def resolve(
    expr: Expr,
    env: ResolutionEnv,
    params: ResolvedParameters,
    conditions: Mapping[str, bool],
    identity: StackIdentity,
    mappings: Mapping[str, Any] | None = None,
) -> Any:
    """Plain Python data; AWS::NoValue removes the property or list item.

    Fn::FindInMap reads the template's Mappings, which ``params`` carries
    (``mappings`` overrides them, for expressions from another template).
    """
    ctx = ResolveContext(
        parameters=params.values, conditions=conditions, identity=identity,
        mappings=params.mappings if mappings is None else mappings, env=env,
    )
    value = resolve_expr(expr, ctx)
    return None if value is NO_VALUE else value


def resolve_outputs(
    template: Template,
    env: ResolutionEnv,
    params: ResolvedParameters,
    conditions: Mapping[str, bool],
    identity: StackIdentity,
) -> list[ResolvedOutput]:
    """Outputs whose Condition holds, values as strings (lists joined by commas, as AWS shows them)."""
    ctx = ResolveContext(
        parameters=params.values, conditions=conditions, identity=identity, mappings=template.mappings, env=env
    )
    outputs = []
    for key, output in template.outputs.items():
        if output.condition is not None and not conditions[output.condition]:
            continue
        description = None if output.description is None else _output_string(resolve_expr(output.description, ctx))
        export = None if output.export_name is None else _output_string(resolve_expr(output.export_name, ctx))
        outputs.append(ResolvedOutput(key, _output_string(resolve_expr(output.value, ctx)), description, export))
    return outputs


def _output_string(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(_output_string(item) for item in value)
    if isinstance(value, dict):
        return json.dumps(value, separators=(",", ":"))
    return as_string(value, "Output value")
