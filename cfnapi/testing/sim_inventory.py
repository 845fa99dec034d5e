"""The sim cloud's inventory of a running server.

``sim_inventory`` reads it as a user does, through ``cfnapi sim show --json``
(the conformance suite). ``sim_inventory_direct`` reads the same listing from
the server's SQLite file in-process: tests that look after every step use it
to avoid a process start per look.
"""

from __future__ import annotations

import json
import subprocess
import sys

from cfnapi.testing.server import RunningServer


def sim_inventory(server: RunningServer) -> dict:
    result = subprocess.run(
        [sys.executable, "-m", "cfnapi", "sim", "show", "--json", "--data-dir", str(server.data_dir),
         *_cloud_config_args(server)],
        capture_output=True, text=True, timeout=120, check=True)
    return json.loads(result.stdout)


def sim_inventory_direct(server: RunningServer) -> dict:
    from cfnapi.cloud.sim.inventory import inventory
    from cfnapi.db import Database

    db = Database(f"sqlite:///{(server.data_dir / 'cfnapi.sqlite').resolve()}")
    try:
        return inventory(db)
    finally:
        db.dispose()


def ids(inventory: dict, kind: str) -> set[str]:
    return {entry["id"] for entry in inventory[kind]}


def _cloud_config_args(server: RunningServer) -> list[str]:
    """The server's own seed file, so ``sim show`` seeds (idempotently) what the server did."""
    args = server.extra_args
    if "--cloud-config" in args:
        return ["--cloud-config", args[args.index("--cloud-config") + 1]]
    return []
