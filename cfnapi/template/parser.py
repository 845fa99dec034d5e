"""parse_template: text → validated ``Template`` with every function parsed once."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from cfnapi.template.errors import format_error
from cfnapi.template.expr import Expr, Scope, iter_intrinsics, references_in, validate_expr
from cfnapi.template.loader import TEMPLATE_BODY_MAX_BYTES, load_template_data, parse_document
from cfnapi.template.model import (
    Assertion, OutputDefinition, ParameterDefinition, ResourceDefinition, RuleDefinition, Template,
)
from cfnapi.template.parameter_types import check_parameter_type
from cfnapi.template.registry import parse_condition, parse_expr
from cfnapi.template.transforms import apply_transforms, declared_transforms

MAX_RESOURCES = 500
MAX_PARAMETERS = 200
MAX_OUTPUTS = 200
MAX_MAPPINGS = 200
MAX_DESCRIPTION_LENGTH = 1024

TOP_LEVEL_KEYS = frozenset({
    "AWSTemplateFormatVersion", "Description", "Metadata", "Parameters", "Rules", "Mappings",
    "Conditions", "Transform", "Resources", "Outputs", "Hooks",
})
RESOURCE_KEYS = frozenset({
    "Type", "Properties", "DependsOn", "Condition", "Metadata", "DeletionPolicy",
    "UpdateReplacePolicy", "CreationPolicy", "UpdatePolicy", "Version", "Description",
})
PARAMETER_KEYS = frozenset({
    "Type", "Default", "Description", "NoEcho", "AllowedValues", "AllowedPattern", "MinLength",
    "MaxLength", "MinValue", "MaxValue", "ConstraintDescription",
})
OUTPUT_KEYS = frozenset({"Value", "Description", "Export", "Condition"})
DELETION_POLICIES = frozenset({"Delete", "Retain", "Snapshot", "RetainExceptOnCreate"})
_ALPHANUMERIC = re.compile(r"^[A-Za-z0-9]+$")


def parse_template(
    body: str | bytes,
    *,
    max_bytes: int = TEMPLATE_BODY_MAX_BYTES,
    include_fetcher: Callable[[str], str] | None = None,
    parameter_values: Mapping[str, str] | None = None,
) -> Template:
    """``parameter_values`` (a stack's raw values) feed Fn::ForEach collections
    that Ref a parameter; without them, parameters' Defaults do."""
    text, data = load_template_data(body, max_bytes=max_bytes)
    if not isinstance(data, dict):
        raise format_error("Template must be a JSON or YAML object")
    transforms = declared_transforms(data)
    transformed = bool(transforms) or _has_include(data)
    processed = apply_transforms(data, include_fetcher, parse_document, parameter_values) if transformed else data
    return _build(text, processed, transforms, transformed)


def _has_include(data: Any) -> bool:
    if isinstance(data, dict):
        return "Fn::Transform" in data or any(_has_include(value) for value in data.values())
    if isinstance(data, list):
        return any(_has_include(item) for item in data)
    return False


def _build(text: str, data: dict, transforms: tuple[str, ...], transformed: bool) -> Template:
    unknown = [key for key in data if key not in TOP_LEVEL_KEYS]
    if unknown:
        raise format_error(f"Invalid template property or properties [{', '.join(map(str, unknown))}]")
    format_version = data.get("AWSTemplateFormatVersion")
    if format_version is not None and str(format_version) != "2010-09-09":
        raise format_error(f"Unsupported AWSTemplateFormatVersion {format_version}: the only valid version is 2010-09-09")
    description = data.get("Description")
    if description is not None and not isinstance(description, str):
        raise format_error("Every Description member must be a string")
    if description is not None and len(description) > MAX_DESCRIPTION_LENGTH:
        raise format_error(f"Template description must be no longer than {MAX_DESCRIPTION_LENGTH} characters")

    raw_parameters = _section(data, "Parameters")
    raw_mappings = _section(data, "Mappings")
    raw_conditions = _section(data, "Conditions")
    raw_resources = _section(data, "Resources")
    raw_outputs = _section(data, "Outputs")
    if not raw_resources:
        raise format_error("At least one Resources member must be defined.")
    _check_limit("resources", len(raw_resources), MAX_RESOURCES)
    _check_limit("parameters", len(raw_parameters), MAX_PARAMETERS)
    _check_limit("outputs", len(raw_outputs), MAX_OUTPUTS)
    _check_limit("mappings", len(raw_mappings), MAX_MAPPINGS)

    parameters = {name: _parameter(name, value) for name, value in raw_parameters.items()}
    mappings = {name: _mapping(name, value) for name, value in raw_mappings.items()}
    names = dict(
        resources=frozenset(raw_resources), parameters=frozenset(parameters),
        conditions=frozenset(raw_conditions), mappings=mappings,
    )
    _check_name_clashes(parameters, raw_resources)

    conditions = {name: parse_condition(value) for name, value in raw_conditions.items()}
    for expr in conditions.values():
        validate_expr(expr, Scope("Conditions", **names))
    _check_condition_cycles(conditions)

    resource_names = {**names, "resource_scope": Scope("Resources", **names)}  # one Scope for every resource
    resources = {name: _resource(name, value, resource_names) for name, value in raw_resources.items()}
    outputs = {name: _output(name, value, names) for name, value in raw_outputs.items()}
    rules = {name: _rule(name, value, names) for name, value in _section(data, "Rules").items()}
    metadata = data.get("Metadata") or {}
    if not isinstance(metadata, dict):
        raise format_error("Metadata must be a mapping")

    return Template(
        body=text,
        processed=data,
        format_version=None if format_version is None else str(format_version),
        description=description,
        metadata=metadata,
        parameters=parameters,
        mappings=mappings,
        conditions=conditions,
        rules=rules,
        transforms=transforms,
        resources=resources,
        outputs=outputs,
        transformed=transformed,
    )


def _section(data: dict, name: str) -> dict:
    section = data.get(name)
    if section is None:
        return {}
    if not isinstance(section, dict):
        raise format_error(f"{name} must be a mapping")
    return section


def _check_limit(what: str, count: int, maximum: int) -> None:
    if count > maximum:
        raise format_error(f"Number of {what}, {count}, is greater than maximum allowed, {maximum}")


def _check_name(kind: str, name: Any) -> None:
    if not isinstance(name, str) or not _ALPHANUMERIC.match(name):
        raise format_error(f"{kind} name {name} is non alphanumeric.")


def _check_name_clashes(parameters: dict, resources: dict) -> None:
    clashes = sorted(set(parameters) & set(resources))
    if clashes:
        raise format_error(f"Duplicate names [{', '.join(clashes)}] in Parameters and Resources blocks")


def _scalar_string(value: Any) -> str:
    """A parameter attribute as CloudFormation reports it (YAML 80 → "80", true → "true")."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(_scalar_string(item) for item in value)
    return str(value)


def _number(name: str, key: str, value: Any) -> float:
    try:
        if isinstance(value, bool):
            raise ValueError
        return float(value)
    except (TypeError, ValueError):
        raise format_error(f"Parameter {name} has an invalid {key}: must be a number") from None


def _parameter(name: str, raw: Any) -> ParameterDefinition:
    _check_name("Parameter", name)
    if not isinstance(raw, dict) or "Type" not in raw:
        raise format_error("Every Parameters object must contain a Type member.")
    for key in raw:
        if key not in PARAMETER_KEYS:
            raise format_error(f"Invalid template parameter property '{key}'")
    parameter_type = raw["Type"]
    check_parameter_type(parameter_type)
    allowed = raw.get("AllowedValues")
    if allowed is not None and not isinstance(allowed, list):
        raise format_error(f"Parameter {name} AllowedValues must be a list")
    pattern = raw.get("AllowedPattern")
    if pattern is not None:
        try:
            re.compile(str(pattern))
        except re.error:
            raise format_error(f"Parameter {name} has an invalid AllowedPattern {pattern}") from None
    no_echo = raw.get("NoEcho", False)
    return ParameterDefinition(
        name=name,
        type=parameter_type,
        default=None if raw.get("Default") is None else _scalar_string(raw["Default"]),
        no_echo=no_echo is True or str(no_echo).lower() == "true",
        description=None if raw.get("Description") is None else str(raw["Description"]),
        allowed_values=tuple(_scalar_string(value) for value in allowed or ()),
        allowed_pattern=None if pattern is None else str(pattern),
        min_length=None if raw.get("MinLength") is None else int(_number(name, "MinLength", raw["MinLength"])),
        max_length=None if raw.get("MaxLength") is None else int(_number(name, "MaxLength", raw["MaxLength"])),
        min_value=None if raw.get("MinValue") is None else _number(name, "MinValue", raw["MinValue"]),
        max_value=None if raw.get("MaxValue") is None else _number(name, "MaxValue", raw["MaxValue"]),
        constraint_description=None if raw.get("ConstraintDescription") is None else str(raw["ConstraintDescription"]),
    )


def _mapping(name: str, raw: Any) -> dict:
    if not isinstance(raw, dict) or not raw:
        raise format_error(f"Mappings attribute {name} must be a non-empty mapping")
    for top_key, level in raw.items():
        if not isinstance(level, dict):
            raise format_error(f"Mappings attribute {name}.{top_key} must be a mapping")
        for value in level.values():
            if not isinstance(value, (str, int, float, bool, list)):
                raise format_error("Every Mappings attribute must be a String or a List.")
    return {str(key): {str(k): v for k, v in level.items()} for key, level in raw.items()}


def _check_condition_cycles(conditions: dict[str, Expr]) -> None:
    edges = {
        name: {f.name for f in iter_intrinsics(expr) if f.function_name == "Condition"}
        for name, expr in conditions.items()
    }
    visiting: list[str] = []
    done: set[str] = set()

    def visit(name: str) -> None:
        if name in done:
            return
        if name in visiting:
            cycle = visiting[visiting.index(name):]
            raise format_error(f"Circular dependency between conditions: [{', '.join(cycle)}]")
        visiting.append(name)
        for target in edges.get(name, ()):
            visit(target)
        visiting.pop()
        done.add(name)

    for name in conditions:
        visit(name)


def _condition_name(raw: Any, known: frozenset[str], section: str) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, str) or raw not in known:
        raise format_error(f"Unresolved condition dependency {raw} in the {section} block of the template")
    return raw


def _resource(logical_id: str, raw: Any, names: dict) -> ResourceDefinition:
    _check_name("Resource", logical_id)
    if not isinstance(raw, dict) or not isinstance(raw.get("Type"), str) or not raw["Type"]:
        raise format_error("Every Resources object must contain a Type member.")
    for key in raw:
        if key not in RESOURCE_KEYS:
            raise format_error(f"Invalid template resource property '{key}'")
    depends_on = raw.get("DependsOn") or ()
    depends_on = (depends_on,) if isinstance(depends_on, str) else depends_on
    if not isinstance(depends_on, (list, tuple)) or not all(isinstance(item, str) for item in depends_on):
        raise format_error("DependsOn must be a string or a list of strings")
    missing = [item for item in depends_on if item not in names["resources"]]
    if missing:
        raise format_error(
            f"Unresolved resource dependencies [{', '.join(missing)}] in the Resources block of the template"
        )
    properties = raw.get("Properties") or {}
    if not isinstance(properties, dict):
        raise format_error(f"Properties of resource {logical_id} must be a mapping")
    parsed = {
        "properties": parse_expr(properties),
        "metadata": None if raw.get("Metadata") is None else parse_expr(raw["Metadata"]),
        "creation_policy": None if raw.get("CreationPolicy") is None else parse_expr(raw["CreationPolicy"]),
        "update_policy": None if raw.get("UpdatePolicy") is None else parse_expr(raw["UpdatePolicy"]),
    }
    scope = names["resource_scope"]
    referenced: set[str] = set()
    for expr in parsed.values():
        if expr is not None:  # most resources have no Metadata, CreationPolicy or UpdatePolicy
            validate_expr(expr, scope)
            referenced |= references_in(expr)
    for key in ("DeletionPolicy", "UpdateReplacePolicy"):
        policy = raw.get(key)
        if policy is not None and policy not in DELETION_POLICIES - ({"RetainExceptOnCreate"} if key == "UpdateReplacePolicy" else set()):
            raise format_error(f"Unrecognized {key} {policy} for resource {logical_id}")
    return ResourceDefinition(
        logical_id=logical_id,
        type=raw["Type"],
        depends_on=tuple(depends_on),
        condition=_condition_name(raw.get("Condition"), names["conditions"], "Resources"),
        deletion_policy=raw.get("DeletionPolicy"),
        update_replace_policy=raw.get("UpdateReplacePolicy"),
        referenced_resources=frozenset(referenced & names["resources"]),
        **parsed,
    )


def _output(name: str, raw: Any, names: dict) -> OutputDefinition:
    _check_name("Output", name)
    if not isinstance(raw, dict) or "Value" not in raw:
        raise format_error("Every Outputs member must contain a Value object")
    for key in raw:
        if key not in OUTPUT_KEYS:
            raise format_error(f"Invalid template output property '{key}'")
    export = raw.get("Export")
    if export is not None and (not isinstance(export, dict) or "Name" not in export):
        raise format_error(f"Output {name} Export must be a mapping with a Name")
    scope = Scope("Outputs", **names)
    value = parse_expr(raw["Value"])
    description = None if raw.get("Description") is None else parse_expr(raw["Description"])
    export_name = None if export is None else parse_expr(export["Name"])
    for expr in (value, description, export_name):
        validate_expr(expr, scope)
    return OutputDefinition(
        logical_id=name,
        value=value,
        description=description,
        condition=_condition_name(raw.get("Condition"), names["conditions"], "Outputs"),
        export_name=export_name,
    )


def _rule(name: str, raw: Any, names: dict) -> RuleDefinition:
    if not isinstance(raw, dict) or not isinstance(raw.get("Assertions"), list):
        raise format_error(f"Rule {name} must contain a list of Assertions")
    scope = Scope("Rules", **names)
    rule_condition = None
    if raw.get("RuleCondition") is not None:
        rule_condition = parse_condition(raw["RuleCondition"], rule_context=True)
        validate_expr(rule_condition, scope)
    assertions = []
    for item in raw["Assertions"]:
        if not isinstance(item, dict) or "Assert" not in item:
            raise format_error(f"Every Assertions member of rule {name} must contain an Assert")
        condition = parse_condition(item["Assert"], rule_context=True)
        validate_expr(condition, scope)
        description = item.get("AssertDescription")
        assertions.append(Assertion(condition, None if description is None else str(description)))
    return RuleDefinition(name, tuple(assertions), rule_condition)

