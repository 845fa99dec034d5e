"""Failures the real services produce reach the stack as CREATE_FAILED with
the service's own sentence, and the rollback leaves nothing behind."""

from __future__ import annotations

import json
import uuid

import pytest
import yaml

from cfnapi.testing.clients import client

from .box import Inventory, connect, failure_reasons, parameters, reasons, unique, wait_for_stack
from .conftest import serve_on_box

IMAGE = "cirros-0.6.2-x86_64-disk"


def instances(count: int, image: str = IMAGE) -> str:
    resources = {
        f"Vm{i}": {"Type": "AWS::EC2::Instance",
                   "Properties": {"ImageId": image, "InstanceType": "t2.nano", "SubnetId": {"Ref": "Subnet"}}}
        for i in range(count)
    }
    return json.dumps({"Parameters": {"Subnet": {"Type": "String"}}, "Resources": resources})


def create_and_expect_rollback(cfn, body: str, values: dict[str, str]) -> list[str]:
    name = unique("fails")
    cfn.create_stack(StackName=name, TemplateBody=body, Parameters=parameters(values))
    stack = wait_for_stack(cfn, name)
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE", reasons(cfn, name)
    failed = failure_reasons(cfn, name)
    cfn.delete_stack(StackName=name)
    wait_for_stack(cfn, stack["StackId"])
    return failed


def test_unknown_image_fails_with_the_image_service_wording(cfn, project_conn, leaves_nothing):
    missing = str(uuid.uuid4())
    subnet = project_conn.network.find_subnet("private-subnet").id
    failed = create_and_expect_rollback(cfn, instances(1, image=missing), {"Subnet": subnet})
    assert f"Image {missing} could not be found." in failed


def test_in_use_volume_cannot_be_attached_and_the_new_instance_is_rolled_back(cfn, project_conn, leaves_nothing):
    conn = project_conn
    subnet = conn.network.find_subnet("private-subnet")
    image = conn.image.find_image(IMAGE)
    holder = conn.compute.create_server(name=unique("holder"), image_id=image.id, flavor_id="42",
                                        networks=[{"uuid": subnet.network_id}])
    volume = conn.block_storage.create_volume(size=1, name=unique("busy"))
    try:
        conn.compute.wait_for_server(holder, wait=120, interval=1)
        conn.block_storage.wait_for_status(volume, "available", wait=120, interval=1)
        conn.compute.create_volume_attachment(holder, volume_id=volume.id)
        conn.block_storage.wait_for_status(volume, "in-use", wait=120, interval=1)
        body = json.loads(instances(1))
        body["Parameters"]["Volume"] = {"Type": "String"}
        body["Resources"]["Attach"] = {"Type": "AWS::EC2::VolumeAttachment", "Properties": {
            "InstanceId": {"Ref": "Vm0"}, "VolumeId": {"Ref": "Volume"}, "Device": "/dev/vdb"}}
        failed = create_and_expect_rollback(cfn, json.dumps(body), {"Subnet": subnet.id, "Volume": volume.id})
        # Nova's own refusal: "Invalid volume: volume <id> is already attached to instances: <server>"
        assert f"Invalid volume: volume {volume.id} is already attached to instances: {holder.id}" in failed
    finally:
        conn.compute.delete_volume_attachment(holder, volume.id, ignore_missing=True)
        conn.block_storage.wait_for_status(volume, "available", wait=120, interval=1)
        conn.block_storage.delete_volume(volume)
        conn.compute.delete_server(holder)
        conn.compute.wait_for_delete(holder, wait=120, interval=1)
        conn.block_storage.wait_for_delete(volume, wait=120, interval=1)


@pytest.fixture(scope="module")
def low_quota_project(admin, clouds_yaml, tmp_path_factory):
    """A project of its own with room for one server and one network (already used by its subnet)."""
    name = unique("cfnapi-quota")
    project = admin.identity.create_project(name=name, domain_id="default")
    user = admin.identity.create_user(name=name, password=name, domain_id="default", default_project_id=project.id)
    admin.identity.assign_project_role_to_user(project, user, admin.identity.find_role("member"))
    admin.set_compute_quotas(project.id, instances=1)
    admin.set_network_quotas(project.id, network=1)
    clouds = yaml.safe_load(clouds_yaml.read_text())
    auth = dict(clouds["clouds"]["box"]["auth"], username=name, password=name, project_name=name)
    clouds["clouds"]["box-quota"] = dict(clouds["clouds"]["box"], auth=auth)
    path = tmp_path_factory.mktemp("quota") / "clouds.yaml"
    path.write_text(yaml.safe_dump(clouds))
    conn = connect(path, "box-quota")
    network = conn.network.create_network(name="only")
    subnet = conn.network.create_subnet(network_id=network.id, cidr="10.50.0.0/24", ip_version=4)
    yield path, conn, subnet
    conn.network.delete_network(network)
    admin.identity.delete_user(user)
    admin.identity.delete_project(project)


@pytest.fixture(scope="module")
def quota_cfn(tmp_path_factory, low_quota_project):
    path, _, _ = low_quota_project
    running = serve_on_box(tmp_path_factory, path, "box-quota", "cfnapi-quota")
    yield client("cloudformation", running.endpoint)
    running.stop()


def test_nova_instance_quota_fails_the_stack_with_novas_message(quota_cfn, low_quota_project):
    _, conn, subnet = low_quota_project
    before = Inventory.of(conn)
    failed = create_and_expect_rollback(quota_cfn, instances(2), {"Subnet": subnet.id})
    assert any("Quota exceeded for instances" in reason for reason in failed), failed
    assert Inventory.of(conn).minus(before) == set()


def test_neutron_network_quota_fails_the_stack_with_neutrons_message(quota_cfn, low_quota_project):
    _, conn, subnet = low_quota_project
    before = Inventory.of(conn)
    body = json.dumps({"Parameters": {"Subnet": {"Type": "String"}}, "Resources": {
        "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.60.0.0/16"}}}})
    failed = create_and_expect_rollback(quota_cfn, body, {"Subnet": subnet.id})
    assert any("Quota exceeded for resources: ['network']" in reason for reason in failed), failed
    assert Inventory.of(conn).minus(before) == set()
