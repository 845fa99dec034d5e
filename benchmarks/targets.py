"""The two servers a benchmark run compares: ``cfnapi serve`` and moto's server,
each a subprocess on a free loopback port, with boto3 clients and peak RSS."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import boto3
from botocore.config import Config

from cfnapi.testing.server import TEST_ACCESS_KEY, TEST_SECRET_KEY, client_environment, free_port, start_server

# No retries: a throttled or failed call must show up, not be hidden in the timing.
# No client-side parameter validation (the same for both servers): the workloads
# are valid, and the benchmark measures the servers, not botocore's validator.
_CLIENT_CONFIG = Config(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=5, read_timeout=300,
                        max_pool_connections=16, parameter_validation=False)


@dataclass
class Target:
    name: str
    endpoint: str
    pid: int
    stop: Callable[[], None]

    def client(self, service: str):
        return boto3.Session().client(
            service, endpoint_url=self.endpoint, region_name="us-east-1",
            aws_access_key_id=TEST_ACCESS_KEY, aws_secret_access_key=TEST_SECRET_KEY, config=_CLIENT_CONFIG,
        )

    def cpu_seconds(self) -> float | None:
        """User + system CPU time of the server process so far (Linux): steadier than
        wall time on a machine shared with other work."""
        try:
            fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def peak_rss_mb(self) -> float | None:
        """VmHWM of the server process: its peak resident set so far (Linux)."""
        try:
            for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        except OSError:
            return None
        return None


def start_cfnapi() -> Target:
    data_dir = Path(tempfile.mkdtemp(prefix="cfnapi-bench-"))
    # A long alarm interval: the evaluator must not compete with the workloads being timed.
    server = start_server(data_dir, env={"CFNAPI_ALARM_INTERVAL": "3600"})
    return Target("cfnapi", server.endpoint, server.process.pid, server.stop)


def start_moto() -> Target:
    port = free_port()
    log = open(tempfile.mktemp(prefix="moto-bench-", suffix=".log"), "wb")
    process = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                               stdout=log, stderr=subprocess.STDOUT, env=client_environment())
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"moto server exited with {process.returncode} (log: {log.name})")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            time.sleep(0.1)
    else:
        process.kill()
        raise RuntimeError("moto server did not start in 60 s")

    def stop() -> None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()

    return Target("moto", f"http://127.0.0.1:{port}", process.pid, stop)
