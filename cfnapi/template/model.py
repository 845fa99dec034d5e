"""The parsed template: frozen dataclasses, one per section entry."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cfnapi.template.expr import Expr


@dataclass(frozen=True)
class ParameterDefinition:
    name: str
    type: str
    default: str | None = None  # as CloudFormation reports it: always a string
    no_echo: bool = False
    description: str | None = None
    allowed_values: tuple[str, ...] = ()
    allowed_pattern: str | None = None
    min_length: int | None = None
    max_length: int | None = None
    min_value: float | None = None
    max_value: float | None = None
    constraint_description: str | None = None

    @property
    def is_list(self) -> bool:
        return self.type in ("CommaDelimitedList", "List<Number>") or self.type.startswith("List<") or (
            self.type.startswith("AWS::SSM::Parameter::Value<List<")
            or self.type == "AWS::SSM::Parameter::Value<CommaDelimitedList>"
        )


@dataclass(frozen=True)
class ResourceDefinition:
    logical_id: str
    type: str
    properties: Expr = field(default_factory=dict)
    depends_on: tuple[str, ...] = ()
    condition: str | None = None
    metadata: Expr | None = None
    deletion_policy: str | None = None
    update_replace_policy: str | None = None
    creation_policy: Expr | None = None
    update_policy: Expr | None = None
    # Resources named by Ref / Fn::GetAtt / Fn::Sub anywhere in this resource
    # (filtered to resource names when the template was parsed).
    referenced_resources: frozenset[str] = frozenset()

    def dependencies(self) -> frozenset[str]:
        """The resources that must exist before this one: references plus DependsOn."""
        return self.referenced_resources | frozenset(self.depends_on)


@dataclass(frozen=True)
class OutputDefinition:
    logical_id: str
    value: Expr
    description: Expr | None = None
    condition: str | None = None
    export_name: Expr | None = None


@dataclass(frozen=True)
class Assertion:
    condition: Expr
    description: str | None = None


@dataclass(frozen=True)
class RuleDefinition:
    name: str
    assertions: tuple[Assertion, ...]
    rule_condition: Expr | None = None


@dataclass(frozen=True)
class Template:
    body: str
    processed: dict
    format_version: str | None
    description: str | None
    metadata: dict
    parameters: dict[str, ParameterDefinition]
    mappings: dict[str, dict[str, dict[str, Any]]]
    conditions: dict[str, Expr]
    rules: dict[str, RuleDefinition]
    transforms: tuple[str, ...]
    resources: dict[str, ResourceDefinition]
    outputs: dict[str, OutputDefinition]
    transformed: bool = False  # whether ``processed`` differs from the body (a transform or include ran)
