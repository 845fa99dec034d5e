"""AWS::CloudFormation::Stack: a nested stack.

The child is a real stack run by the same engine; this type only turns its
properties into a request and goes through the engine's child-stack API
(``ctx.nested_stacks``), never into the engine's tables. Ref is the child's
StackId (its physical id); ``Fn::GetAtt Outputs.Name`` reads its outputs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cfnapi.engine.nested import ChildRequest
from cfnapi.translate.base import PropertySpec, ResourceContext, ResourceState, ResourceType


def _parameter_value(value: Any) -> str:
    # A list (e.g. from Fn::GetAZs) reaches a CommaDelimitedList parameter joined, as on AWS.
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def child_request(props: Mapping[str, Any]) -> ChildRequest:
    timeout = props.get("TimeoutInMinutes")
    return ChildRequest(
        template_url=str(props["TemplateURL"]),
        parameters={str(k): _parameter_value(v) for k, v in (props.get("Parameters") or {}).items()},
        timeout_in_minutes=int(timeout) if timeout not in (None, "") else None,
        notification_arns=tuple(props.get("NotificationARNs") or ()),
        tags=tuple(props.get("Tags") or ()),
    )


class NestedStack(ResourceType):
    type_name = "AWS::CloudFormation::Stack"
    openstack_mapping = "a child stack run by the same engine (ParentId/RootId set)"
    update_when_unchanged = True  # AWS "initiates an update to its nested stacks" on every parent update
    waits_on_a_stack = True  # waiting for the child must not hold a thread the child's resources need
    # Every property updates the child in place (AWS: "Update requires: No interruption").
    properties = (
        PropertySpec("TemplateURL", "String", required=True),
        PropertySpec("Parameters", "Map"),
        PropertySpec("TimeoutInMinutes", "Integer"),
        PropertySpec("NotificationARNs", "List"),
        PropertySpec("Tags", "List"),
    )

    def create(self, ctx: ResourceContext, props: Mapping[str, Any]) -> str:
        return ctx.nested_stacks.create(ctx.logical_id, child_request(props))

    def check_create_complete(self, ctx: ResourceContext, resource: ResourceState) -> bool:
        return ctx.nested_stacks.create_progress(resource.physical_id)

    def update(self, ctx, resource, old_props, new_props) -> None:
        ctx.nested_stacks.update(resource.physical_id, child_request(new_props))

    def check_update_complete(self, ctx: ResourceContext, resource: ResourceState) -> bool:
        return ctx.nested_stacks.update_progress(resource.physical_id, child_request(resource.properties))

    def delete(self, ctx: ResourceContext, resource: ResourceState) -> None:
        if resource.physical_id:
            ctx.nested_stacks.delete(resource.physical_id)

    def check_delete_complete(self, ctx: ResourceContext, resource: ResourceState) -> bool:
        return not resource.physical_id or ctx.nested_stacks.delete_progress(resource.physical_id)

    def attributes(self, ctx: ResourceContext, resource: ResourceState) -> dict[str, Any]:
        outputs = ctx.nested_stacks.outputs(resource.physical_id)
        return {f"Outputs.{key}": value for key, value in outputs.items()}
