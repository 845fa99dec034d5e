"""Which LaunchTemplateData a launch template specification names, for the types that launch
from one (AWS::EC2::Instance, AWS::AutoScaling::AutoScalingGroup).

AWS::EC2::LaunchTemplate is record-only: its versions are kept in its own resource row
(``ec2_recorded.LaunchTemplate.attributes``), read back here by id, or by name through the
account's recorded launch templates.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cfnapi.translate.base import ResourceContext, ResourceFailure
from cfnapi.translate.cloud_calls import as_list
from cfnapi.translate.recorded import recorded

TYPE_NAME = "AWS::EC2::LaunchTemplate"
# Hidden attribute (never reachable by Fn::GetAtt): version number -> that version's data.
VERSIONS = "LaunchTemplateVersions"
DEFAULT_VERSION = "1"  # cfnapi never moves a template's default version
# LaunchTemplateData property -> AWS::EC2::Instance property
_INSTANCE_PROPERTIES = {
    "ImageId": "ImageId", "InstanceType": "InstanceType", "KeyName": "KeyName",
    "SecurityGroupIds": "SecurityGroupIds", "SecurityGroups": "SecurityGroups", "UserData": "UserData",
    "BlockDeviceMappings": "BlockDeviceMappings",
}


def next_versions(previous: Mapping[str, Any], latest: int, data: Any) -> dict[str, Any]:
    """The template's versions once ``data`` is version ``latest`` (kept if it already is)."""
    versions = dict(previous.get(VERSIONS) or {})
    versions.setdefault(str(latest), data)
    return versions


def _template_id(ctx: ResourceContext, spec: Mapping[str, Any]) -> str:
    if spec.get("LaunchTemplateId"):
        return str(spec["LaunchTemplateId"])
    name = str(spec.get("LaunchTemplateName") or "")
    if not name:
        raise ResourceFailure("The launch template specification needs LaunchTemplateId or LaunchTemplateName.")
    for physical_id, props in recorded(ctx, TYPE_NAME):
        if physical_id and props.get("LaunchTemplateName") == name:
            return physical_id
    raise ResourceFailure(f"The specified launch template, with template name {name}, does not exist.")


def launch_template_data(ctx: ResourceContext, spec: Mapping[str, Any]) -> dict[str, Any]:
    """The LaunchTemplateData of the version ``spec`` asks for (Version: a number, $Latest or
    $Default; none means the default, as EC2's RunInstances takes it)."""
    template_id = _template_id(ctx, spec)
    store = ctx.cloud.autoscaling
    attributes = store.resource_attributes(ctx.account_id, TYPE_NAME, template_id)
    if attributes is None:
        raise ResourceFailure(f"The specified launch template, with template ID {template_id}, does not exist.")
    versions = attributes.get(VERSIONS)
    if versions is None:  # recorded before cfnapi kept versions: only the latest data is known
        props = store.resource_properties(ctx.account_id, TYPE_NAME, template_id) or {}
        versions = {str(attributes.get("LatestVersionNumber", "")): props.get("LaunchTemplateData")}
    asked = str(spec.get("Version") or "$Default")
    number = {"$Latest": str(attributes.get("LatestVersionNumber", "")), "$Default": DEFAULT_VERSION}.get(asked, asked)
    if number not in versions:
        raise ResourceFailure(f"The specified launch template version, {asked}, for template {template_id} "
                              f"does not exist.")
    return dict(versions[number] or {})


def instance_properties(data: Mapping[str, Any]) -> dict[str, Any]:
    """AWS::EC2::Instance properties for a launch from ``data`` (a version's LaunchTemplateData)."""
    out = {target: data[source] for source, target in _INSTANCE_PROPERTIES.items()
           if data.get(source) not in (None, "", [])}
    placement = data.get("Placement") or {}
    if placement.get("AvailabilityZone"):
        out["AvailabilityZone"] = placement["AvailabilityZone"]
    tags = [tag for spec in as_list(data.get("TagSpecifications")) if spec.get("ResourceType") == "instance"
            for tag in as_list(spec.get("Tags"))]
    if tags:
        out["Tags"] = tags
    return out
