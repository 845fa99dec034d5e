"""ValidateTemplate and GetTemplateSummary results, shaped as botocore returns them."""

from __future__ import annotations

import json
from collections.abc import Collection
from functools import lru_cache
from pathlib import Path

from cfnapi.template.capabilities import required_capabilities
from cfnapi.template.errors import format_error
from cfnapi.template.model import ParameterDefinition, Template
from cfnapi.template.parameters import NO_ECHO_MASK


def processed_template_body(template: Template) -> str:
    """GetTemplate's Processed stage: the original text when nothing transformed
    it, else the processed template (loops expanded, includes inserted) as JSON."""
    if not template.transformed:
        return template.body
    return json.dumps(template.processed, indent=2, default=str)


def validate_template_result(template: Template) -> dict:
    result: dict = {"Parameters": []}
    for definition in template.parameters.values():
        entry: dict = {"ParameterKey": definition.name}
        if definition.default is not None:
            entry["DefaultValue"] = _shown_default(definition)
        entry["NoEcho"] = definition.no_echo
        if definition.description is not None:
            entry["Description"] = definition.description
        result["Parameters"].append(entry)
    if template.description is not None:
        result["Description"] = template.description
    _add_capabilities(result, template)
    result["DeclaredTransforms"] = list(template.transforms)
    return result


def template_summary(template: Template, *, supported_types: Collection[str] | None = None) -> dict:
    if supported_types is not None:
        check_resource_types(template, supported_types)
    result: dict = {"Parameters": []}
    for definition in template.parameters.values():
        entry: dict = {"ParameterKey": definition.name}
        if definition.default is not None:
            entry["DefaultValue"] = _shown_default(definition)
        entry["ParameterType"] = definition.type
        entry["NoEcho"] = definition.no_echo
        if definition.description is not None:
            entry["Description"] = definition.description
        constraints: dict = {}
        if definition.allowed_values:
            constraints["AllowedValues"] = list(definition.allowed_values)
        entry["ParameterConstraints"] = constraints
        result["Parameters"].append(entry)
    if template.description is not None:
        result["Description"] = template.description
    _add_capabilities(result, template)
    result["ResourceTypes"] = resource_types(template)
    result["Version"] = template.format_version or "2010-09-09"
    if template.metadata:
        result["Metadata"] = json.dumps(template.metadata, separators=(",", ":"))
    result["DeclaredTransforms"] = list(template.transforms)
    summaries = resource_identifier_summaries(template)
    if summaries:
        result["ResourceIdentifierSummaries"] = summaries
    return result


def _shown_default(definition: ParameterDefinition) -> str | None:
    # NoEcho hides the value everywhere it could be read back, defaults included.
    return NO_ECHO_MASK if definition.no_echo else definition.default


def _add_capabilities(result: dict, template: Template) -> None:
    capabilities, reason = required_capabilities(template)
    if capabilities:
        result["Capabilities"] = capabilities
        result["CapabilitiesReason"] = reason


def resource_types(template: Template) -> list[str]:
    """Each resource type once, in order of first use."""
    return list(dict.fromkeys(resource.type for resource in template.resources.values()))


def check_resource_types(template: Template, supported: Collection[str]) -> None:
    unknown = [kind for kind in resource_types(template) if kind not in supported and not _is_custom(kind)]
    if unknown:
        raise format_error(f"Unrecognized resource types: [{', '.join(unknown)}]")


def check_snapshot_policies(template: Template) -> None:
    """DeletionPolicy/UpdateReplacePolicy Snapshot only on the types AWS can snapshot
    (AWS's documented list, as cfn-lint ships it); any other is refused at validation."""
    from cfnlint.helpers import valid_snapshot_types

    for resource in template.resources.values():
        for key, policy in (("DeletionPolicy", resource.deletion_policy),
                            ("UpdateReplacePolicy", resource.update_replace_policy)):
            if policy == "Snapshot" and resource.type not in valid_snapshot_types:
                raise format_error(
                    f"Resource {resource.logical_id}: {key} Snapshot is not supported for resource type {resource.type}"
                )


def _is_custom(kind: str) -> bool:
    # Custom::Anything is always a valid type name (a custom resource).
    return kind.startswith("Custom::")


def resource_identifier_summaries(template: Template) -> list[dict]:
    """Per type: the logical ids using it and the properties that identify one (for import)."""
    by_type: dict[str, list[str]] = {}
    for resource in template.resources.values():
        by_type.setdefault(resource.type, []).append(resource.logical_id)
    summaries = []
    for kind, logical_ids in by_type.items():
        identifiers = primary_identifier(kind)
        if identifiers:
            summaries.append(
                {"ResourceType": kind, "LogicalResourceIds": logical_ids, "ResourceIdentifiers": identifiers}
            )
    return summaries


def _schema_directory() -> Path:
    import cfnlint.data.schemas as schemas

    return Path(schemas.__file__).parent


@lru_cache(maxsize=None)
def _provider_index() -> dict[str, str]:
    return json.loads((_schema_directory() / "providers" / "us-east-1.json").read_text())


@lru_cache(maxsize=None)
def primary_identifier(resource_type: str) -> list[str]:
    """The type's primaryIdentifier from AWS's provider schema (cfn-lint ships them as data)."""
    try:
        schema_id = _provider_index().get(resource_type)
        if schema_id is None:
            return []
        schema = json.loads((_schema_directory() / "resources" / f"{schema_id}.json").read_text())
    except (ImportError, OSError, ValueError):
        return []
    return [pointer.rsplit("/", 1)[-1] for pointer in schema.get("primaryIdentifier", [])]
