"""AWS::EC2::Instance → a Nova server.

ImageId names a Glance image by id or name (or a public SSM path such as
``/aws/service/ami-amazon-linux-latest/…``), InstanceType picks the smallest
fitting flavor (``cfnapi.cloud.naming``), SubnetId / NetworkInterfaces become
Neutron ports created first so the address lands in the chosen subnet, EBS
mappings become block_device_mapping_v2 entries, and UserData is base64-decoded
to the plain text Nova hands to cloud-init. A LaunchTemplate's version supplies
the properties the instance leaves out.
"""

from __future__ import annotations

import base64
import binascii
import threading
from collections.abc import Mapping
from typing import Any

from cfnapi.cloud.provider import (
    SERVER_ACTIVE,
    SERVER_ERROR,
    SERVER_REBUILD,
    BlockDevice,
    CloudProvider,
    FixedIp,
    Image,
    NetworkRequest,
    Server,
    ServerRequest,
)
from cfnapi.translate import launch_templates, server_resize, tagging, vpc_default_group
from cfnapi.translate.base import PropertySpec, ResourceContext, ResourceFailure, ResourceState, ResourceType
from cfnapi.translate.cloud_calls import (
    as_list,
    call,
    exists,
    find_by_name,
    gone_ok,
    naming,
    physical_name,
    provider,
    tags_of,
    truthy,
)

# Root device names AMIs use; a mapping for one of them resizes the boot disk.
ROOT_DEVICE_NAMES = frozenset({"/dev/sda1", "/dev/sda", "/dev/xvda", "/dev/vda"})


def resolve_image(ctx: ResourceContext, image_id: str) -> Image:
    """An AMI-style id: an image id or name, or a public SSM parameter path naming one."""
    parameters = getattr(ctx.cloud, "parameters", None)
    if image_id.startswith("resolve:ssm:"):
        image_id = image_id[len("resolve:ssm:"):]
    if image_id.startswith("/") and parameters is not None:
        parameter = parameters.get(ctx.account_id, ctx.region, image_id)
        if parameter is None:
            raise ResourceFailure(f"Parameter {image_id} not found.")
        image_id = parameter.value
    return call(naming(ctx).image_for, image_id)


def decode_user_data(value: Any) -> str | None:
    if value in (None, ""):
        return None
    try:
        raw = base64.b64decode(str(value), validate=True)
    except (binascii.Error, ValueError):
        raise ResourceFailure("Invalid BASE64 encoding of user data.") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")  # gzip'd or binary user data: keep every byte


def block_devices(props: Mapping[str, Any], image: Image) -> tuple[BlockDevice, ...]:
    devices = []
    for volume in as_list(props.get("Volumes")):
        devices.append(BlockDevice("volume", uuid=volume["VolumeId"], device_name=volume.get("Device")))
    for mapping in as_list(props.get("BlockDeviceMappings")):
        ebs = mapping.get("Ebs")
        if ebs is None or "NoDevice" in mapping:
            continue  # VirtualName (instance store) is the flavor's ephemeral disk; NoDevice suppresses one
        device = mapping.get("DeviceName")
        size = int(ebs["VolumeSize"]) if ebs.get("VolumeSize") not in (None, "") else None
        delete = truthy(ebs.get("DeleteOnTermination"), default=True)
        if device in ROOT_DEVICE_NAMES:
            devices.append(BlockDevice("image", uuid=image.id, boot_index=0, device_name=device,
                                       volume_size_gb=size or max(image.min_disk_gb, 1),
                                       delete_on_termination=delete))
        elif ebs.get("SnapshotId"):
            devices.append(BlockDevice("snapshot", uuid=ebs["SnapshotId"], volume_size_gb=size,
                                       device_name=device, delete_on_termination=delete))
        else:
            devices.append(BlockDevice("blank", volume_size_gb=size or 1, device_name=device,
                                       delete_on_termination=delete))
    return tuple(devices)


def _group_ids(cloud: CloudProvider, names_or_ids: list[str]) -> list[str]:
    ids = []
    for name in names_or_ids:
        group = call(cloud.find_security_group, name)
        if group is None:
            raise ResourceFailure(f"The security group '{name}' does not exist")
        ids.append(group.id)
    return ids


def own_port_ids(cloud: CloudProvider, server_name: str) -> list[str]:
    """The ports an instance made itself, found by name: not by device_id, since a server still
    building is not bound to them yet, and one that is gone (or was never made) no longer is."""
    return [p.id for p in call(cloud.list_ports) if p.name.startswith(f"{server_name}-eth")]


class _Ports:
    """Ports this instance creates itself (for SubnetId / NetworkInterfaces), named
    ``<server name>-eth<N>`` so delete can find and remove them."""

    def __init__(self, cloud: CloudProvider, server_name: str):
        self.cloud, self.server_name, self.created = cloud, server_name, []

    def on_subnet(self, index: int, subnet_id: str, ip: str | None, group_ids: list[str] | None) -> str:
        subnet = call(self.cloud.get_subnet, subnet_id)
        if group_ids is None:  # EC2: an instance launched into a VPC without groups gets the VPC's default
            group_ids = vpc_default_group.group_ids_for_network(self.cloud, subnet.network_id)
        port = call(self.cloud.create_port, subnet.network_id, name=f"{self.server_name}-eth{index}",
                    fixed_ips=[FixedIp(subnet.id, ip or None)], security_group_ids=group_ids)
        self.created.append(port.id)
        return port.id

    def remove(self) -> None:
        for port_id in self.created:
            gone_ok(self.cloud.delete_port, port_id)


def _network_requests(props: Mapping[str, Any], ports: _Ports, group_ids: list[str] | None
                      ) -> tuple[NetworkRequest, ...]:
    interfaces = as_list(props.get("NetworkInterfaces"))
    if interfaces:
        requests = []
        for nic in sorted(interfaces, key=lambda n: int(n.get("DeviceIndex", 0))):
            if nic.get("NetworkInterfaceId"):
                requests.append(NetworkRequest(port_id=nic["NetworkInterfaceId"]))
                continue
            if not nic.get("SubnetId"):
                raise ResourceFailure("Each network interface needs SubnetId or NetworkInterfaceId.")
            nic_groups = _group_ids(ports.cloud, as_list(nic.get("GroupSet"))) or group_ids
            requests.append(NetworkRequest(port_id=ports.on_subnet(
                int(nic.get("DeviceIndex", 0)), nic["SubnetId"], nic.get("PrivateIpAddress"), nic_groups)))
        return tuple(requests)
    if props.get("SubnetId"):
        return (NetworkRequest(port_id=ports.on_subnet(0, props["SubnetId"], props.get("PrivateIpAddress"),
                                                       group_ids)),)
    if props.get("PrivateIpAddress"):
        raise ResourceFailure("PrivateIpAddress needs a SubnetId on this cloud.")
    return ()  # the project's default network


def with_launch_template(ctx: ResourceContext, props: Mapping[str, Any]) -> Mapping[str, Any]:
    """The instance's properties over those of the launch template version it names (AWS:
    "any parameters that you specify in the instance override the same parameters in the
    launch template")."""
    spec = props.get("LaunchTemplate")
    if not isinstance(spec, Mapping):
        return props
    merged = launch_templates.instance_properties(launch_templates.launch_template_data(ctx, spec))
    merged.update({k: v for k, v in props.items() if k != "LaunchTemplate" and v not in (None, "", [])})
    return merged


def _primary_port_id(cloud: CloudProvider, server: Server, props: Mapping[str, Any]) -> str | None:
    """The port of the instance's primary interface (DeviceIndex 0), when the template chose it."""
    primary = next((nic for nic in as_list(props.get("NetworkInterfaces"))
                    if int(nic.get("DeviceIndex", 0)) == 0), None)
    if primary is not None and primary.get("NetworkInterfaceId"):
        return str(primary["NetworkInterfaceId"])
    if primary is None and not props.get("SubnetId"):
        return None
    return next((p.id for p in call(cloud.list_ports, None, server.id) if p.name == f"{server.name}-eth0"), None)


def _primary_addresses(cloud: CloudProvider, server: Server, props: Mapping[str, Any]) -> tuple[str, str]:
    """(private, public) address of the primary interface, as EC2's PrivateIp / PublicIp. Nova lists a
    server's addresses by network, in no order that says which interface is the primary: the primary
    port's MAC address picks them out."""
    addresses = server.addresses
    port_id = _primary_port_id(cloud, server, props)
    if port_id is not None:
        mac = call(cloud.get_port, port_id).mac_address
        addresses = tuple(a for a in addresses if a.mac_address == mac) or addresses
    fixed = [a.ip_address for a in addresses if a.kind == "fixed"]
    floating = [a.ip_address for a in addresses if a.kind == "floating"]
    return (fixed[0] if fixed else "", floating[0] if floating else "")


class Instance(ResourceType):
    type_name = "AWS::EC2::Instance"
    openstack_mapping = "Nova server (+ Neutron ports for SubnetId/NetworkInterfaces, Cinder volumes for EBS)"
    properties = (
        PropertySpec("ImageId", update="replace"),
        PropertySpec("LaunchTemplate", "Json", update="replace"),
        # AWS stops, modifies and starts the instance; Nova resizes and the engine confirms.
        # "Conditional" as AWS's change sets say it (an instance-store instance is replaced).
        PropertySpec("InstanceType", update="conditional"),
        PropertySpec("KeyName", update="replace"),
        PropertySpec("SecurityGroups", "List", update="replace"),
        PropertySpec("SecurityGroupIds", "List"),
        PropertySpec("SubnetId", update="replace"),
        PropertySpec("PrivateIpAddress", update="replace"),
        PropertySpec("NetworkInterfaces", "List", update="replace"),
        PropertySpec("BlockDeviceMappings", "List", update="replace"),
        PropertySpec("Volumes", "List"),
        # AWS: "Some interruptions" (stop, modify, start; same instance). Nova changes user data
        # only by a rebuild, which keeps the server's id, ports and volumes (see _rebuild_with).
        PropertySpec("UserData"),
        PropertySpec("AvailabilityZone", update="replace"),
        PropertySpec("Tags", "List"),
    )
    attribute_names = ("AvailabilityZone", "PrivateIp", "PublicIp", "PrivateDnsName", "PublicDnsName")
    not_honoured = ("IamInstanceProfile, Monitoring, EbsOptimized, SourceDestCheck, "
                    "Tenancy, AssociatePublicIpAddress (use an EIP); Tags are the server's metadata "
                    "(updated in place); DNS names are the IP addresses (PublicIp and PublicDnsName empty "
                    "without a floating IP). A UserData change rebuilds the server "
                    "with its image (Nova API 2.57): same instance id, addresses and volumes, a "
                    "volume-backed root disk is kept but an image-backed root disk is re-imaged.")

    def create(self, ctx: ResourceContext, props: Mapping[str, Any]) -> str:
        cloud = provider(ctx)
        props = with_launch_template(ctx, props)
        if not props.get("ImageId"):
            raise ResourceFailure("Property ImageId is required (in the instance or its launch template).")
        image = resolve_image(ctx, str(props["ImageId"]))
        flavor = call(naming(ctx).flavor_for, str(props.get("InstanceType") or "m1.small"))
        zone = call(naming(ctx).cloud_zone_for, props["AvailabilityZone"], ctx.region) \
            if props.get("AvailabilityZone") else None
        groups = [str(g) for g in as_list(props.get("SecurityGroupIds")) + as_list(props.get("SecurityGroups"))]
        name = physical_name(ctx, 63)
        ports = _Ports(cloud, name)
        try:
            group_ids = _group_ids(cloud, groups) if groups else None
            devices = block_devices(props, image)
            # Booting from a volume made of the image: Nova takes the image from that
            # mapping and refuses an imageRef beside it ("The volume cannot be assigned
            # the same device name as the root device").
            boots_from_volume = any(d.boot_index == 0 for d in devices)
            request = ServerRequest(
                name=name, image_id=None if boots_from_volume else image.id, flavor_id=flavor.id, key_name=props.get("KeyName") or None,
                user_data=decode_user_data(props.get("UserData")),
                networks=_network_requests(props, ports, group_ids),
                security_groups=tuple(group_ids or ()), availability_zone=zone,
                block_devices=devices, metadata=tags_of(props),
            )
            return call(cloud.create_server, request).id
        except Exception:
            ports.remove()
            raise

    def find_created(self, ctx: ResourceContext, props: Mapping[str, Any]) -> str | None:
        """The server, by its name. With none, the ports an attempt made before dying are
        removed: created again they would hold a second address (or fail on a fixed one)."""
        cloud = provider(ctx)
        found = find_by_name(call(cloud.list_servers), ctx, 63)
        if found is None and ctx.creation_token:
            for port_id in own_port_ids(cloud, physical_name(ctx, 63)):
                gone_ok(cloud.delete_port, port_id)
        return found

    def check_create_complete(self, ctx: ResourceContext, resource: ResourceState) -> bool:
        server = call(provider(ctx).get_server, resource.physical_id)
        if server.status == SERVER_ERROR:
            raise ResourceFailure(server.fault or f"Server {server.name} went into ERROR state")
        return server.status == SERVER_ACTIVE

    def update(self, ctx, resource, old_props, new_props) -> None:
        cloud = provider(ctx)
        # Both sides read the template's version as it is now: what the instance itself sets
        # decides what changes (a template version made since launch changes nothing, as on AWS).
        old_props, new_props = with_launch_template(ctx, old_props), with_launch_template(ctx, new_props)
        server = call(cloud.get_server, resource.physical_id)
        if as_list(old_props.get("SecurityGroupIds")) != as_list(new_props.get("SecurityGroupIds")):
            group_ids = _group_ids(cloud, [str(g) for g in as_list(new_props.get("SecurityGroupIds"))
                                           + as_list(new_props.get("SecurityGroups"))])
            for port in call(cloud.list_ports, None, server.id):
                call(cloud.update_port_security_groups, port.id, group_ids)
        self._update_volumes(cloud, server, as_list(old_props.get("Volumes")), as_list(new_props.get("Volumes")))
        if tagging.tags_changed(old_props, new_props):
            call(cloud.set_server_metadata, server.id, *tagging.metadata_change(old_props, new_props))
        if decode_user_data(old_props.get("UserData")) != decode_user_data(new_props.get("UserData")):
            self._rebuild_with(ctx, server, new_props)
            server = call(cloud.get_server, server.id)  # rebuilding: a resize now waits for it
        new_type = str(new_props.get("InstanceType") or "m1.small")
        if str(old_props.get("InstanceType") or "m1.small") != new_type:
            # Two AWS types may map onto one flavor; a rollback may find the forward resize
            # still running (server_resize waits for it, then resizes back).
            server_resize.start_resize(cloud, server, call(naming(ctx).flavor_for, new_type))

    @staticmethod
    def _rebuild_with(ctx: ResourceContext, server: Server, props: Mapping[str, Any]) -> None:
        """New user data: Nova's rebuild with the instance's own image. The instance id, its
        addresses and attached volumes stay, as AWS's stop / modify / start keeps them. A
        volume-backed root disk is kept too; an image-backed one is re-imaged (AWS keeps the
        EBS root) — still closer than a replacement, which loses the disk and the addresses.
        The server's own image, not ImageId resolved again: an SSM parameter naming the image
        may have moved on since, and AWS never changes an instance's image here."""
        image_id = server.image_id or resolve_image(ctx, str(props["ImageId"])).id  # volume-backed: none shown
        call(provider(ctx).rebuild_server, server.id, image_id, decode_user_data(props.get("UserData")))

    def check_update_complete(self, ctx, resource) -> bool:
        """Done once the server runs idle on the flavor asked for; confirming the resize is
        part of the update, as AWS's modify-instance-attribute leaves nothing to accept."""
        cloud = provider(ctx)
        server = call(cloud.get_server, resource.physical_id)
        if server.status == SERVER_REBUILD:
            return False
        props = with_launch_template(ctx, resource.properties)
        wanted = call(naming(ctx).flavor_for, str(props.get("InstanceType") or "m1.small"))
        return server_resize.resize_done(cloud, server, wanted)

    @staticmethod
    def _update_volumes(cloud: CloudProvider, server: Server, old: list, new: list) -> None:
        old_ids = {v["VolumeId"] for v in old}
        new_by_id = {v["VolumeId"]: v for v in new}
        for volume_id in old_ids - set(new_by_id):
            gone_ok(cloud.detach_volume, server.id, volume_id)
        for volume_id, volume in new_by_id.items():
            if volume_id not in old_ids:
                call(cloud.attach_volume, server.id, volume_id, volume.get("Device"))

    # Ports this type made for servers being deleted, by server id. Neutron's
    # default policy refuses a project member's delete of a port a server still
    # holds ("rule:delete_port is disallowed by policy"), so they go only once
    # Nova has deleted the server and released them. Delete and its completion
    # check run one after the other in the same worker, so memory suffices.
    _ports_after_server: dict[str, list[str]] = {}
    _ports_lock = threading.Lock()

    def delete(self, ctx, resource) -> None:
        cloud = provider(ctx)
        server = exists(cloud.get_server, resource.physical_id)
        if server is None:
            # A delete resumed after a crash may find the server gone and its ports still there
            # (they go only after the server): its name is known again from the creation token.
            if ctx.creation_token:
                for port_id in own_port_ids(cloud, physical_name(ctx, 63)):
                    gone_ok(cloud.delete_port, port_id)
            return
        own_ports = own_port_ids(cloud, server.name)
        with self._ports_lock:
            self._ports_after_server[server.id] = own_ports
        gone_ok(cloud.delete_server, server.id)

    def check_delete_complete(self, ctx, resource) -> bool:
        cloud = provider(ctx)
        if exists(cloud.get_server, resource.physical_id) is not None:
            return False
        with self._ports_lock:
            own_ports = self._ports_after_server.get(resource.physical_id, [])
        for port_id in own_ports:
            port = exists(cloud.get_port, port_id)
            if port is not None and port.device_id:
                return False  # Nova is still unbinding it
            gone_ok(cloud.delete_port, port_id)
        with self._ports_lock:
            self._ports_after_server.pop(resource.physical_id, None)
        return True

    def attributes(self, ctx, resource) -> dict[str, Any]:
        cloud = provider(ctx)
        server = call(cloud.get_server, resource.physical_id)
        private_ip, public_ip = _primary_addresses(cloud, server, resource.properties)
        return {
            "AvailabilityZone": naming(ctx).aws_zone_for(server.availability_zone, ctx.region),
            "PrivateIp": private_ip,
            "PublicIp": public_ip,
            # An OpenStack cloud has no EC2-style DNS names; the addresses resolve everywhere.
            # With no public address both are empty, as EC2 gives them.
            "PrivateDnsName": private_ip,
            "PublicDnsName": public_ip,
        }
