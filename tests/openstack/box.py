"""Helpers for the integration suite against the real OpenStack box.

The box is the one ``scripts/openstack-box/up`` starts; it writes a clouds.yaml
with three clouds: ``box-admin`` (admin), ``box`` (the ``cfnapi`` project cfnapi's
own credentials deploy into) and ``box-service`` (cfnapi's service identity).
"""

from __future__ import annotations

import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import yaml

CLOUDS_ENV = "CFNAPI_OPENSTACK_CLOUDS"
STACK_TIMEOUT = 240.0


def clouds_file() -> Path | None:
    value = os.environ.get(CLOUDS_ENV)
    return Path(value) if value else None


def connect(clouds_yaml: Path, cloud: str):
    import openstack

    config = yaml.safe_load(clouds_yaml.read_text())["clouds"][cloud]
    return openstack.connect(**config["auth"], region_name=config.get("region_name"))


def wait_for_stack(cfn, stack_name: str, timeout: float = STACK_TIMEOUT) -> dict:
    """Poll until the stack leaves its IN_PROGRESS state; return it (or {} once deleted)."""
    deadline = time.monotonic() + timeout
    while True:
        stacks = cfn.describe_stacks(StackName=stack_name)["Stacks"] if _exists(cfn, stack_name) else []
        if not stacks:
            return {}
        status = stacks[0]["StackStatus"]
        if not status.endswith("_IN_PROGRESS"):
            return stacks[0]
        if time.monotonic() > deadline:
            raise AssertionError(f"{stack_name} still {status} after {timeout}s")
        time.sleep(1)


def _exists(cfn, stack_name: str) -> bool:
    from botocore.exceptions import ClientError

    try:
        cfn.describe_stacks(StackName=stack_name)
        return True
    except ClientError as error:
        if "does not exist" in error.response["Error"]["Message"]:
            return False
        raise


def delete_and_wait(cfn, stack_name: str) -> None:
    stack_id = cfn.describe_stacks(StackName=stack_name)["Stacks"][0]["StackId"]
    cfn.delete_stack(StackName=stack_name)
    final = wait_for_stack(cfn, stack_id)
    assert final.get("StackStatus") == "DELETE_COMPLETE", reasons(cfn, stack_id)


def reasons(cfn, stack_name: str) -> list[tuple[str, str, str]]:
    events = cfn.describe_stack_events(StackName=stack_name)["StackEvents"]
    return [(e["LogicalResourceId"], e["ResourceStatus"], e.get("ResourceStatusReason") or "") for e in events]


def failure_reasons(cfn, stack_name: str) -> list[str]:
    return [reason for _, status, reason in reasons(cfn, stack_name) if status.endswith("_FAILED")]


def parameters(values: dict[str, str]) -> list[dict[str, str]]:
    return [{"ParameterKey": k, "ParameterValue": v} for k, v in values.items()]


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class Inventory:
    """Everything a project holds in the services a stack can touch, by id."""

    items: frozenset[tuple[str, str]]

    @classmethod
    def of(cls, conn) -> Inventory:
        project = conn.current_project_id
        listings = {
            "server": conn.compute.servers(),
            "keypair": conn.compute.keypairs(),
            "network": conn.network.networks(project_id=project),
            "subnet": conn.network.subnets(project_id=project),
            "port": conn.network.ports(project_id=project),
            "router": conn.network.routers(project_id=project),
            "security_group": conn.network.security_groups(project_id=project),
            "security_group_rule": conn.network.security_group_rules(project_id=project),
            "floating_ip": conn.network.ips(project_id=project),
            "volume": conn.block_storage.volumes(),
            "snapshot": conn.block_storage.snapshots(),
            "container": conn.object_store.containers(),
        }
        return cls(frozenset((kind, getattr(item, "id", None) or item.name)
                             for kind, items in listings.items() for item in items))

    def minus(self, other: Inventory) -> set[tuple[str, str]]:
        return set(self.items - other.items)
