"""The aws_naming override reaches running stacks: a server started with an InstanceType
mapped to a flavor of the operator's choosing creates servers of that flavor, whether the
section comes from the sim's --cloud-config or from --naming-config (the openstack
provider's way, which on the sim replaces the cloud config's section)."""

from pathlib import Path

import pytest
import yaml

import cfnapi.cloud.sim
from cfnapi.testing.clients import client
from cfnapi.testing.server import start_server
from cfnapi.testing.sim_inventory import sim_inventory_direct as sim_inventory

pytestmark = pytest.mark.e2e

# t2.micro (1 vCPU, 1 GiB) maps to m1.small (id "2") by size; both overrides pick others.
SIZE_TABLE_FLAVOR = "2"
CLOUD_CONFIG_FLAVOR = ("m1.nano", "42")
NAMING_FILE_FLAVOR = ("c1.medium", "c1")

INSTANCE = """
Resources:
  Server: {Type: AWS::EC2::Instance, Properties: {ImageId: cirros-0.6.2-x86_64-disk, InstanceType: t2.micro}}
"""


def shipped_seed() -> dict:
    seed = yaml.safe_load((Path(cfnapi.cloud.sim.__file__).with_name("default_cloud.yaml")).read_text())
    seed["behaviour"] = {"server_build_seconds": 0.1}
    return seed


def flavor_of_new_server(server) -> str:
    cfn = client("cloudformation", server.endpoint)
    cfn.create_stack(StackName="naming", TemplateBody=INSTANCE)
    cfn.get_waiter("stack_create_complete").wait(StackName="naming", WaiterConfig={"Delay": 0.25, "MaxAttempts": 240})
    server_id = cfn.describe_stack_resource(StackName="naming", LogicalResourceId="Server")[
        "StackResourceDetail"]["PhysicalResourceId"]
    [entry] = [s for s in sim_inventory(server)["servers"] if s["id"] == server_id]
    return entry["flavor_id"]


def run_server(data_dir: Path, extra_args: list[str]):
    running = start_server(data_dir, extra_args=extra_args)
    try:
        return flavor_of_new_server(running)
    finally:
        running.stop()
        assert "Traceback" not in running.log_tail(2000), running.log_tail(200)


def test_cloud_config_aws_naming_picks_the_flavor(tmp_path):
    seed = shipped_seed()
    seed["aws_naming"] = {"instance_types": {"t2.micro": CLOUD_CONFIG_FLAVOR[0]}}
    config = tmp_path / "cloud.yaml"
    config.write_text(yaml.safe_dump(seed))
    flavor = run_server(tmp_path, ["--cloud-config", str(config)])
    assert flavor == CLOUD_CONFIG_FLAVOR[1] != SIZE_TABLE_FLAVOR


def test_naming_config_file_overrides_the_cloud_config_section(tmp_path):
    seed = shipped_seed()
    seed["aws_naming"] = {"instance_types": {"t2.micro": CLOUD_CONFIG_FLAVOR[0]}}
    config = tmp_path / "cloud.yaml"
    config.write_text(yaml.safe_dump(seed))
    naming = tmp_path / "naming.yaml"
    naming.write_text(yaml.safe_dump({"aws_naming": {"instance_types": {"t2.micro": NAMING_FILE_FLAVOR[0]}}}))
    flavor = run_server(tmp_path, ["--cloud-config", str(config), "--naming-config", str(naming)])
    assert flavor == NAMING_FILE_FLAVOR[1]
