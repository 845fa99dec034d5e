"""What a server of the embedded sim cloud would see from inside: Nova's
``meta_data.json`` (its uuid, name and metadata tags) and its user data.

Tests use it to make an agent process look like a given server — for
example a scaling-group member — before running heat-cfntools in an
``AgentHost``, the way a real instance learns the same from the metadata
service.
"""

from __future__ import annotations

from dataclasses import dataclass

from cfnapi.cloud.sim.models import SimServer
from cfnapi.db import Database


@dataclass(frozen=True)
class SimInstanceView:
    uuid: str
    name: str
    meta: dict[str, str]
    availability_zone: str
    user_data: str | None

    def nova_meta(self) -> dict:
        """The subset of Nova's meta_data.json that heat-cfntools reads (uuid, meta) and a little more."""
        return {"uuid": self.uuid, "name": self.name, "meta": dict(self.meta),
                "availability_zone": self.availability_zone}


def sim_instance_view(database_url: str, server_id: str) -> SimInstanceView:
    db = Database(database_url)
    try:
        with db.transaction() as session:
            row = session.get(SimServer, server_id)
            if row is None:
                raise LookupError(f"the sim cloud has no server {server_id}")
            return SimInstanceView(row.id, row.name, {str(k): str(v) for k, v in (row.server_metadata or {}).items()},
                                   row.availability_zone, row.user_data)
    finally:
        db.dispose()
