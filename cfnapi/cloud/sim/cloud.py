"""``SimCloud``: the provider interface over the embedded simulated OpenStack."""

from __future__ import annotations

from cfnapi.cloud.sim import quotas
from cfnapi.cloud.sim.compute import SimComputeService


class SimCloud(SimComputeService):
    """All the sim's verbs for one project: ``SimCloud(db, project_id, config, clock=...)``.

    The services are split by OpenStack service (compute → network, storage);
    this class only adds project administration used by tests and operators.
    """

    def set_quota(self, resource: str, hard_limit: int) -> None:
        """Give this project its own limit for one resource (-1: unlimited)."""
        with self._transaction() as session:
            quotas.set_limit(session, self.project_id, resource, hard_limit)
