"""Fn::GetAtt (and ``${Resource.Attribute}`` in Fn::Sub) must name an attribute the type has.

What a type offers is read from AWS's provider schemas through cfn-lint (a
dependency for its schemas already): read-only properties, legacy attributes
AWS keeps (``AWS::EC2::Instance.AvailabilityZone``) and patterns such as
``AWS::CloudFormation::Stack``'s ``Outputs.<Name>``. Types AWS does not
publish (``Custom::*``, a test's own types) are not checked; the server may add
the attributes its own implementations offer.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterator
from functools import lru_cache

from cfnapi.template.dependencies import dependency_order_check
from cfnapi.template.errors import template_error
from cfnapi.template.expr import iter_intrinsics
from cfnapi.template.functions import GetAtt, Sub, SubVariable
from cfnapi.template.model import Template
from cfnapi.template.summary import check_resource_types, check_snapshot_policies

ExtraAttributes = Callable[[str], Collection[str]]


def check_against_types(
    template: Template, supported_types: Collection[str], extra: ExtraAttributes | None = None
) -> None:
    """Everything that needs the server's types, in AWS's order: known types,
    Snapshot policies only where a type can snapshot, an order to create them in, and attributes that exist."""
    check_resource_types(template, supported_types)
    check_snapshot_policies(template)
    dependency_order_check(template)
    check_get_att_attributes(template, extra)


def check_get_att_attributes(template: Template, extra: ExtraAttributes | None = None) -> None:
    """Raise AWS's error for the first GetAtt of an attribute its resource's type lacks."""
    for resource_name, attribute in _get_att_uses(template):
        resource = template.resources.get(resource_name)
        if resource is None:
            continue  # an undefined resource has its own error, raised at parse time
        patterns = _schema_attribute_patterns(resource.type)
        if patterns is None:
            continue
        if any(pattern.fullmatch(attribute) for pattern in patterns):
            continue
        if extra is not None and attribute in extra(resource.type):
            continue
        raise template_error(
            f"resource {resource_name} does not support attribute type {attribute} in Fn::GetAtt"
        )


def _get_att_uses(template: Template) -> Iterator[tuple[str, str]]:
    exprs = []
    for resource in template.resources.values():
        exprs += [resource.properties, resource.metadata, resource.creation_policy, resource.update_policy]
    for output in template.outputs.values():
        exprs += [output.value, output.description, output.export_name]
    for expr in exprs:
        for function in iter_intrinsics(expr):
            if isinstance(function, GetAtt) and isinstance(function.attribute, str):
                yield function.resource, function.attribute
            elif isinstance(function, Sub):
                local = function.variables or {}
                for part in function.parts:
                    if isinstance(part, SubVariable) and part.attribute and part.text not in local:
                        yield part.name, part.attribute


@lru_cache(maxsize=None)
def _schema_attribute_patterns(resource_type: str) -> tuple[re.Pattern, ...] | None:
    """The type's GetAtt attributes as full-match patterns; None when AWS publishes no schema for it."""
    try:
        from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

        attributes = PROVIDER_SCHEMA_MANAGER.get_type_getatts(resource_type, "us-east-1")
    except Exception:  # noqa: BLE001 - unknown type or no schema data: nothing to check against
        return None
    return tuple(re.compile(name) for name in attributes)
