"""EC2 types end to end through boto3 on the sim: update in place, update with
replacement, and each type's natural failure rolling back cleanly — judged by
the physical ids CloudFormation reports and by the sim's own inventory."""

from pathlib import Path

import pytest
import yaml

import cfnapi.cloud.sim
from cfnapi.testing.clients import client
from cfnapi.testing.server import start_server
from cfnapi.testing.sim_inventory import ids
from cfnapi.testing.sim_inventory import sim_inventory as sim_show
from cfnapi.testing.sim_inventory import sim_inventory_direct as sim_inventory

pytestmark = pytest.mark.e2e

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

VOLUME = """
Parameters:
  Size: {Type: Number, Default: 1}
  Zone: {Type: String, Default: us-east-1a}
Resources:
  Data:
    Type: AWS::EC2::Volume
    Properties: {AvailabilityZone: !Ref Zone, Size: !Ref Size}
"""

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


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A server of its own, so the sim inventory holds only what these tests make;
    the shipped seed with shorter build times, so the module runs quickly."""
    data_dir = tmp_path_factory.mktemp("cfnapi-ec2-lifecycle")
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


def status(cfn, name):
    return cfn.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"]


def physical_id(cfn, name, logical_id):
    return cfn.describe_stack_resource(StackName=name, LogicalResourceId=logical_id)[
        "StackResourceDetail"]["PhysicalResourceId"]


def update(cfn, name, template, **parameters):
    cfn.update_stack(StackName=name, TemplateBody=template,
                     Parameters=[{"ParameterKey": k, "ParameterValue": str(v)} for k, v in parameters.items()])


def failure_reasons(cfn, name):
    return [e.get("ResourceStatusReason", "") for e in cfn.describe_stack_events(StackName=name)["StackEvents"]
            if e["ResourceStatus"].endswith("FAILED")]


def entry(inventory, kind, entry_id):
    [found] = [e for e in inventory[kind] if e["id"] == entry_id]
    return found


def delete_and_check_seed(cfn, server, name, seed):
    cfn.delete_stack(StackName=name)
    wait(cfn, name, "stack_delete_complete")
    assert sim_inventory(server) == seed


def test_instance_resize_in_place_replace_on_image_and_unknown_image_rolls_back(cfn, server):
    seed = sim_inventory(server)
    cfn.create_stack(StackName="inst", TemplateBody=INSTANCE)
    wait(cfn, "inst", "stack_create_complete")
    first = physical_id(cfn, "inst", "Server")
    small_flavor = entry(sim_inventory(server), "servers", first)["flavor_id"]

    update(cfn, "inst", INSTANCE, Type="t2.large")  # AWS: stop, modify, start — same instance
    wait(cfn, "inst", "stack_update_complete")
    assert physical_id(cfn, "inst", "Server") == first
    assert entry(sim_inventory(server), "servers", first)["flavor_id"] != small_flavor

    update(cfn, "inst", INSTANCE, Type="t2.large", Image="ubuntu-22.04")  # ImageId is createOnly
    wait(cfn, "inst", "stack_update_complete")
    second = physical_id(cfn, "inst", "Server")
    assert second != first
    assert ids(sim_inventory(server), "servers") - ids(seed, "servers") == {second}  # the old one cleaned up

    before = sim_inventory(server)
    update(cfn, "inst", INSTANCE, Type="t2.large", Image="no-such-image")
    with pytest.raises(Exception):
        wait(cfn, "inst", "stack_update_complete")
    assert status(cfn, "inst") == "UPDATE_ROLLBACK_COMPLETE"
    assert any("Image no-such-image could not be found." in r for r in failure_reasons(cfn, "inst"))
    assert physical_id(cfn, "inst", "Server") == second
    assert ids(sim_inventory(server), "servers") == ids(before, "servers")
    assert ids(sim_inventory(server), "ports") == ids(before, "ports")

    delete_and_check_seed(cfn, server, "inst", seed)


def test_instance_over_the_cores_quota_rolls_back_the_create_with_novas_message(cfn, server):
    seed = sim_inventory(server)
    cfn.create_stack(StackName="huge", TemplateBody=INSTANCE,
                     Parameters=[{"ParameterKey": "Type", "ParameterValue": "m5.4xlarge"}])
    with pytest.raises(Exception):
        wait(cfn, "huge", "stack_create_complete")
    assert status(cfn, "huge") == "ROLLBACK_COMPLETE"
    assert any("Quota exceeded for" in r for r in failure_reasons(cfn, "huge"))
    assert sim_inventory(server) == seed
    cfn.delete_stack(StackName="huge")
    wait(cfn, "huge", "stack_delete_complete")


def test_volume_extends_in_place_replaces_on_zone_and_a_shrink_rolls_back(cfn, server):
    seed = sim_inventory(server)
    cfn.create_stack(StackName="vol", TemplateBody=VOLUME)
    wait(cfn, "vol", "stack_create_complete")
    first = physical_id(cfn, "vol", "Data")

    update(cfn, "vol", VOLUME, Size=3)  # EC2 ModifyVolume: in place
    wait(cfn, "vol", "stack_update_complete")
    assert physical_id(cfn, "vol", "Data") == first
    assert entry(sim_inventory(server), "volumes", first)["size_gb"] == 3

    update(cfn, "vol", VOLUME, Size=2)
    with pytest.raises(Exception):
        wait(cfn, "vol", "stack_update_complete")
    assert status(cfn, "vol") == "UPDATE_ROLLBACK_COMPLETE"
    assert any("New size cannot be smaller than existing size" in r for r in failure_reasons(cfn, "vol"))
    assert entry(sim_inventory(server), "volumes", first)["size_gb"] == 3

    update(cfn, "vol", VOLUME, Size=3, Zone="us-east-1b")  # AvailabilityZone: replacement
    wait(cfn, "vol", "stack_update_complete")
    second = physical_id(cfn, "vol", "Data")
    assert second != first
    assert ids(sim_inventory(server), "volumes") - ids(seed, "volumes") == {second}

    delete_and_check_seed(cfn, server, "vol", seed)


def test_volume_over_the_gigabytes_quota_rolls_back_with_cinders_message(cfn, server):
    seed = sim_inventory(server)
    cfn.create_stack(StackName="bigvol", TemplateBody=VOLUME,
                     Parameters=[{"ParameterKey": "Size", "ParameterValue": "5000"}])
    with pytest.raises(Exception):
        wait(cfn, "bigvol", "stack_create_complete")
    assert status(cfn, "bigvol") == "ROLLBACK_COMPLETE"
    assert any("exceeds allowed gigabytes quota" in r for r in failure_reasons(cfn, "bigvol"))
    assert sim_inventory(server) == seed
    cfn.delete_stack(StackName="bigvol")
    wait(cfn, "bigvol", "stack_delete_complete")


def test_security_group_rules_update_in_place_and_description_replaces(cfn, server):
    seed = sim_inventory(server)
    cfn.create_stack(StackName="sg", TemplateBody=GROUP)
    wait(cfn, "sg", "stack_create_complete")
    first = physical_id(cfn, "sg", "Web")

    update(cfn, "sg", GROUP, Cidr="192.168.0.0/16")
    wait(cfn, "sg", "stack_update_complete")
    assert physical_id(cfn, "sg", "Web") == first

    update(cfn, "sg", GROUP, Cidr="192.168.0.0/16", Description="web servers")  # GroupDescription: createOnly
    wait(cfn, "sg", "stack_update_complete")
    second = physical_id(cfn, "sg", "Web")
    assert second != first
    assert ids(sim_inventory(server), "security_groups") - ids(seed, "security_groups") == {second}

    update(cfn, "sg", GROUP, Cidr="not-a-cidr", Description="web servers")
    with pytest.raises(Exception):
        wait(cfn, "sg", "stack_update_complete")
    assert status(cfn, "sg") == "UPDATE_ROLLBACK_COMPLETE"
    assert any("'not-a-cidr' is not a valid IP prefix" in r for r in failure_reasons(cfn, "sg"))
    assert physical_id(cfn, "sg", "Web") == second

    delete_and_check_seed(cfn, server, "sg", seed)


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


def test_vpc_subnet_and_eip_replace_on_cidr_and_a_malformed_cidr_rolls_back(cfn, server):
    seed = sim_inventory(server)
    cfn.create_stack(StackName="net", TemplateBody=NETWORK)
    wait(cfn, "net", "stack_create_complete")
    vpc, subnet, address = (physical_id(cfn, "net", r) for r in ("Vpc", "Subnet", "Address"))

    update(cfn, "net", NETWORK, SubnetCidr="10.50.2.0/24")  # Subnet CidrBlock: createOnly
    wait(cfn, "net", "stack_update_complete")
    assert physical_id(cfn, "net", "Vpc") == vpc and physical_id(cfn, "net", "Address") == address
    moved = physical_id(cfn, "net", "Subnet")
    assert moved != subnet
    assert ids(sim_inventory(server), "subnets") - ids(seed, "subnets") == {moved}

    before = sim_inventory(server)
    update(cfn, "net", NETWORK, SubnetCidr="10.50.300.0/24")
    with pytest.raises(Exception):
        wait(cfn, "net", "stack_update_complete")
    assert status(cfn, "net") == "UPDATE_ROLLBACK_COMPLETE"
    assert any("10.50.300.0/24" in r for r in failure_reasons(cfn, "net")), failure_reasons(cfn, "net")

    update(cfn, "net", NETWORK, SubnetCidr="10.99.0.0/24")  # outside the VPC's 10.50.0.0/16
    with pytest.raises(Exception):
        wait(cfn, "net", "stack_update_complete")
    assert status(cfn, "net") == "UPDATE_ROLLBACK_COMPLETE"
    assert "The CIDR '10.99.0.0/24' is invalid." in failure_reasons(cfn, "net")
    assert physical_id(cfn, "net", "Subnet") == moved
    assert ids(sim_inventory(server), "subnets") == ids(before, "subnets")

    delete_and_check_seed(cfn, server, "net", seed)


def test_a_subnet_overlapping_another_in_its_vpc_rolls_back_the_create(cfn, server):
    seed = sim_inventory(server)
    overlapping = NETWORK.replace("Outputs:", """  Overlap: {Type: AWS::EC2::Subnet, Properties: {VpcId: !Ref Vpc, CidrBlock: 10.50.1.128/25}, DependsOn: Subnet}
Outputs:""")
    cfn.create_stack(StackName="overlap", TemplateBody=overlapping)
    with pytest.raises(Exception):
        wait(cfn, "overlap", "stack_create_complete")
    assert status(cfn, "overlap") == "ROLLBACK_COMPLETE"
    assert any("overlaps with another subnet" in r for r in failure_reasons(cfn, "overlap"))
    assert sim_inventory(server) == seed
    cfn.delete_stack(StackName="overlap")
    wait(cfn, "overlap", "stack_delete_complete")


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


def test_attaching_an_in_use_volume_fails_and_rolls_back_leaving_the_first_attachment(cfn, server):
    seed = sim_inventory(server)
    cfn.create_stack(StackName="att", TemplateBody=ATTACHED)
    wait(cfn, "att", "stack_create_complete")
    volume = physical_id(cfn, "att", "Data")
    assert entry(sim_inventory(server), "volumes", volume)["status"] == "in-use"

    update(cfn, "att", ATTACHED, Second="yes")
    with pytest.raises(Exception):
        wait(cfn, "att", "stack_update_complete")
    assert status(cfn, "att") == "UPDATE_ROLLBACK_COMPLETE"
    assert any("in-use" in r for r in failure_reasons(cfn, "att"))
    assert entry(sim_inventory(server), "volumes", volume)["status"] == "in-use"

    delete_and_check_seed(cfn, server, "att", seed)


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


def test_keypair_and_network_interface_in_place_replacement_and_conflicts_roll_back(cfn, server):
    seed = sim_inventory(server)
    cfn.create_stack(StackName="nic", TemplateBody=KEYS_AND_INTERFACES)
    wait(cfn, "nic", "stack_create_complete")
    nic, key = physical_id(cfn, "nic", "Nic"), physical_id(cfn, "nic", "Key")
    assert key == "deploy-1"

    update(cfn, "nic", KEYS_AND_INTERFACES, Group="second")  # GroupSet: in place
    wait(cfn, "nic", "stack_update_complete")
    assert physical_id(cfn, "nic", "Nic") == nic

    update(cfn, "nic", KEYS_AND_INTERFACES, Group="second", Ip="10.0.0.51")  # PrivateIpAddress: createOnly
    wait(cfn, "nic", "stack_update_complete")
    moved = physical_id(cfn, "nic", "Nic")
    assert moved != nic
    assert ids(sim_inventory(server), "ports") - ids(seed, "ports") == {moved}

    before = sim_inventory(server)
    # KeyName is createOnly, and "default" is the seed's own pair: EC2 and Nova refuse a duplicate.
    update(cfn, "nic", KEYS_AND_INTERFACES, Group="second", Ip="10.0.0.51", KeyName="default")
    with pytest.raises(Exception):
        wait(cfn, "nic", "stack_update_complete")
    assert status(cfn, "nic") == "UPDATE_ROLLBACK_COMPLETE"
    assert any("already exists" in r for r in failure_reasons(cfn, "nic")), failure_reasons(cfn, "nic")
    assert physical_id(cfn, "nic", "Key") == "deploy-1"
    assert ids(sim_inventory(server), "keypairs") == ids(before, "keypairs")

    delete_and_check_seed(cfn, server, "nic", seed)


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


def test_a_resize_is_undone_by_the_rollback_and_one_over_quota_fails_cleanly(cfn, server):
    seed = sim_inventory(server)
    cfn.create_stack(StackName="resize", TemplateBody=RESIZE_THEN_FAIL)
    wait(cfn, "resize", "stack_create_complete")
    instance = physical_id(cfn, "resize", "Server")
    original = entry(sim_inventory(server), "servers", instance)["flavor_id"]

    update(cfn, "resize", RESIZE_THEN_FAIL, Type="t2.large", Break="yes")  # resized, then Gate fails
    with pytest.raises(Exception):
        wait(cfn, "resize", "stack_update_complete")
    assert status(cfn, "resize") == "UPDATE_ROLLBACK_COMPLETE"
    assert physical_id(cfn, "resize", "Server") == instance
    assert entry(sim_inventory(server), "servers", instance)["flavor_id"] == original  # resized back

    update(cfn, "resize", RESIZE_THEN_FAIL, Type="m5.4xlarge")  # 32 vCPUs: over the seed's 20 cores
    with pytest.raises(Exception):
        wait(cfn, "resize", "stack_update_complete")
    assert status(cfn, "resize") == "UPDATE_ROLLBACK_COMPLETE"
    assert any("Quota exceeded for cores" in r for r in failure_reasons(cfn, "resize"))
    assert entry(sim_inventory(server), "servers", instance)["flavor_id"] == original

    delete_and_check_seed(cfn, server, "resize", seed)


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


def test_routes_and_associations_update_in_place_replace_on_destination_and_refuse_instance_targets(cfn, server):
    seed = sim_inventory(server)
    cfn.create_stack(StackName="routes", TemplateBody=ROUTING)
    wait(cfn, "routes", "stack_create_complete")
    route, assoc = physical_id(cfn, "routes", "Default"), physical_id(cfn, "routes", "Assoc")

    update(cfn, "routes", ROUTING, Via="nat", Table="spare")  # route target and association: in place
    wait(cfn, "routes", "stack_update_complete")
    assert (physical_id(cfn, "routes", "Default"), physical_id(cfn, "routes", "Assoc")) == (route, assoc)

    update(cfn, "routes", ROUTING, Via="nat", Table="spare", Destination="10.99.0.0/16")  # createOnly
    wait(cfn, "routes", "stack_update_complete")
    moved = physical_id(cfn, "routes", "Default")
    assert moved != route

    update(cfn, "routes", ROUTING, Via="instance", Table="spare", Destination="10.99.0.0/16")
    with pytest.raises(Exception):
        wait(cfn, "routes", "stack_update_complete")
    assert status(cfn, "routes") == "UPDATE_ROLLBACK_COMPLETE"
    assert any("Routes with target InstanceId are not supported" in r for r in failure_reasons(cfn, "routes"))
    assert physical_id(cfn, "routes", "Default") == moved

    delete_and_check_seed(cfn, server, "routes", seed)


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


def output(cfn, name, key):
    [stack] = cfn.describe_stacks(StackName=name)["Stacks"]
    return {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}[key]


def test_ingress_eip_association_and_ssm_parameter_update_replace_and_roll_back(cfn, server):
    seed = sim_inventory(server)
    cfn.create_stack(StackName="bits", TemplateBody=ATTACHMENTS)
    wait(cfn, "bits", "stack_create_complete")
    rule, colour = physical_id(cfn, "bits", "Http"), physical_id(cfn, "bits", "Colour")
    two = physical_id(cfn, "bits", "Two")

    update(cfn, "bits", ATTACHMENTS, Value="green")  # Value: in place
    wait(cfn, "bits", "stack_update_complete")
    assert physical_id(cfn, "bits", "Colour") == colour and output(cfn, "bits", "Colour") == "green"

    update(cfn, "bits", ATTACHMENTS, Value="green", Cidr="192.168.0.0/16", Target="second")  # both createOnly
    wait(cfn, "bits", "stack_update_complete")
    assert physical_id(cfn, "bits", "Http") != rule
    inventory = sim_inventory(server)
    [address] = [f for f in inventory["floating_ips"] if f["project_id"]]
    assert entry(inventory, "ports", address["port_id"])["device_id"] == two  # the address moved

    update(cfn, "bits", ATTACHMENTS, Value="Not-Lowercase", Cidr="192.168.0.0/16", Target="second")
    with pytest.raises(Exception):
        wait(cfn, "bits", "stack_update_complete")
    assert status(cfn, "bits") == "UPDATE_ROLLBACK_COMPLETE"
    assert any("failed to satisfy constraint specified in AllowedPattern" in r for r in failure_reasons(cfn, "bits"))
    assert output(cfn, "bits", "Colour") == "green"

    update(cfn, "bits", ATTACHMENTS, Value="green", Name="/e2e/color", Cidr="192.168.0.0/16", Target="second")
    wait(cfn, "bits", "stack_update_complete")  # Name: createOnly, and renamed, so it can be replaced
    assert physical_id(cfn, "bits", "Colour") == "/e2e/color"

    delete_and_check_seed(cfn, server, "bits", seed)


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
