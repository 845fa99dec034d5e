"""EC2 types end to end through boto3 on the sim: update in place, update with
replacement, and each type's natural failure rolling back cleanly — judged by
the physical ids CloudFormation reports and by the sim's own inventory. Each
type is a ``Scenario`` (tests/e2e/lifecycle.py) plus the checks only it needs."""

import pytest

from cfnapi.testing.clients import client
from cfnapi.testing.sim_inventory import ids
from cfnapi.testing.sim_inventory import sim_inventory as sim_show
from cfnapi.testing.sim_inventory import sim_inventory_direct as sim_inventory
from tests.e2e.lifecycle import (
    IN_PLACE, REPLACED, ROLLED_BACK, Run, Scenario, Step, create_fails, entry, fast_sim_server, physical_id,
    run_scenario, update, wait,
)

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    running = fast_sim_server(tmp_path_factory.mktemp("cfnapi-ec2-lifecycle"))
    yield running
    running.stop()


@pytest.fixture(scope="module")
def cfn(server):
    return client("cloudformation", server.endpoint)


INSTANCE = """
Parameters:
  Image: {Type: String, Default: cirros-0.6.2-x86_64-disk}
  Type: {Type: String, Default: t2.micro}
Resources:
  Server:
    Type: AWS::EC2::Instance
    Properties: {ImageId: !Ref Image, InstanceType: !Ref Type}
Outputs:
  Ip: {Value: !GetAtt Server.PrivateIp}
"""


def _flavor(run: Run) -> str:
    return entry(run.inventory(), "servers", run.physical_id("Server"))["flavor_id"]


def _remember_flavor(run: Run) -> None:
    run.notes["flavor"] = _flavor(run)


def _resized(run: Run) -> None:  # AWS: stop, modify, start — same instance, new flavor
    assert _flavor(run) != run.notes["flavor"]


def _same_flavor(run: Run) -> None:
    assert _flavor(run) == run.notes["flavor"]


def _ports_unchanged(run: Run) -> None:
    assert ids(run.inventory(), "ports") == ids(run.before, "ports")


INSTANCE_LIFE = Scenario(
    "inst", INSTANCE, "Server", sim_kind="servers", on_create=_remember_flavor, steps=(
        Step(IN_PLACE, {"Type": "t2.large"}, check=_resized),
        Step(REPLACED, {"Type": "t2.large", "Image": "ubuntu-22.04"}),  # ImageId is createOnly
        Step(ROLLED_BACK, {"Type": "t2.large", "Image": "no-such-image"},
             reason="Image no-such-image could not be found.", check=_ports_unchanged),
    ))


VOLUME = """
Parameters:
  Size: {Type: Number, Default: 1}
  Zone: {Type: String, Default: us-east-1a}
Resources:
  Data:
    Type: AWS::EC2::Volume
    Properties: {AvailabilityZone: !Ref Zone, Size: !Ref Size}
"""


def _size_is(gigabytes: int):
    def check(run: Run) -> None:
        assert entry(run.inventory(), "volumes", run.physical_id("Data"))["size_gb"] == gigabytes
    return check


VOLUME_LIFE = Scenario(
    "vol", VOLUME, "Data", sim_kind="volumes", steps=(
        Step(IN_PLACE, {"Size": 3}, check=_size_is(3)),  # EC2 ModifyVolume: in place
        Step(ROLLED_BACK, {"Size": 2}, reason="New size cannot be smaller than existing size", check=_size_is(3)),
        Step(REPLACED, {"Size": 3, "Zone": "us-east-1b"}),  # AvailabilityZone: replacement
    ))


GROUP = """
Parameters:
  Cidr: {Type: String, Default: 10.0.0.0/8}
  Description: {Type: String, Default: web}
Resources:
  Web:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: !Ref Description
      SecurityGroupIngress: [{IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: !Ref Cidr}]
"""


GROUP_LIFE = Scenario(
    "sg", GROUP, "Web", sim_kind="security_groups", steps=(
        Step(IN_PLACE, {"Cidr": "192.168.0.0/16"}),
        Step(REPLACED, {"Cidr": "192.168.0.0/16", "Description": "web servers"}),  # GroupDescription: createOnly
        Step(ROLLED_BACK, {"Cidr": "not-a-cidr", "Description": "web servers"},
             reason="'not-a-cidr' is not a valid IP prefix"),
    ))


EGRESS = """
Parameters:
  Port: {Type: Number, Default: 443}
  Restrict: {Type: String, Default: "no", AllowedValues: ["yes", "no"]}
  Duplicate: {Type: String, Default: "no", AllowedValues: ["yes", "no"]}
Conditions:
  RestrictGroup: !Equals [!Ref Restrict, "yes"]
  DuplicateRule: !Equals [!Ref Duplicate, "yes"]
Resources:
  Web:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: web
      SecurityGroupEgress: !If
        - RestrictGroup
        - [{IpProtocol: udp, FromPort: 53, ToPort: 53, CidrIp: 10.0.0.2/32}]
        - !Ref AWS::NoValue
  Out:
    Type: AWS::EC2::SecurityGroupEgress
    Properties: {GroupId: !GetAtt Web.GroupId, IpProtocol: tcp, FromPort: !Ref Port, ToPort: !Ref Port,
                 CidrIp: 10.0.0.0/8}
  Again:
    Type: AWS::EC2::SecurityGroupEgress
    Condition: DuplicateRule
    Properties: {GroupId: !GetAtt Web.GroupId, IpProtocol: tcp, FromPort: !Ref Port, ToPort: !Ref Port,
                 CidrIp: 10.0.0.0/8}
Outputs:
  RuleRef: {Value: !Ref Out}
  RuleId: {Value: !GetAtt Out.Id}
"""


def _group_egress(run: Run) -> list[str]:
    return sorted(r["name"] for r in run.inventory()["security_group_rules"]
                  if r["group_id"] == run.physical_id("Web") and r["name"].startswith("egress"))


def _rule_id_is_the_rules(run: Run) -> None:
    rule = run.physical_id("Out")
    assert run.outputs() == {"RuleRef": rule, "RuleId": rule}
    assert entry(run.inventory(), "security_group_rules", rule)["group_id"] == run.physical_id("Web")


def _default_egress_and_the_rule(run: Run) -> None:
    _rule_id_is_the_rules(run)
    assert _group_egress(run) == ["egress IPv4 any", "egress IPv4 tcp", "egress IPv6 any"]


def _only_listed_egress(run: Run) -> None:  # AWS drops the allow-all once egress rules are listed
    assert _group_egress(run) == ["egress IPv4 tcp", "egress IPv4 udp"]


EGRESS_LIFE = Scenario(
    "egress", EGRESS, "Out", sim_kind="security_group_rules", on_create=_default_egress_and_the_rule, steps=(
        Step(IN_PLACE, {"Restrict": "yes"}, resource="Web", check=_only_listed_egress),
        Step(IN_PLACE, {"Restrict": "no"}, resource="Web", check=_default_egress_and_the_rule),  # restored
        Step(REPLACED, {"Port": 8443}, check=_rule_id_is_the_rules),  # FromPort/ToPort: createOnly
        Step(ROLLED_BACK, {"Port": 8443, "Duplicate": "yes"}, reason="Security group rule already exists",
             check=_default_egress_and_the_rule),
    ))


NETWORK = """
Parameters:
  VpcCidr: {Type: String, Default: 10.50.0.0/16}
  SubnetCidr: {Type: String, Default: 10.50.1.0/24}
Resources:
  Vpc: {Type: AWS::EC2::VPC, Properties: {CidrBlock: !Ref VpcCidr}}
  Subnet: {Type: AWS::EC2::Subnet, Properties: {VpcId: !Ref Vpc, CidrBlock: !Ref SubnetCidr}}
  Address: {Type: AWS::EC2::EIP, Properties: {Domain: vpc}}
Outputs:
  Ip: {Value: !GetAtt Address.PublicIp}
"""


def _remember_vpc_and_address(run: Run) -> None:
    run.notes["kept"] = (run.physical_id("Vpc"), run.physical_id("Address"))


def _vpc_and_address_kept(run: Run) -> None:
    assert (run.physical_id("Vpc"), run.physical_id("Address")) == run.notes["kept"]


NETWORK_LIFE = Scenario(
    "net", NETWORK, "Subnet", sim_kind="subnets", on_create=_remember_vpc_and_address, steps=(
        Step(REPLACED, {"SubnetCidr": "10.50.2.0/24"}, check=_vpc_and_address_kept),  # CidrBlock: createOnly
        Step(ROLLED_BACK, {"SubnetCidr": "10.50.300.0/24"}, reason="10.50.300.0/24"),
        Step(ROLLED_BACK, {"SubnetCidr": "10.99.0.0/24"},  # outside the VPC's 10.50.0.0/16
             reason="The CIDR '10.99.0.0/24' is invalid.", check=_vpc_and_address_kept),
    ))


ATTACHED = """
Parameters:
  Second: {Type: String, Default: "no"}
Conditions:
  Twice: !Equals [!Ref Second, "yes"]
Resources:
  Server: {Type: AWS::EC2::Instance, Properties: {ImageId: cirros-0.6.2-x86_64-disk, InstanceType: t2.micro}}
  Other: {Type: AWS::EC2::Instance, Properties: {ImageId: cirros-0.6.2-x86_64-disk, InstanceType: t2.micro}}
  Data: {Type: AWS::EC2::Volume, Properties: {AvailabilityZone: !GetAtt Server.AvailabilityZone, Size: 1}}
  Mount: {Type: AWS::EC2::VolumeAttachment, Properties: {InstanceId: !Ref Server, VolumeId: !Ref Data}}
  MountAgain:
    Type: AWS::EC2::VolumeAttachment
    Condition: Twice
    DependsOn: Mount
    Properties: {InstanceId: !Ref Other, VolumeId: !Ref Data}
"""


def _volume_in_use(run: Run) -> None:
    assert entry(run.inventory(), "volumes", run.physical_id("Data"))["status"] == "in-use"


ATTACHED_LIFE = Scenario(  # attaching an in-use volume fails and leaves the first attachment
    "att", ATTACHED, "Data", sim_kind="volumes", on_create=_volume_in_use, steps=(
        Step(ROLLED_BACK, {"Second": "yes"}, reason="in-use", check=_volume_in_use),
    ))


KEYS_AND_INTERFACES = """
Parameters:
  KeyName: {Type: String, Default: deploy-1}
  Ip: {Type: String, Default: 10.0.0.50}
  Group: {Type: String, Default: first}
Resources:
  Key: {Type: AWS::EC2::KeyPair, Properties: {KeyName: !Ref KeyName}}
  First: {Type: AWS::EC2::SecurityGroup, Properties: {GroupDescription: first}}
  Second: {Type: AWS::EC2::SecurityGroup, Properties: {GroupDescription: second}}
  Nic:
    Type: AWS::EC2::NetworkInterface
    Properties:
      SubnetId: 39eadb3d-faaf-59d3-b258-3901471b49ed
      PrivateIpAddress: !Ref Ip
      GroupSet: [!If [UseFirst, !Ref First, !Ref Second]]
Conditions:
  UseFirst: !Equals [!Ref Group, first]
Outputs:
  KeyPairId: {Value: !GetAtt Key.KeyPairId}
  NicIp: {Value: !GetAtt Nic.PrimaryPrivateIpAddress}
"""


def _key_is_deploy_1(run: Run) -> None:
    assert run.physical_id("Key") == "deploy-1"


def _keypairs_unchanged(run: Run) -> None:
    _key_is_deploy_1(run)
    assert ids(run.inventory(), "keypairs") == ids(run.before, "keypairs")


NIC_LIFE = Scenario(
    "nic", KEYS_AND_INTERFACES, "Nic", sim_kind="ports", on_create=_key_is_deploy_1, steps=(
        Step(IN_PLACE, {"Group": "second"}),  # GroupSet: in place
        Step(REPLACED, {"Group": "second", "Ip": "10.0.0.51"}),  # PrivateIpAddress: createOnly
        # KeyName is createOnly, and "default" is the seed's own pair: EC2 and Nova refuse a duplicate.
        Step(ROLLED_BACK, {"Group": "second", "Ip": "10.0.0.51", "KeyName": "default"},
             reason="already exists", check=_keypairs_unchanged),
    ))


RESIZE_THEN_FAIL = """
Parameters:
  Type: {Type: String, Default: t2.micro}
  Break: {Type: String, Default: "no"}
Conditions:
  Broken: !Equals [!Ref Break, "yes"]
Resources:
  Server:
    Type: AWS::EC2::Instance
    Properties: {ImageId: cirros-0.6.2-x86_64-disk, InstanceType: !Ref Type}
  Gate:
    Type: AWS::SSM::Parameter
    DependsOn: Server
    Properties: {Type: !If [Broken, Bogus, String], Value: !Ref Type}
"""


RESIZE_LIFE = Scenario(  # a resize is undone by the rollback, and one over quota fails cleanly
    "resize", RESIZE_THEN_FAIL, "Server", sim_kind="servers", on_create=_remember_flavor, steps=(
        Step(ROLLED_BACK, {"Type": "t2.large", "Break": "yes"}, check=_same_flavor),  # resized, then Gate fails
        Step(ROLLED_BACK, {"Type": "m5.4xlarge"},  # 32 vCPUs: over the seed's 20 cores
             reason="Quota exceeded for cores", check=_same_flavor),
    ))


ROUTING = """
Parameters:
  Destination: {Type: String, Default: 0.0.0.0/0}
  Via: {Type: String, Default: igw, AllowedValues: [igw, nat, instance]}
  Table: {Type: String, Default: main}
Conditions:
  ViaIgw: !Equals [!Ref Via, igw]
  ViaNat: !Equals [!Ref Via, nat]
  ViaInstance: !Equals [!Ref Via, instance]
  MainTable: !Equals [!Ref Table, main]
Resources:
  Vpc: {Type: AWS::EC2::VPC, Properties: {CidrBlock: 10.60.0.0/16}}
  Public: {Type: AWS::EC2::Subnet, Properties: {VpcId: !Ref Vpc, CidrBlock: 10.60.0.0/24}}
  Igw: {Type: AWS::EC2::InternetGateway}
  Attach: {Type: AWS::EC2::VPCGatewayAttachment, Properties: {VpcId: !Ref Vpc, InternetGatewayId: !Ref Igw}}
  NatIp: {Type: AWS::EC2::EIP, DependsOn: Attach, Properties: {Domain: vpc}}
  Nat: {Type: AWS::EC2::NatGateway, Properties: {SubnetId: !Ref Public, AllocationId: !GetAtt NatIp.AllocationId}}
  Main: {Type: AWS::EC2::RouteTable, Properties: {VpcId: !Ref Vpc}}
  Spare: {Type: AWS::EC2::RouteTable, Properties: {VpcId: !Ref Vpc}}
  Default:
    Type: AWS::EC2::Route
    DependsOn: Attach
    Properties:
      RouteTableId: !Ref Main
      DestinationCidrBlock: !Ref Destination
      GatewayId: !If [ViaIgw, !Ref Igw, !Ref AWS::NoValue]
      NatGatewayId: !If [ViaNat, !Ref Nat, !Ref AWS::NoValue]
      InstanceId: !If [ViaInstance, i-0123456789abcdef0, !Ref AWS::NoValue]
  Assoc:
    Type: AWS::EC2::SubnetRouteTableAssociation
    Properties: {SubnetId: !Ref Public, RouteTableId: !If [MainTable, !Ref Main, !Ref Spare]}
"""


def _remember_association(run: Run) -> None:
    run.notes["assoc"] = run.physical_id("Assoc")


def _association_replaced(run: Run) -> None:  # AWS: RouteTableId is createOnly, a new association id
    assert run.physical_id("Assoc") != run.notes["assoc"]


ROUTING_LIFE = Scenario(
    "routes", ROUTING, "Default", on_create=_remember_association, steps=(
        # the route's target: in place; the association's table: replaced
        Step(IN_PLACE, {"Via": "nat", "Table": "spare"}, check=_association_replaced),
        Step(REPLACED, {"Via": "nat", "Table": "spare", "Destination": "10.99.0.0/16"}),  # createOnly
        Step(ROLLED_BACK, {"Via": "instance", "Table": "spare", "Destination": "10.99.0.0/16"},
             reason="Routes with target InstanceId are not supported"),
    ))


ATTACHMENTS = """
Parameters:
  Value: {Type: String, Default: blue}
  Name: {Type: String, Default: /e2e/colour}
  Cidr: {Type: String, Default: 10.0.0.0/8}
  Target: {Type: String, Default: first}
Conditions:
  First: !Equals [!Ref Target, first]
Resources:
  One: {Type: AWS::EC2::Instance, Properties: {ImageId: cirros-0.6.2-x86_64-disk, InstanceType: t2.micro}}
  Two: {Type: AWS::EC2::Instance, Properties: {ImageId: cirros-0.6.2-x86_64-disk, InstanceType: t2.micro}}
  Web: {Type: AWS::EC2::SecurityGroup, Properties: {GroupDescription: web}}
  Http:
    Type: AWS::EC2::SecurityGroupIngress
    Properties: {GroupId: !GetAtt Web.GroupId, IpProtocol: tcp, FromPort: 80, ToPort: 80, CidrIp: !Ref Cidr}
  Ip: {Type: AWS::EC2::EIP, Properties: {Domain: vpc}}
  Bind:
    Type: AWS::EC2::EIPAssociation
    Properties: {AllocationId: !GetAtt Ip.AllocationId, InstanceId: !If [First, !Ref One, !Ref Two]}
  Colour:
    Type: AWS::SSM::Parameter
    Properties: {Name: !Ref Name, Type: String, Value: !Ref Value, AllowedPattern: "^[a-z]+$"}
Outputs:
  Colour: {Value: !GetAtt Colour.Value}
"""


def _colour(value: str):
    def check(run: Run) -> None:
        assert run.outputs()["Colour"] == value
    return check


def _address_moved_to_two(run: Run) -> None:
    inventory = run.inventory()
    [address] = [f for f in inventory["floating_ips"] if f["project_id"]]
    assert entry(inventory, "ports", address["port_id"])["device_id"] == run.physical_id("Two")


def _renamed_to_color(run: Run) -> None:
    assert run.physical_id("Colour") == "/e2e/color"


BITS_LIFE = Scenario(
    "bits", ATTACHMENTS, "Colour", steps=(
        Step(IN_PLACE, {"Value": "green"}, check=_colour("green")),  # Value: in place
        Step(REPLACED, {"Value": "green", "Cidr": "192.168.0.0/16", "Target": "second"},  # both createOnly
             resource="Http", check=_address_moved_to_two),
        Step(ROLLED_BACK, {"Value": "Not-Lowercase", "Cidr": "192.168.0.0/16", "Target": "second"},
             reason="failed to satisfy constraint specified in AllowedPattern", check=_colour("green")),
        # Name: createOnly, and renamed, so it can be replaced
        Step(REPLACED, {"Value": "green", "Name": "/e2e/color", "Cidr": "192.168.0.0/16", "Target": "second"},
             check=_renamed_to_color),
    ))


@pytest.mark.parametrize("scenario", [
    INSTANCE_LIFE, VOLUME_LIFE, GROUP_LIFE, EGRESS_LIFE, NETWORK_LIFE, ATTACHED_LIFE, NIC_LIFE, RESIZE_LIFE, ROUTING_LIFE,
    BITS_LIFE,
], ids=str)
def test_update_in_place_replacement_and_natural_failure_roll_back_and_delete_to_the_seed(cfn, server, scenario):
    run_scenario(cfn, server, scenario)


def test_instance_over_the_cores_quota_rolls_back_the_create_with_novas_message(cfn, server):
    create_fails(cfn, server, "huge", INSTANCE, "Quota exceeded for", Type="m5.4xlarge")


def test_volume_over_the_gigabytes_quota_rolls_back_with_cinders_message(cfn, server):
    create_fails(cfn, server, "bigvol", VOLUME, "exceeds allowed gigabytes quota", Size=5000)


def test_a_subnet_overlapping_another_in_its_vpc_rolls_back_the_create(cfn, server):
    overlapping = NETWORK.replace("Outputs:", """  Overlap: {Type: AWS::EC2::Subnet, Properties: {VpcId: !Ref Vpc, CidrBlock: 10.50.1.128/25}, DependsOn: Subnet}
Outputs:""")
    create_fails(cfn, server, "overlap", overlapping, "overlaps with another subnet")


SNAPSHOT_VOLUME = """
Parameters:
  Zone: {Type: String, Default: us-east-1a}
Resources:
  Data:
    Type: AWS::EC2::Volume
    DeletionPolicy: Snapshot
    UpdateReplacePolicy: Snapshot
    Properties: {AvailabilityZone: !Ref Zone, Size: 2}
  Scratch:
    Type: AWS::EC2::Volume
    DeletionPolicy: Retain
    Properties: {AvailabilityZone: us-east-1a, Size: 1}
"""


def _backups_of(inventory, volume_id):
    return [b for b in inventory["volume_backups"] if b["volume_id"] == volume_id]


def test_snapshot_policies_keep_a_snapshot_after_replacement_and_delete_and_retain_keeps_the_volume(cfn, server):
    seed = sim_inventory(server)
    cfn.create_stack(StackName="snapvol", TemplateBody=SNAPSHOT_VOLUME)
    wait(cfn, "snapvol", "stack_create_complete")
    first, scratch = physical_id(cfn, "snapvol", "Data"), physical_id(cfn, "snapvol", "Scratch")

    update(cfn, "snapvol", SNAPSHOT_VOLUME, Zone="us-east-1b")  # replaced: UpdateReplacePolicy Snapshot
    wait(cfn, "snapvol", "stack_update_complete")
    second = physical_id(cfn, "snapvol", "Data")
    inventory = sim_inventory(server)
    [kept_on_replace] = _backups_of(inventory, first)
    assert first not in ids(inventory, "volumes") and kept_on_replace["size_gb"] == 2

    stack_id = cfn.describe_stacks(StackName="snapvol")["Stacks"][0]["StackId"]
    cfn.delete_stack(StackName="snapvol")
    wait(cfn, "snapvol", "stack_delete_complete")
    inventory = sim_show(server)  # as a user sees it: `cfnapi sim show --json`
    [kept_on_delete] = _backups_of(inventory, second)
    assert ids(inventory, "volumes") - ids(seed, "volumes") == {scratch}  # Retain keeps the volume itself
    assert ids(inventory, "volume_backups") - ids(seed, "volume_backups") == {
        kept_on_replace["id"], kept_on_delete["id"]}

    events = cfn.describe_stack_events(StackName=stack_id)["StackEvents"]
    reasons = [(e["LogicalResourceId"], e["ResourceStatus"], e.get("ResourceStatusReason")) for e in events]
    assert ("Data", "DELETE_IN_PROGRESS",
            f"Creating snapshot {kept_on_delete['id']} before deletion (DeletionPolicy Snapshot)") in reasons
    assert ("Data", "DELETE_IN_PROGRESS",
            f"Creating snapshot {kept_on_replace['id']} before deletion (UpdateReplacePolicy Snapshot)") in reasons
    assert ("Scratch", "DELETE_SKIPPED", None) in reasons
    resources = cfn.describe_stack_resources(StackName=stack_id)["StackResources"]
    data = next(r for r in resources if r["LogicalResourceId"] == "Data")
    assert data["ResourceStatus"] == "DELETE_COMPLETE"
    assert data["ResourceStatusReason"] == f"Snapshot {kept_on_delete['id']} was kept"


def test_snapshot_policy_on_a_type_that_cannot_snapshot_is_a_template_format_error(cfn):
    body = SNAPSHOT_VOLUME + """
  Web:
    Type: AWS::EC2::SecurityGroup
    DeletionPolicy: Snapshot
    Properties: {GroupDescription: web}
"""
    for call in (lambda: cfn.validate_template(TemplateBody=body),
                 lambda: cfn.create_stack(StackName="badsnap", TemplateBody=body)):
        with pytest.raises(cfn.exceptions.ClientError) as caught:
            call()
        assert caught.value.response["Error"]["Code"] == "ValidationError"
        assert caught.value.response["Error"]["Message"] == (
            "Template format error: Resource Web: DeletionPolicy Snapshot is not supported "
            "for resource type AWS::EC2::SecurityGroup"
        )
