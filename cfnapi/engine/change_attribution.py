"""Why each property in a change set changes (ResourceChangeDetail.ChangeSource).

The pure plan knows only that a resolved value differs. Here the new template's
expressions say what the value draws on: a property whose parameter got a new
value is a ParameterReference caused by that parameter; one whose expression
was edited in the template is a DirectModification (both, when both happened).
Nested stacks are touched whenever their parent updates, because their own
template may have changed: AWS reports them as Modify with ChangeSource Automatic.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from collections.abc import Callable, Mapping
from typing import Any

from cfnapi.engine.plan import Action, Plan, PropertyChange, ResourceChange
from cfnapi.template.change_sources import PARAMETER_REFERENCE

log = logging.getLogger(__name__)

NESTED_STACK_TYPE = "AWS::CloudFormation::Stack"
AUTOMATIC = "Automatic"

# logical id -> property name -> expression as written in the stack's current template
PreviousExpressions = Callable[[str], Mapping[str, Any] | None]


def attribute_static_changes(
    plan: Plan,
    definition: Any,
    old_parameters: Mapping[str, str],
    previous_expressions: PreviousExpressions,
) -> Plan:
    """Split each directly computed detail by its cause. ``definition`` needs
    ``property_causes`` and ``property_expressions`` (a template-backed definition);
    any other definition leaves the plan as it is."""
    if not hasattr(definition, "property_causes"):
        return plan
    new_parameters = definition.parameter_values
    changed_parameters = {
        name for name in {*new_parameters, *old_parameters} if new_parameters.get(name) != old_parameters.get(name)
    }
    changes = dict(plan.changes)
    for lid, change in plan.changes.items():
        if change.action not in (Action.UPDATE, Action.REPLACE) or lid not in definition.resources:
            continue
        static = [d for d in change.details if d.evaluation == "Static" and d.change_source == "DirectModification"]
        if not static:
            continue
        causes = definition.property_causes(lid)
        written_now = definition.property_expressions(lid)
        written_before = previous_expressions(lid)
        direct: list[PropertyChange] = []
        by_parameters: list[PropertyChange] = []
        for detail in change.details:
            if detail not in static:
                direct.append(detail)
                continue
            parameters = [
                entity for source, entity in causes.get(detail.name, ())
                if source == PARAMETER_REFERENCE and entity in changed_parameters
            ]
            by_parameters.extend(
                replace(detail, change_source=PARAMETER_REFERENCE, causing_entity=name) for name in parameters
            )
            edited = written_before is None or written_before.get(detail.name) != written_now.get(detail.name)
            # AWS pairs each parameter-caused change with a Dynamic DirectModification of the same target.
            direct.append(detail if edited or not parameters else replace(detail, evaluation="Dynamic"))
        details = direct + by_parameters  # AWS lists the direct modifications first
        changes[lid] = ResourceChange(
            lid, change.action, change.resource_type, change.physical_id, change.replacement, change.scope,
            tuple(details),
        )
    return Plan(changes)


def touch_nested_stacks(plan: Plan) -> Plan:
    """When the parent updates, every nested stack it keeps is updated too (Automatic)."""
    if not plan.has_changes:
        return plan
    changes = dict(plan.changes)
    for lid, change in plan.changes.items():
        if change.resource_type == NESTED_STACK_TYPE and change.action is Action.KEEP:
            detail = PropertyChange("", "Properties", "Never", AUTOMATIC)
            changes[lid] = ResourceChange(
                lid, Action.UPDATE, change.resource_type, change.physical_id, "False", ("Properties",), (detail,)
            )
    return Plan(changes)


def previous_expressions_of(compiler: Any, template_body: str, parameters: Mapping[str, str]) -> PreviousExpressions:
    """The stack's current template, parsed once, as a lookup of written properties.
    A template that no longer parses (or a compiler without ``parse``) gives None:
    every change is then reported as a DirectModification."""
    try:
        template = compiler.parse(template_body, parameters)
    except Exception:  # noqa: BLE001 - only the attribution degrades, never the change set
        log.debug("previous template not parsed for change attribution", exc_info=True)
        return lambda _lid: None

    def lookup(logical_id: str) -> Mapping[str, Any] | None:
        resource = template.resources.get(logical_id)
        if resource is None or not isinstance(resource.properties, dict):
            return None
        return resource.properties

    return lookup


__all__ = ["attribute_static_changes", "previous_expressions_of", "touch_nested_stacks"]
