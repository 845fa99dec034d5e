"""AWS::EC2::EIP → a Neutron floating IP; AWS::EC2::EIPAssociation → its association.

An EIP's physical id (and Ref) is its address, as on AWS; AllocationId is the
floating IP's id. An instance's floating IP goes on its first port.

An EIPAssociation's Ref (and GetAtt Id) is an association id, as on AWS
(``eipassoc-…``). Neutron has no association object, so the id is the floating
IP's id behind that prefix: delete finds the address from the id alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cfnapi.cloud.provider import CloudProvider, FloatingIp
from cfnapi.translate import tagging
from cfnapi.translate.base import PropertySpec, ResourceContext, ResourceFailure, ResourceState, ResourceType
from cfnapi.translate.cloud_calls import call, creation_marker, exists, find_marked, gone_ok, provider


ASSOCIATION_PREFIX = "eipassoc-"


def association_id(floating_ip_id: str) -> str:
    return f"{ASSOCIATION_PREFIX}{floating_ip_id}"


def floating_ip_id_of(association: str) -> str:
    """The floating IP behind an association id; stacks made before associations had their
    own id saved the floating IP's id itself, which is returned as it is."""
    return association.removeprefix(ASSOCIATION_PREFIX)


def floating_ip_by_address(cloud: CloudProvider, address: str) -> FloatingIp | None:
    return next((f for f in call(cloud.list_floating_ips) if f.floating_ip_address == address), None)


def associate(cloud: CloudProvider, floating_ip_id: str, *, instance_id: str | None = None,
              port_id: str | None = None, private_ip: str | None = None) -> FloatingIp:
    if instance_id and not port_id:
        ports = call(cloud.list_ports, None, instance_id)
        if not ports:
            raise ResourceFailure(f"The instance ID '{instance_id}' does not have a network interface")
        port_id = sorted(ports, key=lambda p: p.name)[0].id
    if not port_id:
        raise ResourceFailure("Either InstanceId or NetworkInterfaceId must be specified")
    return call(cloud.associate_floating_ip, floating_ip_id, port_id, private_ip or None)


class EIP(ResourceType):
    type_name = "AWS::EC2::EIP"
    openstack_mapping = "Neutron floating IP on the external network"
    properties = (
        PropertySpec("Domain", update="replace"),
        PropertySpec("InstanceId"),
        PropertySpec("Tags", "List"),
    )
    attribute_names = ("AllocationId", "PublicIp")
    not_honoured = ("PublicIpv4Pool, NetworkBorderGroup, TransferAddress; Domain is recorded. "
                    "Tags are the floating IP's Neutron tags (Key=Value).")

    def create(self, ctx: ResourceContext, props: Mapping[str, Any]) -> str:
        cloud = provider(ctx)
        fip = call(cloud.allocate_floating_ip, None, creation_marker(ctx))
        try:
            tagging.tag_new_network_resource(cloud, "floating_ip", fip.id, props)
            if props.get("InstanceId"):
                associate(cloud, fip.id, instance_id=props["InstanceId"])
        except Exception:
            gone_ok(cloud.release_floating_ip, fip.id)
            raise
        return fip.floating_ip_address

    def find_created(self, ctx: ResourceContext, props: Mapping[str, Any]) -> str | None:
        """A floating IP has no name: its Neutron description carries the creation token."""
        cloud = provider(ctx)
        fip = find_marked(call(cloud.list_floating_ips), ctx, lambda f: f.description)
        if fip is None:
            return None
        if props.get("InstanceId") and fip.port_id is None:  # died before associating: start again whole
            gone_ok(cloud.release_floating_ip, fip.id)
            return None
        return fip.floating_ip_address

    def update(self, ctx, resource, old_props, new_props) -> None:
        cloud = provider(ctx)
        fip = self._floating_ip(cloud, resource.physical_id)
        if tagging.tags_changed(old_props, new_props):
            tagging.tag_network_resource(cloud, "floating_ip", fip.id, fip.tags, old_props, new_props)
        if old_props.get("InstanceId") == new_props.get("InstanceId"):
            return
        if fip.port_id:
            call(cloud.disassociate_floating_ip, fip.id)
        if new_props.get("InstanceId"):
            associate(cloud, fip.id, instance_id=new_props["InstanceId"])

    def delete(self, ctx, resource) -> None:
        cloud = provider(ctx)
        fip = floating_ip_by_address(cloud, resource.physical_id)
        if fip is not None:
            gone_ok(cloud.release_floating_ip, fip.id)

    def check_delete_complete(self, ctx, resource) -> bool:
        return floating_ip_by_address(provider(ctx), resource.physical_id) is None

    def attributes(self, ctx, resource) -> dict[str, Any]:
        fip = self._floating_ip(provider(ctx), resource.physical_id)
        return {"AllocationId": fip.id, "PublicIp": fip.floating_ip_address}

    @staticmethod
    def _floating_ip(cloud: CloudProvider, address: str) -> FloatingIp:
        fip = floating_ip_by_address(cloud, address)
        if fip is None:
            raise ResourceFailure(f"The address '{address}' does not exist")
        return fip


class EIPAssociation(ResourceType):
    type_name = "AWS::EC2::EIPAssociation"
    openstack_mapping = ("Neutron floating IP association to a port; Ref and Id are eipassoc-<floating IP id> "
                         "(AWS returns the association id)")
    properties = (
        PropertySpec("AllocationId", update="replace"),
        PropertySpec("EIP", update="replace"),
        PropertySpec("InstanceId", update="replace"),
        PropertySpec("NetworkInterfaceId", update="replace"),
        PropertySpec("PrivateIpAddress", update="replace"),
    )
    attribute_names = ("Id",)

    def create(self, ctx: ResourceContext, props: Mapping[str, Any]) -> str:
        cloud = provider(ctx)
        fip_id = props.get("AllocationId")
        if not fip_id:
            fip = floating_ip_by_address(cloud, str(props.get("EIP") or ""))
            if fip is None:
                raise ResourceFailure(f"The address '{props.get('EIP')}' does not exist")
            fip_id = fip.id
        associate(cloud, fip_id, instance_id=props.get("InstanceId"), port_id=props.get("NetworkInterfaceId"),
                  private_ip=props.get("PrivateIpAddress"))
        return association_id(fip_id)

    def delete(self, ctx, resource) -> None:
        """Disassociate only what this association made: after a replacement the new
        association (made first) already moved the address, and must keep it."""
        cloud = provider(ctx)
        fip = exists(cloud.get_floating_ip, floating_ip_id_of(resource.physical_id))
        if fip is None or fip.port_id is None or fip.port_id not in self._own_ports(cloud, resource.properties):
            return
        gone_ok(cloud.disassociate_floating_ip, fip.id)

    def attributes(self, ctx: ResourceContext, resource: ResourceState) -> dict[str, Any]:
        return {"Id": resource.physical_id}

    @staticmethod
    def _own_ports(cloud, props: Mapping[str, Any]) -> set[str]:
        if props.get("NetworkInterfaceId"):
            return {str(props["NetworkInterfaceId"])}
        if props.get("InstanceId"):
            return {p.id for p in call(cloud.list_ports, None, str(props["InstanceId"]))}
        return set()
