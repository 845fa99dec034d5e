"""What an update would do, computed without touching anything: the pure plan
(``plan.plan_update``) over the stack's stored resources and the new definition.

Properties of the new template are resolved against the resources as they are
now; a property that names a resource the update has yet to create cannot be
known, and the resource is reported the way AWS reports it: a Modify whose
detail is evaluated Dynamically.
"""

from __future__ import annotations

from typing import Any

from cfnapi.engine.change_attribution import (
    attribute_static_changes,
    previous_expressions_of,
    touch_nested_stacks,
)
from cfnapi.engine.definition import StackDefinition
from cfnapi.engine.plan import (
    Action,
    Plan,
    PropertyChange,
    ResourceChange,
    ResourceSnapshot,
    dynamic_details,
    dynamic_modify,
    plan_update,
)
from cfnapi.engine.records import ResourceRecord
from cfnapi.engine.run import OperationRun, RunEnv
from cfnapi.engine.runtime import EngineRuntime
from cfnapi.engine.models import StackRow


class _NotKnownYet(Exception):
    def __init__(self, logical_id: str):
        super().__init__(logical_id)
        self.logical_id = logical_id


class _PreviewEnv(RunEnv):
    """Resolves against stored resources; a resource without a physical id is not known yet."""

    def _record(self, logical_id: str) -> ResourceRecord:
        record = self.run.current.get(logical_id)
        if record is None or record.physical_id is None:
            raise _NotKnownYet(logical_id)
        return record

    def get_att(self, logical_id: str, attribute: str) -> Any:
        record = self._record(logical_id)
        if attribute not in record.attributes:
            raise _NotKnownYet(logical_id)
        return record.attributes[attribute]


def preview_update(runtime: EngineRuntime, stack: StackRow, definition: StackDefinition) -> Plan:
    run = OperationRun(runtime, stack, definition)
    env = _PreviewEnv(run)
    current = {
        lid: ResourceSnapshot(r.type, r.properties, r.physical_id, r.metadata)
        for lid, r in run.current.items()
        if r.status not in ("DELETE_COMPLETE",)
    }
    desired: dict[str, ResourceSnapshot] = {}
    unknown: dict[str, str] = {}  # logical id -> the not-yet-created resource its properties name
    for lid, decl in definition.resources.items():
        try:
            props = definition.resolve_properties(lid, env)
            metadata = definition.resolve_metadata(lid, env)
        except _NotKnownYet as missing:
            unknown[lid] = missing.logical_id
            props, metadata = (current[lid].properties, current[lid].metadata) if lid in current else ({}, None)
        desired[lid] = ResourceSnapshot(decl.type, props, metadata=metadata)
    registry = runtime.registry

    def behaviour_of(type_name: str, prop: str):
        return registry.class_for(type_name).update_behaviour(prop)

    causes = _property_causes(definition)
    plan = plan_update(
        current,
        desired,
        behaviour_of,
        {lid: decl.dependencies for lid, decl in definition.resources.items()},
        causes,
    )
    changes = dict(plan.changes)
    for lid, cause in unknown.items():
        change = changes[lid]
        if change.action is not Action.KEEP or lid not in current:
            continue
        details = dynamic_details(change.resource_type, causes[lid], {cause}, behaviour_of) if causes else ()
        if not details:
            details = (PropertyChange("", "Properties", "Conditionally", "ResourceReference", cause,
                                      evaluation="Dynamic"),)
        changes[lid] = dynamic_modify(change, details)
    previous = previous_expressions_of(runtime.compiler, stack.template_body, dict(stack.parameters or {}))
    plan = attribute_static_changes(Plan(changes), definition, dict(stack.parameters or {}), previous)
    return touch_nested_stacks(plan)


def _property_causes(definition: StackDefinition) -> dict[str, dict] | None:
    """Per resource and property, what its expression refers to (template-backed definitions only)."""
    if not hasattr(definition, "property_causes"):
        return None
    return {lid: definition.property_causes(lid) for lid in definition.resources}


def preview_properties(runtime: EngineRuntime, stack: StackRow, definition: StackDefinition,
                       logical_id: str) -> dict[str, Any] | None:
    """The properties ``logical_id`` would get, or None while they name a resource not created yet."""
    env = _PreviewEnv(OperationRun(runtime, stack, definition))
    try:
        return definition.resolve_properties(logical_id, env)
    except _NotKnownYet:
        return None


def preview_create(definition: StackDefinition) -> Plan:
    return Plan({lid: ResourceChange(lid, Action.CREATE, decl.type) for lid, decl in definition.resources.items()})


__all__ = ["preview_create", "preview_properties", "preview_update"]
