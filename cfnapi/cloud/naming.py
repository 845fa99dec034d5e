"""AWS names users write in templates, mapped onto the cloud's own.

InstanceType → flavor (the smallest flavor that fits the type's vCPUs and RAM,
unless the config names one), ImageId → image by id or name, and
availability-zone names (``us-east-1a`` …) → the cloud's zones in order.
``ProviderCloudLookup`` answers the template package's ``CloudLookup``
questions (does this AWS-typed parameter value exist?) over any provider.
"""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from cfnapi.cloud import messages as msg
from cfnapi.cloud.errors import CloudError, ErrorKind, invalid
from cfnapi.cloud.provider import CloudProvider, Flavor, Image

# vCPUs and RAM (MiB) of the EC2 types templates commonly name, from AWS's instance type tables.
INSTANCE_TYPE_SIZES: dict[str, tuple[int, int]] = {
    "t1.micro": (1, 613),
    "t2.nano": (1, 512), "t2.micro": (1, 1024), "t2.small": (1, 2048), "t2.medium": (2, 4096),
    "t2.large": (2, 8192), "t2.xlarge": (4, 16384), "t2.2xlarge": (8, 32768),
    "t3.nano": (2, 512), "t3.micro": (2, 1024), "t3.small": (2, 2048), "t3.medium": (2, 4096),
    "t3.large": (2, 8192), "t3.xlarge": (4, 16384), "t3.2xlarge": (8, 32768),
    "t3a.nano": (2, 512), "t3a.micro": (2, 1024), "t3a.small": (2, 2048), "t3a.medium": (2, 4096),
    "t3a.large": (2, 8192), "t3a.xlarge": (4, 16384), "t3a.2xlarge": (8, 32768),
    "t4g.nano": (2, 512), "t4g.micro": (2, 1024), "t4g.small": (2, 2048), "t4g.medium": (2, 4096),
    "t4g.large": (2, 8192), "t4g.xlarge": (4, 16384), "t4g.2xlarge": (8, 32768),
    "m1.small": (1, 1740), "m1.medium": (1, 3840), "m1.large": (2, 7680), "m1.xlarge": (4, 15360),
    "m2.xlarge": (2, 17510), "m2.2xlarge": (4, 35021), "m2.4xlarge": (8, 70042),
    "m3.medium": (1, 3840), "m3.large": (2, 7680), "m3.xlarge": (4, 15360), "m3.2xlarge": (8, 30720),
    "m4.large": (2, 8192), "m4.xlarge": (4, 16384), "m4.2xlarge": (8, 32768), "m4.4xlarge": (16, 65536),
    "m4.10xlarge": (40, 163840), "m4.16xlarge": (64, 262144),
    "m5.large": (2, 8192), "m5.xlarge": (4, 16384), "m5.2xlarge": (8, 32768), "m5.4xlarge": (16, 65536),
    "m5.8xlarge": (32, 131072), "m5.12xlarge": (48, 196608),
    "m6i.large": (2, 8192), "m6i.xlarge": (4, 16384), "m6i.2xlarge": (8, 32768),
    "c1.medium": (2, 1740), "c1.xlarge": (8, 7168),
    "c3.large": (2, 3840), "c3.xlarge": (4, 7680), "c3.2xlarge": (8, 15360), "c3.4xlarge": (16, 30720),
    "c3.8xlarge": (32, 61440),
    "c4.large": (2, 3840), "c4.xlarge": (4, 7680), "c4.2xlarge": (8, 15360), "c4.4xlarge": (16, 30720),
    "c4.8xlarge": (36, 61440),
    "c5.large": (2, 4096), "c5.xlarge": (4, 8192), "c5.2xlarge": (8, 16384), "c5.4xlarge": (16, 32768),
    "c5.9xlarge": (36, 73728),
    "r3.large": (2, 15616), "r3.xlarge": (4, 31232), "r3.2xlarge": (8, 62464), "r3.4xlarge": (16, 124928),
    "r3.8xlarge": (32, 249856),
    "r5.large": (2, 16384), "r5.xlarge": (4, 32768), "r5.2xlarge": (8, 65536), "r5.4xlarge": (16, 131072),
}


NAMING_SECTION_KEYS = frozenset({"instance_types", "instance_type_sizes", "availability_zones"})


@dataclass(frozen=True)
class NamingConfig:
    """The ``aws_naming`` section of a cloud config; every part optional."""

    # InstanceType -> flavor name or id, bypassing the size table.
    instance_types: Mapping[str, str] = field(default_factory=dict)
    # Extra or corrected sizes: InstanceType -> (vcpus, ram_mb).
    instance_type_sizes: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    # AWS zone name -> cloud zone, overriding the in-order mapping.
    availability_zones: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any] | None) -> NamingConfig:
        raw = raw or {}
        if not isinstance(raw, Mapping):
            raise ValueError("aws_naming must be a mapping")
        # A misspelt key would otherwise be ignored and the override silently not apply.
        unknown = set(raw) - NAMING_SECTION_KEYS
        if unknown:
            raise ValueError(f"unknown aws_naming keys {sorted(unknown)}; known: {sorted(NAMING_SECTION_KEYS)}")
        sizes = {name: (int(v["vcpus"]), int(v["ram"])) for name, v in (raw.get("instance_type_sizes") or {}).items()}
        return cls(
            instance_types=dict(raw.get("instance_types") or {}),
            instance_type_sizes=sizes,
            availability_zones=dict(raw.get("availability_zones") or {}),
        )


def load_naming_file(path: str | Path) -> NamingConfig:
    """The ``aws_naming`` section of a YAML file (``--naming-config``, any provider).

    The file has the sim cloud config's shape, so one file can serve both: only its
    ``aws_naming`` key is read. Raises ValueError naming the file when it is unusable.
    """
    source = Path(path)
    try:
        raw = yaml.safe_load(source.read_text())
        if not isinstance(raw, Mapping) or "aws_naming" not in raw:
            raise ValueError("expected a mapping with an aws_naming section at the top level")
        return NamingConfig.from_mapping(raw["aws_naming"])
    except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"{source}: {exc}") from exc


def smallest_fitting_flavor(flavors: Sequence[Flavor], vcpus: int, ram_mb: int) -> Flavor | None:
    fitting = [f for f in flavors if f.vcpus >= vcpus and f.ram_mb >= ram_mb]
    return min(fitting, key=lambda f: (f.vcpus, f.ram_mb, f.disk_gb, f.name), default=None)


class CloudNaming:
    """Resolves AWS names against one provider."""

    def __init__(self, provider: CloudProvider, config: NamingConfig | None = None):
        self.provider = provider
        self.config = config or NamingConfig()

    def flavor_for(self, instance_type: str) -> Flavor:
        named = self.config.instance_types.get(instance_type)
        flavors = self.provider.list_flavors()
        if named:
            match = next((f for f in flavors if named in (f.id, f.name)), None)
            if match is None:
                raise msg.flavor_not_found(named)
            return match
        size = self.config.instance_type_sizes.get(instance_type) or INSTANCE_TYPE_SIZES.get(instance_type)
        if size is None:
            # A flavor may be named directly (an OpenStack user writing "m1.small").
            match = next((f for f in flavors if instance_type in (f.id, f.name)), None)
            if match is None:
                raise invalid(f"Invalid value '{instance_type}' for InstanceType: no flavor of this cloud is "
                              "mapped to it (add it under aws_naming.instance_types in the cloud config "
                              "or the --naming-config file).")
            return match
        vcpus, ram_mb = size
        match = smallest_fitting_flavor(flavors, vcpus, ram_mb)
        if match is None:
            raise invalid(f"InstanceType {instance_type} needs {vcpus} vCPUs and {ram_mb} MB of RAM; "
                          "no flavor of this cloud is that large.")
        return match

    def image_for(self, image_id: str) -> Image:
        """An AMI-style ImageId names a Glance image by id or by name."""
        image = self.provider.find_image(image_id)
        if image is None:
            raise msg.image_not_found(image_id)
        return image

    def aws_availability_zones(self, region: str) -> list[str]:
        """``region`` + a, b, c … for each of the cloud's zones, in the cloud's order."""
        zones = [z.name for z in self.provider.list_availability_zones() if z.available]
        return [f"{region}{letter}" for letter, _ in zip(string.ascii_lowercase, zones)]

    def cloud_zone_for(self, aws_zone: str, region: str | None = None) -> str:
        """The cloud zone behind an AWS zone name; a cloud zone's own name is accepted too."""
        if aws_zone in self.config.availability_zones:
            return self.config.availability_zones[aws_zone]
        zones = [z.name for z in self.provider.list_availability_zones() if z.available]
        if aws_zone in zones:
            return aws_zone
        prefix, letter = aws_zone[:-1], aws_zone[-1:]
        if letter in string.ascii_lowercase and (region is None or prefix == region) and prefix:
            index = string.ascii_lowercase.index(letter)
            if index < len(zones):
                return zones[index]
        raise invalid(f"Invalid availability zone: [{aws_zone}]")

    def aws_zone_for(self, cloud_zone: str, region: str) -> str:
        """The AWS-style name users see for a cloud zone (GetAtt AvailabilityZone)."""
        for aws_name, mapped in self.config.availability_zones.items():
            if mapped == cloud_zone and aws_name.startswith(region):
                return aws_name
        zones = [z.name for z in self.provider.list_availability_zones() if z.available]
        if cloud_zone in zones and zones.index(cloud_zone) < len(string.ascii_lowercase):
            return f"{region}{string.ascii_lowercase[zones.index(cloud_zone)]}"
        return cloud_zone


class ProviderCloudLookup:
    """The template package's ``CloudLookup``: existence checks for AWS-specific parameter types."""

    def __init__(self, provider: CloudProvider, naming: CloudNaming | None = None):
        self.provider = provider
        self.naming = naming or CloudNaming(provider)

    def exists(self, parameter_type: str, value: str) -> bool:
        """True when the value names something in the cloud; types it cannot check pass."""
        check = {
            "AWS::EC2::KeyPair::KeyName": lambda: self.provider.get_keypair(value),
            "AWS::EC2::Image::Id": lambda: self.naming.image_for(value),
            "AWS::EC2::Instance::Id": lambda: self.provider.get_server(value),
            "AWS::EC2::SecurityGroup::Id": lambda: self.provider.get_security_group(value),
            "AWS::EC2::SecurityGroup::GroupName": lambda: self._group_by_name(value),
            "AWS::EC2::Subnet::Id": lambda: self.provider.get_subnet(value),
            "AWS::EC2::VPC::Id": lambda: self.provider.get_network(value),
            "AWS::EC2::Volume::Id": lambda: self.provider.get_volume(value),
            "AWS::EC2::AvailabilityZone::Name": lambda: self.naming.cloud_zone_for(value),
        }.get(parameter_type)
        if check is None:
            return True
        try:
            check()
        except CloudError as exc:
            if exc.kind in (ErrorKind.NOT_FOUND, ErrorKind.INVALID):
                return False
            raise
        return True

    def availability_zones(self, region: str) -> list[str]:
        return self.naming.aws_availability_zones(region)

    def _group_by_name(self, name: str) -> None:
        group = self.provider.find_security_group(name)
        if group is None or group.name != name:
            raise msg.security_group_not_found(name)
