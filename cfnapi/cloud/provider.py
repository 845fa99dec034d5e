"""The narrow interface between translate/ and a cloud: native OpenStack verbs.

Verbs take plain values and return frozen dataclasses, so callers never see
an SDK object or a database row.  A verb returns as soon as the cloud has
accepted the request (a server comes back in BUILD, a volume in creating);
callers poll ``get_*`` for progress — retries and timeouts live in the
engine.  Every failure is a ``cfnapi.cloud.errors.CloudError``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

# Server statuses as Nova reports them (the ones the engine acts on).
SERVER_BUILD = "BUILD"
SERVER_ACTIVE = "ACTIVE"
SERVER_ERROR = "ERROR"
SERVER_SHUTOFF = "SHUTOFF"
SERVER_RESIZE = "RESIZE"
SERVER_REBUILD = "REBUILD"
SERVER_VERIFY_RESIZE = "VERIFY_RESIZE"  # resized; waits for confirm (or revert)
SERVER_DELETED = "DELETED"

# Neutron resources that carry tags, as set_network_tags names them.
TAGGABLE_NETWORK_KINDS = ("network", "subnet", "port", "security_group", "floating_ip")

# Volume statuses as Cinder reports them.
VOLUME_CREATING = "creating"
VOLUME_AVAILABLE = "available"
VOLUME_IN_USE = "in-use"
VOLUME_ERROR = "error"
VOLUME_ERROR_EXTENDING = "error_extending"  # Cinder's failed extend (the volume itself is intact)


# --- compute ----------------------------------------------------------------


@dataclass(frozen=True)
class Flavor:
    id: str
    name: str
    vcpus: int
    ram_mb: int
    disk_gb: int


@dataclass(frozen=True)
class Image:
    id: str
    name: str
    status: str = "active"
    min_disk_gb: int = 0
    min_ram_mb: int = 0


@dataclass(frozen=True)
class KeyPair:
    name: str
    fingerprint: str
    public_key: str
    private_key: str | None = None  # only when the cloud generated the pair
    created_at: dt.datetime | None = None


@dataclass(frozen=True)
class AvailabilityZone:
    name: str
    available: bool = True


@dataclass(frozen=True)
class NetworkRequest:
    """One NIC of a new server: a network (optionally a fixed IP) or an existing port."""

    network_id: str | None = None
    port_id: str | None = None
    fixed_ip: str | None = None


@dataclass(frozen=True)
class BlockDevice:
    """Nova's block_device_mapping_v2 entry (boot from volume, extra disks)."""

    source_type: str  # image | volume | snapshot | blank
    destination_type: str = "volume"  # volume | local
    uuid: str | None = None
    volume_size_gb: int | None = None
    boot_index: int | None = None  # 0 makes it the root disk
    device_name: str | None = None
    delete_on_termination: bool = False


@dataclass(frozen=True)
class ServerRequest:
    name: str
    image_id: str | None  # None when booting from a volume
    flavor_id: str
    key_name: str | None = None
    user_data: str | None = None  # plain text; providers encode it for the wire
    networks: tuple[NetworkRequest, ...] = ()
    security_groups: tuple[str, ...] = ()  # names or ids; empty means the project's "default"
    availability_zone: str | None = None
    block_devices: tuple[BlockDevice, ...] = ()
    metadata: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ServerAddress:
    network_name: str
    ip_address: str
    kind: str  # "fixed" | "floating"
    mac_address: str = ""
    version: int = 4


@dataclass(frozen=True)
class Server:
    id: str
    name: str
    status: str
    flavor_id: str
    image_id: str | None
    key_name: str | None
    availability_zone: str
    addresses: tuple[ServerAddress, ...] = ()
    security_groups: tuple[str, ...] = ()
    metadata: Mapping[str, str] = field(default_factory=dict)
    volume_ids: tuple[str, ...] = ()
    created_at: dt.datetime | None = None
    fault: str | None = None  # Nova's fault message when status is ERROR
    # Nova's OS-EXT-STS:task_state: what the server is busy with (resize_prep, resize_migrating,
    # resize_migrated, resize_finish, resize_confirming, resize_reverting, deleting...), None when idle.
    task_state: str | None = None

    @property
    def fixed_ips(self) -> tuple[str, ...]:
        return tuple(a.ip_address for a in self.addresses if a.kind == "fixed")

    @property
    def floating_ips(self) -> tuple[str, ...]:
        return tuple(a.ip_address for a in self.addresses if a.kind == "floating")


# --- network ----------------------------------------------------------------


@dataclass(frozen=True)
class Network:
    id: str
    name: str
    is_external: bool = False
    is_shared: bool = False
    subnet_ids: tuple[str, ...] = ()
    status: str = "ACTIVE"
    description: str = ""
    tags: tuple[str, ...] = ()  # Neutron's standard-attribute tags (plain strings)


@dataclass(frozen=True)
class AllocationPool:
    start: str
    end: str


@dataclass(frozen=True)
class Subnet:
    id: str
    name: str
    network_id: str
    cidr: str
    gateway_ip: str | None
    allocation_pools: tuple[AllocationPool, ...] = ()
    ip_version: int = 4
    enable_dhcp: bool = True
    dns_nameservers: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class FixedIp:
    subnet_id: str | None = None  # None: any subnet of the port's network
    ip_address: str | None = None  # None: the next free address


@dataclass(frozen=True)
class Port:
    id: str
    name: str
    network_id: str
    mac_address: str
    fixed_ips: tuple[FixedIp, ...] = ()
    security_group_ids: tuple[str, ...] = ()
    device_id: str = ""
    device_owner: str = ""
    status: str = "DOWN"
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Route:
    destination: str
    nexthop: str


@dataclass(frozen=True)
class RouterInterface:
    router_id: str
    port_id: str
    subnet_id: str


@dataclass(frozen=True)
class Router:
    id: str
    name: str
    external_network_id: str | None = None
    external_ip: str | None = None
    interfaces: tuple[RouterInterface, ...] = ()
    routes: tuple[Route, ...] = ()
    status: str = "ACTIVE"


@dataclass(frozen=True)
class FloatingIp:
    id: str
    floating_ip_address: str
    floating_network_id: str
    port_id: str | None = None
    fixed_ip_address: str | None = None
    status: str = "DOWN"
    tags: tuple[str, ...] = ()
    description: str = ""


@dataclass(frozen=True)
class SecurityGroupRule:
    id: str
    security_group_id: str
    direction: str  # ingress | egress
    ethertype: str = "IPv4"
    protocol: str | None = None  # tcp | udp | icmp | a number; None means any
    port_range_min: int | None = None
    port_range_max: int | None = None
    remote_ip_prefix: str | None = None
    remote_group_id: str | None = None
    description: str = ""


@dataclass(frozen=True)
class SecurityGroup:
    id: str
    name: str
    description: str = ""
    rules: tuple[SecurityGroupRule, ...] = ()
    tags: tuple[str, ...] = ()
    created_at: dt.datetime | None = None


# --- block storage ----------------------------------------------------------


@dataclass(frozen=True)
class VolumeAttachment:
    volume_id: str
    server_id: str
    device: str


@dataclass(frozen=True)
class Volume:
    id: str
    name: str
    size_gb: int
    status: str
    availability_zone: str
    attachments: tuple[VolumeAttachment, ...] = ()
    snapshot_id: str | None = None
    image_id: str | None = None
    volume_type: str | None = None
    bootable: bool = False
    backup_id: str | None = None  # the backup it was restored from
    metadata: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class VolumeSnapshot:
    id: str
    name: str
    volume_id: str
    size_gb: int
    status: str


@dataclass(frozen=True)
class VolumeBackup:
    """A Cinder backup: unlike a snapshot it outlives its volume, so it is what an
    EBS snapshot taken by DeletionPolicy/UpdateReplacePolicy Snapshot becomes."""

    id: str
    name: str
    volume_id: str
    size_gb: int
    status: str


# --- object storage ---------------------------------------------------------


@dataclass(frozen=True)
class Container:
    name: str
    object_count: int = 0
    bytes_used: int = 0
    # Swift's X-Container-Meta-* items (names lowercase, as Swift returns them).
    metadata: Mapping[str, str] = field(default_factory=dict)


@runtime_checkable
class CloudProvider(Protocol):
    """Native verbs of one project on one cloud."""

    # compute
    def list_flavors(self) -> list[Flavor]: ...
    def get_flavor(self, flavor_id: str) -> Flavor: ...
    def list_images(self) -> list[Image]: ...
    def get_image(self, image_id: str) -> Image: ...
    def find_image(self, name_or_id: str) -> Image | None: ...
    def list_availability_zones(self) -> list[AvailabilityZone]: ...
    def list_keypairs(self) -> list[KeyPair]: ...
    def get_keypair(self, name: str) -> KeyPair: ...
    def create_keypair(self, name: str) -> KeyPair: ...
    def import_keypair(self, name: str, public_key: str) -> KeyPair: ...
    def delete_keypair(self, name: str) -> None: ...
    def create_server(self, request: ServerRequest) -> Server: ...
    def get_server(self, server_id: str) -> Server: ...
    def list_servers(self) -> list[Server]: ...
    def delete_server(self, server_id: str) -> None: ...
    # Nova's two-step resize: RESIZE → VERIFY_RESIZE, then confirm → ACTIVE on the new flavor
    # (or back to SHUTOFF). A Nova with resize_confirm_window > 0 confirms on its own; a failed
    # migration leaves the server in ERROR with a fault. Both verbs return once Nova accepted.
    def resize_server(self, server_id: str, flavor_id: str) -> None: ...
    # Nova's rebuild, the only way to change a server's user data (API 2.57+): same id, ports and
    # volumes; REBUILD until done. None removes the user data.
    def rebuild_server(self, server_id: str, image_id: str, user_data: str | None) -> None: ...
    def confirm_server_resize(self, server_id: str) -> None: ...
    def attach_volume(self, server_id: str, volume_id: str, device: str | None = None) -> VolumeAttachment: ...
    def detach_volume(self, server_id: str, volume_id: str) -> None: ...
    def set_server_metadata(self, server_id: str, items: Mapping[str, str], remove_keys: Sequence[str] = ()) -> None:
        """Add or change ``items`` and remove ``remove_keys`` in a server's metadata; the rest stays."""

    # network
    def list_networks(self) -> list[Network]: ...
    def get_network(self, network_id: str) -> Network: ...
    def find_external_network(self) -> Network: ...
    def create_network(self, name: str, description: str = "") -> Network: ...
    def delete_network(self, network_id: str) -> None: ...
    def list_subnets(self, network_id: str | None = None) -> list[Subnet]: ...
    def get_subnet(self, subnet_id: str) -> Subnet: ...
    def create_subnet(
        self,
        network_id: str,
        cidr: str,
        *,
        name: str = "",
        gateway_ip: str | None = None,
        allocation_pools: Sequence[AllocationPool] = (),
        enable_dhcp: bool = True,
        dns_nameservers: Sequence[str] = (),
    ) -> Subnet: ...
    def delete_subnet(self, subnet_id: str) -> None: ...
    def list_ports(self, network_id: str | None = None, device_id: str | None = None) -> list[Port]: ...
    def get_port(self, port_id: str) -> Port: ...
    def create_port(
        self,
        network_id: str,
        *,
        name: str = "",
        fixed_ips: Sequence[FixedIp] = (),
        security_group_ids: Sequence[str] | None = None,
    ) -> Port: ...
    def update_port_security_groups(self, port_id: str, security_group_ids: Sequence[str]) -> Port: ...
    def delete_port(self, port_id: str) -> None: ...
    def list_routers(self) -> list[Router]: ...
    def get_router(self, router_id: str) -> Router: ...
    def create_router(self, name: str, external_network_id: str | None = None) -> Router: ...
    def set_router_gateway(self, router_id: str, external_network_id: str | None) -> Router: ...
    def add_router_interface(
        self, router_id: str, *, subnet_id: str | None = None, port_id: str | None = None
    ) -> RouterInterface: ...
    def remove_router_interface(
        self, router_id: str, *, subnet_id: str | None = None, port_id: str | None = None
    ) -> None: ...
    def set_router_routes(self, router_id: str, routes: Sequence[Route]) -> Router: ...
    def delete_router(self, router_id: str) -> None: ...
    def list_floating_ips(self) -> list[FloatingIp]: ...
    def get_floating_ip(self, floating_ip_id: str) -> FloatingIp: ...
    def allocate_floating_ip(self, external_network_id: str | None = None, description: str = "") -> FloatingIp: ...
    def associate_floating_ip(
        self, floating_ip_id: str, port_id: str, fixed_ip: str | None = None
    ) -> FloatingIp: ...
    def disassociate_floating_ip(self, floating_ip_id: str) -> FloatingIp: ...
    def release_floating_ip(self, floating_ip_id: str) -> None: ...
    def list_security_groups(self) -> list[SecurityGroup]: ...
    def get_security_group(self, group_id: str) -> SecurityGroup: ...
    def find_security_group(self, name_or_id: str) -> SecurityGroup | None: ...
    def create_security_group(self, name: str, description: str = "") -> SecurityGroup: ...
    def delete_security_group(self, group_id: str) -> None: ...
    def create_security_group_rule(
        self,
        security_group_id: str,
        *,
        direction: str,
        ethertype: str = "IPv4",
        protocol: str | None = None,
        port_range_min: int | None = None,
        port_range_max: int | None = None,
        remote_ip_prefix: str | None = None,
        remote_group_id: str | None = None,
        description: str = "",
    ) -> SecurityGroupRule: ...
    def delete_security_group_rule(self, rule_id: str) -> None: ...
    def set_network_tags(self, kind: str, resource_id: str, tags: Sequence[str]) -> None:
        """Replace the tags of a Neutron resource; ``kind`` is one of TAGGABLE_NETWORK_KINDS."""

    # block storage
    def list_volumes(self) -> list[Volume]: ...
    def get_volume(self, volume_id: str) -> Volume: ...
    def create_volume(
        self,
        size_gb: int,
        *,
        name: str = "",
        availability_zone: str | None = None,
        snapshot_id: str | None = None,
        image_id: str | None = None,
        volume_type: str | None = None,
        backup_id: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> Volume:
        """A new volume, blank or made from a snapshot, an image or (Cinder API 3.47+) a backup."""
    def delete_volume(self, volume_id: str) -> None: ...
    def extend_volume(self, volume_id: str, size_gb: int) -> None: ...
    def set_volume_metadata(self, volume_id: str, items: Mapping[str, str], remove_keys: Sequence[str] = ()) -> None:
        """Add or change ``items`` and remove ``remove_keys`` in a volume's metadata; the rest stays."""
    def create_volume_snapshot(self, volume_id: str, name: str = "", force: bool = False) -> VolumeSnapshot: ...
    def get_volume_snapshot(self, snapshot_id: str) -> VolumeSnapshot: ...
    def delete_volume_snapshot(self, snapshot_id: str) -> None: ...
    def create_volume_backup(self, volume_id: str, name: str = "", force: bool = False) -> VolumeBackup: ...
    def get_volume_backup(self, backup_id: str) -> VolumeBackup: ...
    def delete_volume_backup(self, backup_id: str) -> None: ...

    # object storage
    def list_containers(self) -> list[Container]: ...
    def get_container(self, name: str) -> Container: ...
    def create_container(self, name: str, metadata: Mapping[str, str] | None = None) -> Container:
        """Swift's PUT: ``metadata`` (X-Container-Meta-*) is stored with the container itself."""
    def container_is_empty(self, name: str) -> bool: ...
    def put_object(self, container: str, name: str, data: bytes) -> None: ...
    def delete_container(self, name: str) -> None: ...
    def set_container_metadata(self, name: str, metadata: Mapping[str, str]) -> None:
        """Replace the container's metadata with ``metadata`` (items not in it are removed)."""
    def container_url(self, name: str) -> str:
        """The container's URL on the object store (its public endpoint and the container name)."""
