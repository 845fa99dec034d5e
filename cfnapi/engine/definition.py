"""What the engine needs from a template once its parameters are bound.

The engine never walks template syntax itself: a ``DefinitionCompiler`` turns
(template body, parameter values, stack identity) into a ``StackDefinition``
that lists the active resources with their dependencies and resolves
properties and outputs against the engine's live resource state
(``ResolutionEnv``). ``cfnapi.engine.template_binding`` implements it over
``cfnapi.template``; tests may supply a smaller one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class Identity:
    """The stack's pseudo-parameter values."""

    account_id: str
    region: str
    stack_id: str
    stack_name: str
    notification_arns: tuple[str, ...] = ()


@dataclass(frozen=True)
class ResourceDecl:
    logical_id: str
    type: str
    dependencies: frozenset[str] = frozenset()  # logical ids of other active resources
    deletion_policy: str | None = None  # Delete | Retain | Snapshot
    update_replace_policy: str | None = None
    creation_policy: Mapping[str, Any] | None = None  # resolved, e.g. {"ResourceSignal": {"Count": 1, "Timeout": "PT5M"}}
    update_policy: Mapping[str, Any] | None = None  # resolved, e.g. {"AutoScalingRollingUpdate": {...}}


class ResolutionEnv(Protocol):
    def ref_resource(self, logical_id: str) -> str: ...
    def get_att(self, logical_id: str, attribute: str) -> Any: ...
    def import_value(self, export_name: str) -> str: ...
    def availability_zones(self) -> list[str]: ...


@dataclass(frozen=True)
class OutputValue:
    key: str
    value: str
    description: str | None = None
    export_name: str | None = None

    def for_response(self) -> dict[str, str]:
        out = {"OutputKey": self.key, "OutputValue": self.value}
        if self.description is not None:
            out["Description"] = self.description
        if self.export_name is not None:
            out["ExportName"] = self.export_name
        return out


class StackDefinition(Protocol):
    description: str | None
    resources: Mapping[str, ResourceDecl]  # active (Condition-filtered), in template order
    parameter_values: Mapping[str, str]  # raw strings to store (defaults filled in)
    parameters_response: list[dict]  # DescribeStacks Parameters (NoEcho masked)
    required_capabilities: tuple[list[str], str]  # ([...], reason) or ([], "")
    imports: frozenset[str]  # export names used by Fn::ImportValue

    def resolve_properties(self, logical_id: str, env: ResolutionEnv) -> dict[str, Any]: ...
    def resolve_metadata(self, logical_id: str, env: ResolutionEnv) -> Any: ...
    def resolve_outputs(self, env: ResolutionEnv) -> list[OutputValue]: ...


class DefinitionCompiler(Protocol):
    def compile(
        self,
        body: str,
        parameters: Mapping[str, str],
        identity: Identity,
        *,
        use_previous: Mapping[str, str] | None = None,
    ) -> StackDefinition:
        """Parse and bind. Raises ServiceError (ValidationError) for bad input."""
        ...


@dataclass
class SimpleDefinition:
    """A plain implementation of ``StackDefinition`` for compilers to build."""

    resources: dict[str, ResourceDecl]
    properties_resolver: Any  # (logical_id, env) -> dict
    outputs_resolver: Any = None  # (env) -> list[OutputValue]
    metadata_resolver: Any = None  # (logical_id, env) -> Any
    description: str | None = None
    parameter_values: dict[str, str] = field(default_factory=dict)
    parameters_response: list[dict] = field(default_factory=list)
    required_capabilities: tuple[list[str], str] = ([], "")
    imports: frozenset[str] = frozenset()

    def resolve_properties(self, logical_id, env):
        return self.properties_resolver(logical_id, env)

    def resolve_metadata(self, logical_id, env):
        return self.metadata_resolver(logical_id, env) if self.metadata_resolver else None

    def resolve_outputs(self, env):
        return self.outputs_resolver(env) if self.outputs_resolver else []
