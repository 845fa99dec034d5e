"""Start a real ``cfnapi serve`` subprocess on a free loopback port and stop it.

Used by the end-to-end tests, the conformance suite and the benchmarks: each
drives the server only through real clients, as a user would.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

# Never go through a proxy: tests talk to loopback only.
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))

TEST_ACCESS_KEY = "AKIACFNAPITESTADMIN0"
TEST_SECRET_KEY = "cfnapi-test-secret-key-0123456789abcdefgh"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def client_environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for any AWS client subprocess: explicit credentials, no IMDS, loopback only."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_EC2_METADATA_DISABLED="true",
        AWS_ACCESS_KEY_ID=TEST_ACCESS_KEY,
        AWS_SECRET_ACCESS_KEY=TEST_SECRET_KEY,
        AWS_DEFAULT_REGION="us-east-1",
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        NO_PROXY="127.0.0.1,localhost",
    )
    env.update(extra or {})
    return env


@dataclass
class RunningServer:
    data_dir: Path
    port: int
    process: subprocess.Popen
    log_path: Path
    extra_args: list[str] = field(default_factory=list)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log_path.read_text().splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)

    def kill(self) -> None:
        self.stop(signal.SIGKILL)


def _process_environment(env: dict[str, str] | None, admin_from_env: bool) -> dict[str, str]:
    server_env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    server_env.update(AWS_EC2_METADATA_DISABLED="true", CFNAPI_ALARM_INTERVAL="1")
    if admin_from_env:
        server_env.update(CFNAPI_ACCESS_KEY_ID=TEST_ACCESS_KEY, CFNAPI_SECRET_ACCESS_KEY=TEST_SECRET_KEY)
    server_env.update(env or {})
    return server_env


def start_server(
    data_dir: Path,
    *,
    port: int | None = None,
    extra_args: list[str] | None = None,
    env: dict[str, str] | None = None,
    admin_from_env: bool = True,
    timeout: float = 60.0,
    command: str = "serve",
) -> RunningServer:
    """``cfnapi serve`` (or ``command="api"``), ready once /healthz answers."""
    port = port or free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    log_path = data_dir / f"server-{port}.log"
    argv = [sys.executable, "-m", "cfnapi", command, "--host", "127.0.0.1", "--port", str(port),
            "--data-dir", str(data_dir), *(extra_args or [])]
    with open(log_path, "ab") as log:
        process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                                   env=_process_environment(env, admin_from_env))
    server = RunningServer(data_dir, port, process, log_path, list(extra_args or []))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"cfnapi serve exited with {process.returncode}:\n{server.log_tail()}")
        try:
            with _DIRECT.open(f"{server.endpoint}/healthz", timeout=2) as response:
                if response.status == 200:
                    return server
        except OSError:
            time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"cfnapi serve did not become ready in {timeout}s:\n{server.log_tail()}")


# What ``StackWorker.start`` logs once it is claiming work.
_WORKER_READY = re.compile(r"stack worker \S+ started")


def start_worker(
    data_dir: Path,
    name: str,
    *,
    extra_args: list[str] | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 60.0,
) -> RunningServer:
    """``cfnapi worker`` (no HTTP port: ``port`` is 0), ready once its stack worker started.
    Its log is ``data_dir / f"worker-{name}.log"``."""
    data_dir.mkdir(parents=True, exist_ok=True)
    log_path = data_dir / f"worker-{name}.log"
    argv = [sys.executable, "-m", "cfnapi", "worker", "--data-dir", str(data_dir), *(extra_args or [])]
    with open(log_path, "ab") as log:
        process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                                   env=_process_environment(env, admin_from_env=True))
    worker = RunningServer(data_dir, 0, process, log_path, list(extra_args or []))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"cfnapi worker exited with {process.returncode}:\n{worker.log_tail()}")
        if _WORKER_READY.search(worker.log_tail(400)):
            return worker
        time.sleep(0.1)
    worker.stop()
    raise RuntimeError(f"cfnapi worker did not start in {timeout}s:\n{worker.log_tail()}")
