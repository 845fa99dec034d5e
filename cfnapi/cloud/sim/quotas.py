"""Quota limits (from the config, overridable per project) and usage counted from the tables.

Usage is counted, never tracked, as Nova has done since Pike: nothing can drift.
"""

from __future__ import annotations

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from cfnapi.cloud.sim import models as m
from cfnapi.cloud.sim.config import QUOTA_RESOURCES

DEFAULTS_KEY = ""  # SimQuota.project_id of the config's defaults


def limit_for(session: Session, project_id: str, resource: str) -> int:
    rows = dict(
        session.execute(
            select(m.SimQuota.project_id, m.SimQuota.hard_limit).where(
                m.SimQuota.resource == resource,
                m.SimQuota.project_id.in_((project_id, DEFAULTS_KEY)),
            )
        ).all()
    )
    return rows.get(project_id, rows.get(DEFAULTS_KEY, -1))


def lock_project_usage(session: Session, project_id: str) -> None:
    """Hold this project's quota lock until the transaction ends, so that counting the
    usage and inserting the new row are one step for concurrent workers on PostgreSQL
    (else two creates both count N-1 and both pass). An advisory lock, not a row lock
    as the subnet allocation takes: no row per project is sure to exist (limits fall
    back to the config's defaults), and one lock per project covers quotas that span
    tables (gigabytes) without any lock-order deadlock. SQLite serialises writers."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
                        {"key": f"cfnapi-sim-quota:{project_id}"})


def set_limit(session: Session, project_id: str, resource: str, hard_limit: int) -> None:
    if resource not in QUOTA_RESOURCES:
        raise ValueError(f"unknown quota resource {resource!r}")
    row = session.get(m.SimQuota, (project_id, resource))
    if row is None:
        session.add(m.SimQuota(project_id=project_id, resource=resource, hard_limit=hard_limit))
    else:
        row.hard_limit = hard_limit


# resource -> (table, column summed; None counts rows).  Cinder's "gigabytes"
# covers volumes and snapshots alike, so it sums over both tables.
_USAGE = {
    "instances": ((m.SimServer, None),),
    "cores": ((m.SimServer, m.SimServer.vcpus),),
    "ram": ((m.SimServer, m.SimServer.ram_mb),),
    "key_pairs": ((m.SimKeyPair, None),),
    "volumes": ((m.SimVolume, None),),
    "snapshots": ((m.SimVolumeSnapshot, None),),
    "gigabytes": ((m.SimVolume, m.SimVolume.size_gb), (m.SimVolumeSnapshot, m.SimVolumeSnapshot.size_gb)),
    "backups": ((m.SimVolumeBackup, None),),
    "backup_gigabytes": ((m.SimVolumeBackup, m.SimVolumeBackup.size_gb),),
    "network": ((m.SimNetwork, None),),
    "subnet": ((m.SimSubnet, None),),
    "port": ((m.SimPort, None),),
    "router": ((m.SimRouter, None),),
    "floatingip": ((m.SimFloatingIp, None),),
    "security_group": ((m.SimSecurityGroup, None),),
    "security_group_rule": ((m.SimSecurityGroupRule, None),),
}


def usage(session: Session, project_id: str, resource: str) -> int:
    total = 0
    for model, column in _USAGE[resource]:
        measure = func.count() if column is None else func.coalesce(func.sum(column), 0)
        total += int(session.scalar(select(measure).select_from(model).where(model.project_id == project_id)))
    return total
