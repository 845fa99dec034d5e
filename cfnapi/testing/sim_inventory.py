"""The sim cloud's inventory of a running server, read as a user reads it: ``cfnapi sim show --json``."""

from __future__ import annotations

import json
import subprocess
import sys

from cfnapi.testing.server import RunningServer


def sim_inventory(server: RunningServer) -> dict:
    result = subprocess.run(
        [sys.executable, "-m", "cfnapi", "sim", "show", "--json", "--data-dir", str(server.data_dir)],
        capture_output=True, text=True, timeout=120, check=True)
    return json.loads(result.stdout)


def ids(inventory: dict, kind: str) -> set[str]:
    return {entry["id"] for entry in inventory[kind]}
