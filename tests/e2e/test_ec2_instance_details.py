"""AWS::EC2::Instance details end to end through boto3 on the sim: a launch template's version,
explicit network interfaces and volumes (with a Volumes update, which AWS makes with "No
interruption"), the address attributes, and a generated key pair whose private key a user
reads back with ``cfnapi ssm get-parameter`` — each judged by the sim's own records."""

import subprocess
import sys

import pytest
from cryptography.hazmat.primitives import serialization

from cfnapi.cloud.sim import load_config
from cfnapi.cloud.sim.cloud import SimCloud
from cfnapi.db import Database
from cfnapi.testing.clients import client
from cfnapi.testing.server import TEST_ACCESS_KEY
from cfnapi.testing.sim_inventory import sim_inventory_direct as sim_inventory
from tests.e2e.lifecycle import delete_and_check_seed, entry, fast_sim_server, outputs, physical_id, update, wait

pytestmark = pytest.mark.e2e

PRIVATE_SUBNET = "39eadb3d-faaf-59d3-b258-3901471b49ed"  # the seed's private-subnet, 10.0.0.0/24
UBUNTU = "0e7c4a9d-2b5f-4c3a-8e61-7f8a9b0c1d02"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    running = fast_sim_server(tmp_path_factory.mktemp("cfnapi-ec2-instance-details"))
    yield running
    running.stop()


@pytest.fixture(scope="module")
def cfn(server):
    return client("cloudformation", server.endpoint)


def _sim(server, project_id: str) -> tuple[SimCloud, Database]:
    """The sim's own view of one project (an account's cloud), read from the server's database."""
    db = Database(f"sqlite:///{(server.data_dir / 'cfnapi.sqlite').resolve()}")
    return SimCloud(db, project_id, load_config()), db


def _create(cfn, name: str, template: str, **parameters) -> None:
    cfn.create_stack(StackName=name, TemplateBody=template,
                     Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()])
    wait(cfn, name, "stack_create_complete")


NICS_AND_VOLUMES = f"""
Parameters:
  Extra: {{Type: String, Default: "no"}}
Conditions:
  WithExtra: !Equals [!Ref Extra, "yes"]
Resources:
  Web: {{Type: AWS::EC2::SecurityGroup, Properties: {{GroupDescription: web}}}}
  Data: {{Type: AWS::EC2::Volume, Properties: {{Size: 1, AvailabilityZone: us-east-1a}}}}
  More: {{Type: AWS::EC2::Volume, Properties: {{Size: 2, AvailabilityZone: us-east-1a}}}}
  Server:
    Type: AWS::EC2::Instance
    Properties:
      ImageId: cirros-0.6.2-x86_64-disk
      InstanceType: t2.micro
      AvailabilityZone: us-east-1a
      NetworkInterfaces:  # listed out of order: DeviceIndex decides which is eth0, the primary
        - {{DeviceIndex: "1", SubnetId: {PRIVATE_SUBNET}, PrivateIpAddress: 10.0.0.78}}
        - {{DeviceIndex: "0", SubnetId: {PRIVATE_SUBNET}, PrivateIpAddress: 10.0.0.77, GroupSet: [!Ref Web]}}
      Volumes:
        - {{VolumeId: !Ref Data, Device: /dev/sdf}}
        - !If [WithExtra, {{VolumeId: !Ref More, Device: /dev/sdg}}, !Ref AWS::NoValue]
Outputs:
  PrivateIp: {{Value: !GetAtt Server.PrivateIp}}
  PublicIp: {{Value: !GetAtt Server.PublicIp}}
  PrivateDnsName: {{Value: !GetAtt Server.PrivateDnsName}}
  PublicDnsName: {{Value: !GetAtt Server.PublicDnsName}}
"""


def test_network_interfaces_volumes_and_address_attributes(cfn, server):
    seed = sim_inventory(server)
    _create(cfn, "nics", NICS_AND_VOLUMES)
    server_id = physical_id(cfn, "nics", "Server")
    project = entry(sim_inventory(server), "servers", server_id)["project_id"]
    sim, db = _sim(server, project)
    try:
        # Each interface: a port on the subnet at the address asked for, named by its DeviceIndex;
        # eth0 in the GroupSet's group only, eth1 (no GroupSet) in the network's default group.
        ports = {port.name.rsplit("-", 1)[-1]: port for port in sim.list_ports(None, server_id)}
        assert {name: [(f.subnet_id, f.ip_address) for f in port.fixed_ips] for name, port in ports.items()} == {
            "eth0": [(PRIVATE_SUBNET, "10.0.0.77")], "eth1": [(PRIVATE_SUBNET, "10.0.0.78")]}
        group_id = sim.find_security_group(physical_id(cfn, "nics", "Web")).id
        assert list(ports["eth0"].security_group_ids) == [group_id]
        assert group_id not in ports["eth1"].security_group_ids and ports["eth1"].security_group_ids
        assert outputs(cfn, "nics") == {"PrivateIp": "10.0.0.77", "PrivateDnsName": "10.0.0.77",
                                        "PublicIp": "", "PublicDnsName": ""}  # no public address: as EC2
        data, more = physical_id(cfn, "nics", "Data"), physical_id(cfn, "nics", "More")
        assert [(a.server_id, a.device) for a in sim.get_volume(data).attachments] == [(server_id, "/dev/sdf")]
        assert sim.get_volume(more).attachments == ()

        # Volumes: "No interruption" — the same instance gets the new volume attached.
        update(cfn, "nics", NICS_AND_VOLUMES, Extra="yes")
        wait(cfn, "nics", "stack_update_complete")
        assert physical_id(cfn, "nics", "Server") == server_id
        assert [(a.server_id, a.device) for a in sim.get_volume(more).attachments] == [(server_id, "/dev/sdg")]
        assert [a.server_id for a in sim.get_volume(data).attachments] == [server_id]

        update(cfn, "nics", NICS_AND_VOLUMES, Extra="no")  # and detached again, still in place
        wait(cfn, "nics", "stack_update_complete")
        assert physical_id(cfn, "nics", "Server") == server_id
        assert sim.get_volume(more).attachments == ()
    finally:
        db.dispose()
    delete_and_check_seed(cfn, server, "nics", seed)


LAUNCH_TEMPLATE = """
Parameters:
  Image: {Type: String, Default: ubuntu-22.04}
Resources:
  Template:
    Type: AWS::EC2::LaunchTemplate
    Properties:
      LaunchTemplateData: {ImageId: !Ref Image, InstanceType: t2.medium, KeyName: default}
  Server:
    Type: AWS::EC2::Instance
    Properties:
      LaunchTemplate: {LaunchTemplateId: !Ref Template, Version: !GetAtt Template.LatestVersionNumber}
      InstanceType: t2.micro
"""


def test_instance_from_a_launch_template_version_with_its_own_properties_winning(cfn, server):
    seed = sim_inventory(server)
    _create(cfn, "fromtemplate", LAUNCH_TEMPLATE)
    found = entry(sim_inventory(server), "servers", physical_id(cfn, "fromtemplate", "Server"))
    sim, db = _sim(server, found["project_id"])
    try:
        built = sim.get_server(found["id"])
        assert (built.image_id, built.key_name) == (UBUNTU, "default")  # from the template's data
        assert sim.get_flavor(built.flavor_id).vcpus == 1  # the instance's own t2.micro, not t2.medium
    finally:
        db.dispose()
    # A new template version, asked for by number: a new LaunchTemplate value replaces the instance.
    update(cfn, "fromtemplate", LAUNCH_TEMPLATE, Image="cirros-0.6.2-x86_64-disk")
    wait(cfn, "fromtemplate", "stack_update_complete")
    replaced = entry(sim_inventory(server), "servers", physical_id(cfn, "fromtemplate", "Server"))
    assert replaced["id"] != found["id"]
    assert [s["id"] for s in sim_inventory(server)["servers"] if s["project_id"]] == [replaced["id"]]
    delete_and_check_seed(cfn, server, "fromtemplate", seed)


KEY_PAIR = """
Resources:
  Key: {Type: AWS::EC2::KeyPair, Properties: {KeyName: generated-1}}
Outputs:
  KeyPairId: {Value: !GetAtt Key.KeyPairId}
  KeyFingerprint: {Value: !GetAtt Key.KeyFingerprint}
"""


def _get_parameter(server, name: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "cfnapi", "ssm", "get-parameter", name, "--access-key-id", TEST_ACCESS_KEY,
         "--data-dir", str(server.data_dir)], capture_output=True, text=True, timeout=120)


def test_generated_key_pair_private_key_is_readable_at_its_ssm_path(cfn, server):
    seed = sim_inventory(server)
    _create(cfn, "keys", KEY_PAIR)
    values = outputs(cfn, "keys")
    assert physical_id(cfn, "keys", "Key") == "generated-1"
    [keypair] = [k for k in sim_inventory(server)["keypairs"] if k["name"] == "generated-1"]
    assert values["KeyFingerprint"] == keypair["fingerprint"]
    assert values["KeyPairId"].startswith("key-") and len(values["KeyPairId"]) == 21  # key- and 17 hex digits
    read = _get_parameter(server, f"/ec2/keypair/{values['KeyPairId']}")
    assert read.returncode == 0, read.stderr
    private_key = serialization.load_pem_private_key(read.stdout.strip().encode(), password=None)
    sim, db = _sim(server, keypair["project_id"])
    try:
        public = private_key.public_key().public_bytes(serialization.Encoding.OpenSSH,
                                                       serialization.PublicFormat.OpenSSH).decode()
        assert sim.get_keypair("generated-1").public_key.split()[:2] == public.split()[:2]  # the pair's own key
    finally:
        db.dispose()
    delete_and_check_seed(cfn, server, "keys", seed)
    gone = _get_parameter(server, f"/ec2/keypair/{values['KeyPairId']}")  # deleted with the key pair, as EC2
    assert gone.returncode == 1 and "ParameterNotFound" in gone.stderr
