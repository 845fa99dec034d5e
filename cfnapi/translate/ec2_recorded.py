"""EC2 types recorded but not enforced on OpenStack.

Network ACLs are stateless subnet filters; Neutron has no equivalent (its
security groups are stateful and per port), so ACLs and their entries are
checked for shape and recorded — traffic is NOT filtered by them. Launch
templates are recorded; instances do not yet read them.
"""

from __future__ import annotations

from typing import Any

from cfnapi.translate.base import PropertySpec, ResourceFailure, ResourceType
from cfnapi.translate.cloud_calls import call, provider, short_id


class NetworkAcl(ResourceType):
    type_name = "AWS::EC2::NetworkAcl"
    openstack_mapping = "recorded, NOT enforced (Neutron has no stateless subnet ACLs)"
    properties = (PropertySpec("VpcId", required=True, update="replace"), PropertySpec("Tags", "List"))
    attribute_names = ("Id",)
    not_honoured = "Everything: the ACL does not filter traffic."

    def create(self, ctx, props) -> str:
        call(provider(ctx).get_network, props["VpcId"])  # an unknown VPC still fails, as on AWS
        return short_id("acl")

    def attributes(self, ctx, resource) -> dict[str, Any]:
        return {"Id": resource.physical_id}


class NetworkAclEntry(ResourceType):
    type_name = "AWS::EC2::NetworkAclEntry"
    openstack_mapping = "recorded, NOT enforced"
    properties = (
        PropertySpec("NetworkAclId", required=True, update="replace"),
        PropertySpec("RuleNumber", "Integer", required=True, update="replace"),
        PropertySpec("Protocol", "Integer", required=True),
        PropertySpec("RuleAction", required=True),
        PropertySpec("Egress", "Boolean", update="replace"),
        PropertySpec("CidrBlock"),
        PropertySpec("Ipv6CidrBlock"),
        PropertySpec("PortRange", "Json"),
        PropertySpec("Icmp", "Json"),
    )
    attribute_names = ("Id",)
    not_honoured = "Everything: the entry does not filter traffic."
    completes_at_once = True  # recorded only: validated, nothing is asked of the cloud

    def create(self, ctx, props) -> str:
        self._validate(props)
        return short_id("aclentry")

    def update(self, ctx, resource, old_props, new_props) -> None:
        self._validate(new_props)

    @staticmethod
    def _validate(props) -> None:
        if str(props.get("RuleAction", "")).lower() not in ("allow", "deny"):
            raise ResourceFailure(f"Invalid value '{props.get('RuleAction')}' for RuleAction: allow or deny")
        if not 1 <= int(props.get("RuleNumber", 0)) <= 32766:
            raise ResourceFailure("RuleNumber must be between 1 and 32766")

    def attributes(self, ctx, resource) -> dict[str, Any]:
        return {"Id": resource.physical_id}


class SubnetNetworkAclAssociation(ResourceType):
    type_name = "AWS::EC2::SubnetNetworkAclAssociation"
    openstack_mapping = "recorded, NOT enforced"
    properties = (
        PropertySpec("NetworkAclId", required=True, update="replace"),
        PropertySpec("SubnetId", required=True, update="replace"),
    )
    attribute_names = ("AssociationId",)
    not_honoured = "Everything: the association does not filter traffic."

    def create(self, ctx, props) -> str:
        call(provider(ctx).get_subnet, props["SubnetId"])
        return short_id("aclassoc")

    def attributes(self, ctx, resource) -> dict[str, Any]:
        return {"AssociationId": resource.physical_id}


class LaunchTemplate(ResourceType):
    type_name = "AWS::EC2::LaunchTemplate"
    openstack_mapping = "recorded; Auto Scaling groups build their members from it"
    properties = (
        PropertySpec("LaunchTemplateData", "Json", required=True),
        PropertySpec("LaunchTemplateName", update="replace"),
        PropertySpec("TagSpecifications", "List"),
    )
    attribute_names = ("LaunchTemplateId", "DefaultVersionNumber", "LatestVersionNumber")
    name_properties = ("LaunchTemplateName",)
    not_honoured = ("AWS::EC2::Instance does not read launch templates yet; groups use ImageId, InstanceType, "
                    "KeyName, SecurityGroupIds/SecurityGroups, UserData, BlockDeviceMappings and "
                    "Placement.AvailabilityZone of LaunchTemplateData; versions are not kept (always 1).")

    def create(self, ctx, props) -> str:
        if not isinstance(props.get("LaunchTemplateData"), dict):
            raise ResourceFailure("LaunchTemplateData must be an object")
        return short_id("lt")

    def attributes(self, ctx, resource) -> dict[str, Any]:
        return {"LaunchTemplateId": resource.physical_id, "DefaultVersionNumber": "1", "LatestVersionNumber": "1"}
