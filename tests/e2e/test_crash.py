"""kill -9 the real server while stacks are mid-create, mid-delete, mid-update and
mid-rollback; restart it on the same data dir. Every stack must end in a
terminal state, with events saying what happened to it (the create and the
delete and rollback resumed, the update failed and rolled back), and the sim
cloud must hold exactly the servers the stacks say they own.

The sim cloud's config makes servers take a few seconds to build and to delete
(the sim's ``behaviour`` section), which holds each stack in the wanted
in-progress state long enough to kill the server there. The test waits for
those states by polling (bounded), it never relies on timing for its verdict.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import time

import pytest
import yaml
from botocore.exceptions import BotoCoreError
from botocore.parsers import ResponseParserError

from cfnapi.cloud.sim.config import DEFAULT_CONFIG_PATH
from cfnapi.engine import statuses as st
from cfnapi.testing.clients import client
from cfnapi.testing.server import start_server

pytestmark = pytest.mark.e2e

SLOW_SECONDS = 6  # server build and server delete, each


def instance(user_data: str = "v1", image: str = "cirros-0.6.2-x86_64-disk") -> dict:
    return {"Type": "AWS::EC2::Instance", "Properties": {
        "ImageId": image, "InstanceType": "m1.tiny",
        "UserData": base64.b64encode(user_data.encode()).decode()}}


def template(**resources) -> str:
    return json.dumps({"Resources": resources})


def slow_cloud_config(path) -> None:
    config = yaml.safe_load(DEFAULT_CONFIG_PATH.read_text())
    config["behaviour"].update(server_build_seconds=SLOW_SECONDS, server_delete_seconds=SLOW_SECONDS)
    path.write_text(yaml.safe_dump(config))


def wait_for(what: str, condition, timeout: float = 60.0):
    """A bounded poll for a state; the test's verdict never depends on how long it took."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"never reached: {what}")


def stack_status(cfn, stack_id: str) -> str:
    return cfn.describe_stacks(StackName=stack_id)["Stacks"][0]["StackStatus"]


def resource(cfn, stack_id: str, logical_id: str) -> dict:
    rows = cfn.describe_stack_resources(StackName=stack_id)["StackResources"]
    return next((r for r in rows if r["LogicalResourceId"] == logical_id), {})


def events(cfn, stack_id: str) -> list[tuple[str, str, str]]:
    """(logical id, status, reason), oldest first."""
    pages = cfn.get_paginator("describe_stack_events").paginate(StackName=stack_id)
    found = [(e["LogicalResourceId"], e["ResourceStatus"], e.get("ResourceStatusReason", ""))
             for page in pages for e in page["StackEvents"]]
    return list(reversed(found))


def sim_inventory(data_dir, cloud_config) -> dict:
    shown = subprocess.run(
        [sys.executable, "-m", "cfnapi", "sim", "show", "--json", "--data-dir", str(data_dir),
         "--cloud-config", str(cloud_config)],
        capture_output=True, text=True, timeout=60, check=True)
    return json.loads(shown.stdout)


def owned_by_stacks(cfn, stack_ids) -> set[str]:
    """Physical ids of the instances every stack that still exists says it owns."""
    owned = set()
    for stack_id in stack_ids:
        if stack_status(cfn, stack_id) == "DELETE_COMPLETE":
            continue
        for row in cfn.describe_stack_resources(StackName=stack_id)["StackResources"]:
            live = row["ResourceStatus"] != "DELETE_COMPLETE"  # a rolled-back stack lists what it deleted
            if row["ResourceType"] == "AWS::EC2::Instance" and row.get("PhysicalResourceId") and live:
                owned.add(row["PhysicalResourceId"])
    return owned


def test_kill_9_mid_create_delete_update_and_rollback_then_restart(tmp_path):
    cloud_config = tmp_path / "slow-cloud.yaml"
    slow_cloud_config(cloud_config)
    data_dir = tmp_path / "data"
    args = ["--cloud-config", str(cloud_config)]
    server = start_server(data_dir, extra_args=args)
    try:
        cfn = client("cloudformation", server.endpoint)
        # Two stacks that must exist before the crash: one to delete, one to update.
        deleting = cfn.create_stack(StackName="deleting", TemplateBody=template(Server=instance()))["StackId"]
        updating = cfn.create_stack(StackName="updating", TemplateBody=template(Server=instance()))["StackId"]
        for stack_id in (deleting, updating):
            wait_for(f"{stack_id} created", lambda s=stack_id: stack_status(cfn, s) == "CREATE_COMPLETE")
        original_server = resource(cfn, updating, "Server")["PhysicalResourceId"]

        # Now four operations at once, each held in progress by the slow cloud.
        creating = cfn.create_stack(StackName="creating",
                                    TemplateBody=template(First=instance(), Second=instance()))["StackId"]
        cfn.delete_stack(StackName="deleting")
        cfn.update_stack(StackName="updating", TemplateBody=template(Server=instance(image="ubuntu-22.04")))  # replace
        # Broken fails at once; Server's build is cancelled and the rollback deletes it (slowly).
        rolling_back = cfn.create_stack(StackName="rolling-back", TemplateBody=template(
            Server=instance(), Broken=instance(image="no-such-image")))["StackId"]

        wait_for("both creates initiated", lambda: all(
            resource(cfn, creating, lid).get("PhysicalResourceId") for lid in ("First", "Second")))
        building = {lid: resource(cfn, creating, lid)["PhysicalResourceId"] for lid in ("First", "Second")}
        wait_for("delete under way",
                 lambda: resource(cfn, deleting, "Server").get("ResourceStatus") == "DELETE_IN_PROGRESS")
        wait_for("replacement initiated", lambda: resource(cfn, updating, "Server").get("PhysicalResourceId")
                 not in (None, original_server))
        wait_for("rollback under way", lambda: resource(cfn, rolling_back, "Server").get("ResourceStatus")
                 == "DELETE_IN_PROGRESS")
        assert {stack_status(cfn, s) for s in (creating, deleting, updating, rolling_back)} == {
            "CREATE_IN_PROGRESS", "DELETE_IN_PROGRESS", "UPDATE_IN_PROGRESS", "ROLLBACK_IN_PROGRESS"}
        replacement = resource(cfn, updating, "Server")["PhysicalResourceId"]
        server.kill()

        server = start_server(data_dir, port=server.port, extra_args=args)
        cfn = client("cloudformation", server.endpoint)
        stacks = (creating, deleting, updating, rolling_back)
        wait_for("every stack terminal", lambda: all(stack_status(cfn, s) not in st.IN_PROGRESS for s in stacks),
                 timeout=120)
        # Taken over at start (SQLite: one process), not after the dead process's leases expired.
        assert "took over 4 stack(s) left in progress by a process that stopped" in server.log_tail(2000)

        # The create is resumed: the servers being built are waited for, not built again.
        assert stack_status(cfn, creating) == "CREATE_COMPLETE"
        created = events(cfn, creating)
        assert ("creating", "CREATE_IN_PROGRESS", st.OPERATION_RESUMED) in created
        for logical_id in ("First", "Second"):
            assert (logical_id, "CREATE_IN_PROGRESS", st.CREATE_RESUMED) in created
            assert resource(cfn, creating, logical_id)["PhysicalResourceId"] == building[logical_id]

        assert stack_status(cfn, deleting) == "DELETE_COMPLETE"
        assert ("deleting", "DELETE_IN_PROGRESS", st.OPERATION_RESUMED) in events(cfn, deleting)

        assert stack_status(cfn, updating) == "UPDATE_ROLLBACK_COMPLETE"
        updated = events(cfn, updating)
        assert ("Server", "UPDATE_FAILED", st.INTERRUPTED) in updated
        assert ("updating", "UPDATE_ROLLBACK_IN_PROGRESS", st.update_interrupted(["Server"])) in updated
        assert st.update_interrupted(["Server"]) == (
            "The cfnapi engine process running this update stopped before it finished; an interrupted update is "
            "not resumed. Resource(s) interrupted: [Server].")
        assert resource(cfn, updating, "Server")["PhysicalResourceId"] == original_server

        assert stack_status(cfn, rolling_back) == "ROLLBACK_COMPLETE"
        assert ("rolling-back", "ROLLBACK_IN_PROGRESS", st.OPERATION_RESUMED) in events(cfn, rolling_back)

        owned = owned_by_stacks(cfn, stacks)
        assert owned == {original_server, *building.values()}
        server.stop()
        assert "Traceback" not in server.log_tail(2000), server.log_tail(200)
        inventory = sim_inventory(data_dir, cloud_config)
        servers = {entry["id"] for entry in inventory["servers"]}
        assert servers == owned  # no orphan (e.g. the replacement), nothing dangling
        assert replacement not in servers
        project_ports = [p for p in inventory["ports"] if p["project_id"]]
        assert {p["device_id"] for p in project_ports} == owned  # the servers' own ports, no leftover
    finally:
        server.stop()


def test_a_second_worker_process_on_one_sqlite_database_is_refused(tmp_path):
    # SQLite is single-process for the workers: the restart above takes every lease over at once,
    # which would be wrong if another worker were alive.
    data_dir = tmp_path / "data"
    server = start_server(data_dir)
    try:
        with pytest.raises(RuntimeError, match="SQLite allows one"):
            start_server(data_dir)
    finally:
        server.stop()


# Every resource here makes a cloud object (or a row in one of cfnapi's stores) through the provider.
UNSAVED_IDS_TEMPLATE = {
    "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.20.0.0/16"}},
    "Subnet": {"Type": "AWS::EC2::Subnet", "Properties": {"VpcId": {"Ref": "Vpc"}, "CidrBlock": "10.20.1.0/24"}},
    "Sg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {
        "GroupDescription": "web", "VpcId": {"Ref": "Vpc"},
        "SecurityGroupIngress": [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIp": "0.0.0.0/0"}]}},
    "SgRule": {"Type": "AWS::EC2::SecurityGroupIngress", "Properties": {
        "GroupId": {"Ref": "Sg"}, "IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "CidrIp": "0.0.0.0/0"}},
    "Nic": {"Type": "AWS::EC2::NetworkInterface", "Properties": {"SubnetId": {"Ref": "Subnet"}}},
    "Server": {"Type": "AWS::EC2::Instance", "Properties": {
        "ImageId": "cirros-0.6.2-x86_64-disk", "InstanceType": "m1.tiny", "SubnetId": {"Ref": "Subnet"},
        "SecurityGroupIds": [{"Ref": "Sg"}]}},
    "Ip": {"Type": "AWS::EC2::EIP", "Properties": {"InstanceId": {"Ref": "Server"}}},
    "Bucket": {"Type": "AWS::S3::Bucket"},
    "Param": {"Type": "AWS::SSM::Parameter", "Properties": {"Type": "String", "Value": "v"}},
    "Topic": {"Type": "AWS::SNS::Topic"},
    # Named by the template: adopted because the sim made them after the creation token was saved.
    "Key": {"Type": "AWS::EC2::KeyPair", "Properties": {"KeyName": "crash-key"}},
    "NamedSg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupName": "crash-named",
                                                                  "GroupDescription": "named"}},
}
# sim inventory kind -> the type whose physical ids are the only project objects of that kind
OWNED_KINDS = {"networks": "AWS::EC2::VPC", "subnets": "AWS::EC2::Subnet", "servers": "AWS::EC2::Instance",
               "containers": "AWS::S3::Bucket", "keypairs": "AWS::EC2::KeyPair",
               "security_groups": "AWS::EC2::SecurityGroup"}


def _crashed_or_terminal(server, cfn, stack_id) -> bool:
    if server.process.poll() is not None:
        return True
    try:
        return stack_status(cfn, stack_id) not in st.IN_PROGRESS
    except (BotoCoreError, ResponseParserError):  # the process is stopping at a crash point (refused, cut off)
        return False


def test_kill_9_between_each_create_call_and_saving_its_id_adopts_instead_of_leaking(tmp_path):
    """The instant a timed kill cannot hit: the provider made the object and the process died before
    writing its id (``CFNAPI_CRASH_AFTER_CREATE``, see ``cfnapi.engine.crash_points``). Each restart
    resumes the create, finds the object by its creation token and adopts it; the next crash point
    stops the process again. At the end every resource was made once, and the delete leaves the sim
    exactly as seeded."""
    from cfnapi.cloud.sim import differences_from_seed, load_config
    from cfnapi.db import Database

    data_dir = tmp_path / "data"
    crash_env = {"CFNAPI_CRASH_AFTER_CREATE": ",".join(UNSAVED_IDS_TEMPLATE)}
    server = start_server(data_dir, env=crash_env)
    stack_id = None
    crashes = 0
    try:
        cfn = client("cloudformation", server.endpoint)
        stack_id = cfn.create_stack(StackName="unsaved", TemplateBody=template(**UNSAVED_IDS_TEMPLATE))["StackId"]
        for _ in range(len(UNSAVED_IDS_TEMPLATE) + 1):
            # Bounded: each run ends at a crash point, or with the stack terminal once every point was passed.
            wait_for("a crash point or a terminal stack",
                     lambda: _crashed_or_terminal(server, cfn, stack_id), timeout=120)
            if server.process.poll() is None:
                break
            crashes += 1
            assert "crash point: stopping the process" in server.log_tail(50)
            server = start_server(data_dir, port=server.port, env=crash_env)
            cfn = client("cloudformation", server.endpoint)
        assert stack_status(cfn, stack_id) == "CREATE_COMPLETE", events(cfn, stack_id)
        assert crashes >= 3  # resources created in parallel may share a run; each crash hit one of them

        happened = events(cfn, stack_id)
        adopted = [lid for lid, status, reason in happened if reason == st.CREATE_RESUMED]
        assert len(adopted) >= crashes  # each crashed create was found and resumed, not made again
        for logical_id in UNSAVED_IDS_TEMPLATE:  # one create call each: never initiated twice
            initiated = [e for e in happened if e[:2] == (logical_id, "CREATE_IN_PROGRESS") and e[2] == ""]
            assert len(initiated) == 1, (logical_id, happened)

        rows = cfn.describe_stack_resources(StackName=stack_id)["StackResources"]
        owned: dict[str, set[str]] = {}
        for row in rows:
            owned.setdefault(row["ResourceType"], set()).add(row["PhysicalResourceId"])
        server.stop()
        config = load_config()
        db = Database(f"sqlite:///{data_dir / 'cfnapi.sqlite'}")
        try:
            differences = differences_from_seed(db, config)
        finally:
            db.dispose()
        # Each VPC owns one default security group of its own, named after it (made and deleted with it).
        vpc_groups = {group["name"] for group in differences["security_groups"]["added"]
                      if group["name"].startswith("vpc-default-sg-")}
        assert vpc_groups == {f"vpc-default-sg-{vpc}" for vpc in owned["AWS::EC2::VPC"]}
        # A container's or keypair's physical id is its name (the sim's row id means nothing to a stack).
        added = {kind: {e["name" if kind in ("containers", "keypairs") else "id"] for e in change["added"]
                        if e.get("name") not in vpc_groups}
                 for kind, change in differences.items()}
        for kind, type_name in OWNED_KINDS.items():
            assert added.get(kind) == owned[type_name], kind  # nothing made twice
        assert len(added["floating_ips"]) == 1

        server = start_server(data_dir, port=server.port)
        cfn = client("cloudformation", server.endpoint)
        cfn.delete_stack(StackName=stack_id)
        wait_for("deleted", lambda: stack_status(cfn, stack_id) == "DELETE_COMPLETE", timeout=120)
        server.stop()
        assert "Traceback" not in server.log_tail(2000), server.log_tail(200)
        db = Database(f"sqlite:///{data_dir / 'cfnapi.sqlite'}")
        try:
            assert differences_from_seed(db, config) == {}  # no port, rule, address or group left behind
        finally:
            db.dispose()
    finally:
        server.stop()
