"""The pure plan: what an update does to each resource.

Diffing the resources a stack has (type + resolved properties) against what
the new template asks for gives, per logical id, one of create / update in
place / replace / delete / keep. UpdateStack executes the plan; change sets
describe it (``change_set_changes``). Nothing here touches the database.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cfnapi.translate.base import UpdateBehaviour


class Action(enum.Enum):
    CREATE = "create"
    UPDATE = "update"  # in place
    REPLACE = "replace"
    DELETE = "delete"
    KEEP = "keep"

    @property
    def change_set_action(self) -> str:
        return _CHANGE_SET_ACTIONS[self]


_CHANGE_SET_ACTIONS = {
    Action.CREATE: "Add",
    Action.UPDATE: "Modify",
    Action.REPLACE: "Modify",
    Action.DELETE: "Remove",
    Action.KEEP: "",
}

_REQUIRES_RECREATION = {"mutable": "Never", "replace": "Always", "conditional": "Conditionally"}


@dataclass(frozen=True)
class ResourceSnapshot:
    """A resource as the stack has it now (or as a template wants it)."""

    type: str
    properties: Mapping[str, Any]
    physical_id: str | None = None
    metadata: Any = None


@dataclass(frozen=True)
class PropertyChange:
    name: str
    attribute: str  # "Properties" or "Tags" (change set Target.Attribute)
    requires_recreation: str  # Never | Always | Conditionally
    # DirectModification | ParameterReference | ResourceReference | ResourceAttribute | Automatic
    change_source: str = "DirectModification"
    causing_entity: str | None = None
    evaluation: str = "Static"


@dataclass(frozen=True)
class ResourceChange:
    logical_id: str
    action: Action
    resource_type: str
    physical_id: str | None = None
    replacement: str | None = None  # "True" | "False" | "Conditional" for modifications
    scope: tuple[str, ...] = ()
    details: tuple[PropertyChange, ...] = ()

    @property
    def is_change(self) -> bool:
        return self.action is not Action.KEEP


BehaviourOf = Callable[[str, str], UpdateBehaviour]  # (type name, property name) -> behaviour
# logical id -> property name -> the (ChangeSource, CausingEntity) pairs its expression refers to
PropertyCauses = Mapping[str, Mapping[str, tuple[tuple[str, str], ...]]]


def diff_properties(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """Names of properties added, removed or changed, in a stable order."""
    names = list(dict.fromkeys([*old, *new]))
    return [n for n in names if old.get(n, _ABSENT) != new.get(n, _ABSENT)]


_ABSENT = object()


def diff_resource(
    logical_id: str,
    old: ResourceSnapshot | None,
    new: ResourceSnapshot | None,
    behaviour_of: BehaviourOf,
) -> ResourceChange:
    if old is None and new is None:
        raise ValueError("nothing to diff")
    if old is None:
        return ResourceChange(logical_id, Action.CREATE, new.type)
    if new is None:
        return ResourceChange(logical_id, Action.DELETE, old.type, old.physical_id)
    if old.type != new.type:
        # AWS refuses some type changes; for the ones it allows, it replaces.
        return ResourceChange(logical_id, Action.REPLACE, new.type, old.physical_id, "True", ("Properties",))

    details = tuple(
        PropertyChange(
            name,
            "Tags" if name == "Tags" else "Properties",
            _REQUIRES_RECREATION[behaviour_of(new.type, name)],
        )
        for name in diff_properties(old.properties, new.properties)
    )
    metadata_changed = (old.metadata or None) != (new.metadata or None)
    if not details and not metadata_changed:
        return ResourceChange(logical_id, Action.KEEP, new.type, old.physical_id)

    scope = tuple(dict.fromkeys(d.attribute for d in details))
    if metadata_changed:
        scope += ("Metadata",)
    recreations = {d.requires_recreation for d in details}
    if "Always" in recreations:
        action, replacement = Action.REPLACE, "True"
    elif "Conditionally" in recreations:
        action, replacement = Action.UPDATE, "Conditional"
    else:
        action, replacement = Action.UPDATE, "False"
    return ResourceChange(logical_id, action, new.type, old.physical_id, replacement, scope, details)


@dataclass(frozen=True)
class Plan:
    changes: dict[str, ResourceChange] = field(default_factory=dict)  # in template order; deletions last

    @property
    def has_changes(self) -> bool:
        return any(c.is_change for c in self.changes.values())

    def with_action(self, *actions: Action) -> list[str]:
        return [lid for lid, c in self.changes.items() if c.action in actions]


def plan_update(
    current: Mapping[str, ResourceSnapshot],
    desired: Mapping[str, ResourceSnapshot],
    behaviour_of: BehaviourOf,
    dependencies: Mapping[str, frozenset[str]] | None = None,
    property_causes: PropertyCauses | None = None,
) -> Plan:
    """Diff the whole stack. ``dependencies`` (desired logical id -> the ids it
    references) lets a resource that is otherwise unchanged but references a
    replaced one be reported as AWS does: Modify, Replacement Conditional,
    a dynamic detail caused by the reference. With ``property_causes`` that
    detail names the property and says whether a Ref or a Fn::GetAtt caused it."""
    changes = {
        lid: diff_resource(lid, current.get(lid), snapshot, behaviour_of) for lid, snapshot in desired.items()
    }
    for lid, snapshot in current.items():
        if lid not in desired:
            changes[lid] = diff_resource(lid, snapshot, None, behaviour_of)

    replaced = {lid for lid, c in changes.items() if c.action is Action.REPLACE}
    for lid, deps in (dependencies or {}).items():
        change = changes.get(lid)
        if change is None or change.action is not Action.KEEP or not deps & replaced:
            continue
        if property_causes is not None and lid in property_causes:
            details = dynamic_details(change.resource_type, property_causes[lid], replaced, behaviour_of)
        else:
            details = tuple(_unnamed_dynamic_detail(cause) for cause in sorted(deps & replaced))
        if details:
            changes[lid] = dynamic_modify(change, details)
    return Plan(changes)


def dynamic_details(
    resource_type: str,
    causes_by_property: Mapping[str, tuple[tuple[str, str], ...]],
    unknown_resources: set[str] | frozenset[str],
    behaviour_of: BehaviourOf,
) -> tuple[PropertyChange, ...]:
    """One Dynamic detail per (property, Ref or GetAtt) that names a resource whose
    value the update may change (replaced, or not created yet)."""
    details = []
    for name, causes in causes_by_property.items():
        for source, entity in causes:
            if entity.split(".", 1)[0] in unknown_resources and source != "ParameterReference":
                details.append(PropertyChange(
                    name,
                    "Tags" if name == "Tags" else "Properties",
                    _REQUIRES_RECREATION[behaviour_of(resource_type, name)],
                    source,
                    entity,
                    evaluation="Dynamic",
                ))
    return tuple(details)


def _unnamed_dynamic_detail(cause: str) -> PropertyChange:
    return PropertyChange("", "Properties", "Conditionally", "ResourceReference", cause, evaluation="Dynamic")


def dynamic_modify(change: ResourceChange, details: tuple[PropertyChange, ...]) -> ResourceChange:
    """An otherwise unchanged resource whose properties may change once the update runs:
    Modify; Replacement Conditional if one of them would recreate it (whether the value
    really changes is known only then), False if all of them update in place."""
    scope = tuple(dict.fromkeys(d.attribute for d in details))
    in_place = all(d.requires_recreation == "Never" for d in details)
    return ResourceChange(
        change.logical_id,
        Action.UPDATE,
        change.resource_type,
        change.physical_id,
        "False" if in_place else "Conditional",
        scope,
        details,
    )


def change_set_changes(plan: Plan) -> list[dict[str, Any]]:
    """The plan as DescribeChangeSet's ``Changes`` list."""
    result = []
    for change in plan.changes.values():
        if not change.is_change:
            continue
        resource_change: dict[str, Any] = {
            "Action": change.action.change_set_action,
            "LogicalResourceId": change.logical_id,
            "ResourceType": change.resource_type,
            "Scope": list(change.scope),
            "Details": [_detail(d) for d in change.details],
        }
        if change.physical_id and change.action is not Action.CREATE:
            resource_change["PhysicalResourceId"] = change.physical_id
        if change.replacement is not None:
            resource_change["Replacement"] = change.replacement
        result.append({"Type": "Resource", "ResourceChange": resource_change})
    return result


def _detail(detail: PropertyChange) -> dict[str, Any]:
    target: dict[str, Any] = {"Attribute": detail.attribute, "RequiresRecreation": detail.requires_recreation}
    if detail.name and detail.attribute != "Tags":  # AWS names properties, not the Tags attribute
        target["Name"] = detail.name
    out: dict[str, Any] = {
        "Target": target,
        "Evaluation": detail.evaluation,
        "ChangeSource": detail.change_source,
    }
    if detail.causing_entity:
        out["CausingEntity"] = detail.causing_entity
    return out
