"""Settings of one cfnapi process, from command-line flags and environment."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

# The credential store's default (cfnapi.auth.store.CREDENTIAL_CACHE_TTL_SECONDS;
# a test keeps the two equal without importing the database layer here).
CREDENTIAL_CACHE_SECONDS = 30.0


def _env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value else default


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8000
    # Extra ports on the same host, serving the same API: heat-cfntools' agents
    # hard-code 8000 (CloudFormation) and 8003 (CloudWatch) with path /v1.
    agent_ports: tuple[int, ...] = ()
    data_dir: Path = Path("./data")
    region: str = "us-east-1"
    database_url: str | None = None  # None: SQLite (WAL) in data_dir
    cloud: str = "sim"  # "sim" (embedded simulated OpenStack) or "openstack"
    cloud_name: str | None = None  # clouds.yaml entry for the openstack provider
    # clouds.yaml entry cfnapi authenticates as to verify Keystone EC2 credentials
    # (/v3/ec2tokens); None: only cfnapi's own credentials are accepted.
    keystone_auth_cloud: str | None = None
    cloud_config: Path | None = None  # sim seed file overriding the shipped default
    # YAML file whose aws_naming section maps InstanceType -> flavor etc., for any provider;
    # on the sim it replaces the cloud config's own aws_naming section.
    naming_config: Path | None = None
    threads: int = 16  # WSGI worker threads
    run_api: bool = True
    run_worker: bool = True  # stack engine worker and alarm evaluator
    alarm_interval: float = field(default_factory=lambda: _env_float("CFNAPI_ALARM_INTERVAL", 60.0))
    # How often the scaling worker checks every group (members' health, launches, terminations).
    scaling_interval: float = field(default_factory=lambda: _env_float("CFNAPI_SCALING_INTERVAL", 5.0))
    # How long a worker's claim on a stack lasts without renewal: after a worker dies, another
    # takes its stacks over this much later (PostgreSQL; on SQLite a restart takes over at once).
    lease_seconds: float = field(default_factory=lambda: _env_float("CFNAPI_LEASE_SECONDS", 60.0))
    stack_threads: int = field(default_factory=lambda: int(_env_float("CFNAPI_STACK_THREADS", 8)))  # stacks at once
    public_endpoint: str | None = None  # base URL agents reach us at (signal URLs); default http://host:port
    max_request_bytes: int = 2 * 1024 * 1024  # whole HTTP body, before any decoding
    # How long a process trusts a credential it has read. Writes in the same
    # process are seen at once; a key deleted or deactivated by another process
    # (`cfnapi credentials delete`, a separate `cfnapi worker`) still works here
    # for up to this long. 0 reads the database on every request.
    credential_cache_seconds: float = field(
        default_factory=lambda: _env_float("CFNAPI_CREDENTIAL_CACHE_SECONDS", CREDENTIAL_CACHE_SECONDS)
    )

    @property
    def listen_ports(self) -> tuple[int, ...]:
        """The main port first, then each agent port once."""
        return tuple(dict.fromkeys((self.port, *self.agent_ports)))
    template_file_root: Path | None = None  # file:// TemplateURLs are read only below this directory
    template_url_allow_private: bool = False  # TemplateURL may fetch loopback/private addresses

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'cfnapi.sqlite').resolve()}"

    @property
    def credentials_file(self) -> Path:
        return self.data_dir / "credentials"
