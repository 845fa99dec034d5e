"""EC2 types changed in place as AWS documents it, driven against the sim: a Volume restored
from the backup a DeletionPolicy Snapshot took, Instance UserData and Tags updates, and
each VPC's own default security group."""

import base64

import pytest
from sqlalchemy import select

from cfnapi.cloud.sim import differences_from_seed
from cfnapi.cloud.sim import models as m
from cfnapi.translate.base import ResourceFailure
from cfnapi.translate.ec2_address import EIP, floating_ip_by_address
from cfnapi.translate.ec2_instance import Instance
from cfnapi.translate.ec2_interface import NetworkInterface
from cfnapi.translate.ec2_security import SecurityGroup
from cfnapi.translate.ec2_storage import Volume
from cfnapi.translate.ec2_vpc import VPC, Subnet
from cfnapi.translate.vpc_default_group import delete_default_group


def test_volume_snapshot_id_takes_the_backup_a_snapshot_policy_kept(world):
    first = world.create(Volume(), {"AvailabilityZone": "us-east-1a", "Size": 3}, "Data")
    ctx = world.ctx("Data")
    backup_id = Volume().snapshot(ctx, first)
    world.clock.advance(world.config.behaviour.backup_create_seconds)
    assert Volume().check_snapshot_complete(ctx, backup_id) is True
    world.delete(Volume(), first)

    restored = world.create(Volume(), {"AvailabilityZone": "us-east-1b", "SnapshotId": backup_id}, "Again")
    volume = world.cloud.get_volume(restored.physical_id)
    assert (volume.size_gb, volume.backup_id, volume.snapshot_id) == (3, backup_id, None)
    assert volume.availability_zone == "zone-b"
    bigger = world.create(Volume(), {"AvailabilityZone": "us-east-1a", "SnapshotId": backup_id, "Size": 5}, "Big")
    assert world.cloud.get_volume(bigger.physical_id).size_gb == 5

    world.delete(Volume(), restored)
    world.delete(Volume(), bigger)
    world.cloud.delete_volume_backup(backup_id)
    assert differences_from_seed(world.db, world.config) == {}


def test_volume_snapshot_id_still_takes_a_cinder_snapshot(world):
    source = world.create(Volume(), {"AvailabilityZone": "us-east-1a", "Size": 2}, "Source")
    snapshot = world.cloud.create_volume_snapshot(source.physical_id)
    world.clock.advance(world.config.behaviour.snapshot_create_seconds)
    clone = world.create(Volume(), {"AvailabilityZone": "us-east-1a", "SnapshotId": snapshot.id}, "Clone")
    volume = world.cloud.get_volume(clone.physical_id)
    assert (volume.size_gb, volume.snapshot_id, volume.backup_id) == (2, snapshot.id, None)


def test_volume_snapshot_id_naming_nothing_fails_with_ec2s_wording(world):
    with pytest.raises(ResourceFailure, match="The snapshot 'snap-0123' does not exist."):
        Volume().create(world.ctx(), {"AvailabilityZone": "us-east-1a", "SnapshotId": "snap-0123"})


def _user_data(world, server_id):
    with world.db.transaction() as session:
        return session.scalar(select(m.SimServer.user_data).where(m.SimServer.id == server_id))


def b64(text):
    return base64.b64encode(text.encode()).decode()


def _update(world, handler, state, new_props, logical_id="Res"):
    ctx = world.ctx(logical_id)
    handler.update(ctx, state, state.properties, new_props)
    new_state = world.state(logical_id, state.physical_id, new_props)
    for _ in range(50):
        if handler.check_update_complete(ctx, new_state):
            return new_state
        world.clock.advance(1)
    raise AssertionError("update never completed")


def test_user_data_change_rebuilds_the_same_instance_keeping_its_address(world):
    assert Instance.update_behaviour("UserData") == "mutable"  # AWS: Some interruptions, no replacement
    props = {"ImageId": "cirros-0.6.2-x86_64-disk", "InstanceType": "t2.micro", "UserData": b64("echo one")}
    state = world.create(Instance(), props, "Web")
    address = world.cloud.get_server(state.physical_id).fixed_ips

    changed = _update(world, Instance(), state, {**props, "UserData": b64("echo two")}, "Web")
    server = world.cloud.get_server(state.physical_id)
    assert _user_data(world, state.physical_id) == "echo two"
    assert (server.status, server.fixed_ips) == ("ACTIVE", address)

    both = {**props, "UserData": b64("echo three"), "InstanceType": "t2.large"}  # rebuild, then resize
    _update(world, Instance(), changed, both, "Web")
    server = world.cloud.get_server(state.physical_id)
    assert _user_data(world, state.physical_id) == "echo three"
    assert world.cloud.get_flavor(server.flavor_id).ram_mb >= 8192 and server.status == "ACTIVE"

    removed = {k: v for k, v in both.items() if k != "UserData"}
    _update(world, Instance(), world.state("Web", state.physical_id, both), removed, "Web")
    assert _user_data(world, state.physical_id) is None
    world.delete(Instance(), world.state("Web", state.physical_id, removed))
    assert differences_from_seed(world.db, world.config) == {}


def test_each_vpc_has_a_default_security_group_of_its_own_made_and_deleted_with_it(world):
    blue = world.create(VPC(), {"CidrBlock": "10.1.0.0/16"}, "Blue")
    green = world.create(VPC(), {"CidrBlock": "10.2.0.0/16"}, "Green")
    blue_group = blue.attributes["DefaultSecurityGroup"]
    project_default = world.cloud.find_security_group("default").id
    assert len({blue_group, green.attributes["DefaultSecurityGroup"], project_default}) == 3
    rules = world.cloud.get_security_group(blue_group).rules
    assert {(r.direction, r.ethertype, r.remote_group_id, r.remote_ip_prefix) for r in rules} == {
        ("ingress", "IPv4", blue_group, None), ("ingress", "IPv6", blue_group, None),  # from its own members
        ("egress", "IPv4", None, None), ("egress", "IPv6", None, None)}  # all traffic out

    subnet = world.create(Subnet(), {"VpcId": blue.physical_id, "CidrBlock": "10.1.1.0/24"}, "Net")
    server = world.create(Instance(), {"ImageId": "cirros-0.6.2-x86_64-disk", "SubnetId": subnet.physical_id}, "Srv")
    [port] = world.cloud.list_ports(None, server.physical_id)
    assert port.security_group_ids == (blue_group,)  # launched without groups: the VPC's default
    eni = world.create(NetworkInterface(), {"SubnetId": subnet.physical_id}, "Eni")
    assert world.cloud.get_port(eni.physical_id).security_group_ids == (blue_group,)
    elsewhere = world.create(Instance(), {"ImageId": "cirros-0.6.2-x86_64-disk"}, "Plain")
    [plain_port] = world.cloud.list_ports(None, elsewhere.physical_id)
    assert plain_port.security_group_ids == (project_default,)  # not in a VPC: the project's default

    for handler, state in ((Instance(), elsewhere), (NetworkInterface(), eni), (Instance(), server),
                           (Subnet(), subnet), (VPC(), blue), (VPC(), green)):
        world.delete(handler, state)
    assert world.cloud.find_security_group(blue_group) is None
    assert differences_from_seed(world.db, world.config) == {}


def test_a_vpc_made_before_vpcs_had_their_own_group_reports_the_projects_default(world):
    vpc = world.create(VPC(), {"CidrBlock": "10.3.0.0/16"}, "Old")
    delete_default_group(world.cloud, vpc.physical_id)  # as an older cfnapi left it
    attributes = VPC().attributes(world.ctx("Old"), vpc)
    assert attributes["DefaultSecurityGroup"] == world.cloud.find_security_group("default").id
    world.delete(VPC(), vpc)
    assert differences_from_seed(world.db, world.config) == {}


def test_a_vpc_whose_default_group_cannot_be_made_leaves_nothing_behind(world):
    world.cloud.set_quota("security_group", 0)
    with pytest.raises(ResourceFailure, match="Quota exceeded for resources: \\['security_group'\\]"):
        VPC().create(world.ctx("Vpc"), {"CidrBlock": "10.4.0.0/16"})
    assert differences_from_seed(world.db, world.config) == {}


def _tags(**pairs):
    return [{"Key": k, "Value": v} for k, v in pairs.items()]


def test_instance_and_volume_tags_update_their_metadata_in_place(world):
    props = {"ImageId": "cirros-0.6.2-x86_64-disk", "Tags": _tags(Name="web", Team="a")}
    server = world.create(Instance(), props, "Web")
    world.cloud.set_server_metadata(server.physical_id, {"set-by": "someone-else"})
    new = {**props, "Tags": _tags(Name="api", Owner="ops")}
    _update(world, Instance(), server, new, "Web")
    assert world.cloud.get_server(server.physical_id).metadata == {"Name": "api", "Owner": "ops",
                                                                   "set-by": "someone-else"}
    assert Instance.update_behaviour("Tags") == "mutable"

    volume_props = {"AvailabilityZone": "us-east-1a", "Size": 1, "Tags": _tags(Name="data")}
    volume = world.create(Volume(), volume_props, "Data")
    assert world.cloud.get_volume(volume.physical_id).metadata == {"Name": "data"}
    _update(world, Volume(), volume, {**volume_props, "Tags": _tags(Tier="gold")}, "Data")
    assert world.cloud.get_volume(volume.physical_id).metadata == {"Tier": "gold"}


def _neutron_backed(world, kind):
    """(handler, properties without Tags, how to read the cloud object's tags, what it needs first)."""
    cloud = world.cloud
    if kind == "vpc":
        return VPC(), {"CidrBlock": "10.6.0.0/16"}, cloud.get_network, []
    if kind == "security_group":
        return SecurityGroup(), {"GroupDescription": "web"}, cloud.get_security_group, []
    if kind == "eip":
        return EIP(), {"Domain": "vpc"}, lambda address: floating_ip_by_address(cloud, address), []
    vpc = world.create(VPC(), {"CidrBlock": "10.5.0.0/16"}, "Vpc")
    if kind == "subnet":
        return Subnet(), {"VpcId": vpc.physical_id, "CidrBlock": "10.5.2.0/24"}, cloud.get_subnet, [(VPC(), vpc)]
    subnet = world.create(Subnet(), {"VpcId": vpc.physical_id, "CidrBlock": "10.5.1.0/24"}, "Net")
    return (NetworkInterface(), {"SubnetId": subnet.physical_id}, cloud.get_port,
            [(VPC(), vpc), (Subnet(), subnet)])


@pytest.mark.parametrize("kind", ["vpc", "subnet", "security_group", "network_interface", "eip"])
def test_neutron_backed_types_take_tags_at_create_and_update_them_in_place(world, kind):
    handler, base, read, prerequisites = _neutron_backed(world, kind)
    props = {**base, "Tags": _tags(Name="blue", Team="a")}
    state = world.create(handler, props, "Tagged")
    assert set(read(state.physical_id).tags) == {"Name=blue", "Team=a"}
    assert handler.update_behaviour("Tags") == "mutable"

    changed = _update(world, handler, state, {**props, "Tags": _tags(Name="green")}, "Tagged")
    assert read(state.physical_id).tags == ("Name=green",)  # same resource, new tags
    _update(world, handler, changed, base, "Tagged")
    assert read(state.physical_id).tags == ()

    world.delete(handler, state)
    for prerequisite_handler, prerequisite in reversed(prerequisites):
        world.delete(prerequisite_handler, prerequisite)
    assert differences_from_seed(world.db, world.config) == {}


def test_tags_others_put_on_a_neutron_resource_are_kept(world):
    props = {"GroupDescription": "web", "Tags": _tags(Name="blue")}
    group = world.create(SecurityGroup(), props, "Web")
    world.cloud.set_network_tags("security_group", group.physical_id, ["Name=blue", "owner-tool"])
    _update(world, SecurityGroup(), group, {**props, "Tags": _tags(Name="green")}, "Web")
    assert world.cloud.get_security_group(group.physical_id).tags == ("owner-tool", "Name=green")


def test_a_user_data_rebuild_keeps_the_image_even_when_its_ssm_parameter_moved_on(world):
    world.parameters.put("123456789012", "us-east-1", "/images/web", "cirros-0.6.2-x86_64-disk")
    props = {"ImageId": "/images/web", "UserData": b64("echo one")}
    state = world.create(Instance(), props, "Web")
    image_id = world.cloud.get_server(state.physical_id).image_id
    world.parameters.put("123456789012", "us-east-1", "/images/web", "ubuntu-22.04", overwrite=True)
    _update(world, Instance(), state, {**props, "UserData": b64("echo two")}, "Web")
    assert world.cloud.get_server(state.physical_id).image_id == image_id
    assert _user_data(world, state.physical_id) == "echo two"
