"""AWS::EC2::NetworkInterface → a Neutron port on the subnet's network."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cfnapi.cloud.provider import FixedIp
from cfnapi.translate import tagging, vpc_default_group
from cfnapi.translate.base import PropertySpec, ResourceContext, ResourceType
from cfnapi.translate.cloud_calls import as_list, call, exists, find_by_name, gone_ok, physical_name, provider


class NetworkInterface(ResourceType):
    type_name = "AWS::EC2::NetworkInterface"
    openstack_mapping = "Neutron port"
    properties = (
        PropertySpec("SubnetId", required=True, update="replace"),
        PropertySpec("PrivateIpAddress", update="replace"),
        PropertySpec("GroupSet", "List"),
        PropertySpec("Description"),
        PropertySpec("SourceDestCheck", "Boolean"),
        PropertySpec("Tags", "List"),
    )
    attribute_names = ("Id", "PrimaryPrivateIpAddress", "SecondaryPrivateIpAddresses")
    not_honoured = ("SecondaryPrivateIpAddresses/Count, Ipv6 addresses, SourceDestCheck (recorded). "
                    "Tags are Neutron tags (Key=Value).")

    def create(self, ctx: ResourceContext, props: Mapping[str, Any]) -> str:
        cloud = provider(ctx)
        subnet = call(cloud.get_subnet, props["SubnetId"])
        groups = [str(g) for g in as_list(props.get("GroupSet"))] or None
        if groups is None:  # EC2: a network interface without groups gets its VPC's default group
            groups = vpc_default_group.group_ids_for_network(cloud, subnet.network_id)
        port = call(cloud.create_port, subnet.network_id, name=physical_name(ctx),
                    fixed_ips=[FixedIp(subnet.id, props.get("PrivateIpAddress") or None)],
                    security_group_ids=groups)
        try:
            tagging.tag_new_network_resource(cloud, "port", port.id, props)
        except Exception:
            gone_ok(cloud.delete_port, port.id)
            raise
        return port.id

    def find_created(self, ctx: ResourceContext, props: Mapping[str, Any]) -> str | None:
        return find_by_name(call(provider(ctx).list_ports), ctx)

    def update(self, ctx, resource, old_props, new_props) -> None:
        if tagging.tags_changed(old_props, new_props):
            cloud = provider(ctx)
            current = call(cloud.get_port, resource.physical_id).tags
            tagging.tag_network_resource(cloud, "port", resource.physical_id, current, old_props, new_props)
        if as_list(old_props.get("GroupSet")) != as_list(new_props.get("GroupSet")):
            cloud = provider(ctx)
            groups = [str(g) for g in as_list(new_props.get("GroupSet"))]
            if not groups:
                port = call(cloud.get_port, resource.physical_id)
                groups = vpc_default_group.group_ids_for_network(cloud, port.network_id)
            if not groups:
                default = call(cloud.find_security_group, "default")
                groups = [default.id] if default else []
            call(cloud.update_port_security_groups, resource.physical_id, groups)

    def delete(self, ctx, resource) -> None:
        gone_ok(provider(ctx).delete_port, resource.physical_id)

    def check_delete_complete(self, ctx, resource) -> bool:
        return exists(provider(ctx).get_port, resource.physical_id) is None

    def attributes(self, ctx, resource) -> dict[str, Any]:
        port = call(provider(ctx).get_port, resource.physical_id)
        addresses = [f.ip_address for f in port.fixed_ips if f.ip_address]
        return {"Id": port.id, "PrimaryPrivateIpAddress": addresses[0] if addresses else "",
                "SecondaryPrivateIpAddresses": addresses[1:]}
