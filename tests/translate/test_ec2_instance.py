import base64

import pytest

from cfnapi.cloud.sim import differences_from_seed
from cfnapi.translate.base import ResourceFailure
from cfnapi.translate.ec2_instance import Instance
from cfnapi.translate.ec2_security import SecurityGroup


def b64(text):
    return base64.b64encode(text.encode()).decode()


def test_instance_create_polls_build_to_active_and_reports_attributes(world):
    ctx = world.ctx("Web")
    props = {"ImageId": "cirros-0.6.2-x86_64-disk", "InstanceType": "t2.micro", "KeyName": "default",
             "UserData": b64("#!/bin/sh\necho hello\n"), "AvailabilityZone": "us-east-1b"}
    physical_id = Instance().create(ctx, props)
    state = world.state("Web", physical_id, props)
    assert Instance().check_create_complete(ctx, state) is False  # still BUILD
    world.clock.advance(5)
    assert Instance().check_create_complete(ctx, state) is True
    server = world.cloud.get_server(physical_id)
    assert server.key_name == "default"
    assert world.cloud.get_flavor(server.flavor_id).ram_mb >= 1024
    assert server.availability_zone == "zone-b"
    attributes = Instance().attributes(ctx, state)
    assert attributes["AvailabilityZone"] == "us-east-1b"
    assert attributes["PrivateIp"].startswith("10.0.0.")
    assert attributes["PublicIp"] == ""
    assert Instance().ref(state) == physical_id
    world.delete(Instance(), state)
    assert differences_from_seed(world.db, world.config) == {}


def test_user_data_reaches_the_server_decoded(world):
    from sqlalchemy import select

    from cfnapi.cloud.sim import models as m

    state = world.create(Instance(), {"ImageId": "cirros-0.6.2-x86_64-disk", "UserData": b64("echo hi")})
    with world.db.transaction() as session:
        assert session.scalar(select(m.SimServer.user_data).where(m.SimServer.id == state.physical_id)) == "echo hi"


def test_image_from_public_ssm_path(world):
    state = world.create(Instance(), {
        "ImageId": "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"})
    server = world.cloud.get_server(state.physical_id)
    assert world.cloud.get_image(server.image_id).name == "amazon-linux-2023"


def test_unknown_image_fails_with_novas_message(world):
    with pytest.raises(ResourceFailure, match="Image ami-12345678 could not be found."):
        Instance().create(world.ctx(), {"ImageId": "ami-12345678", "InstanceType": "t2.micro"})


def test_over_quota_fails_with_novas_message_and_leaves_no_port(world):
    world.cloud.set_quota("instances", 0)
    subnet_id = world.config.default_network.subnet_id
    with pytest.raises(ResourceFailure, match="Quota exceeded for instances"):
        Instance().create(world.ctx(), {"ImageId": "cirros-0.6.2-x86_64-disk", "SubnetId": subnet_id})
    assert not [p for p in world.cloud.list_ports() if p.name.startswith("web-Res")]


def test_invalid_user_data_is_refused_like_ec2(world):
    with pytest.raises(ResourceFailure, match="Invalid BASE64 encoding of user data."):
        Instance().create(world.ctx(), {"ImageId": "cirros-0.6.2-x86_64-disk", "UserData": "not base64!"})


def test_error_state_surfaces_novas_fault(world):
    ctx = world.ctx()
    physical_id = Instance().create(ctx, {"ImageId": "cirros-0.6.2-x86_64-disk"})
    world.cloud.force_server_status(physical_id, "ERROR", "No valid host was found. There are not enough hosts available.")
    with pytest.raises(ResourceFailure, match="No valid host was found"):
        Instance().check_create_complete(ctx, world.state("Res", physical_id, {}))


def test_subnet_and_security_groups_and_private_ip(world):
    group = world.create(SecurityGroup(), {"GroupDescription": "web", "SecurityGroupIngress": [
        {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "CidrIp": "0.0.0.0/0"}]}, "Sg")
    subnet_id = world.config.default_network.subnet_id
    props = {"ImageId": "cirros-0.6.2-x86_64-disk", "SubnetId": subnet_id, "PrivateIpAddress": "10.0.0.77",
             "SecurityGroupIds": [group.physical_id]}
    state = world.create(Instance(), props, "Web")
    assert state.attributes["PrivateIp"] == "10.0.0.77"
    ports = world.cloud.list_ports(device_id=state.physical_id)
    assert [p.security_group_ids for p in ports] == [(group.physical_id,)]

    # SecurityGroupIds changes in place: the ports' groups follow.
    default_id = world.config.default_security_group_id
    new_props = {**props, "SecurityGroupIds": [default_id]}
    Instance().update(world.ctx("Web"), state, props, new_props)
    assert [p.security_group_ids for p in world.cloud.list_ports(device_id=state.physical_id)] == [(default_id,)]

    world.delete(Instance(), state)
    world.delete(SecurityGroup(), group)
    assert differences_from_seed(world.db, world.config) == {}


def test_update_behaviour_follows_aws(world):
    assert Instance.update_behaviour("ImageId") == "replace"
    assert Instance.update_behaviour("SubnetId") == "replace"
    assert Instance.update_behaviour("SecurityGroupIds") == "mutable"
    assert Instance.update_behaviour("InstanceType") == "mutable"  # AWS: stop, modify, start
    assert Instance.update_behaviour("Volumes") == "mutable"
    assert Instance.update_behaviour("Tags") == "mutable"


def test_block_device_mapping_boots_from_a_sized_volume_deleted_with_the_server(world):
    props = {"ImageId": "cirros-0.6.2-x86_64-disk", "BlockDeviceMappings": [
        {"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 8}},
        {"DeviceName": "/dev/sdf", "Ebs": {"VolumeSize": 2, "DeleteOnTermination": "false"}},
        {"DeviceName": "/dev/sdb", "VirtualName": "ephemeral0"},
    ]}
    state = world.create(Instance(), props)
    sizes = sorted(v.size_gb for v in world.cloud.list_volumes())
    assert sizes == [2, 8]
    # The image reaches Nova through the root mapping only; an imageRef beside it is refused.
    assert world.cloud.get_server(state.physical_id).image_id is None
    world.delete(Instance(), state)
    remaining = world.cloud.list_volumes()
    assert [(v.size_gb, v.status) for v in remaining] == [(2, "available")]
    world.cloud.delete_volume(remaining[0].id)
    assert differences_from_seed(world.db, world.config) == {}


def test_delete_is_tolerant_of_an_already_deleted_server(world):
    state = world.create(Instance(), {"ImageId": "cirros-0.6.2-x86_64-disk"})
    world.cloud.delete_server(state.physical_id)
    world.delete(Instance(), state)


def test_instance_type_change_resizes_in_place_and_confirms(world):
    ctx = world.ctx("Web")
    props = {"ImageId": "cirros-0.6.2-x86_64-disk", "InstanceType": "t2.micro"}
    state = world.create(Instance(), props, "Web")
    before = world.cloud.get_server(state.physical_id).flavor_id
    new_props = {**props, "InstanceType": "t2.large"}
    Instance().update(ctx, state, props, new_props)
    updated = world.state("Web", state.physical_id, new_props)
    assert world.cloud.get_server(state.physical_id).status == "VERIFY_RESIZE"
    assert Instance().check_update_complete(ctx, updated) is False  # confirms the resize
    assert Instance().check_update_complete(ctx, updated) is True
    server = world.cloud.get_server(state.physical_id)
    assert server.flavor_id != before
    assert (world.cloud.get_flavor(server.flavor_id).vcpus, world.cloud.get_flavor(server.flavor_id).ram_mb) >= (2, 8192)
    world.delete(Instance(), updated)
    assert differences_from_seed(world.db, world.config) == {}


def test_resize_over_the_cores_quota_fails_with_novas_message(world):
    ctx = world.ctx("Web")
    props = {"ImageId": "cirros-0.6.2-x86_64-disk", "InstanceType": "t2.micro"}
    state = world.create(Instance(), props, "Web")
    world.cloud.set_quota("cores", 2)
    with pytest.raises(ResourceFailure, match="Quota exceeded for cores"):
        Instance().update(ctx, state, props, {**props, "InstanceType": "m5.4xlarge"})
    assert world.cloud.get_server(state.physical_id).status == "ACTIVE"
    world.delete(Instance(), state)


def test_an_update_of_a_stopped_server_completes_without_waiting_for_active(world):
    ctx = world.ctx("Web")
    props = {"ImageId": "cirros-0.6.2-x86_64-disk", "Tags": [{"Key": "a", "Value": "1"}]}
    state = world.create(Instance(), props, "Web")
    world.cloud.force_server_status(state.physical_id, "SHUTOFF")
    new_props = {**props, "Tags": [{"Key": "a", "Value": "2"}]}
    Instance().update(ctx, state, props, new_props)
    assert Instance().check_update_complete(ctx, world.state("Web", state.physical_id, new_props)) is True
    world.delete(Instance(), state)


def test_update_waits_while_nova_still_reports_active_before_the_resize_starts(world, monkeypatch):
    ctx = world.ctx("Web")
    props = {"ImageId": "cirros-0.6.2-x86_64-disk", "InstanceType": "t2.micro"}
    state = world.create(Instance(), props, "Web")
    accepted = []
    # Nova accepted the resize but has not left ACTIVE yet (task_state resize_prep).
    monkeypatch.setattr(type(world.cloud), "resize_server", lambda self, server_id, flavor_id: accepted.append(flavor_id))
    new_props = {**props, "InstanceType": "t2.large"}
    Instance().update(ctx, state, props, new_props)
    assert accepted and world.cloud.get_server(state.physical_id).status == "ACTIVE"
    assert Instance().check_update_complete(ctx, world.state("Web", state.physical_id, new_props)) is False
    world.delete(Instance(), state)
