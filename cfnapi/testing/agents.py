"""Run the real heat-cfntools agents (cfn-push-stats, cfn-signal, cfn-get-metadata,
cfn-hup) as subprocesses against a cfnapi server on this machine.

The agents read fixed system paths — their boto config, the Nova metadata
cache, cfn-hup's main config, their metadata cache and log files — and two
fixed ports (8000 CloudFormation, 8003 CloudWatch). ``AgentHost`` makes this
machine look like one instance for the duration of a ``with`` block:

- it takes an exclusive lock file, so two test runs never share the fixed
  ports or the fixed paths at once;
- it moves any existing ``/var/lib/heat-cfntools``, ``/var/cache/heat-cfntools``
  and ``/etc/cfn`` aside and puts them back afterwards, and restores the
  agents' log files as they were;
- it writes ``nova_meta.json`` before any agent runs. Without that file
  cfn-push-stats and cfn-signal would ask the Nova metadata service at
  169.254.169.254; with it, nothing leaves loopback. ``run`` refuses to start
  an agent if the file is missing;
- the agents get a minimal environment: no proxy variables, a scratch HOME,
  ``AWS_EC2_METADATA_DISABLED=true`` and a boto config naming only 127.0.0.1.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

CLOUDFORMATION_AGENT_PORT = 8000  # heat_cfntools.cfn_helper.Metadata.DEFAULT_PORT
CLOUDWATCH_AGENT_PORT = 8003  # hard-coded in cfn-push-stats
AGENT_PORTS = (CLOUDFORMATION_AGENT_PORT, CLOUDWATCH_AGENT_PORT)
LOCK_PATH = Path(tempfile.gettempdir()) / "cfnapi-heat-cfntools-agents.lock"

STATE_DIR = Path("/var/lib/heat-cfntools")  # boto config, nova_meta.json
CACHE_DIR = Path("/var/cache/heat-cfntools")  # cfn-hup's last_metadata
CONFIG_DIR = Path("/etc/cfn")  # cfn-hup.conf
NOVA_META = STATE_DIR / "nova_meta.json"
BOTO_CONFIG = STATE_DIR / "cfn-boto-cfg"
HUP_CONFIG = CONFIG_DIR / "cfn-hup.conf"
LOG_FILES = tuple(Path("/var/log") / f"cfn-{name}.log"
                  for name in ("push-stats", "signal", "hup", "get-metadata", "init"))

_PROXY_VARIABLES = {"http_proxy", "https_proxy", "all_proxy", "ftp_proxy", "no_proxy"}


class AgentHostUnavailable(Exception):
    """The machine cannot host the agents right now (lock held, port busy, not root)."""


@dataclass(frozen=True)
class Credentials:
    access_key_id: str
    secret_access_key: str


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """Whether a server could listen there; like waitress, ignore connections left in TIME_WAIT."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def agent_binary(name: str) -> str:
    """The console script installed beside this interpreter (the venv's heat-cfntools)."""
    path = Path(sys.executable).with_name(name)
    if not path.exists():
        raise AgentHostUnavailable(f"{name} is not installed beside {sys.executable} (pip install heat-cfntools)")
    return str(path)


class AgentHost:
    """This machine, made to look like one instance that runs heat-cfntools agents."""

    def __init__(self, workdir: Path, lock_timeout: float = 120.0):
        self.workdir = workdir
        self.lock_timeout = lock_timeout
        self.home = workdir / "home"
        self._lock_file = None
        self._moved: dict[Path, Path] = {}  # fixed directory -> where its original waits
        self._taken: list[Path] = []  # fixed directories we made fresh: only these are ever removed
        self._logs: dict[Path, bytes | None] = {}

    # -- entering and leaving ------------------------------------------------
    def __enter__(self) -> AgentHost:
        if os.geteuid() != 0:
            raise AgentHostUnavailable("the heat-cfntools agents write under /var/lib, /var/cache and /etc: "
                                       "run as root")
        self._lock()
        try:
            busy = [port for port in AGENT_PORTS if not port_is_free(port)]
            if busy:
                raise AgentHostUnavailable(f"the agents' fixed port(s) {busy} are in use on 127.0.0.1")
            self._take_over_paths()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        try:
            self._give_back_paths()
        finally:
            if self._lock_file is not None:
                fcntl.flock(self._lock_file, fcntl.LOCK_UN)
                self._lock_file.close()
                self._lock_file = None

    def _lock(self) -> None:
        self._lock_file = open(LOCK_PATH, "a")
        deadline = time.monotonic() + self.lock_timeout
        while True:
            try:
                fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except OSError as error:
                if error.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
            if time.monotonic() > deadline:
                self._lock_file.close()
                self._lock_file = None
                raise AgentHostUnavailable(f"another run holds {LOCK_PATH} (agents' fixed ports and paths)")
            time.sleep(0.5)

    def _take_over_paths(self) -> None:
        _recover_from_crashed_run()
        for directory in (STATE_DIR, CACHE_DIR, CONFIG_DIR):
            if directory.exists() or directory.is_symlink():
                aside = directory.with_name(f"{_aside_prefix(directory)}{os.getpid()}")
                directory.rename(aside)
                self._moved[directory] = aside
            directory.mkdir(parents=True, mode=0o700)
            self._taken.append(directory)
        for log in LOG_FILES:
            self._logs[log] = log.read_bytes() if log.exists() else None
        self.home.mkdir(parents=True, exist_ok=True)

    def _give_back_paths(self) -> None:
        # Only what _take_over_paths did is undone: a host that never got the lock touches nothing.
        while self._taken:
            directory = self._taken.pop()
            shutil.rmtree(directory, ignore_errors=True)
            aside = self._moved.pop(directory, None)
            if aside is not None:
                aside.rename(directory)
        for log, content in self._logs.items():
            if content is None:
                log.unlink(missing_ok=True)
            else:
                log.write_bytes(content)
        self._logs.clear()

    # -- the instance's identity and configuration ---------------------------
    def set_identity(self, instance_id: str, tags: dict[str, str] | None = None) -> None:
        """What Nova's meta_data.json would say: the server's uuid and its metadata tags."""
        self.set_nova_meta({"uuid": instance_id, "meta": dict(tags or {}), "name": f"instance-{instance_id[:8]}"})

    def set_nova_meta(self, nova_meta: dict) -> None:
        """Become a given server (e.g. ``SimInstanceView.nova_meta()``): the cache the agents read first."""
        if not nova_meta.get("uuid"):
            raise ValueError("nova_meta.json needs the server's uuid")
        NOVA_META.write_text(json.dumps(nova_meta))

    def write_boto_config(self, host: str = "127.0.0.1") -> None:
        """The agents' boto 2 config: endpoints on ``host``, no retries, short timeouts."""
        BOTO_CONFIG.write_text(boto_config(host))

    def write_credentials(self, credentials: Credentials, name: str = "cfn-credentials") -> Path:
        path = self.workdir / name
        path.write_text(credentials_file(credentials))
        path.chmod(0o600)
        return path

    def write_hup_config(self, stack: str, credential_file: Path, hooks: dict[str, dict[str, str]],
                         region: str = "us-east-1") -> Path:
        """cfn-hup.conf at its fixed path, and the hooks in a directory of our own (``-c``)."""
        HUP_CONFIG.write_text(hup_config(stack, credential_file, region))
        hooks_dir = self.workdir / "hooks.d"
        hooks_dir.mkdir(exist_ok=True)
        (hooks_dir / "hooks.conf").write_text(hooks_config(hooks))
        return hooks_dir

    # -- running agents ------------------------------------------------------
    def environment(self) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items()
               if key.lower() not in _PROXY_VARIABLES and not key.startswith(("AWS_", "BOTO"))}
        env.update(HOME=str(self.home), BOTO_CONFIG=str(BOTO_CONFIG), AWS_EC2_METADATA_DISABLED="true",
                   no_proxy="*", NO_PROXY="*",
                   PATH=os.pathsep.join([str(Path(sys.executable).parent), "/usr/bin", "/bin"]))
        return env

    def run(self, agent: str, *args: str, timeout: float = 60.0) -> subprocess.CompletedProcess:
        if not NOVA_META.exists():  # without it the agent would ask 169.254.169.254
            raise RuntimeError(f"write {NOVA_META} (set_identity) before running {agent}")
        if not BOTO_CONFIG.exists():
            raise RuntimeError(f"write {BOTO_CONFIG} (write_boto_config) before running {agent}")
        return subprocess.run([agent_binary(agent), *args], capture_output=True, text=True,
                              env=self.environment(), cwd=self.workdir, timeout=timeout)

    @staticmethod
    def log(agent: str) -> str:
        path = Path("/var/log") / f"{agent}.log"
        return path.read_text(errors="replace") if path.exists() else ""


def _aside_prefix(directory: Path) -> str:
    return f".{directory.name}.cfnapi-aside-"


def _recover_from_crashed_run() -> None:
    """Called under the lock: an aside copy still there belongs to a run that died; put it back."""
    for directory in (STATE_DIR, CACHE_DIR, CONFIG_DIR):
        for aside in sorted(directory.parent.glob(_aside_prefix(directory) + "*")):
            shutil.rmtree(directory, ignore_errors=True)  # that run's scratch files
            aside.rename(directory)
            break


# -- the files an instance's user data writes (docs/agents.md shows the same) --
def boto_config(host: str) -> str:
    return (
        "[Boto]\n"
        "debug = 0\n"
        "is_secure = 0\n"
        "https_validate_certificates = 0\n"
        "num_retries = 0\n"
        "http_socket_timeout = 10\n"
        f"cfn_region_name = cfnapi\ncfn_region_endpoint = {host}\n"
        f"cloudwatch_region_name = cfnapi\ncloudwatch_region_endpoint = {host}\n"
    )


def credentials_file(credentials: Credentials) -> str:
    return f"AWSAccessKeyId={credentials.access_key_id}\nAWSSecretKey={credentials.secret_access_key}\n"


def hup_config(stack: str, credential_file: Path, region: str) -> str:
    return f"[main]\nstack={stack}\ncredential-file={credential_file}\nregion={region}\ninterval=1\n"


def hooks_config(hooks: dict[str, dict[str, str]]) -> str:
    sections = []
    for name, hook in hooks.items():
        lines = [f"[{name}]"] + [f"{key}={value}" for key, value in hook.items()]
        sections.append("\n".join(lines) + "\n")
    return "\n".join(sections)
