"""Operator verbs on the sim that no project API offers: forcing a server's
status as a hypervisor failure would (``cfnapi sim set-server-status``)."""

from __future__ import annotations

from sqlalchemy import select

from cfnapi.cloud import messages as msg
from cfnapi.cloud.provider import Server
from cfnapi.cloud.sim import models as m
from cfnapi.cloud.sim.cloud import SimCloud
from cfnapi.cloud.sim.config import SimConfig
from cfnapi.db import Database


def set_server_status(db: Database, config: SimConfig, server_id: str, status: str,
                      fault: str | None = None) -> Server:
    """Put any project's server into ``status`` (ERROR, SHUTOFF, ACTIVE, BUILD)."""
    with db.transaction() as session:
        project_id = session.scalar(select(m.SimServer.project_id).where(m.SimServer.id == server_id))
    if project_id is None:
        raise msg.server_not_found(server_id)
    if status == "ERROR" and fault is None:
        fault = "Forced into ERROR by the operator (cfnapi sim set-server-status)"
    return SimCloud(db, project_id, config).force_server_status(server_id, status, fault)
