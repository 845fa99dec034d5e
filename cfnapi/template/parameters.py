"""Parameter values: supplied / previous / default, type checks, constraints, SSM, rules."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from cfnapi.template.errors import TemplateError
from cfnapi.template.model import ParameterDefinition, Template
from cfnapi.template.parameter_types import CLOUD_TYPES, SSM_NAME_TYPE, list_item_type, ssm_value_inner_type

NO_ECHO_MASK = "****"


class CloudLookup(Protocol):
    """Implemented by the cloud layer: validates the AWS-specific parameter types."""

    def exists(self, parameter_type: str, value: str) -> bool: ...

    def availability_zones(self, region: str) -> list[str]: ...


class ParameterStore(Protocol):
    """cfnapi's SSM parameter store."""

    def get(self, name: str) -> str | None: ...


@dataclass(frozen=True)
class ResolvedParameters:
    """The stack's parameter values, resolved and checked."""

    values: dict[str, Any]  # what Ref returns: str, or list[str] for list types
    raw: dict[str, str]  # the strings as supplied (or defaulted)
    no_echo: frozenset[str] = frozenset()
    types: dict[str, str] = field(default_factory=dict)
    ssm_resolved: dict[str, str] = field(default_factory=dict)  # name → value read from the store
    # The template's Mappings travel with the values so resolve() can serve
    # Fn::FindInMap without being handed the whole template.
    mappings: dict[str, Any] = field(default_factory=dict, repr=False)

    def for_response(self) -> list[dict]:
        """DescribeStacks' Parameters, NoEcho values masked."""
        entries = []
        for name, value in self.raw.items():
            entry = {"ParameterKey": name, "ParameterValue": NO_ECHO_MASK if name in self.no_echo else value}
            if name in self.ssm_resolved:
                entry["ResolvedValue"] = NO_ECHO_MASK if name in self.no_echo else self.ssm_resolved[name]
            entries.append(entry)
        return entries

    def __repr__(self) -> str:
        # Never let a NoEcho value reach a log line through repr().
        shown = {name: (NO_ECHO_MASK if name in self.no_echo else value) for name, value in self.raw.items()}
        return f"ResolvedParameters({shown!r})"


def resolve_parameters(
    template: Template,
    supplied: Mapping[str, str],
    *,
    use_previous: Mapping[str, str] = {},
    lookup: CloudLookup | None = None,
    ssm: ParameterStore | None = None,
) -> ResolvedParameters:
    unknown = [name for name in supplied if name not in template.parameters]
    if unknown:
        raise TemplateError(f"Parameters: [{', '.join(unknown)}] do not exist in the template")
    raw: dict[str, str] = {}
    missing: list[str] = []
    for name, definition in template.parameters.items():
        if name in supplied:
            raw[name] = str(supplied[name])
        elif name in use_previous:
            raw[name] = str(use_previous[name])
        elif definition.default is not None:
            raw[name] = definition.default
        else:
            missing.append(name)
    if missing:
        raise TemplateError(f"Parameters: [{', '.join(missing)}] must have values")

    values: dict[str, Any] = {}
    ssm_resolved: dict[str, str] = {}
    unfetchable: list[str] = []
    for name, definition in template.parameters.items():
        check_constraints(definition, raw[name])
        inner = ssm_value_inner_type(definition.type)
        if inner is not None:
            stored = ssm.get(raw[name]) if ssm is not None else None
            if stored is None:
                unfetchable.append(raw[name])
                continue
            ssm_resolved[name] = stored
            values[name] = _typed_value(name, inner, stored, lookup)
        elif definition.type == SSM_NAME_TYPE:
            if ssm is not None and ssm.get(raw[name]) is None:
                raise _does_not_exist(name, raw[name])
            values[name] = raw[name]
        else:
            values[name] = _typed_value(name, definition.type, raw[name], lookup)
    if unfetchable:
        raise TemplateError(
            f"Unable to fetch parameters [{','.join(unfetchable)}] from parameter store for this account."
        )
    resolved = ResolvedParameters(
        values=values,
        raw=raw,
        no_echo=frozenset(name for name, d in template.parameters.items() if d.no_echo),
        types={name: d.type for name, d in template.parameters.items()},
        ssm_resolved=ssm_resolved,
        mappings=template.mappings,
    )
    if template.rules:
        from cfnapi.template.rules import check_rules

        check_rules(template, resolved)
    return resolved


def _does_not_exist(name: str, value: str) -> TemplateError:
    return TemplateError(
        f"Parameter validation failed: parameter value {value} for parameter name {name} does not exist."
    )


def _typed_value(name: str, parameter_type: str, text: str, lookup: CloudLookup | None) -> Any:
    item_type = list_item_type(parameter_type)
    if item_type is None:
        _check_item(name, parameter_type, text, lookup)
        return text
    items = [item.strip() for item in text.split(",")] if text.strip() else []
    for item in items:
        _check_item(name, item_type, item, lookup)
    return items


def _check_item(name: str, item_type: str, value: str, lookup: CloudLookup | None) -> None:
    if item_type == "Number" and not _is_number(value):
        raise TemplateError(f"Parameter '{name}' must be a number")
    if item_type in CLOUD_TYPES and lookup is not None and not lookup.exists(item_type, value):
        raise _does_not_exist(name, value)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def check_constraints(definition: ParameterDefinition, text: str) -> None:
    """AllowedValues, AllowedPattern, lengths and values — per item for list types."""
    items = [item.strip() for item in text.split(",")] if definition.is_list else [text]
    for item in items:
        failure = _constraint_failure(definition, item)
        if failure is not None:
            if definition.constraint_description:
                # AWS quotes the name in its own wordings only ("Parameter InstanceType
                # failed to satisfy constraint: must be a valid EC2 instance type.").
                raise TemplateError(
                    f"Parameter {definition.name} failed to satisfy constraint: {definition.constraint_description}"
                )
            raise TemplateError(f"Parameter '{definition.name}' {failure}")


def _constraint_failure(definition: ParameterDefinition, value: str) -> str | None:
    if definition.allowed_values and value not in definition.allowed_values:
        return "must be one of AllowedValues"
    if definition.allowed_pattern is not None and re.fullmatch(definition.allowed_pattern, value) is None:
        return f"must match pattern {definition.allowed_pattern}"
    if definition.min_length is not None and len(value) < definition.min_length:
        return f"must contain at least {definition.min_length} characters"
    if definition.max_length is not None and len(value) > definition.max_length:
        return f"must contain at most {definition.max_length} characters"
    if definition.min_value is not None or definition.max_value is not None:
        if not _is_number(value):
            return "must be a number"
        number = float(value)
        if definition.min_value is not None and number < definition.min_value:
            return f"must be a number not less than {_plain_number(definition.min_value)}"
        if definition.max_value is not None and number > definition.max_value:
            return f"must be a number not greater than {_plain_number(definition.max_value)}"
    return None


def _plain_number(number: float) -> str:
    return str(int(number)) if number.is_integer() else str(number)
