"""AWS::EC2::VPC → a Neutron network plus a router; AWS::EC2::Subnet → a Neutron
subnet plugged into that router.

A VPC's Ref is the network id. Its router is found by name
(``vpc-router-<network id>``), so nothing beyond the physical id has to be
remembered, even when a create failed half-way and is being rolled back.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

from cfnapi.cloud.provider import CloudProvider, Router
from cfnapi.translate import tagging, vpc_default_group
from cfnapi.translate.base import PropertySpec, ResourceContext, ResourceFailure, ResourceType
from cfnapi.translate.cloud_calls import call, exists, find_named, gone_ok, naming, physical_name, provider


# Neutron networks have no address range; the VPC's CidrBlock rides in the network's
# description so that any Subnet (of this stack or another) can be checked against it.
VPC_CIDR_PREFIX = "AWS VPC CidrBlock "


def vpc_cidr_of(cloud: CloudProvider, vpc_id: str) -> str | None:
    description = call(cloud.get_network, vpc_id).description
    return description[len(VPC_CIDR_PREFIX):] if description.startswith(VPC_CIDR_PREFIX) else None


def _network(cidr: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return None


def router_name(network_id: str) -> str:
    return f"vpc-router-{network_id}"


def vpc_router(cloud: CloudProvider, vpc_id: str) -> Router | None:
    return next((r for r in call(cloud.list_routers) if r.name == router_name(vpc_id)), None)


def require_vpc_router(cloud: CloudProvider, vpc_id: str) -> Router:
    router = vpc_router(cloud, vpc_id)
    if router is None:
        raise ResourceFailure(f"The vpc ID '{vpc_id}' does not exist")
    return router


def default_network_acl_id(vpc_id: str) -> str:
    """The VPC's DefaultNetworkAcl: recorded only, so named after the VPC's network."""
    return f"acl-{vpc_id[:17]}"


def default_security_group_id(ctx: ResourceContext, vpc_id: str) -> str:
    """The VPC's own default group; a VPC made before VPCs had one reports the project's."""
    cloud = provider(ctx)
    group = vpc_default_group.find_default_group(cloud, vpc_id) or call(cloud.find_security_group, "default")
    return group.id if group else ""


class VPC(ResourceType):
    type_name = "AWS::EC2::VPC"
    openstack_mapping = "Neutron network + router (the VPC's implicit router) + its default security group"
    properties = (
        PropertySpec("CidrBlock", update="replace"),
        PropertySpec("EnableDnsHostnames", "Boolean"),
        PropertySpec("EnableDnsSupport", "Boolean"),
        PropertySpec("InstanceTenancy"),
        PropertySpec("Tags", "List"),
    )
    attribute_names = ("CidrBlock", "CidrBlockAssociations", "DefaultNetworkAcl", "DefaultSecurityGroup",
                       "Ipv6CidrBlocks", "VpcId")
    not_honoured = ("Ipv4IpamPoolId, Ipv4NetmaskLength; DNS flags and tenancy are recorded. "
                    "DefaultSecurityGroup is a Neutron group of the VPC's own (named vpc-default-sg- and the "
                    "VpcId; ingress from itself, all egress), made and deleted with it; a VPC created before "
                    "cfnapi made one reports the project's 'default' group. Tags are the network's Neutron tags "
                    "(Key=Value).")

    def create(self, ctx: ResourceContext, props: Mapping[str, Any]) -> str:
        cloud = provider(ctx)
        cidr = str(props.get("CidrBlock") or "")
        block = _network(cidr) if cidr else None
        if cidr and (block is None or not 16 <= block.prefixlen <= 28):
            raise ResourceFailure(f"The CIDR '{cidr}' is invalid.")  # EC2's InvalidVpc.Range
        network = call(cloud.create_network, physical_name(ctx),
                       description=f"{VPC_CIDR_PREFIX}{cidr}" if cidr else "")
        try:
            tagging.tag_new_network_resource(cloud, "network", network.id, props)
            router = call(cloud.create_router, router_name(network.id))
            try:
                vpc_default_group.create_default_group(cloud, network.id)
            except Exception:
                gone_ok(cloud.delete_router, router.id)
                raise
        except Exception:
            gone_ok(cloud.delete_network, network.id)
            raise
        return network.id

    def find_created(self, ctx: ResourceContext, props: Mapping[str, Any]) -> str | None:
        cloud = provider(ctx)
        network = find_named(call(cloud.list_networks), ctx)
        if network is None:
            return None
        if vpc_router(cloud, network.id) is None:  # died before the router: start again whole
            gone_ok(cloud.delete_network, network.id)
            return None
        vpc_default_group.complete_default_group(cloud, network.id)  # died after the router
        return network.id

    def delete(self, ctx, resource) -> None:
        cloud = provider(ctx)
        router = vpc_router(cloud, resource.physical_id)
        if router is not None:
            gone_ok(cloud.delete_router, router.id)
        vpc_default_group.delete_default_group(cloud, resource.physical_id)
        gone_ok(cloud.delete_network, resource.physical_id)

    def update(self, ctx, resource, old_props, new_props) -> None:
        """Tags are the network's Neutron tags; the DNS flags and tenancy are only recorded."""
        if tagging.tags_changed(old_props, new_props):
            cloud = provider(ctx)
            current = call(cloud.get_network, resource.physical_id).tags
            tagging.tag_network_resource(cloud, "network", resource.physical_id, current, old_props, new_props)

    def check_delete_complete(self, ctx, resource) -> bool:
        return exists(provider(ctx).get_network, resource.physical_id) is None

    def attributes(self, ctx, resource) -> dict[str, Any]:
        cidr = resource.properties.get("CidrBlock", "")
        return {
            "CidrBlock": cidr,
            "CidrBlockAssociations": [f"vpc-cidr-assoc-{resource.physical_id[:8]}"],
            "DefaultNetworkAcl": default_network_acl_id(resource.physical_id),
            "DefaultSecurityGroup": default_security_group_id(ctx, resource.physical_id),
            "Ipv6CidrBlocks": [],
            "VpcId": resource.physical_id,
        }


class Subnet(ResourceType):
    type_name = "AWS::EC2::Subnet"
    openstack_mapping = "Neutron subnet on the VPC's network, attached to the VPC's router"
    properties = (
        PropertySpec("VpcId", required=True, update="replace"),
        PropertySpec("CidrBlock", update="replace"),
        PropertySpec("AvailabilityZone", update="replace"),
        PropertySpec("MapPublicIpOnLaunch", "Boolean"),
        PropertySpec("Tags", "List"),
    )
    attribute_names = ("AvailabilityZone", "CidrBlock", "NetworkAclAssociationId", "SubnetId", "VpcId",
                       "Ipv6CidrBlocks")
    not_honoured = ("IPv6 properties, AvailabilityZoneId, Ipv4IpamPoolId; MapPublicIpOnLaunch is recorded "
                    "(use an EIP). Neutron subnets span the network, so AvailabilityZone is only reported. "
                    "Tags are the subnet's Neutron tags (Key=Value).")

    def create(self, ctx: ResourceContext, props: Mapping[str, Any]) -> str:
        cloud = provider(ctx)
        if not props.get("CidrBlock"):
            raise ResourceFailure("Either 'cidrBlock' or 'ipv4IpamPoolId' should be provided.")
        router = require_vpc_router(cloud, props["VpcId"])
        self._check_inside_vpc(cloud, props["VpcId"], str(props["CidrBlock"]))
        subnet = call(cloud.create_subnet, props["VpcId"], props["CidrBlock"], name=physical_name(ctx))
        try:
            tagging.tag_new_network_resource(cloud, "subnet", subnet.id, props)
            call(cloud.add_router_interface, router.id, subnet_id=subnet.id)
        except Exception:
            gone_ok(cloud.delete_subnet, subnet.id)
            raise
        return subnet.id

    def find_created(self, ctx: ResourceContext, props: Mapping[str, Any]) -> str | None:
        cloud = provider(ctx)
        subnet = find_named(call(cloud.list_subnets, props.get("VpcId")), ctx)
        if subnet is None:
            return None
        router = vpc_router(cloud, subnet.network_id)
        if router is None or all(i.subnet_id != subnet.id for i in router.interfaces):
            gone_ok(cloud.delete_subnet, subnet.id)  # died before plugging it into the router
            return None
        return subnet.id

    @staticmethod
    def _check_inside_vpc(cloud: CloudProvider, vpc_id: str, cidr: str) -> None:
        """EC2's InvalidSubnet.Range: a subnet must lie inside its VPC's block
        (Neutron would take any range, so the check is made here)."""
        vpc_block = vpc_cidr_of(cloud, vpc_id)
        block = _network(cidr)
        if block is None:
            return  # Neutron's own message names a malformed CIDR
        vpc_network = _network(vpc_block) if vpc_block else None
        if vpc_network is not None and (block.version != vpc_network.version or not block.subnet_of(vpc_network)):
            raise ResourceFailure(f"The CIDR '{cidr}' is invalid.")

    def update(self, ctx, resource, old_props, new_props) -> None:
        """Tags are the subnet's Neutron tags; MapPublicIpOnLaunch is only recorded."""
        if tagging.tags_changed(old_props, new_props):
            cloud = provider(ctx)
            current = call(cloud.get_subnet, resource.physical_id).tags
            tagging.tag_network_resource(cloud, "subnet", resource.physical_id, current, old_props, new_props)

    def delete(self, ctx, resource) -> None:
        cloud = provider(ctx)
        router = vpc_router(cloud, resource.properties.get("VpcId", ""))
        if router is not None:
            gone_ok(cloud.remove_router_interface, router.id, subnet_id=resource.physical_id)
        gone_ok(cloud.delete_subnet, resource.physical_id)

    def check_delete_complete(self, ctx, resource) -> bool:
        return exists(provider(ctx).get_subnet, resource.physical_id) is None

    def attributes(self, ctx, resource) -> dict[str, Any]:
        subnet = call(provider(ctx).get_subnet, resource.physical_id)
        zone = resource.properties.get("AvailabilityZone")
        if not zone:
            zones = naming(ctx).aws_availability_zones(ctx.region)
            zone = zones[0] if zones else ""
        return {
            "AvailabilityZone": zone,
            "CidrBlock": subnet.cidr,
            "NetworkAclAssociationId": f"aclassoc-{subnet.id[:17]}",
            "SubnetId": subnet.id,
            "VpcId": subnet.network_id,
            "Ipv6CidrBlocks": [],
        }
