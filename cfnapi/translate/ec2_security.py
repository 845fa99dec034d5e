"""AWS::EC2::SecurityGroup and its separate Ingress/Egress rules → Neutron
security groups and security group rules.

An EC2 permission (IpProtocol, FromPort/ToPort, CidrIp | CidrIpv6 | a source
group) is one Neutron rule. Inline rules are updated in place by diffing the
old and new lists, so rules added by separate SecurityGroupIngress resources
are never touched by the group's own update.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cfnapi.cloud.provider import CloudProvider
from cfnapi.translate import tagging
from cfnapi.translate.base import PropertySpec, ResourceContext, ResourceFailure, ResourceState, ResourceType
from cfnapi.translate.cloud_calls import (
    CLOUD_CLOCK_SKEW,
    as_list,
    call,
    creation_marker,
    exists,
    find_marked,
    find_named,
    gone_ok,
    made_since_token,
    physical_name,
    provider,
)

_PROTOCOL_NUMBERS = {"6": "tcp", "17": "udp", "1": "icmp", "58": "ipv6-icmp"}


@dataclass(frozen=True)
class RuleSpec:
    """One Neutron rule, comparable so inline lists can be diffed."""

    direction: str
    ethertype: str
    protocol: str | None
    port_range_min: int | None
    port_range_max: int | None
    remote_ip_prefix: str | None
    remote_group_id: str | None

    def create(self, cloud: CloudProvider, group_id: str, description: str = ""):
        return call(
            cloud.create_security_group_rule, group_id, direction=self.direction, ethertype=self.ethertype,
            protocol=self.protocol, port_range_min=self.port_range_min, port_range_max=self.port_range_max,
            remote_ip_prefix=self.remote_ip_prefix, remote_group_id=self.remote_group_id, description=description,
        )

    def matches(self, rule) -> bool:
        return (rule.direction, rule.ethertype, rule.protocol, rule.port_range_min, rule.port_range_max,
                rule.remote_ip_prefix, rule.remote_group_id) == (
            self.direction, self.ethertype, self.protocol, self.port_range_min, self.port_range_max,
            self.remote_ip_prefix, self.remote_group_id)


def _port(value: Any) -> int | None:
    if value in (None, ""):
        return None
    number = int(value)
    return None if number == -1 else number


def rule_from_permission(cloud: CloudProvider, direction: str, permission: Mapping[str, Any],
                         self_group_id: str | None = None) -> RuleSpec:
    """EC2's permission vocabulary → one Neutron rule (EC2 "-1" means all protocols/ports)."""
    protocol = str(permission.get("IpProtocol", "-1")).lower()
    protocol = None if protocol in ("-1", "all") else _PROTOCOL_NUMBERS.get(protocol, protocol)
    low, high = _port(permission.get("FromPort")), _port(permission.get("ToPort"))
    if protocol is None:
        low = high = None
    elif protocol in ("icmp", "ipv6-icmp"):
        pass  # FromPort is the ICMP type, ToPort the code: Neutron stores them in the same two fields
    elif low is None or high is None:
        low = high = None  # -1 on tcp/udp: every port
    cidr = permission.get("CidrIp") or permission.get("CidrIpv6") or None
    ethertype = "IPv6" if permission.get("CidrIpv6") else "IPv4"
    remote_group = (permission.get("SourceSecurityGroupId") or permission.get("DestinationSecurityGroupId")
                    or None)
    group_name = permission.get("SourceSecurityGroupName")
    if group_name and not remote_group:
        found = call(cloud.find_security_group, group_name)
        if found is None:
            raise ResourceFailure(f"The security group '{group_name}' does not exist")
        remote_group = found.id
    if permission.get("DestinationPrefixListId") or permission.get("SourcePrefixListId"):
        raise ResourceFailure("Prefix lists are not supported by this cloud; use CidrIp instead.")
    if not cidr and not remote_group:
        # Never widen a rule that names no destination to "anywhere": refuse it, as AWS does.
        if direction == "egress":
            raise ResourceFailure("You must specify exactly one of the following destinations for an egress rule: "
                                  "CidrIp, CidrIpv6, DestinationPrefixListId or DestinationSecurityGroupId.")
        raise ResourceFailure("Either CidrIp, CidrIpv6, SourceSecurityGroupId or SourceSecurityGroupName "
                              "must be specified for an ingress rule.")
    return RuleSpec(direction, ethertype, protocol, low, high, cidr, remote_group)


# What a group without SecurityGroupEgress holds: AWS's (and Neutron's) allow-all egress,
# one rule per ethertype, every protocol and port, no remote (Neutron's "anywhere").
DEFAULT_EGRESS = (
    RuleSpec("egress", "IPv4", None, None, None, None, None),
    RuleSpec("egress", "IPv6", None, None, None, None, None),
)


def _inline_rules(cloud: CloudProvider, props: Mapping[str, Any]) -> list[RuleSpec]:
    """The rules the group's own properties ask for; with no SecurityGroupEgress, the default
    allow-all egress counts as one of them, so an update that adds egress rules removes it
    and one that removes them all restores it (AWS does both)."""
    rules = [rule_from_permission(cloud, "ingress", p) for p in as_list(props.get("SecurityGroupIngress"))]
    if props.get("SecurityGroupEgress") is None:
        return rules + list(DEFAULT_EGRESS)
    return rules + [rule_from_permission(cloud, "egress", p) for p in as_list(props.get("SecurityGroupEgress"))]


def _has_rules_of(cloud: CloudProvider, group, props: Mapping[str, Any]) -> bool:
    """Whether ``group`` holds every inline rule of ``props`` (and, when egress rules are
    listed, no egress rule besides them): what a finished create leaves."""
    wanted = _inline_rules(cloud, props)
    if not all(any(spec.matches(rule) for rule in group.rules) for spec in wanted):
        return False
    if props.get("SecurityGroupEgress") is None:
        return True
    egress = [spec for spec in wanted if spec.direction == "egress"]
    return all(any(spec.matches(rule) for spec in egress) for rule in group.rules if rule.direction == "egress")


class SecurityGroup(ResourceType):
    type_name = "AWS::EC2::SecurityGroup"
    openstack_mapping = "Neutron security group + rules"
    properties = (
        PropertySpec("GroupDescription", required=True, update="replace"),
        PropertySpec("GroupName", update="replace"),
        PropertySpec("VpcId", update="replace"),
        PropertySpec("SecurityGroupIngress", "List"),
        PropertySpec("SecurityGroupEgress", "List"),
        PropertySpec("Tags", "List"),
    )
    attribute_names = ("GroupId", "VpcId")
    name_properties = ("GroupName",)
    not_honoured = ("VpcId is recorded (Neutron groups are project-wide). Tags are Neutron tags (Key=Value). "
                    "Without SecurityGroupEgress the group allows all egress (IPv4 and IPv6); listed egress rules "
                    "replace that default on create and update, and removing them restores it (as AWS does).")

    def create(self, ctx: ResourceContext, props: Mapping[str, Any]) -> str:
        cloud = provider(ctx)
        group = call(cloud.create_security_group, props.get("GroupName") or physical_name(ctx),
                     str(props.get("GroupDescription", "")))
        try:
            explicit_egress = props.get("SecurityGroupEgress") is not None
            if explicit_egress:
                # EC2 drops its default allow-all egress once a template lists egress rules.
                for rule in group.rules:
                    if rule.direction == "egress":
                        call(cloud.delete_security_group_rule, rule.id)
            present = () if explicit_egress else group.rules
            for spec in _inline_rules(cloud, props):
                if not any(spec.matches(rule) for rule in present):  # the cloud's default egress is kept
                    spec.create(cloud, group.id)
            tagging.tag_new_network_resource(cloud, "security_group", group.id, props)
        except Exception:
            gone_ok(cloud.delete_security_group, group.id)
            raise
        return group.id

    def find_created(self, ctx: ResourceContext, props: Mapping[str, Any]) -> str | None:
        """A generated name carries the token. A custom GroupName does not, and Neutron allows
        the same name twice: the group of that name and description made after the token was
        saved is this create's (one made before is someone else's)."""
        cloud = provider(ctx)
        groups = call(cloud.list_security_groups)
        if props.get("GroupName"):
            mine = [g for g in groups if g.name == props["GroupName"]
                    and g.description == str(props.get("GroupDescription", ""))
                    and made_since_token(ctx, g.created_at, CLOUD_CLOCK_SKEW)]
            group = mine[0] if len(mine) == 1 else None  # two such would be a guess: adopt neither
        else:
            group = find_named(groups, ctx)
        if group is None:
            return None
        if not _has_rules_of(cloud, group, props):  # died while writing its rules: start again whole
            gone_ok(cloud.delete_security_group, group.id)
            return None
        return group.id

    def update(self, ctx, resource, old_props, new_props) -> None:
        cloud = provider(ctx)
        old, new = _inline_rules(cloud, old_props), _inline_rules(cloud, new_props)
        group = call(cloud.get_security_group, resource.physical_id)
        for spec in old:
            if spec not in new:
                for rule in group.rules:
                    if spec.matches(rule):
                        gone_ok(cloud.delete_security_group_rule, rule.id)
        for spec in new:
            if spec not in old and not any(spec.matches(r) for r in group.rules):
                spec.create(cloud, resource.physical_id)
        tagging.tag_network_resource(cloud, "security_group", group.id, group.tags, old_props, new_props)

    def delete(self, ctx, resource) -> None:
        gone_ok(provider(ctx).delete_security_group, resource.physical_id)

    def check_delete_complete(self, ctx, resource) -> bool:
        return exists(provider(ctx).get_security_group, resource.physical_id) is None

    def attributes(self, ctx, resource) -> dict[str, Any]:
        return {"GroupId": resource.physical_id, "VpcId": resource.properties.get("VpcId", "")}


class _SecurityGroupRule(ResourceType):
    """One rule as its own resource; every property but Description replaces it (as in AWS)."""

    direction = ""
    attribute_names = ("Id",)

    def create(self, ctx: ResourceContext, props: Mapping[str, Any]) -> str:
        cloud = provider(ctx)
        spec = rule_from_permission(cloud, self.direction, props)
        return spec.create(cloud, self._group_id(cloud, props), creation_marker(ctx)).id

    def find_created(self, ctx: ResourceContext, props: Mapping[str, Any]) -> str | None:
        """A rule has no name: its Neutron description carries the creation token."""
        cloud = provider(ctx)
        group = exists(cloud.get_security_group, self._group_id(cloud, props))
        found = find_marked(group.rules, ctx, lambda rule: rule.description) if group is not None else None
        return found.id if found is not None else None

    @staticmethod
    def _group_id(cloud: CloudProvider, props: Mapping[str, Any]) -> str:
        if props.get("GroupId"):
            return str(props["GroupId"])
        name = props.get("GroupName")
        found = call(cloud.find_security_group, name) if name else None
        if found is None:
            raise ResourceFailure(f"The security group '{name}' does not exist" if name
                                  else "Either GroupId or GroupName must be specified")
        return found.id

    def update(self, ctx, resource, old_props, new_props) -> None:
        """Only Description is mutable, and Neutron rules have none to change."""

    def delete(self, ctx, resource) -> None:
        gone_ok(provider(ctx).delete_security_group_rule, resource.physical_id)

    def attributes(self, ctx, resource) -> dict[str, Any]:
        return {"Id": resource.physical_id}


_RULE_PROPERTIES = (
    PropertySpec("IpProtocol", required=True, update="replace"),
    PropertySpec("FromPort", "Integer", update="replace"),
    PropertySpec("ToPort", "Integer", update="replace"),
    PropertySpec("CidrIp", update="replace"),
    PropertySpec("CidrIpv6", update="replace"),
    PropertySpec("Description"),
)


class SecurityGroupIngress(_SecurityGroupRule):
    type_name = "AWS::EC2::SecurityGroupIngress"
    openstack_mapping = "Neutron security group rule (ingress)"
    direction = "ingress"
    properties = _RULE_PROPERTIES + (
        PropertySpec("GroupId", update="replace"),
        PropertySpec("GroupName", update="replace"),
        PropertySpec("SourceSecurityGroupId", update="replace"),
        PropertySpec("SourceSecurityGroupName", update="replace"),
    )
    not_honoured = "SourcePrefixListId, SourceSecurityGroupOwnerId; Description is not stored."


class SecurityGroupEgress(_SecurityGroupRule):
    type_name = "AWS::EC2::SecurityGroupEgress"
    openstack_mapping = "Neutron security group rule (egress)"
    direction = "egress"
    properties = _RULE_PROPERTIES + (
        PropertySpec("GroupId", required=True, update="replace"),
        PropertySpec("DestinationSecurityGroupId", update="replace"),
    )
    not_honoured = "DestinationPrefixListId; Description is not stored."
