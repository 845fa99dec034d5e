"""Group members are servers built exactly as AWS::EC2::Instance builds them:
a launch configuration (or launch template data) becomes Instance properties,
and the Instance type's own create / check / delete do the provider calls."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cfnapi.cloud.provider import SERVER_ERROR, SERVER_SHUTOFF
from cfnapi.translate.base import ResourceContext, ResourceState
from cfnapi.translate.cloud_calls import as_list, exists, provider
from cfnapi.translate.ec2_instance import Instance

_INSTANCE = Instance()

# LaunchConfiguration property -> AWS::EC2::Instance property
_FROM_LAUNCH_CONFIGURATION = {
    "ImageId": "ImageId", "InstanceType": "InstanceType", "KeyName": "KeyName",
    "SecurityGroups": "SecurityGroupIds", "UserData": "UserData", "BlockDeviceMappings": "BlockDeviceMappings",
}


def instance_properties_from_launch_configuration(props: Mapping[str, Any]) -> dict[str, Any]:
    return {target: props[source] for source, target in _FROM_LAUNCH_CONFIGURATION.items()
            if props.get(source) not in (None, "", [])}


def member_properties(spec: Mapping[str, Any], index: int) -> dict[str, Any]:
    """Instance properties for the group's ``index``-th launch: subnets (VPCZoneIdentifier)
    or zones (AvailabilityZones) taken in turn; as server metadata the launch template's
    instance tags, the group's PropagateAtLaunch tags and ``aws:autoscaling:groupName``, the
    tag AWS puts on every member. (heat-cfntools' cfn-push-stats sends every metadata key,
    plus InstanceId, as metric dimensions — keep propagated tags few.)"""
    props = dict(spec.get("Instance") or {})
    subnets, zones = as_list(spec.get("Subnets")), as_list(spec.get("Zones"))
    if subnets:
        props["SubnetId"] = subnets[index % len(subnets)]
        props.pop("AvailabilityZone", None)  # the subnet decides
    elif zones and not props.get("AvailabilityZone"):
        props["AvailabilityZone"] = zones[index % len(zones)]
    tags = {str(t["Key"]): str(t.get("Value", "")) for t in as_list(props.get("Tags")) if t.get("Key")}
    tags.update(spec.get("Tags") or {})
    if spec.get("GroupName"):
        tags["aws:autoscaling:groupName"] = spec["GroupName"]
    props["Tags"] = [{"Key": k, "Value": v} for k, v in tags.items()]
    return props


def launch(ctx: ResourceContext, spec: Mapping[str, Any], index: int) -> str:
    """Start one member server; returns its id (raises ResourceFailure / TransientError)."""
    return _INSTANCE.create(ctx, member_properties(spec, index))


def _state(ctx: ResourceContext, instance_id: str) -> ResourceState:
    return ResourceState(ctx.logical_id, instance_id, {})


def launch_complete(ctx: ResourceContext, instance_id: str) -> bool:
    """True once ACTIVE; ResourceFailure (Nova's fault) if the build failed."""
    return _INSTANCE.check_create_complete(ctx, _state(ctx, instance_id))


def terminate(ctx: ResourceContext, instance_id: str) -> None:
    _INSTANCE.delete(ctx, _state(ctx, instance_id))


def terminated(ctx: ResourceContext, instance_id: str) -> bool:
    return _INSTANCE.check_delete_complete(ctx, _state(ctx, instance_id))


def ec2_health_problem(ctx: ResourceContext, instance_id: str) -> str | None:
    """Why the EC2 health check fails for this server (gone, ERROR, SHUTOFF), or None."""
    server = exists(provider(ctx).get_server, instance_id)
    if server is None:
        return "terminated"
    if server.status == SERVER_SHUTOFF:
        return "stopped"
    if server.status == SERVER_ERROR:
        return "impaired"
    return None  # ACTIVE, or still building / rebooting: not unhealthy
