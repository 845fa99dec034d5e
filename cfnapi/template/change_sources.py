"""Which template entities a property's expression draws on, named the way
change sets name them (ResourceChangeDetail.ChangeSource / CausingEntity).

``Ref`` to a parameter is a ParameterReference (entity: the parameter's name),
``Ref`` to a resource a ResourceReference (the resource's logical id), and
``Fn::GetAtt`` — or ``${Res.Attr}`` inside ``Fn::Sub`` — a ResourceAttribute
(``"Res.Attr"``). Pseudo parameters are none of these: they cannot change
between two updates of one stack.
"""

from __future__ import annotations

from collections.abc import Collection

from cfnapi.template.expr import Expr, iter_intrinsics
from cfnapi.template.functions import GetAtt, Ref, Sub

PARAMETER_REFERENCE = "ParameterReference"
RESOURCE_REFERENCE = "ResourceReference"
RESOURCE_ATTRIBUTE = "ResourceAttribute"

CausingEntity = tuple[str, str]  # (ChangeSource, CausingEntity)


def causing_entities(expr: Expr, parameters: Collection[str], resources: Collection[str]) -> tuple[CausingEntity, ...]:
    """Every (ChangeSource, CausingEntity) pair ``expr`` refers to, without repeats, in template order."""
    found: dict[CausingEntity, None] = {}
    for function in iter_intrinsics(expr):
        if isinstance(function, Ref):
            found.update(dict.fromkeys(_named(function.name, parameters, resources)))
        elif isinstance(function, GetAtt) and isinstance(function.attribute, str):
            found[(RESOURCE_ATTRIBUTE, f"{function.resource}.{function.attribute}")] = None
        elif isinstance(function, GetAtt):
            found[(RESOURCE_REFERENCE, function.resource)] = None  # attribute chosen by a parameter
        elif isinstance(function, Sub):
            for variable in function.free_variables():
                if variable.attribute is not None:
                    found[(RESOURCE_ATTRIBUTE, variable.text)] = None
                else:
                    found.update(dict.fromkeys(_named(variable.name, parameters, resources)))
    return tuple(found)


def _named(name: str, parameters: Collection[str], resources: Collection[str]) -> list[CausingEntity]:
    if name in parameters:
        return [(PARAMETER_REFERENCE, name)]
    if name in resources:
        return [(RESOURCE_REFERENCE, name)]
    return []  # a pseudo parameter


__all__ = [
    "PARAMETER_REFERENCE",
    "RESOURCE_ATTRIBUTE",
    "RESOURCE_REFERENCE",
    "CausingEntity",
    "causing_entities",
]
