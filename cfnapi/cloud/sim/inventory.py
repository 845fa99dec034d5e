"""Everything the sim holds, by kind: what ``cfnapi sim show`` prints and tests compare.

Each entry is ``{"id", "name", "project_id", ...}``; ``project_id`` None marks
a seeded, shared resource.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy import or_, select

from cfnapi.cloud.sim import models as m
from cfnapi.cloud.sim.compute import observed_server_status
from cfnapi.cloud.sim.config import SimConfig, load_config
from cfnapi.cloud.sim.storage import observed_volume_status
from cfnapi.cloud.sim.seed import seed_rows
from cfnapi.db import Base, Database

Entry = dict[str, Any]

# kind -> (table, how one row is described beyond id/name/project)
_KINDS: dict[str, tuple[type[Base], Callable[[Any], Entry]]] = {
    "availability_zones": (m.SimAvailabilityZone, lambda r: {"id": r.name, "name": r.name}),
    "flavors": (m.SimFlavor, lambda r: {"vcpus": r.vcpus, "ram_mb": r.ram_mb, "disk_gb": r.disk_gb}),
    "images": (m.SimImage, lambda r: {}),
    "keypairs": (m.SimKeyPair, lambda r: {"fingerprint": r.fingerprint}),
    "networks": (m.SimNetwork, lambda r: {"external": r.is_external, "tags": list(r.tags or [])}),
    "subnets": (m.SimSubnet, lambda r: {"cidr": r.cidr, "network_id": r.network_id, "tags": list(r.tags or [])}),
    "ports": (m.SimPort, lambda r: {"mac_address": r.mac_address, "device_id": r.device_id,
                                    "security_group_ids": list(r.security_group_ids or []), "tags": list(r.tags or [])}),
    "routers": (m.SimRouter, lambda r: {"external_ip": r.external_ip}),
    "floating_ips": (m.SimFloatingIp, lambda r: {"name": r.address, "port_id": r.port_id, "tags": list(r.tags or [])}),
    "security_groups": (m.SimSecurityGroup, lambda r: {"tags": list(r.tags or [])}),
    "security_group_rules": (
        m.SimSecurityGroupRule,
        lambda r: {"name": f"{r.direction} {r.ethertype} {r.protocol or 'any'}", "group_id": r.security_group_id},
    ),
    "servers": (m.SimServer, lambda r: {"status": r.status, "flavor_id": r.flavor_id,
                                        "metadata": dict(r.server_metadata or {})}),
    "volumes": (m.SimVolume, lambda r: {"size_gb": r.size_gb, "status": r.status, "backup_id": r.backup_id,
                                        "metadata": dict(r.volume_metadata or {})}),
    "volume_snapshots": (m.SimVolumeSnapshot, lambda r: {"volume_id": r.volume_id}),
    "volume_backups": (m.SimVolumeBackup, lambda r: {"volume_id": r.volume_id, "size_gb": r.size_gb}),
    "containers": (m.SimContainer, lambda r: {}),
}


def describe(kind: str, row: Any) -> Entry:
    _, extra = _KINDS[kind]
    entry = {"id": getattr(row, "id", None), "name": getattr(row, "name", ""),
             "project_id": getattr(row, "project_id", None)}
    entry.update(extra(row))
    return entry


def inventory(db: Database, project_id: str | None = None, config: SimConfig | None = None,
              now: dt.datetime | None = None) -> dict[str, list[Entry]]:
    """Ids and names of everything, seed included; with a project, only what it can see.

    Server and volume statuses are the ones the sim's API reports at ``now``
    under ``config`` (default: the shipped config), not the stored ones."""
    behaviour = (config or load_config()).behaviour
    now = now or dt.datetime.now(dt.timezone.utc)
    result: dict[str, list[Entry]] = {}
    with db.transaction() as session:
        for kind, (model, _) in _KINDS.items():
            query = select(model)
            if project_id is not None and hasattr(model, "project_id"):
                query = query.where(or_(model.project_id == project_id, model.project_id.is_(None)))
            entries = []
            for row in session.scalars(query):
                entry = describe(kind, row)
                if model is m.SimServer:
                    entry["status"] = observed_server_status(row, behaviour, now)
                elif model is m.SimVolume:
                    entry["status"] = observed_volume_status(row, behaviour.volume_create_seconds, now)
                entries.append(entry)
            result[kind] = sorted(entries, key=lambda e: (e["project_id"] is not None, str(e["name"]), str(e["id"])))
    return result


def seed_inventory(config: SimConfig) -> dict[str, list[Entry]]:
    """The inventory a freshly seeded database has."""
    by_model = {model: kind for kind, (model, _) in _KINDS.items()}
    result: dict[str, list[Entry]] = {kind: [] for kind in _KINDS}
    for row in seed_rows(config):
        kind = by_model.get(type(row))
        if kind:
            result[kind].append(describe(kind, row))
    return result


def differences_from_seed(
    db: Database, config: SimConfig, project_id: str | None = None
) -> dict[str, dict[str, list[Entry]]]:
    """What exists beyond the seed ("added") and what of the seed is gone ("removed").

    An empty result means the cloud is exactly as seeded — the proof that a
    stack's delete left nothing behind.
    """
    actual = inventory(db, project_id, config)
    expected = seed_inventory(config)
    differences: dict[str, dict[str, list[Entry]]] = {}
    for kind in _KINDS:
        expected_ids = {e["id"] for e in expected[kind]}
        actual_ids = {e["id"] for e in actual[kind]}
        added = [e for e in actual[kind] if e["id"] not in expected_ids]
        removed = [e for e in expected[kind] if e["id"] not in actual_ids]
        if added or removed:
            differences[kind] = {"added": added, "removed": removed}
    return differences
