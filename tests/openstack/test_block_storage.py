"""Cinder through the openstacksdk provider: boot from a volume made of the
image, and a volume attached to the instance; delete leaves no volume.
DeletionPolicy and UpdateReplacePolicy Snapshot leave a Cinder backup (made by
the box's cinder-backup) in place of each volume they remove."""

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


SNAPSHOT_POLICIES = json.dumps({
    "Parameters": {"Zone": {"Type": "String"}},
    "Resources": {"Data": {"Type": "AWS::EC2::Volume", "DeletionPolicy": "Snapshot",
                           "UpdateReplacePolicy": "Snapshot",
                           "Properties": {"Size": 1, "AvailabilityZone": {"Ref": "Zone"}}}},
    "Outputs": {"Volume": {"Value": {"Ref": "Data"}}},
})


def test_snapshot_policies_leave_a_cinder_backup_of_each_volume_they_remove(cfn, project_conn, leaves_nothing):
    """UpdateReplacePolicy Snapshot backs up the volume a replacement removes
    (moved to another zone), DeletionPolicy Snapshot the one DeleteStack removes."""
    name = unique("snapshot-policies")
    cfn.create_stack(StackName=name, TemplateBody=SNAPSHOT_POLICIES, Parameters=parameters({"Zone": "us-east-1a"}))
    stack = wait_for_stack(cfn, name)
    assert stack["StackStatus"] == "CREATE_COMPLETE", reasons(cfn, name)
    first = stack["Outputs"][0]["OutputValue"]
    cfn.update_stack(StackName=name, TemplateBody=SNAPSHOT_POLICIES, Parameters=parameters({"Zone": "us-east-1b"}))
    stack = wait_for_stack(cfn, name)
    assert stack["StackStatus"] == "UPDATE_COMPLETE", reasons(cfn, name)
    second = stack["Outputs"][0]["OutputValue"]
    assert second != first and project_conn.block_storage.find_volume(first) is None
    assert project_conn.block_storage.get_volume(second).availability_zone == "zone-b"

    delete_and_wait(cfn, name)
    assert project_conn.block_storage.find_volume(second) is None
    backups = {b.volume_id: b for b in project_conn.block_storage.backups() if b.volume_id in (first, second)}
    assert set(backups) == {first, second}
    for backup in backups.values():
        assert backup.status == "available" and backup.name == f"{name}-Data-snapshot" and backup.size == 1
        project_conn.block_storage.delete_backup(backup, ignore_missing=False)
    for backup in backups.values():
        project_conn.block_storage.wait_for_delete(backup, wait=120)
