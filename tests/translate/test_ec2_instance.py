import base64
import dataclasses

import pytest

from cfnapi.cloud.errors import CloudError, ErrorKind
from cfnapi.cloud.sim import differences_from_seed
from cfnapi.translate.base import ResourceFailure
from cfnapi.translate.cloud_calls import naming
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
    assert attributes["PrivateIp"] in world.cloud.get_server(physical_id).fixed_ips
    # No public address: EC2 gives both empty; the private DNS name is the address here.
    assert (attributes["PublicIp"], attributes["PublicDnsName"]) == ("", "")
    assert attributes["PrivateDnsName"] == attributes["PrivateIp"]
    port = world.cloud.list_ports(None, physical_id)[0]
    floating = world.cloud.allocate_floating_ip()
    world.cloud.associate_floating_ip(floating.id, port.id)
    attributes = Instance().attributes(ctx, state)
    assert attributes["PublicIp"] == attributes["PublicDnsName"] == floating.floating_ip_address
    world.cloud.release_floating_ip(floating.id)
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
    # AWS: stop, modify, start (in place here); its change sets say Conditionally (instance store is replaced)
    assert Instance.update_behaviour("InstanceType") == "conditional"
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


class NovaResize:
    """Stands in for real Nova's resize/confirm on top of the sim: the test sets what
    get_server reports next (status, task_state, flavor), the verbs only record calls."""

    def __init__(self, world, monkeypatch, server_id):
        self.calls, self.view = [], world.cloud.get_server(server_id)
        self.confirm_error = None
        cls = type(world.cloud)
        monkeypatch.setattr(cls, "get_server", lambda _, sid: self.view)
        monkeypatch.setattr(cls, "resize_server", lambda _, sid, fid: self.calls.append(("resize", fid)))
        monkeypatch.setattr(cls, "confirm_server_resize", self._confirm)

    def _confirm(self, server_id):
        self.calls.append(("confirm",))
        if self.confirm_error:
            error, self.view = self.confirm_error
            raise error

    def report(self, status, task_state=None, flavor_id=None, fault=None):
        self.view = dataclasses.replace(self.view, status=status, task_state=task_state,
                                        flavor_id=flavor_id or self.view.flavor_id, fault=fault)


def resize_setup(world, monkeypatch):
    ctx = world.ctx("Web")
    props = {"ImageId": "cirros-0.6.2-x86_64-disk", "InstanceType": "t2.micro"}
    state = world.create(Instance(), props, "Web")
    new_props = {**props, "InstanceType": "t2.large"}
    large = naming(ctx).flavor_for("t2.large")
    return ctx, state, props, new_props, large, NovaResize(world, monkeypatch, state.physical_id)


def test_resize_waits_through_novas_resize_task_states_and_confirms_only_an_idle_verify_resize(world, monkeypatch):
    ctx, state, props, new_props, large, nova = resize_setup(world, monkeypatch)
    Instance().update(ctx, state, props, new_props)
    assert nova.calls == [("resize", large.id)]
    updated = world.state("Web", state.physical_id, new_props)
    for status, task in (("RESIZE", "resize_prep"), ("RESIZE", "resize_migrated"), ("ACTIVE", "resize_finish"),
                         ("VERIFY_RESIZE", "resize_confirming")):
        nova.report(status, task)
        assert Instance().check_update_complete(ctx, updated) is False
    assert nova.calls == [("resize", large.id)]  # nothing confirmed while Nova was busy
    nova.report("VERIFY_RESIZE", None, large.name)
    assert Instance().check_update_complete(ctx, updated) is False
    assert nova.calls[-1] == ("confirm",)
    nova.report("ACTIVE", None, large.name)
    assert Instance().check_update_complete(ctx, updated) is True


def test_a_confirm_refused_because_nova_auto_confirmed_is_no_failure(world, monkeypatch):
    ctx, state, props, new_props, large, nova = resize_setup(world, monkeypatch)
    Instance().update(ctx, state, props, new_props)
    updated = world.state("Web", state.physical_id, new_props)
    nova.report("VERIFY_RESIZE", None, large.name)
    confirmed = dataclasses.replace(nova.view, status="ACTIVE")
    nova.confirm_error = (CloudError(ErrorKind.CONFLICT, "Cannot 'confirmResize' instance x while it is in vm_state active"),
                          confirmed)
    assert Instance().check_update_complete(ctx, updated) is False
    assert Instance().check_update_complete(ctx, updated) is True


def test_the_confirm_is_sent_once_while_nova_still_shows_verify_resize(world, monkeypatch):
    # Nova's confirm sets no task_state: VERIFY_RESIZE stays until the compute host is done,
    # and a second confirm would be refused ("Instance has not been resized.").
    ctx, state, props, new_props, large, nova = resize_setup(world, monkeypatch)
    Instance().update(ctx, state, props, new_props)
    updated = world.state("Web", state.physical_id, new_props)
    nova.report("VERIFY_RESIZE", None, large.name)
    assert [Instance().check_update_complete(ctx, updated) for _ in range(3)] == [False] * 3
    assert nova.calls.count(("confirm",)) == 1
    nova.report("ACTIVE", None, large.name)
    assert Instance().check_update_complete(ctx, updated) is True


def test_a_confirm_refused_as_not_resized_waits_for_novas_own_confirm(world, monkeypatch):
    ctx, state, props, new_props, large, nova = resize_setup(world, monkeypatch)
    Instance().update(ctx, state, props, new_props)
    updated = world.state("Web", state.physical_id, new_props)
    nova.report("VERIFY_RESIZE", None, large.name)
    nova.confirm_error = (CloudError(ErrorKind.INVALID, "Instance has not been resized."), nova.view)
    assert Instance().check_update_complete(ctx, updated) is False
    assert Instance().check_update_complete(ctx, updated) is False
    assert nova.calls.count(("confirm",)) == 1
    nova.report("ACTIVE", None, large.name)
    assert Instance().check_update_complete(ctx, updated) is True


def test_a_confirm_the_policy_forbids_fails(world, monkeypatch):
    ctx, state, props, new_props, large, nova = resize_setup(world, monkeypatch)
    Instance().update(ctx, state, props, new_props)
    nova.report("VERIFY_RESIZE", None, large.name)
    nova.confirm_error = (CloudError(ErrorKind.FORBIDDEN, "Policy doesn't allow os_compute_api:servers:confirm_resize"),
                          nova.view)
    with pytest.raises(ResourceFailure, match="Policy doesn't allow"):
        Instance().check_update_complete(ctx, world.state("Web", state.physical_id, new_props))


def test_a_resize_ending_in_error_fails_with_novas_fault(world, monkeypatch):
    ctx, state, props, new_props, large, nova = resize_setup(world, monkeypatch)
    Instance().update(ctx, state, props, new_props)
    nova.report("ERROR", fault="Migration pre-check error: no disk space")
    with pytest.raises(ResourceFailure, match="Migration pre-check error: no disk space"):
        Instance().check_update_complete(ctx, world.state("Web", state.physical_id, new_props))


def test_a_resize_nova_gave_up_on_fails_instead_of_waiting(world, monkeypatch):
    ctx, state, props, new_props, large, nova = resize_setup(world, monkeypatch)
    Instance().update(ctx, state, props, new_props)
    nova.report("ACTIVE", None)  # back on the old flavor, idle: e.g. No valid host was found
    with pytest.raises(ResourceFailure, match="Nova did not resize"):
        Instance().check_update_complete(ctx, world.state("Web", state.physical_id, new_props))


def test_the_rollback_resizes_back_once_the_forward_resize_has_settled(world, monkeypatch):
    ctx, state, props, new_props, large, nova = resize_setup(world, monkeypatch)
    small = naming(ctx).flavor_for("t2.micro")
    Instance().update(ctx, state, props, new_props)
    nova.report("RESIZE", "resize_migrating")  # another resource failed meanwhile: roll back
    forward = world.state("Web", state.physical_id, new_props)
    Instance().update(ctx, forward, new_props, props)
    assert nova.calls == [("resize", large.id)]  # Nova would refuse a resize now
    back = world.state("Web", state.physical_id, props)
    nova.report("VERIFY_RESIZE", None, large.name)
    assert Instance().check_update_complete(ctx, back) is False
    assert nova.calls[-1] == ("confirm",)
    nova.report("ACTIVE", None, large.name)
    assert Instance().check_update_complete(ctx, back) is False
    assert nova.calls[-1] == ("resize", small.id)  # the resize back
    nova.report("VERIFY_RESIZE", None, small.name)
    assert Instance().check_update_complete(ctx, back) is False
    nova.report("ACTIVE", None, small.name)
    assert Instance().check_update_complete(ctx, back) is True


def test_a_resize_and_its_rollback_on_the_sim(world):
    ctx = world.ctx("Web")
    props = {"ImageId": "cirros-0.6.2-x86_64-disk", "InstanceType": "t2.micro"}
    state = world.create(Instance(), props, "Web")
    before = world.cloud.get_server(state.physical_id).flavor_id
    new_props = {**props, "InstanceType": "t2.large"}
    Instance().update(ctx, state, props, new_props)
    forward = world.state("Web", state.physical_id, new_props)
    Instance().update(ctx, forward, new_props, props)  # rolled back before the confirm
    back = world.state("Web", state.physical_id, props)
    # The sim moves at once: confirm, resize back, confirm, done.
    assert [Instance().check_update_complete(ctx, back) for _ in range(4)] == [False, False, False, True]
    assert world.cloud.get_server(state.physical_id).flavor_id == before
    world.delete(Instance(), back)
