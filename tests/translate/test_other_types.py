import dataclasses

import pytest

from cfnapi.cloud.sim import differences_from_seed
from cfnapi.translate.base import ResourceFailure
from cfnapi.translate.ec2_address import EIP
from cfnapi.translate.ec2_instance import Instance
from cfnapi.translate.ec2_security import SecurityGroup
from cfnapi.translate.ec2_storage import Volume, VolumeAttachment
from cfnapi.translate.ec2_vpc import VPC, Subnet
from cfnapi.translate.registry import default_registry
from cfnapi.translate.ssm import Parameter

CIRROS = "cirros-0.6.2-x86_64-disk"


def test_security_group_inline_rules_update_in_place(world):
    props = {"GroupDescription": "d", "SecurityGroupIngress": [
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIp": "0.0.0.0/0"}]}
    state = world.create(SecurityGroup(), props)
    new = {**props, "SecurityGroupIngress": [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
                                              "CidrIp": "10.0.0.0/8"}]}
    SecurityGroup().update(world.ctx(), state, props, new)
    ingress = [(r.port_range_min, r.remote_ip_prefix) for r in world.cloud.get_security_group(state.physical_id).rules
               if r.direction == "ingress"]
    assert ingress == [(443, "10.0.0.0/8")]
    assert SecurityGroup.update_behaviour("GroupDescription") == "replace"
    world.delete(SecurityGroup(), state)
    world.delete(SecurityGroup(), state)  # already gone: still fine
    assert differences_from_seed(world.db, world.config) == {}


def test_eip_ref_is_the_address_and_attaches_to_an_instance(world):
    server = world.create(Instance(), {"ImageId": CIRROS}, "Srv")
    eip = world.create(EIP(), {"InstanceId": server.physical_id}, "Ip")
    assert eip.physical_id == eip.attributes["PublicIp"]
    assert eip.physical_id in world.cloud.get_server(server.physical_id).floating_ips
    world.delete(EIP(), eip)
    world.delete(Instance(), server)
    assert differences_from_seed(world.db, world.config) == {}


def test_volume_in_use_cannot_be_deleted_with_cinders_message(world):
    server = world.create(Instance(), {"ImageId": CIRROS}, "Srv")
    volume = world.create(Volume(), {"AvailabilityZone": "us-east-1a", "Size": 1}, "Vol")
    attachment = world.create(VolumeAttachment(), {"InstanceId": server.physical_id,
                                                   "VolumeId": volume.physical_id}, "Att")
    with pytest.raises(ResourceFailure, match="in-use"):
        Volume().delete(world.ctx("Vol"), volume)
    world.delete(VolumeAttachment(), attachment)
    world.delete(Volume(), volume)
    world.delete(Instance(), server)
    assert differences_from_seed(world.db, world.config) == {}


def test_volume_size_increase_extends_in_place_and_a_decrease_is_refused(world):
    props = {"AvailabilityZone": "us-east-1a", "Size": 1}
    volume = world.create(Volume(), props, "Vol")
    assert Volume.update_behaviour("Size") == "mutable"
    grown = {**props, "Size": 3}
    Volume().update(world.ctx("Vol"), volume, props, grown)
    assert Volume().check_update_complete(world.ctx("Vol"), world.state("Vol", volume.physical_id, grown))
    assert world.cloud.get_volume(volume.physical_id).size_gb == 3
    with pytest.raises(ResourceFailure, match="New size cannot be smaller than existing size"):
        Volume().update(world.ctx("Vol"), volume, grown, {**props, "Size": 2})
    world.delete(Volume(), volume)
    assert differences_from_seed(world.db, world.config) == {}


def test_a_failed_extend_fails_the_update(world):
    props = {"AvailabilityZone": "us-east-1a", "Size": 1}
    volume = world.create(Volume(), props, "Vol")
    world.cloud.force_volume_status(volume.physical_id, "error_extending")
    with pytest.raises(ResourceFailure, match="error_extending"):
        Volume().check_update_complete(world.ctx("Vol"), world.state("Vol", volume.physical_id, {**props, "Size": 2}))
    world.cloud.force_volume_status(volume.physical_id, "available")
    world.delete(Volume(), volume)


def test_volume_over_quota_surfaces_cinders_message(world):
    world.cloud.set_quota("gigabytes", 1)
    with pytest.raises(ResourceFailure, match="exceeds allowed gigabytes quota"):
        Volume().create(world.ctx(), {"AvailabilityZone": "us-east-1a", "Size": 5})


def test_vpc_and_subnet_are_network_router_and_interface(world):
    vpc = world.create(VPC(), {"CidrBlock": "10.9.0.0/16"}, "Vpc")
    subnet = world.create(Subnet(), {"VpcId": vpc.physical_id, "CidrBlock": "10.9.1.0/24"}, "Sn")
    assert subnet.attributes["VpcId"] == vpc.physical_id and subnet.attributes["CidrBlock"] == "10.9.1.0/24"
    (router,) = [r for r in world.cloud.list_routers() if r.name.endswith(vpc.physical_id)]
    assert [i.subnet_id for i in router.interfaces] == [subnet.physical_id]
    world.delete(Subnet(), subnet)
    world.delete(VPC(), vpc)
    assert differences_from_seed(world.db, world.config) == {}


def test_a_subnet_outside_its_vpc_block_and_a_vpc_block_of_the_wrong_size_fail_like_ec2(world):
    vpc = world.create(VPC(), {"CidrBlock": "10.9.0.0/16"}, "Vpc")
    with pytest.raises(ResourceFailure, match=r"^The CIDR '10\.8\.1\.0/24' is invalid\.$"):
        Subnet().create(world.ctx("Sn"), {"VpcId": vpc.physical_id, "CidrBlock": "10.8.1.0/24"})
    with pytest.raises(ResourceFailure, match=r"^The CIDR '10\.0\.0\.0/8' is invalid\.$"):
        VPC().create(world.ctx("Big"), {"CidrBlock": "10.0.0.0/8"})
    world.delete(VPC(), vpc)
    assert differences_from_seed(world.db, world.config) == {}


def test_ssm_parameter_create_update_delete(world):
    props = {"Type": "String", "Value": "one", "Name": "/app/x"}
    state = world.create(Parameter(), props)
    assert state.physical_id == "/app/x" and state.attributes["Value"] == "one"
    Parameter().update(world.ctx(), state, props, {**props, "Value": "two"})
    assert world.parameters.get("123456789012", "us-east-1", "/app/x").version == 2
    with pytest.raises(ResourceFailure, match="already exists"):
        Parameter().create(world.ctx(), props)
    world.delete(Parameter(), state)
    assert world.parameters.get("123456789012", "us-east-1", "/app/x") is None


@pytest.mark.parametrize("type_name", ["AWS::EC2::Instance", "AWS::EC2::Volume"])
def test_what_a_create_made_is_found_again_by_its_creation_token(world, type_name):
    handler = default_registry().handler(type_name)
    props = {"AWS::EC2::Instance": {"ImageId": "cirros-0.6.2-x86_64-disk", "InstanceType": "m1.tiny"},
             "AWS::EC2::Volume": {"AvailabilityZone": "us-east-1a", "Size": 1}}[type_name]
    ctx = dataclasses.replace(world.ctx(), creation_token="0123456789ab")
    assert handler.find_created(ctx, props) is None
    made = handler.create(ctx, props)
    handler.create(dataclasses.replace(ctx, creation_token="ba9876543210"), props)  # another attempt's
    assert handler.find_created(ctx, props) == made
    assert handler.find_created(world.ctx(), props) is None  # no token, nothing to look for
