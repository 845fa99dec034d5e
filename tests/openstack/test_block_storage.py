"""Cinder through the openstacksdk provider: boot from a volume made of the
image, and a volume attached to the instance; delete leaves no volume.
DeletionPolicy Snapshot leaves a Cinder backup (made by the box's cinder-backup)
in place of the volume."""

from __future__ import annotations

import json

from .box import delete_and_wait, parameters, reasons, unique, wait_for_stack

TEMPLATE = json.dumps({
    "Parameters": {"Subnet": {"Type": "String"}, "Zone": {"Type": "String"}},
    "Resources": {
        "Vm": {"Type": "AWS::EC2::Instance", "Properties": {
            "ImageId": "cirros-0.6.2-x86_64-disk", "InstanceType": "t2.nano", "SubnetId": {"Ref": "Subnet"},
            "AvailabilityZone": {"Ref": "Zone"},
            "BlockDeviceMappings": [{"DeviceName": "/dev/vda", "Ebs": {"VolumeSize": 1, "DeleteOnTermination": True}}]}},
        "Data": {"Type": "AWS::EC2::Volume",
                 "Properties": {"Size": 1, "AvailabilityZone": {"Ref": "Zone"}}},
        "Attach": {"Type": "AWS::EC2::VolumeAttachment", "Properties": {
            "InstanceId": {"Ref": "Vm"}, "VolumeId": {"Ref": "Data"}, "Device": "/dev/vdb"}},
    },
    "Outputs": {"Volume": {"Value": {"Ref": "Data"}}, "Instance": {"Value": {"Ref": "Vm"}}},
})


def test_boot_from_volume_and_an_attached_volume_leave_nothing_on_delete(cfn, project_conn, leaves_nothing):
    subnet = project_conn.network.find_subnet("private-subnet").id
    name = unique("volumes")
    cfn.create_stack(StackName=name, TemplateBody=TEMPLATE,
                     Parameters=parameters({"Subnet": subnet, "Zone": "us-east-1a"}))
    stack = wait_for_stack(cfn, name)
    assert stack["StackStatus"] == "CREATE_COMPLETE", reasons(cfn, name)
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    volume = project_conn.block_storage.get_volume(outputs["Volume"])
    assert volume.status == "in-use"
    assert [a["server_id"] for a in volume.attachments] == [outputs["Instance"]]
    server = project_conn.compute.get_server(outputs["Instance"])
    boot_volumes = [v["id"] for v in server.attached_volumes if v["id"] != volume.id]
    assert len(boot_volumes) == 1  # the root disk is a Cinder volume made from the image

    delete_and_wait(cfn, name)
    assert project_conn.block_storage.find_volume(volume.id) is None
    assert project_conn.block_storage.find_volume(boot_volumes[0]) is None  # DeleteOnTermination


SNAPSHOT_ON_DELETE = json.dumps({
    "Resources": {"Data": {"Type": "AWS::EC2::Volume", "DeletionPolicy": "Snapshot",
                           "Properties": {"Size": 1, "AvailabilityZone": "us-east-1a"}}},
    "Outputs": {"Volume": {"Value": {"Ref": "Data"}}},
})


def test_deletion_policy_snapshot_leaves_a_cinder_backup_of_the_volume(cfn, project_conn, leaves_nothing):
    name = unique("snapshot-on-delete")
    cfn.create_stack(StackName=name, TemplateBody=SNAPSHOT_ON_DELETE)
    stack = wait_for_stack(cfn, name)
    assert stack["StackStatus"] == "CREATE_COMPLETE", reasons(cfn, name)
    volume_id = stack["Outputs"][0]["OutputValue"]

    delete_and_wait(cfn, name)
    assert project_conn.block_storage.find_volume(volume_id) is None
    [backup] = [b for b in project_conn.block_storage.backups() if b.volume_id == volume_id]
    assert backup.status == "available" and backup.name == f"{name}-Data-snapshot"
    assert backup.size == 1
    project_conn.block_storage.delete_backup(backup, ignore_missing=False)
    project_conn.block_storage.wait_for_delete(backup, wait=120)
