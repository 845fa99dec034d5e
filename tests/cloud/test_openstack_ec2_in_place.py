"""The openstacksdk calls behind EC2's in-place changes, at the SDK boundary (a mocked Connection)."""

import base64
from types import SimpleNamespace as NS
from unittest import mock

import pytest
import requests

from cfnapi.cloud.errors import CloudError, ErrorKind
from cfnapi.cloud.openstack import OpenStackCloud


@pytest.fixture
def conn():
    return mock.MagicMock()


@pytest.fixture
def cloud(conn):
    return OpenStackCloud(conn)


def _sdk_volume(**overrides):
    fields = dict(id="v", name="again", size=3, status="restoring-backup", availability_zone="nova", attachments=[],
                  snapshot_id=None, image_id=None, volume_type=None, is_bootable="false", backup_id="b1",
                  metadata={})
    fields.update(overrides)
    return NS(**fields)


def test_create_volume_from_a_backup_sends_backup_id(cloud, conn):
    conn.block_storage.create_volume.return_value = _sdk_volume()
    volume = cloud.create_volume(3, name="again", availability_zone="nova", backup_id="b1")
    assert conn.block_storage.create_volume.call_args.kwargs == {
        "size": 3, "name": "again", "availability_zone": "nova", "backup_id": "b1"}
    assert (volume.backup_id, volume.status) == ("b1", "restoring-backup")


def test_rebuild_sends_user_data_at_microversion_2_57(cloud, conn):
    conn.compute.post.return_value = NS(status_code=202, headers={})
    cloud.rebuild_server("s1", "img", "#!/bin/sh\necho two\n")
    args, kwargs = conn.compute.post.call_args
    assert args == ("/servers/s1/action",)
    assert kwargs["microversion"] == "2.57"
    rebuild = kwargs["json"]["rebuild"]
    assert rebuild["imageRef"] == "img"
    assert base64.b64decode(rebuild["user_data"]).decode() == "#!/bin/sh\necho two\n"
    cloud.rebuild_server("s1", "img", None)
    assert conn.compute.post.call_args.kwargs["json"] == {"rebuild": {"imageRef": "img", "user_data": None}}


def test_a_refused_rebuild_is_classified(cloud, conn):
    response = requests.Response()
    response.status_code = 409
    response._content = b'{"conflictingRequest": {"message": "Cannot \'rebuild\' instance s1 while it is in task_state resize_migrating", "code": 409}}'
    response.headers["content-type"] = "application/json"
    conn.compute.post.return_value = response
    with pytest.raises(CloudError) as caught:
        cloud.rebuild_server("s1", "img", "x")
    assert caught.value.kind is ErrorKind.CONFLICT
    assert "task_state resize_migrating" in caught.value.message


def _ctx(conn, logical_id="Vpc"):
    from cfnapi.translate.base import ResourceContext

    services = NS(provider=lambda account: OpenStackCloud(conn))
    return ResourceContext("123456789012", "us-east-1", "arn:stack", "web", logical_id, cloud=services)


def _sdk_group(group_id, name, rules=()):
    return NS(id=group_id, name=name, description="default VPC security group", security_group_rules=list(rules))


def test_a_vpc_makes_its_own_default_group_through_neutron_and_deletes_it(conn):
    from cfnapi.translate.base import ResourceState
    from cfnapi.translate.ec2_vpc import VPC

    conn.network.create_network.return_value = NS(
        id="net1", name="web-Vpc-X", is_router_external=False, is_shared=False, subnet_ids=[], status="ACTIVE",
        description="AWS VPC CidrBlock 10.0.0.0/16")
    conn.network.create_router.return_value = NS(id="r1", name="vpc-router-net1", external_gateway_info=None,
                                                 routes=[], status="ACTIVE")
    conn.network.ports.return_value = []
    conn.network.create_security_group.return_value = _sdk_group("sg1", "vpc-default-sg-net1")
    conn.network.create_security_group_rule.side_effect = lambda **kw: NS(
        id="rule", security_group_id=kw["security_group_id"], direction=kw["direction"], ether_type=kw["ether_type"],
        protocol=None, port_range_min=None, port_range_max=None, remote_ip_prefix=None,
        remote_group_id=kw.get("remote_group_id"))

    assert VPC().create(_ctx(conn), {"CidrBlock": "10.0.0.0/16"}) == "net1"
    assert conn.network.create_security_group.call_args.kwargs == {
        "name": "vpc-default-sg-net1", "description": "default VPC security group"}
    rules = [c.kwargs for c in conn.network.create_security_group_rule.call_args_list]
    assert rules == [{"security_group_id": "sg1", "direction": "ingress", "ether_type": ethertype,
                      "remote_group_id": "sg1"} for ethertype in ("IPv4", "IPv6")]

    conn.network.security_groups.return_value = [_sdk_group("sg0", "default"), _sdk_group("sg1", "vpc-default-sg-net1")]
    state = ResourceState("Vpc", "net1", {"CidrBlock": "10.0.0.0/16"})
    assert VPC().attributes(_ctx(conn), state)["DefaultSecurityGroup"] == "sg1"
    conn.network.routers.return_value = [conn.network.create_router.return_value]
    VPC().delete(_ctx(conn), state)
    conn.network.delete_security_group.assert_called_once_with("sg1", ignore_missing=False)
    conn.network.delete_network.assert_called_once_with("net1", ignore_missing=False)


def test_server_metadata_is_set_and_removed_item_by_item(cloud, conn):
    cloud.set_server_metadata("s1", {"Name": "api", "Owner": "ops"}, ["Old"])
    conn.compute.set_server_metadata.assert_called_once_with("s1", Name="api", Owner="ops")
    conn.compute.delete_server_metadata.assert_called_once_with("s1", ["Old"])
    conn.reset_mock()
    cloud.set_server_metadata("s1", {}, ["Owner"])  # nothing to set: no POST
    conn.compute.set_server_metadata.assert_not_called()
    conn.compute.delete_server_metadata.assert_called_once_with("s1", ["Owner"])


def test_volume_metadata_at_create_and_on_update(cloud, conn):
    conn.block_storage.create_volume.return_value = _sdk_volume(metadata={"Name": "data"}, backup_id=None)
    volume = cloud.create_volume(1, metadata={"Name": "data"})
    assert conn.block_storage.create_volume.call_args.kwargs == {"size": 1, "name": "", "metadata": {"Name": "data"}}
    assert volume.metadata == {"Name": "data"}
    cloud.set_volume_metadata("v", {"Tier": "gold"}, ["Name"])
    conn.block_storage.set_volume_metadata.assert_called_once_with("v", Tier="gold")
    conn.block_storage.delete_volume_metadata.assert_called_once_with("v", keys=["Name"])


@pytest.mark.parametrize("kind, getter", [
    ("network", "get_network"), ("subnet", "get_subnet"), ("port", "get_port"),
    ("security_group", "get_security_group"), ("floating_ip", "get_ip"),
])
def test_neutron_tags_are_replaced_on_the_resource(cloud, conn, kind, getter):
    cloud.set_network_tags(kind, "id1", ["Name=a", "Team=x"])
    getattr(conn.network, getter).assert_called_once_with("id1")
    conn.network.set_tags.assert_called_once_with(getattr(conn.network, getter).return_value, ["Name=a", "Team=x"])


def test_neutron_tags_are_read_back_and_a_missing_resource_is_not_found(cloud, conn):
    conn.network.get_network.return_value = NS(
        id="n", name="blue", is_router_external=False, is_shared=False, subnet_ids=[], status="ACTIVE",
        description="", tags=["Name=a"])
    assert cloud.get_network("n").tags == ("Name=a",)
    from openstack import exceptions as sdk

    conn.network.get_subnet.side_effect = sdk.NotFoundException("Subnet s could not be found.")
    with pytest.raises(CloudError) as caught:
        cloud.set_network_tags("subnet", "s", ["x"])
    assert caught.value.kind is ErrorKind.NOT_FOUND
