"""The sim cloud's configuration: the shipped default YAML or ``--cloud-config FILE``."""

from __future__ import annotations

import ipaddress
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from cfnapi.cloud.naming import NamingConfig

DEFAULT_CONFIG_PATH = Path(__file__).with_name("default_cloud.yaml")

# Seeded resources without an id in the file get uuid5(namespace, "kind/name"),
# so every process that seeds the same file agrees on the ids.
SEED_NAMESPACE = uuid.UUID("2f0c8a55-61a4-4c1b-9d0e-5b7a3c9e1f11")

QUOTA_RESOURCES = (
    "instances", "cores", "ram", "key_pairs",
    "volumes", "gigabytes", "snapshots", "backups", "backup_gigabytes",
    "network", "subnet", "port", "router", "floatingip",
    "security_group", "security_group_rule",
)


class ConfigError(ValueError):
    """The cloud config file is not usable; the message says where."""


def seed_id(kind: str, name: str) -> str:
    return str(uuid.uuid5(SEED_NAMESPACE, f"{kind}/{name}"))


@dataclass(frozen=True)
class SeedImage:
    id: str
    name: str
    min_disk_gb: int = 0
    min_ram_mb: int = 0


@dataclass(frozen=True)
class SeedFlavor:
    id: str
    name: str
    vcpus: int
    ram_mb: int
    disk_gb: int


@dataclass(frozen=True)
class SeedKeyPair:
    name: str
    public_key: str


@dataclass(frozen=True)
class SeedNetwork:
    name: str
    subnet_name: str
    cidr: str
    gateway_ip: str | None = None
    pool_start: str | None = None
    pool_end: str | None = None

    @property
    def network_id(self) -> str:
        return seed_id("network", self.name)

    @property
    def subnet_id(self) -> str:
        return seed_id("subnet", self.subnet_name)


@dataclass(frozen=True)
class Behaviour:
    server_build_seconds: float = 2.0
    server_delete_seconds: float = 0.0  # > 0: deletes are asynchronous, as Nova's are
    volume_create_seconds: float = 1.0
    snapshot_create_seconds: float = 1.0
    backup_create_seconds: float = 1.0
    # Nova's resize_confirm_window: > 0 confirms a resize left in VERIFY_RESIZE that long by itself.
    resize_confirm_window_seconds: float = 0.0


@dataclass(frozen=True)
class SimConfig:
    behaviour: Behaviour
    availability_zones: tuple[str, ...]
    images: tuple[SeedImage, ...]
    flavors: tuple[SeedFlavor, ...]
    keypairs: tuple[SeedKeyPair, ...]
    external_network: SeedNetwork
    default_network: SeedNetwork
    default_security_group: str
    quotas: dict[str, int] = field(default_factory=dict)
    # The aws_naming section: InstanceType -> flavor and AWS zone overrides.
    naming: NamingConfig = field(default_factory=NamingConfig)

    @property
    def default_security_group_id(self) -> str:
        return seed_id("security_group", self.default_security_group)


def load_config(path: str | Path | None = None) -> SimConfig:
    """Read and check a cloud config; ``None`` reads the shipped default."""
    source = Path(path) if path else DEFAULT_CONFIG_PATH
    try:
        raw = yaml.safe_load(source.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{source}: {exc}") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: expected a mapping at the top level")
    try:
        return _parse(raw)
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"{source}: {type(exc).__name__}: {exc}") from exc


def _parse(raw: dict[str, Any]) -> SimConfig:
    behaviour = Behaviour(**(raw.get("behaviour") or {}))
    zones = tuple(str(z) for z in raw["availability_zones"])
    if not zones:
        raise ValueError("availability_zones must name at least one zone")
    images = tuple(
        SeedImage(
            id=str(i.get("id") or seed_id("image", i["name"])),
            name=i["name"],
            min_disk_gb=int(i.get("min_disk", 0)),
            min_ram_mb=int(i.get("min_ram", 0)),
        )
        for i in raw.get("images") or ()
    )
    flavors = tuple(
        SeedFlavor(
            id=str(f.get("id") or seed_id("flavor", f["name"])),
            name=f["name"],
            vcpus=int(f["vcpus"]),
            ram_mb=int(f["ram"]),
            disk_gb=int(f.get("disk", 0)),
        )
        for f in raw.get("flavors") or ()
    )
    keypairs = tuple(SeedKeyPair(k["name"], k["public_key"].strip()) for k in raw.get("keypairs") or ())
    external = raw["external_network"]
    pool = external.get("floating_ip_pool") or {}
    quotas = {name: int(value) for name, value in (raw.get("quotas") or {}).items()}
    unknown = set(quotas) - set(QUOTA_RESOURCES)
    if unknown:
        raise ValueError(f"unknown quota resources {sorted(unknown)}; known: {list(QUOTA_RESOURCES)}")
    config = SimConfig(
        behaviour=behaviour,
        availability_zones=zones,
        images=images,
        flavors=flavors,
        keypairs=keypairs,
        external_network=SeedNetwork(
            name=external["name"],
            subnet_name=external.get("subnet_name", f"{external['name']}-subnet"),
            cidr=external["cidr"],
            gateway_ip=external.get("gateway_ip"),
            pool_start=pool.get("start"),
            pool_end=pool.get("end"),
        ),
        default_network=SeedNetwork(
            name=raw["default_network"]["name"],
            subnet_name=raw["default_network"].get("subnet_name", f"{raw['default_network']['name']}-subnet"),
            cidr=raw["default_network"]["cidr"],
            gateway_ip=raw["default_network"].get("gateway_ip"),
        ),
        default_security_group=raw.get("default_security_group", "default"),
        quotas=quotas,
        naming=NamingConfig.from_mapping(raw.get("aws_naming")),
    )
    for network in (config.external_network, config.default_network):
        ipaddress.ip_network(network.cidr)  # raises ValueError with the bad value
    return config
