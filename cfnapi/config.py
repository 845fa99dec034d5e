"""Settings of one cfnapi process, from command-line flags and environment."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


def _env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value else default


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8000
    data_dir: Path = Path("./data")
    region: str = "us-east-1"
    database_url: str | None = None  # None: SQLite (WAL) in data_dir
    cloud: str = "sim"  # "sim" (embedded simulated OpenStack) or "openstack"
    cloud_name: str | None = None  # clouds.yaml entry for the openstack provider
    # clouds.yaml entry cfnapi authenticates as to verify Keystone EC2 credentials
    # (/v3/ec2tokens); None: only cfnapi's own credentials are accepted.
    keystone_auth_cloud: str | None = None
    cloud_config: Path | None = None  # sim seed file overriding the shipped default
    threads: int = 16  # WSGI worker threads
    run_api: bool = True
    run_worker: bool = True  # stack engine worker and alarm evaluator
    alarm_interval: float = field(default_factory=lambda: _env_float("CFNAPI_ALARM_INTERVAL", 60.0))
    public_endpoint: str | None = None  # base URL agents reach us at (signal URLs); default http://host:port
    max_request_bytes: int = 2 * 1024 * 1024  # whole HTTP body, before any decoding

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'cfnapi.sqlite').resolve()}"

    @property
    def credentials_file(self) -> Path:
        return self.data_dir / "credentials"
