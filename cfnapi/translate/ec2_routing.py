"""Internet gateways, route tables and NAT gateways on a Neutron router.

OpenStack has one router per VPC here (see ``ec2_vpc``): attaching an internet
gateway sets the router's external gateway, which also SNATs every subnet —
so a NAT gateway and a default route to either are already in effect and are
recorded. Route tables are recorded, not enforced: every subnet of a VPC uses
the VPC router. Routes to an instance or interface are refused plainly.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cfnapi.translate.base import PropertySpec, ResourceContext, ResourceFailure, ResourceType
from cfnapi.translate.cloud_calls import call, gone_ok, provider, short_id
from cfnapi.translate.ec2_vpc import require_vpc_router, vpc_router
from cfnapi.translate.recorded import recorded, require_recorded


class InternetGateway(ResourceType):
    type_name = "AWS::EC2::InternetGateway"
    openstack_mapping = "none until attached (the external network becomes the VPC router's gateway)"
    properties = (PropertySpec("Tags", "List"),)
    attribute_names = ("InternetGatewayId",)
    recorded_note = ("Recorded until an AWS::EC2::VPCGatewayAttachment attaches it: then the VPC router's "
                     "external gateway is set. Its tags are recorded only.")

    def create(self, ctx, props) -> str:
        return short_id("igw")

    def attributes(self, ctx, resource) -> dict[str, Any]:
        return {"InternetGatewayId": resource.physical_id}


class VPCGatewayAttachment(ResourceType):
    type_name = "AWS::EC2::VPCGatewayAttachment"
    openstack_mapping = "Neutron router external gateway (router set --external-gateway)"
    properties = (
        PropertySpec("VpcId", required=True, update="replace"),
        PropertySpec("InternetGatewayId"),
        PropertySpec("VpnGatewayId"),
    )
    attribute_names = ("AttachmentType",)
    not_honoured = ("VpnGatewayId is refused. Changing InternetGatewayId in place keeps the router's gateway "
                    "(every internet gateway is the same external network).")

    def create(self, ctx: ResourceContext, props: Mapping[str, Any]) -> str:
        if props.get("VpnGatewayId"):
            raise ResourceFailure("VPN gateways are not supported by this cloud.")
        self._check_gateway(ctx, props)
        cloud = provider(ctx)
        router = require_vpc_router(cloud, props["VpcId"])
        external = call(cloud.find_external_network)
        call(cloud.set_router_gateway, router.id, external.id)
        return f"IGW|{props['VpcId']}"

    def update(self, ctx, resource, old_props, new_props) -> None:
        self._check_gateway(ctx, new_props)

    @staticmethod
    def _check_gateway(ctx: ResourceContext, props: Mapping[str, Any]) -> None:
        """EC2's rules: the gateway exists, is attached to one VPC, and a VPC has one gateway."""
        gateway, vpc = str(props.get("InternetGatewayId") or ""), str(props["VpcId"])
        require_recorded(ctx, InternetGateway.type_name, gateway, f"The internetGateway ID '{gateway}' does not exist")
        for _, other in recorded(ctx, VPCGatewayAttachment.type_name):
            if other.get("InternetGatewayId") == gateway:
                raise ResourceFailure(f"resource {gateway} is already attached to network {other.get('VpcId')}")
            if other.get("VpcId") == vpc:
                raise ResourceFailure(f"Network {vpc} already has an internet gateway attached")

    def delete(self, ctx, resource) -> None:
        cloud = provider(ctx)
        router = vpc_router(cloud, resource.properties.get("VpcId", ""))
        if router is not None:
            gone_ok(cloud.set_router_gateway, router.id, None)

    def attributes(self, ctx, resource) -> dict[str, Any]:
        return {"AttachmentType": "InternetGateway"}


class RouteTable(ResourceType):
    type_name = "AWS::EC2::RouteTable"
    openstack_mapping = "recorded (every subnet uses the VPC router)"
    properties = (PropertySpec("VpcId", required=True, update="replace"), PropertySpec("Tags", "List"))
    attribute_names = ("RouteTableId",)
    recorded_note = ("Recorded, not enforced: every subnet of the VPC uses the VPC's one Neutron router, so "
                     "per-subnet route tables do not exist. Checked: the VPC exists.")

    def create(self, ctx, props) -> str:
        require_vpc_router(provider(ctx), props["VpcId"])  # a wrong VpcId fails here, as on AWS
        return short_id("rtb")

    def attributes(self, ctx, resource) -> dict[str, Any]:
        return {"RouteTableId": resource.physical_id}


class Route(ResourceType):
    type_name = "AWS::EC2::Route"
    openstack_mapping = "recorded: gateway/NAT routes are the router's external gateway"
    properties = (
        PropertySpec("RouteTableId", required=True, update="replace"),
        PropertySpec("DestinationCidrBlock", update="replace"),
        PropertySpec("DestinationIpv6CidrBlock", update="replace"),
        PropertySpec("GatewayId"),
        PropertySpec("NatGatewayId"),
        PropertySpec("InstanceId"),
        PropertySpec("NetworkInterfaceId"),
    )
    not_honoured = ("Only GatewayId/NatGatewayId targets (already served by the router's gateway); "
                    "InstanceId, NetworkInterfaceId, peering, transit and endpoint targets are refused.")
    _SUPPORTED_TARGETS = ("GatewayId", "NatGatewayId", "EgressOnlyInternetGatewayId")

    def create(self, ctx: ResourceContext, props: Mapping[str, Any]) -> str:
        self._check_target(props)
        return f"{props['RouteTableId']}|{props.get('DestinationCidrBlock') or props.get('DestinationIpv6CidrBlock')}"

    def update(self, ctx, resource, old_props, new_props) -> None:
        self._check_target(new_props)

    def _check_target(self, props: Mapping[str, Any]) -> None:
        targets = [k for k, v in props.items() if k.endswith("Id") and k != "RouteTableId" and v]
        unsupported = [t for t in targets if t not in self._SUPPORTED_TARGETS]
        if unsupported:
            raise ResourceFailure(f"Routes with target {unsupported[0]} are not supported by this cloud; "
                                  "only internet and NAT gateway routes are.")
        if not targets:
            raise ResourceFailure("Exactly one route target must be specified")


class SubnetRouteTableAssociation(ResourceType):
    type_name = "AWS::EC2::SubnetRouteTableAssociation"
    openstack_mapping = "recorded (the subnet is already on the VPC router)"
    properties = (
        # AWS: "The physical ID changes when the route table ID is changed" (createOnly).
        PropertySpec("RouteTableId", required=True, update="replace"),
        PropertySpec("SubnetId", required=True, update="replace"),
    )
    attribute_names = ("Id",)
    recorded_note = ("Recorded, not enforced: the subnet stays on the VPC router whichever table it is "
                     "associated with. Checked: the subnet exists.")

    def create(self, ctx, props) -> str:
        call(provider(ctx).get_subnet, props["SubnetId"])
        return short_id("rtbassoc")

    def attributes(self, ctx, resource) -> dict[str, Any]:
        return {"Id": resource.physical_id}


class NatGateway(ResourceType):
    type_name = "AWS::EC2::NatGateway"
    openstack_mapping = "recorded: the VPC router's external gateway SNATs every subnet"
    properties = (
        PropertySpec("SubnetId", required=True, update="replace"),
        PropertySpec("AllocationId", update="replace"),
        PropertySpec("ConnectivityType", update="replace"),
        PropertySpec("Tags", "List"),
    )
    attribute_names = ("NatGatewayId",)
    recorded_note = ("Recorded: the VPC router's external gateway already SNATs every subnet. No separate NAT "
                     "device: outbound traffic uses the router's gateway address, not the EIP named by "
                     "AllocationId. Checked: the subnet exists.")

    def create(self, ctx, props) -> str:
        call(provider(ctx).get_subnet, props["SubnetId"])  # a wrong SubnetId fails with Neutron's message
        return short_id("nat")

    def attributes(self, ctx, resource) -> dict[str, Any]:
        return {"NatGatewayId": resource.physical_id}
