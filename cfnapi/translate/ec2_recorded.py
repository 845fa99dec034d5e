"""EC2 types recorded but not enforced on OpenStack.

Network ACLs are stateless subnet filters; Neutron has no equivalent (its
security groups are stateful and per port), so ACLs and their entries are
checked as EC2 checks them and recorded — traffic is NOT filtered by them.
Launch templates are recorded with every version's data; instances and Auto
Scaling groups launch from them (``cfnapi.translate.launch_templates``).
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import re
from typing import Any

from cfnapi.translate import launch_templates
from cfnapi.translate.base import PropertySpec, ResourceFailure, ResourceType
from cfnapi.translate.cloud_calls import call, provider, short_id
from cfnapi.translate.ec2_vpc import default_network_acl_id, require_vpc_router
from cfnapi.translate.recorded import recorded, require_recorded


class NetworkAcl(ResourceType):
    type_name = "AWS::EC2::NetworkAcl"
    openstack_mapping = "recorded, NOT enforced (Neutron has no stateless subnet ACLs)"
    properties = (PropertySpec("VpcId", required=True, update="replace"), PropertySpec("Tags", "List"))
    attribute_names = ("Id",)
    recorded_note = ("Recorded, not enforced: the network ACL filters no traffic (Neutron has no stateless "
                     "subnet ACLs). Checked: the VPC exists.")

    def create(self, ctx, props) -> str:
        require_vpc_router(provider(ctx), props["VpcId"])  # an unknown VPC still fails, as on AWS
        return short_id("acl")

    def attributes(self, ctx, resource) -> dict[str, Any]:
        return {"Id": resource.physical_id}


def require_network_acl(ctx, acl_id: str) -> None:
    """EC2's InvalidNetworkAclID.NotFound: the ACL must be a recorded one or a VPC's default."""
    networks = call(provider(ctx).list_networks)
    if any(acl_id == default_network_acl_id(network.id) for network in networks):
        return
    require_recorded(ctx, NetworkAcl.type_name, acl_id, f"The networkAcl ID '{acl_id}' does not exist")


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
    recorded_note = ("Recorded, not enforced: the entry filters no traffic. Checked: the ACL exists, no other "
                     "entry of the ACL has this rule number and direction, RuleAction, RuleNumber and the CIDR "
                     "block are valid.")

    def create(self, ctx, props) -> str:
        self._validate(props)
        require_network_acl(ctx, str(props["NetworkAclId"]))
        self._refuse_duplicate(ctx, props)
        return short_id("aclentry")

    def update(self, ctx, resource, old_props, new_props) -> None:
        self._validate(new_props)

    @staticmethod
    def _validate(props) -> None:
        if str(props.get("RuleAction", "")).lower() not in ("allow", "deny"):
            raise ResourceFailure(f"Invalid value '{props.get('RuleAction')}' for RuleAction: allow or deny")
        if not 1 <= int(props.get("RuleNumber", 0)) <= 32766:
            raise ResourceFailure("RuleNumber must be between 1 and 32766")
        cidrs = [(name, props[name]) for name in ("CidrBlock", "Ipv6CidrBlock") if props.get(name)]
        if not cidrs:
            raise ResourceFailure("Either CidrBlock or Ipv6CidrBlock must be specified")
        for name, cidr in cidrs:
            try:
                ipaddress.ip_network(str(cidr), strict=False)
            except ValueError:
                parameter = name[0].lower() + name[1:]
                raise ResourceFailure(f"Value ({cidr}) for parameter {parameter} is invalid. "
                                      "This is not a valid CIDR block.") from None

    @classmethod
    def _refuse_duplicate(cls, ctx, props) -> None:
        """EC2's NetworkAclEntryAlreadyExists: one entry per ACL, direction and rule number."""
        def key(entry) -> tuple:
            return (str(entry.get("NetworkAclId")), str(entry.get("Egress", False)).lower() == "true",
                    int(entry.get("RuleNumber", 0)))

        if any(key(other) == key(props) for _, other in recorded(ctx, cls.type_name)):
            raise ResourceFailure(f"The network acl entry identified by {int(props['RuleNumber'])} already exists.")

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
    recorded_note = ("Recorded, not enforced: the subnet's traffic is not filtered by the ACL. "
                     "Checked: the subnet and the ACL exist.")

    def create(self, ctx, props) -> str:
        call(provider(ctx).get_subnet, props["SubnetId"])
        require_network_acl(ctx, str(props["NetworkAclId"]))
        return short_id("aclassoc")

    def attributes(self, ctx, resource) -> dict[str, Any]:
        return {"AssociationId": resource.physical_id}


class LaunchTemplate(ResourceType):
    type_name = "AWS::EC2::LaunchTemplate"
    openstack_mapping = "recorded; instances and Auto Scaling group members are built from it"
    properties = (
        PropertySpec("LaunchTemplateData", "Json", required=True),
        PropertySpec("LaunchTemplateName", update="replace"),
        PropertySpec("TagSpecifications", "List"),
    )
    attribute_names = ("LaunchTemplateId", "DefaultVersionNumber", "LatestVersionNumber")
    name_properties = ("LaunchTemplateName",)
    recorded_note = ("Recorded with every version's data: instances and Auto Scaling group members are built "
                     "from the version asked for (ImageId, InstanceType, KeyName, SecurityGroupIds/SecurityGroups, "
                     "UserData, BlockDeviceMappings, Placement.AvailabilityZone, instance TagSpecifications); "
                     "other LaunchTemplateData fields are not used. Checked: the name's form and that no other "
                     "launch template has it. A LaunchTemplateData change makes a new version (the default stays 1).")
    _NAME = re.compile(r"[a-zA-Z0-9().\-/_]{3,128}")
    # Kept beside the attributes (never reachable by Fn::GetAtt): tells an update that changed
    # the data, which makes a new version, from one that changed only tags.
    _DATA_DIGEST = "LaunchTemplateDataDigest"

    def create(self, ctx, props) -> str:
        self._validate(props)
        name = props.get("LaunchTemplateName")
        if name and any(other.get("LaunchTemplateName") == name for _, other in recorded(ctx, self.type_name)):
            raise ResourceFailure("Launch template name already in use.")
        return short_id("lt")

    def update(self, ctx, resource, old_props, new_props) -> None:
        self._validate(new_props)

    def _validate(self, props) -> None:
        if not isinstance(props.get("LaunchTemplateData"), dict):
            raise ResourceFailure("LaunchTemplateData must be an object")
        name = props.get("LaunchTemplateName")
        if name is not None and not self._NAME.fullmatch(str(name)):
            raise ResourceFailure("A launch template name must be between 3 and 128 characters, and may contain "
                                  "letters, numbers, and the following characters: - ( ) . / _.")

    def attributes(self, ctx, resource) -> dict[str, Any]:
        digest = hashlib.sha256(json.dumps(resource.properties.get("LaunchTemplateData"), sort_keys=True)
                                .encode()).hexdigest()
        latest = int(resource.attributes.get("LatestVersionNumber", 0))
        if resource.attributes.get(self._DATA_DIGEST) != digest:
            latest += 1
        return {"LaunchTemplateId": resource.physical_id, "DefaultVersionNumber": launch_templates.DEFAULT_VERSION,
                "LatestVersionNumber": str(latest), self._DATA_DIGEST: digest,
                launch_templates.VERSIONS: launch_templates.next_versions(
                    resource.attributes, latest, resource.properties.get("LaunchTemplateData"))}
