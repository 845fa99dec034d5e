"""Keystone trusts that let cfnapi act in a project when no signed request is at hand.

A Keystone project's stacks normally run with the token Keystone issued when
it verified the project's last signed request (``cfnapi.auth.keystone_ec2``).
That token lives in memory only, so after a restart — or in a ``cfnapi
worker`` separate from the API, or once it expires mid-operation — cfnapi has
no way to act in the project. A trust fills the gap: a user of the project
delegates roles in it to cfnapi's service user (the trustor makes it with a
normal login, ``openstack trust create --project P --role member USER
cfnapi``; Keystone refuses to make trusts from tokens minted by
``/v3/ec2tokens``, so cfnapi cannot make it for them).

cfnapi stores nothing for this: Keystone already holds the trust, and cfnapi's
service user may list the trusts naming it as trustee. A trust-scoped token is
then obtained with cfnapi's own service login, and keystoneauth renews it as
needed for as long as the trust stands. Deleting the trust revokes it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

from cfnapi.cloud.errors import from_sdk_exception

# Scoping keys of a clouds.yaml auth section: a trust carries its own scope,
# and Keystone refuses a request scoped to a project and a trust at once.
_SCOPE_KEYS = ("project_id", "project_name", "project_domain_id", "project_domain_name",
               "domain_id", "domain_name", "system_scope", "tenant_id", "tenant_name")


@dataclass(frozen=True)
class Trust:
    id: str
    project_id: str
    trustor_user_id: str


def usable_trusts(trusts, project_id: str, now: datetime) -> list[Trust]:
    """The trusts for ``project_id`` that still work: unexpired and with unlimited uses
    (every token renewal spends a use, so a counted trust would run out mid-stack)."""
    found = []
    for trust in trusts:
        expires = _parse_time(getattr(trust, "expires_at", None))
        if trust.project_id != project_id or (expires is not None and expires <= now):
            continue
        if getattr(trust, "remaining_uses", None) is not None:
            continue
        found.append(Trust(trust.id, trust.project_id, trust.trustor_user_id))
    return sorted(found, key=lambda t: t.id)  # the same one every time when a project has several


def _parse_time(value) -> datetime | None:
    if not value:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


class ProjectTrusts:
    """Finds the trust a project gave cfnapi's service user, and connects through it.

    ``service`` is the openstacksdk connection of cfnapi's service user (the
    ``--keystone-auth-cloud`` cloud). Lookups are cached for ``cache_seconds``,
    so a trust made or deleted is noticed that much later at most.
    """

    def __init__(self, service, region_name: str | None, cache_seconds: float = 30.0,
                 clock: Callable[[], float] = time.monotonic):
        self.service, self.region_name = service, region_name
        self.cache_seconds, self.clock = cache_seconds, clock
        self._found: dict[str, tuple[float, Trust | None]] = {}  # project -> (looked up at, trust)
        self._lock = threading.Lock()

    def trust_for(self, project_id: str) -> Trust | None:
        with self._lock:
            cached = self._found.get(project_id)
        if cached is not None and self.clock() - cached[0] < self.cache_seconds:
            return cached[1]
        try:
            trusts = list(self.service.identity.trusts(trustee_user_id=self.service.current_user_id))
        except Exception as exc:  # Keystone unreachable or refusing: classified, so the engine may retry
            raise from_sdk_exception(exc) from exc
        found = usable_trusts(trusts, project_id, datetime.now(timezone.utc))
        trust = found[0] if found else None
        with self._lock:
            self._found[project_id] = (self.clock(), trust)
        return trust

    def connect(self, trust: Trust):
        """An openstacksdk connection in the trust's project, as cfnapi's service user."""
        import openstack.connection
        from keystoneauth1 import loading, session

        auth = {k: v for k, v in self.service.config.config["auth"].items() if k not in _SCOPE_KEYS}
        plugin = loading.get_plugin_loader("password").load_from_options(**auth, trust_id=trust.id)
        return openstack.connection.Connection(session=session.Session(auth=plugin), region_name=self.region_name)
