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
            "backup": conn.block_storage.backups(),
            "container": conn.object_store.containers(),
        }
        return cls(frozenset((kind, getattr(item, "id", None) or item.name)
                             for kind, items in listings.items() for item in items))

    def minus(self, other: Inventory) -> set[tuple[str, str]]:
        return set(self.items - other.items)


@dataclass
class Ec2Identity:
    """A Keystone project, a member user of it, and that user's EC2 credential."""

    project_id: str
    access: str
    secret: str
    user_id: str = ""
    login: object = None  # the user's own password session (openstacksdk), as `openstack` CLI would use


def project_with_ec2_credential(admin, prefix: str = "cfnapi-ec2"):
    """A new project with a member user and an EC2 credential; returns (identity, remove)."""
    import openstack

    name = unique(prefix)
    project = admin.identity.create_project(name=name, domain_id="default")
    user = admin.identity.create_user(name=name, password=name, domain_id="default", default_project_id=project.id)
    admin.identity.assign_project_role_to_user(project, user, admin.identity.find_role("member"))
    own = openstack.connect(auth_url=admin.auth["auth_url"], username=name, password=name, project_name=name,
                            user_domain_name="Default", project_domain_name="Default",
                            region_name=admin.config.region_name)
    created = own.session.post(f"/users/{user.id}/credentials/OS-EC2", json={"tenant_id": project.id},
                               endpoint_filter={"service_type": "identity"}).json()["credential"]

    def remove():
        admin.identity.delete_user(user)
        admin.identity.delete_project(project)

    return Ec2Identity(project.id, created["access"], created["secret"], user.id, own), remove


def physical_id_once_made(cfn, stack_name: str, logical_id: str, *, not_this: str | None = None,
                          timeout: float = 180.0) -> str:
    """The resource's physical id as soon as it has one (other than ``not_this``, for a replacement)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for resource in cfn.describe_stack_resources(StackName=stack_name)["StackResources"]:
            physical = resource.get("PhysicalResourceId")
            if resource["LogicalResourceId"] == logical_id and physical and physical != not_this:
                return physical
        time.sleep(0.5)
    raise AssertionError(f"{logical_id} got no new physical id within {timeout}s: {reasons(cfn, stack_name)[:5]}")
