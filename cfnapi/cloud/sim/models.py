"""Tables of the embedded simulated OpenStack (all prefixed ``sim_``).

``project_id`` is the cfnapi account that owns a row; NULL marks a row the
seed created, shared by (and visible to) every project.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cfnapi.db import Base

_ID = String(64)
_PROJECT = String(64)


class SimImage(Base):
    __tablename__ = "sim_images"
    id: Mapped[str] = mapped_column(_ID, primary_key=True)
    project_id: Mapped[str | None] = mapped_column(_PROJECT, index=True)
    name: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(32), default="active")
    min_disk_gb: Mapped[int] = mapped_column(Integer, default=0)
    min_ram_mb: Mapped[int] = mapped_column(Integer, default=0)


class SimFlavor(Base):
    __tablename__ = "sim_flavors"
    id: Mapped[str] = mapped_column(_ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    vcpus: Mapped[int] = mapped_column(Integer)
    ram_mb: Mapped[int] = mapped_column(Integer)
    disk_gb: Mapped[int] = mapped_column(Integer)


class SimAvailabilityZone(Base):
    __tablename__ = "sim_availability_zones"
    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)  # the order naming.py maps AWS letters onto


class SimQuota(Base):
    __tablename__ = "sim_quotas"
    # "" holds the defaults from the config; a project id holds that project's override.
    project_id: Mapped[str] = mapped_column(_PROJECT, primary_key=True)
    resource: Mapped[str] = mapped_column(String(32), primary_key=True)
    hard_limit: Mapped[int] = mapped_column(Integer)  # -1: unlimited, as in OpenStack


class SimKeyPair(Base):
    __tablename__ = "sim_keypairs"
    __table_args__ = (UniqueConstraint("project_id", "name"),)
    id: Mapped[str] = mapped_column(_ID, primary_key=True)
    project_id: Mapped[str | None] = mapped_column(_PROJECT, index=True)
    name: Mapped[str] = mapped_column(String(255))
    public_key: Mapped[str] = mapped_column(String(16384))
    fingerprint: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class SimServer(Base):
    __tablename__ = "sim_servers"
    id: Mapped[str] = mapped_column(_ID, primary_key=True)
    project_id: Mapped[str | None] = mapped_column(_PROJECT, index=True)
    name: Mapped[str] = mapped_column(String(255))
    # BUILD here means "building since created_at"; readers derive ACTIVE from the clock.
    status: Mapped[str] = mapped_column(String(32))
    fault: Mapped[str | None] = mapped_column(String(1024))
    image_id: Mapped[str | None] = mapped_column(_ID)
    flavor_id: Mapped[str] = mapped_column(_ID)
    vcpus: Mapped[int] = mapped_column(Integer)  # copied from the flavor for quota counting
    ram_mb: Mapped[int] = mapped_column(Integer)
    key_name: Mapped[str | None] = mapped_column(String(255))
    user_data: Mapped[str | None] = mapped_column(String(65535))
    availability_zone: Mapped[str] = mapped_column(String(255))
    security_groups: Mapped[list[str]] = mapped_column(JSON, default=list)
    server_metadata: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Ports Nova made for this server's NICs: deleted with it (ports passed in are only unbound).
    created_port_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    # Set when a delete was accepted while behaviour.server_delete_seconds > 0: the server stays
    # visible (Nova's task_state "deleting") until that much time has passed.
    deleting_since: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # Set while a resize waits in VERIFY_RESIZE: when it got there (for the auto-confirm
    # window) and what the confirm returns it to (Nova keeps a stopped server stopped).
    resized_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    status_before_resize: Mapped[str | None] = mapped_column(String(32), nullable=True)


class SimNetwork(Base):
    __tablename__ = "sim_networks"
    id: Mapped[str] = mapped_column(_ID, primary_key=True)
    project_id: Mapped[str | None] = mapped_column(_PROJECT, index=True)
    name: Mapped[str] = mapped_column(String(255))
    is_external: Mapped[bool] = mapped_column(Boolean, default=False)
    is_shared: Mapped[bool] = mapped_column(Boolean, default=False)
    description: Mapped[str | None] = mapped_column(String(255))
    tags: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)  # Neutron tags


class SimSubnet(Base):
    __tablename__ = "sim_subnets"
    id: Mapped[str] = mapped_column(_ID, primary_key=True)
    project_id: Mapped[str | None] = mapped_column(_PROJECT, index=True)
    network_id: Mapped[str] = mapped_column(ForeignKey("sim_networks.id"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    cidr: Mapped[str] = mapped_column(String(64))
    gateway_ip: Mapped[str | None] = mapped_column(String(64))
    allocation_pools: Mapped[list[list[str]]] = mapped_column(JSON)  # [[start, end], ...]
    enable_dhcp: Mapped[bool] = mapped_column(Boolean, default=True)
    dns_nameservers: Mapped[list[str]] = mapped_column(JSON, default=list)
    tags: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)


class SimPort(Base):
    __tablename__ = "sim_ports"
    id: Mapped[str] = mapped_column(_ID, primary_key=True)
    project_id: Mapped[str | None] = mapped_column(_PROJECT, index=True)
    network_id: Mapped[str] = mapped_column(ForeignKey("sim_networks.id"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    mac_address: Mapped[str] = mapped_column(String(32))
    device_id: Mapped[str] = mapped_column(_ID, default="", index=True)
    device_owner: Mapped[str] = mapped_column(String(64), default="")
    security_group_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    tags: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)


class SimIpAllocation(Base):
    """One address taken from a subnet: by a port, a floating IP or a router gateway."""

    __tablename__ = "sim_ip_allocations"
    # The primary key is what makes two workers unable to hand out one address twice.
    subnet_id: Mapped[str] = mapped_column(ForeignKey("sim_subnets.id"), primary_key=True)
    ip_address: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner_id: Mapped[str] = mapped_column(_ID, index=True)


class SimRouter(Base):
    __tablename__ = "sim_routers"
    id: Mapped[str] = mapped_column(_ID, primary_key=True)
    project_id: Mapped[str | None] = mapped_column(_PROJECT, index=True)
    name: Mapped[str] = mapped_column(String(255))
    external_network_id: Mapped[str | None] = mapped_column(_ID)
    external_ip: Mapped[str | None] = mapped_column(String(64))
    routes: Mapped[list[list[str]]] = mapped_column(JSON, default=list)  # [[destination, nexthop], ...]


class SimFloatingIp(Base):
    __tablename__ = "sim_floating_ips"
    id: Mapped[str] = mapped_column(_ID, primary_key=True)
    project_id: Mapped[str | None] = mapped_column(_PROJECT, index=True)
    network_id: Mapped[str] = mapped_column(ForeignKey("sim_networks.id"))
    address: Mapped[str] = mapped_column(String(64))
    port_id: Mapped[str | None] = mapped_column(_ID, index=True)
    fixed_ip: Mapped[str | None] = mapped_column(String(64))
    tags: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    description: Mapped[str | None] = mapped_column(String(255))  # Neutron's standard attribute


class SimSecurityGroup(Base):
    __tablename__ = "sim_security_groups"
    id: Mapped[str] = mapped_column(_ID, primary_key=True)
    project_id: Mapped[str | None] = mapped_column(_PROJECT, index=True)
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(String(1024), default="")
    tags: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class SimSecurityGroupRule(Base):
    __tablename__ = "sim_security_group_rules"
    id: Mapped[str] = mapped_column(_ID, primary_key=True)
    project_id: Mapped[str | None] = mapped_column(_PROJECT, index=True)
    security_group_id: Mapped[str] = mapped_column(
        ForeignKey("sim_security_groups.id", ondelete="CASCADE"), index=True
    )
    direction: Mapped[str] = mapped_column(String(16))
    ethertype: Mapped[str] = mapped_column(String(8))
    protocol: Mapped[str | None] = mapped_column(String(16))
    port_range_min: Mapped[int | None] = mapped_column(Integer)
    port_range_max: Mapped[int | None] = mapped_column(Integer)
    remote_ip_prefix: Mapped[str | None] = mapped_column(String(64))
    remote_group_id: Mapped[str | None] = mapped_column(_ID)
    description: Mapped[str | None] = mapped_column(String(255))  # Neutron's standard attribute


class SimVolume(Base):
    __tablename__ = "sim_volumes"
    id: Mapped[str] = mapped_column(_ID, primary_key=True)
    project_id: Mapped[str | None] = mapped_column(_PROJECT, index=True)
    name: Mapped[str] = mapped_column(String(255))
    size_gb: Mapped[int] = mapped_column(Integer)
    # "creating" here means "creating since created_at"; readers derive "available".
    status: Mapped[str] = mapped_column(String(32))
    availability_zone: Mapped[str] = mapped_column(String(255))
    snapshot_id: Mapped[str | None] = mapped_column(_ID)
    image_id: Mapped[str | None] = mapped_column(_ID)
    volume_type: Mapped[str | None] = mapped_column(String(255))
    backup_id: Mapped[str | None] = mapped_column(_ID, nullable=True)  # restored from this backup
    volume_metadata: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class SimVolumeAttachment(Base):
    __tablename__ = "sim_volume_attachments"
    volume_id: Mapped[str] = mapped_column(ForeignKey("sim_volumes.id"), primary_key=True)
    server_id: Mapped[str] = mapped_column(_ID, index=True)
    device: Mapped[str] = mapped_column(String(64))
    delete_on_termination: Mapped[bool] = mapped_column(Boolean, default=False)


class SimVolumeSnapshot(Base):
    __tablename__ = "sim_volume_snapshots"
    id: Mapped[str] = mapped_column(_ID, primary_key=True)
    project_id: Mapped[str | None] = mapped_column(_PROJECT, index=True)
    volume_id: Mapped[str] = mapped_column(ForeignKey("sim_volumes.id"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    size_gb: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class SimVolumeBackup(Base):
    """No foreign key to the volume: a backup outlives it (Cinder keeps only the id)."""

    __tablename__ = "sim_volume_backups"
    id: Mapped[str] = mapped_column(_ID, primary_key=True)
    project_id: Mapped[str | None] = mapped_column(_PROJECT, index=True)
    volume_id: Mapped[str] = mapped_column(_ID)
    name: Mapped[str] = mapped_column(String(255))
    size_gb: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class SimContainer(Base):
    __tablename__ = "sim_containers"
    __table_args__ = (UniqueConstraint("project_id", "name"),)
    id: Mapped[str] = mapped_column(_ID, primary_key=True)
    project_id: Mapped[str] = mapped_column(_PROJECT, index=True)
    name: Mapped[str] = mapped_column(String(256))
    # Swift container metadata, name -> value (S3 bucket tags live here).
    container_metadata: Mapped[dict | None] = mapped_column(JSON, nullable=True)


class SimObject(Base):
    __tablename__ = "sim_objects"
    container_id: Mapped[str] = mapped_column(
        ForeignKey("sim_containers.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(1024), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
