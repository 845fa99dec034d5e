"""EC2 types changed in place as AWS documents it, driven against the sim: a Volume restored
from the backup a DeletionPolicy Snapshot took, Instance UserData and Tags updates, and
each VPC's own default security group."""

import pytest

from cfnapi.cloud.sim import differences_from_seed
from cfnapi.translate.base import ResourceFailure
from cfnapi.translate.ec2_storage import Volume


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
