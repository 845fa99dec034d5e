"""What the config puts in the database before any project acts: one plan, used twice.

``seed_rows`` is the plan; ``seed`` inserts what is missing (so seeding is
idempotent and safe for several workers), and ``inventory.differences_from_seed``
compares the live inventory against the same plan.
"""

from __future__ import annotations

from sqlalchemy import inspect

from cfnapi.cloud.sim import ipam
from cfnapi.cloud.sim import models as m
from cfnapi.cloud.sim.config import SeedNetwork, SimConfig, seed_id
from cfnapi.cloud.sim.identity import public_key_fingerprint
from cfnapi.cloud.sim.quotas import DEFAULTS_KEY
from cfnapi.db import Base, Database


def seed_rows(config: SimConfig) -> list[Base]:
    """Every seeded row, parents before children; shared rows have no project."""
    rows: list[Base] = [m.SimAvailabilityZone(name=z, position=i) for i, z in enumerate(config.availability_zones)]
    rows += [m.SimImage(id=i.id, project_id=None, name=i.name, status="active",
                        min_disk_gb=i.min_disk_gb, min_ram_mb=i.min_ram_mb) for i in config.images]
    rows += [m.SimFlavor(id=f.id, name=f.name, vcpus=f.vcpus, ram_mb=f.ram_mb, disk_gb=f.disk_gb)
             for f in config.flavors]
    for keypair in config.keypairs:
        fingerprint = public_key_fingerprint(keypair.public_key)
        if fingerprint is None:
            raise ValueError(f"keypair {keypair.name!r}: the public key is not an OpenSSH public key")
        rows.append(m.SimKeyPair(id=seed_id("keypair", keypair.name), project_id=None, name=keypair.name,
                                 public_key=keypair.public_key, fingerprint=fingerprint))
    rows += _network_rows(config.external_network, external=True)
    rows += _network_rows(config.default_network, external=False)
    group_id = config.default_security_group_id
    rows.append(m.SimSecurityGroup(id=group_id, project_id=None, name=config.default_security_group,
                                   description="Default security group"))
    # Neutron's default group: all egress, and ingress from members of the group itself.
    for direction in ("egress", "ingress"):
        for ethertype in ("IPv4", "IPv6"):
            rows.append(m.SimSecurityGroupRule(
                id=seed_id("security_group_rule", f"{config.default_security_group}/{direction}/{ethertype}"),
                project_id=None, security_group_id=group_id, direction=direction, ethertype=ethertype,
                remote_group_id=group_id if direction == "ingress" else None,
            ))
    rows += [m.SimQuota(project_id=DEFAULTS_KEY, resource=name, hard_limit=limit)
             for name, limit in config.quotas.items()]
    return rows


def _network_rows(network: SeedNetwork, *, external: bool) -> list[Base]:
    gateway = network.gateway_ip or ipam.default_gateway(network.cidr)
    if network.pool_start and network.pool_end:
        pools = [(network.pool_start, network.pool_end)]
    else:
        pools = ipam.default_pools(network.cidr, gateway)
    complaint = ipam.validate_pools(network.cidr, pools, gateway)
    if complaint:
        raise ValueError(f"network {network.name!r}: {complaint}")
    return [
        m.SimNetwork(id=network.network_id, project_id=None, name=network.name,
                     is_external=external, is_shared=True),
        m.SimSubnet(id=network.subnet_id, project_id=None, network_id=network.network_id,
                    name=network.subnet_name, cidr=network.cidr, gateway_ip=gateway,
                    allocation_pools=[list(p) for p in pools], enable_dhcp=not external, dns_nameservers=[]),
    ]


def seed(db: Database, config: SimConfig) -> int:
    """Insert the seeded rows that are missing; returns how many were added.

    Existing rows are left alone, so a project's quota overrides and anything
    created since survive a restart.
    """
    added = 0
    with db.transaction() as session:
        for row in seed_rows(config):
            key = inspect(row).mapper.primary_key_from_instance(row)
            if session.get(type(row), tuple(key)) is None:
                session.add(row)
                session.flush()
                added += 1
    return added
