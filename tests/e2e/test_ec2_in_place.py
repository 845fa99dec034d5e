"""EC2 behaviour AWS documents and users rely on, end to end through boto3 on the sim:
Tags and UserData change in place (same physical id), an EIPAssociation's Ref is an
association id, each VPC has a default security group of its own, and a volume's
DeletionPolicy Snapshot can be restored through another stack's SnapshotId."""

from pathlib import Path

import pytest
import yaml

import cfnapi.cloud.sim
from cfnapi.testing.clients import client
from cfnapi.testing.server import start_server
from cfnapi.testing.sim_inventory import sim_inventory_direct as sim_inventory

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("cfnapi-ec2-in-place")
    seed = yaml.safe_load((Path(cfnapi.cloud.sim.__file__).with_name("default_cloud.yaml")).read_text())
    seed["behaviour"] = {"server_build_seconds": 0.2, "volume_create_seconds": 0.1, "snapshot_create_seconds": 0.1,
                        "backup_create_seconds": 0.1}
    config = data_dir / "cloud.yaml"
    config.write_text(yaml.safe_dump(seed))
    running = start_server(data_dir, extra_args=["--cloud-config", str(config)])
    yield running
    running.stop()


@pytest.fixture(scope="module")
def cfn(server):
    return client("cloudformation", server.endpoint)


def wait(cfn, name, waiter):
    cfn.get_waiter(waiter).wait(StackName=name, WaiterConfig={"Delay": 0.25, "MaxAttempts": 480})


def physical_id(cfn, name, logical_id):
    return cfn.describe_stack_resource(StackName=name, LogicalResourceId=logical_id)[
        "StackResourceDetail"]["PhysicalResourceId"]


def outputs(cfn, name):
    [stack] = cfn.describe_stacks(StackName=name)["Stacks"]
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def update(cfn, name, template, **parameters):
    cfn.update_stack(StackName=name, TemplateBody=template,
                     Parameters=[{"ParameterKey": k, "ParameterValue": str(v)} for k, v in parameters.items()])


def delete_and_check_seed(cfn, server, name, seed):
    cfn.delete_stack(StackName=name)
    wait(cfn, name, "stack_delete_complete")
    assert sim_inventory(server) == seed


ASSOCIATION = """
Resources:
  Server: {Type: AWS::EC2::Instance, Properties: {ImageId: cirros-0.6.2-x86_64-disk, InstanceType: t2.micro}}
  Ip: {Type: AWS::EC2::EIP, Properties: {Domain: vpc}}
  Bind:
    Type: AWS::EC2::EIPAssociation
    Properties: {AllocationId: !GetAtt Ip.AllocationId, InstanceId: !Ref Server}
Outputs:
  Association: {Value: !Ref Bind}
  AssociationId: {Value: !GetAtt Bind.Id}
  Allocation: {Value: !GetAtt Ip.AllocationId}
"""


def test_eip_association_ref_is_an_association_id_and_delete_releases_everything(cfn, server):
    seed = sim_inventory(server)
    cfn.create_stack(StackName="assoc", TemplateBody=ASSOCIATION)
    wait(cfn, "assoc", "stack_create_complete")
    values = outputs(cfn, "assoc")
    assert values["Association"].startswith("eipassoc-")
    assert values["Association"] == values["AssociationId"] == physical_id(cfn, "assoc", "Bind")
    assert values["Association"] != values["Allocation"]
    [address] = [f for f in sim_inventory(server)["floating_ips"] if f["id"] == values["Allocation"]]
    assert address["port_id"]  # associated
    delete_and_check_seed(cfn, server, "assoc", seed)


SNAPSHOTTED = """
Resources:
  Data:
    Type: AWS::EC2::Volume
    DeletionPolicy: Snapshot
    Properties: {AvailabilityZone: us-east-1a, Size: 3}
"""

RESTORED = """
Parameters:
  Snapshot: {Type: String}
Resources:
  Data:
    Type: AWS::EC2::Volume
    Properties: {AvailabilityZone: us-east-1b, SnapshotId: !Ref Snapshot}
"""


def test_a_volume_kept_by_deletion_policy_snapshot_is_restored_by_another_stack(cfn, server):
    seed = sim_inventory(server)
    cfn.create_stack(StackName="snap-a", TemplateBody=SNAPSHOTTED)
    wait(cfn, "snap-a", "stack_create_complete")
    stack_a = cfn.describe_stacks(StackName="snap-a")["Stacks"][0]["StackId"]
    cfn.delete_stack(StackName="snap-a")
    wait(cfn, "snap-a", "stack_delete_complete")
    [data] = [r for r in cfn.describe_stack_resources(StackName=stack_a)["StackResources"]
              if r["LogicalResourceId"] == "Data"]
    snapshot_id = data["ResourceStatusReason"].removeprefix("Snapshot ").removesuffix(" was kept")
    assert snapshot_id in {b["id"] for b in sim_inventory(server)["volume_backups"]}

    cfn.create_stack(StackName="snap-b", TemplateBody=RESTORED,
                     Parameters=[{"ParameterKey": "Snapshot", "ParameterValue": snapshot_id}])
    wait(cfn, "snap-b", "stack_create_complete")
    restored_id = physical_id(cfn, "snap-b", "Data")
    [restored] = [v for v in sim_inventory(server)["volumes"] if v["id"] == restored_id]
    assert (restored["size_gb"], restored["backup_id"]) == (3, snapshot_id)

    cfn.delete_stack(StackName="snap-b")
    wait(cfn, "snap-b", "stack_delete_complete")
    left = sim_inventory(server)
    assert {b["id"] for b in left["volume_backups"]} - {b["id"] for b in seed["volume_backups"]} == {snapshot_id}
    assert left["volumes"] == seed["volumes"]


def sim_server_row(server, server_id):
    """The sim's own record of a server (user data is not in the inventory listing)."""
    from sqlalchemy import select

    from cfnapi.cloud.sim import models as m
    from cfnapi.db import Database

    db = Database(f"sqlite:///{(server.data_dir / 'cfnapi.sqlite').resolve()}")
    try:
        with db.transaction() as session:
            row = session.scalar(select(m.SimServer).where(m.SimServer.id == server_id))
            return {"user_data": row.user_data, "metadata": dict(row.server_metadata or {})}
    finally:
        db.dispose()


SCRIPTED = """
Parameters:
  Script: {Type: String, Default: "echo one"}
Resources:
  Server:
    Type: AWS::EC2::Instance
    Properties:
      ImageId: cirros-0.6.2-x86_64-disk
      InstanceType: t2.micro
      UserData: {"Fn::Base64": !Ref Script}
Outputs:
  Ip: {Value: !GetAtt Server.PrivateIp}
"""


def test_user_data_change_keeps_the_instance_and_its_change_set_says_no_replacement(cfn, server):
    seed = sim_inventory(server)
    cfn.create_stack(StackName="script", TemplateBody=SCRIPTED)
    wait(cfn, "script", "stack_create_complete")
    first, ip = physical_id(cfn, "script", "Server"), outputs(cfn, "script")["Ip"]
    assert sim_server_row(server, first)["user_data"] == "echo one"

    cfn.create_change_set(StackName="script", ChangeSetName="peek", TemplateBody=SCRIPTED,
                          Parameters=[{"ParameterKey": "Script", "ParameterValue": "echo two"}])
    cfn.get_waiter("change_set_create_complete").wait(StackName="script", ChangeSetName="peek",
                                                      WaiterConfig={"Delay": 0.25, "MaxAttempts": 240})
    [change] = cfn.describe_change_set(StackName="script", ChangeSetName="peek")["Changes"]
    assert change["ResourceChange"]["Action"] == "Modify"
    assert change["ResourceChange"]["Replacement"] == "False"
    # AWS's pair for a parameter's new value: a Dynamic DirectModification, a Static ParameterReference.
    assert [(d["Target"]["Name"], d["Target"]["RequiresRecreation"], d["Evaluation"], d["ChangeSource"],
             d.get("CausingEntity")) for d in change["ResourceChange"]["Details"]] == [
        ("UserData", "Never", "Dynamic", "DirectModification", None),
        ("UserData", "Never", "Static", "ParameterReference", "Script"),
    ]
    cfn.execute_change_set(StackName="script", ChangeSetName="peek")
    wait(cfn, "script", "stack_update_complete")
    assert physical_id(cfn, "script", "Server") == first and outputs(cfn, "script")["Ip"] == ip
    assert sim_server_row(server, first)["user_data"] == "echo two"
    delete_and_check_seed(cfn, server, "script", seed)


TWO_VPCS = """
Resources:
  Blue: {Type: AWS::EC2::VPC, Properties: {CidrBlock: 10.1.0.0/16}}
  Green: {Type: AWS::EC2::VPC, Properties: {CidrBlock: 10.2.0.0/16}}
  BlueNet: {Type: AWS::EC2::Subnet, Properties: {VpcId: !Ref Blue, CidrBlock: 10.1.1.0/24}}
  Ssh:
    Type: AWS::EC2::SecurityGroupIngress
    Properties: {GroupId: !GetAtt Blue.DefaultSecurityGroup, IpProtocol: tcp, FromPort: 22, ToPort: 22,
                 CidrIp: 192.0.2.0/24}
  Server:
    Type: AWS::EC2::Instance
    Properties: {ImageId: cirros-0.6.2-x86_64-disk, InstanceType: t2.micro, SubnetId: !Ref BlueNet}
Outputs:
  BlueGroup: {Value: !GetAtt Blue.DefaultSecurityGroup}
  GreenGroup: {Value: !GetAtt Green.DefaultSecurityGroup}
"""


def test_each_vpc_gets_its_own_default_security_group_deleted_with_it(cfn, server):
    seed = sim_inventory(server)
    cfn.create_stack(StackName="vpcs", TemplateBody=TWO_VPCS)
    wait(cfn, "vpcs", "stack_create_complete")
    values = outputs(cfn, "vpcs")
    inventory = sim_inventory(server)
    groups = {g["id"]: g["name"] for g in inventory["security_groups"]}
    assert values["BlueGroup"] != values["GreenGroup"]
    assert groups[values["BlueGroup"]] == f"vpc-default-sg-{physical_id(cfn, 'vpcs', 'Blue')}"
    assert groups[values["GreenGroup"]] == f"vpc-default-sg-{physical_id(cfn, 'vpcs', 'Green')}"
    blue_rules = [r for r in inventory["security_group_rules"] if r["group_id"] == values["BlueGroup"]]
    assert sorted(r["name"] for r in blue_rules) == [
        "egress IPv4 any", "egress IPv6 any", "ingress IPv4 any", "ingress IPv4 tcp", "ingress IPv6 any"]
    [port] = [p for p in inventory["ports"] if p["device_id"] == physical_id(cfn, "vpcs", "Server")]
    assert port["security_group_ids"] == [values["BlueGroup"]]
    delete_and_check_seed(cfn, server, "vpcs", seed)


TAGGED = """
Parameters:
  Owner: {Type: String, Default: alice}
Resources:
  Net: {Type: AWS::EC2::VPC, Properties: {CidrBlock: 10.7.0.0/16, Tags: [{Key: Owner, Value: !Ref Owner}]}}
  Sub:
    Type: AWS::EC2::Subnet
    Properties: {VpcId: !Ref Net, CidrBlock: 10.7.1.0/24, Tags: [{Key: Owner, Value: !Ref Owner}]}
  Web:
    Type: AWS::EC2::SecurityGroup
    Properties: {GroupDescription: web, VpcId: !Ref Net, Tags: [{Key: Owner, Value: !Ref Owner}]}
  Server:
    Type: AWS::EC2::Instance
    Properties:
      ImageId: cirros-0.6.2-x86_64-disk
      InstanceType: t2.micro
      SubnetId: !Ref Sub
      SecurityGroupIds: [!Ref Web]
      Tags: [{Key: Name, Value: web}, {Key: Owner, Value: !Ref Owner}]
  Data:
    Type: AWS::EC2::Volume
    Properties: {AvailabilityZone: us-east-1a, Size: 1, Tags: [{Key: Owner, Value: !Ref Owner}]}
  Ip: {Type: AWS::EC2::EIP, Properties: {Domain: vpc, Tags: [{Key: Owner, Value: !Ref Owner}]}}
"""

TAGGED_IDS = ("Net", "Sub", "Web", "Server", "Data", "Ip")


def _tags_seen(server, ids):
    """What the sim holds for each resource: metadata for servers and volumes, Neutron tags otherwise."""
    inventory = sim_inventory(server)
    by_id = {}
    for kind in ("networks", "subnets", "security_groups"):
        by_id.update({e["id"]: sorted(e["tags"]) for e in inventory[kind]})
    by_id.update({e["name"]: sorted(e["tags"]) for e in inventory["floating_ips"]})  # an EIP's id is its address
    for kind in ("servers", "volumes"):
        by_id.update({e["id"]: sorted(f"{k}={v}" for k, v in e["metadata"].items()) for e in inventory[kind]})
    return {logical_id: by_id[physical] for logical_id, physical in ids.items()}


def test_tags_change_in_place_on_every_ec2_type_that_carries_them(cfn, server):
    seed = sim_inventory(server)
    cfn.create_stack(StackName="tagged", TemplateBody=TAGGED)
    wait(cfn, "tagged", "stack_create_complete")
    ids = {logical_id: physical_id(cfn, "tagged", logical_id) for logical_id in TAGGED_IDS}
    expected = {logical_id: ["Owner=alice"] for logical_id in TAGGED_IDS}
    assert _tags_seen(server, ids) == {**expected, "Server": ["Name=web", "Owner=alice"]}

    cfn.create_change_set(StackName="tagged", ChangeSetName="owner", TemplateBody=TAGGED,
                          Parameters=[{"ParameterKey": "Owner", "ParameterValue": "bob"}])
    cfn.get_waiter("change_set_create_complete").wait(StackName="tagged", ChangeSetName="owner",
                                                      WaiterConfig={"Delay": 0.25, "MaxAttempts": 240})
    changes = cfn.describe_change_set(StackName="tagged", ChangeSetName="owner")["Changes"]
    assert {c["ResourceChange"]["LogicalResourceId"]: c["ResourceChange"]["Replacement"] for c in changes} == {
        logical_id: "False" for logical_id in TAGGED_IDS}
    cfn.execute_change_set(StackName="tagged", ChangeSetName="owner")
    wait(cfn, "tagged", "stack_update_complete")
    assert {logical_id: physical_id(cfn, "tagged", logical_id) for logical_id in TAGGED_IDS} == ids
    expected = {logical_id: ["Owner=bob"] for logical_id in TAGGED_IDS}
    assert _tags_seen(server, ids) == {**expected, "Server": ["Name=web", "Owner=bob"]}
    delete_and_check_seed(cfn, server, "tagged", seed)


NETWORKED = """
Parameters:
  Image: {Type: String, Default: cirros-0.6.2-x86_64-disk}
  Size: {Type: String, Default: t2.micro}
Resources:
  Net: {Type: AWS::EC2::VPC, Properties: {CidrBlock: 10.7.0.0/16}}
  Sub: {Type: AWS::EC2::Subnet, Properties: {VpcId: !Ref Net, CidrBlock: 10.7.1.0/24}}
  Server:
    Type: AWS::EC2::Instance
    Properties: {ImageId: !Ref Image, InstanceType: !Ref Size, SubnetId: !Ref Sub}
"""


def change_set(cfn, stack, name, **request):
    cfn.create_change_set(StackName=stack, ChangeSetName=name, **request)
    cfn.get_waiter("change_set_create_complete").wait(StackName=stack, ChangeSetName=name,
                                                      WaiterConfig={"Delay": 0.25, "MaxAttempts": 240})
    changes = cfn.describe_change_set(StackName=stack, ChangeSetName=name)["Changes"]
    return {c["ResourceChange"]["LogicalResourceId"]: c["ResourceChange"] for c in changes}


def details(change):
    return [(d["Target"].get("Name"), d["Target"]["RequiresRecreation"], d["Evaluation"], d["ChangeSource"],
             d.get("CausingEntity")) for d in change["Details"]]


def test_change_sets_say_true_for_create_only_changes_and_conditional_where_aws_does(cfn, server):
    seed = sim_inventory(server)
    cfn.create_stack(StackName="repl", TemplateBody=NETWORKED)
    wait(cfn, "repl", "stack_create_complete")
    server_id, subnet_id = physical_id(cfn, "repl", "Server"), physical_id(cfn, "repl", "Sub")

    # The subnet's CidrBlock is create-only: the subnet is replaced, and the instance whose
    # create-only SubnetId names it may be (AWS: Conditional, evaluated when the update runs).
    moved = change_set(cfn, "repl", "cidr", TemplateBody=NETWORKED.replace("10.7.1.0/24", "10.7.2.0/24"))
    assert set(moved) == {"Sub", "Server"}
    assert (moved["Sub"]["Action"], moved["Sub"]["Replacement"]) == ("Modify", "True")
    assert moved["Sub"]["PhysicalResourceId"] == subnet_id
    assert details(moved["Sub"]) == [("CidrBlock", "Always", "Static", "DirectModification", None)]
    assert (moved["Server"]["Action"], moved["Server"]["Replacement"]) == ("Modify", "Conditional")
    assert details(moved["Server"]) == [("SubnetId", "Always", "Dynamic", "ResourceReference", "Sub")]

    # InstanceType: Conditionally (AWS's own change-set example), named by the parameter that changed it.
    resized = change_set(cfn, "repl", "size", UsePreviousTemplate=True, Parameters=[
        {"ParameterKey": "Image", "UsePreviousValue": True}, {"ParameterKey": "Size", "ParameterValue": "t2.small"}])
    assert set(resized) == {"Server"} and resized["Server"]["Replacement"] == "Conditional"
    assert details(resized["Server"]) == [
        ("InstanceType", "Conditionally", "Dynamic", "DirectModification", None),
        ("InstanceType", "Conditionally", "Static", "ParameterReference", "Size"),
    ]

    # ImageId is create-only: True, Always; executing it really replaces the instance.
    reimaged = change_set(cfn, "repl", "image", UsePreviousTemplate=True, Parameters=[
        {"ParameterKey": "Image", "ParameterValue": "ubuntu-22.04"}, {"ParameterKey": "Size", "UsePreviousValue": True}])
    assert set(reimaged) == {"Server"} and reimaged["Server"]["Replacement"] == "True"
    assert [(name, recreation) for name, recreation, *_ in details(reimaged["Server"])] == \
        [("ImageId", "Always"), ("ImageId", "Always")]
    assert details(reimaged["Server"])[1][3:] == ("ParameterReference", "Image")
    cfn.execute_change_set(StackName="repl", ChangeSetName="image")
    wait(cfn, "repl", "stack_update_complete")
    assert physical_id(cfn, "repl", "Server") != server_id
    assert physical_id(cfn, "repl", "Sub") == subnet_id
    delete_and_check_seed(cfn, server, "repl", seed)
