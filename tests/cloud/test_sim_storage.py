import pytest

from cfnapi.cloud.errors import CloudError, ErrorKind
from cfnapi.cloud.provider import ServerRequest

from .conftest import CIRROS


def test_volume_lifecycle_creating_available_in_use_and_back(cloud, clock, config):
    volume = cloud.create_volume(10, name="data")
    assert volume.status == "creating"
    clock.advance(config.behaviour.volume_create_seconds)
    assert cloud.get_volume(volume.id).status == "available"
    server = cloud.create_server(ServerRequest("db", CIRROS, "1"))
    attachment = cloud.attach_volume(server.id, volume.id)
    assert attachment.device == "/dev/vdb"
    assert cloud.get_volume(volume.id).status == "in-use"

    with pytest.raises(CloudError) as caught:
        cloud.delete_volume(volume.id)
    assert caught.value.message == (
        "Invalid volume: Volume status must be available or error, but current status is: in-use."
    )
    cloud.detach_volume(server.id, volume.id)
    cloud.delete_volume(volume.id)
    with pytest.raises(CloudError, match=f"Volume {volume.id} could not be found."):
        cloud.get_volume(volume.id)


def test_attaching_a_volume_still_creating_is_refused(cloud):
    volume = cloud.create_volume(1)
    server = cloud.create_server(ServerRequest("db", CIRROS, "1"))
    with pytest.raises(CloudError, match="status must be 'available'. Currently in 'creating'"):
        cloud.attach_volume(server.id, volume.id)


def test_gigabytes_and_volume_count_quotas_use_cinders_wording(cloud):
    cloud.set_quota("gigabytes", 15)
    cloud.create_volume(10)
    with pytest.raises(CloudError) as caught:
        cloud.create_volume(10)
    assert caught.value.kind is ErrorKind.OVER_QUOTA
    assert caught.value.message == (
        "Requested volume or snapshot exceeds allowed gigabytes quota. "
        "Requested 10G, quota is 15G and 10G has been consumed."
    )
    cloud.set_quota("volumes", 1)
    with pytest.raises(CloudError, match=r"Maximum number of volumes allowed \(1\) exceeded"):
        cloud.create_volume(1)


def test_snapshots_block_volume_delete(cloud, clock):
    volume = cloud.create_volume(2)
    clock.advance(5)
    snapshot = cloud.create_volume_snapshot(volume.id, "snap")
    with pytest.raises(CloudError, match="Volume still has 1 dependent snapshots"):
        cloud.delete_volume(volume.id)
    clone = cloud.create_volume(2, snapshot_id=snapshot.id)
    assert clone.snapshot_id == snapshot.id
    cloud.delete_volume_snapshot(snapshot.id)
    cloud.delete_volume(volume.id)


def test_non_empty_container_cannot_be_deleted(cloud):
    cloud.create_container("logs")
    assert cloud.container_is_empty("logs")
    cloud.put_object("logs", "a.txt", b"hello")
    assert cloud.get_container("logs").object_count == 1
    with pytest.raises(CloudError) as caught:
        cloud.delete_container("logs")
    assert caught.value.kind is ErrorKind.CONFLICT
    assert "There was a conflict when trying to complete your request." in caught.value.message
    with pytest.raises(CloudError) as missing:
        cloud.delete_container("nope")
    assert missing.value.kind is ErrorKind.NOT_FOUND


def test_extend_grows_available_and_in_use_volumes_only_upwards_within_quota(cloud, clock, config):
    volume = cloud.create_volume(2)
    with pytest.raises(CloudError) as caught:
        cloud.extend_volume(volume.id, 4)  # still creating
    assert caught.value.kind is ErrorKind.INVALID and "current status is: creating" in caught.value.message
    clock.advance(config.behaviour.volume_create_seconds)
    cloud.extend_volume(volume.id, 4)
    assert cloud.get_volume(volume.id).size_gb == 4
    server = cloud.create_server(ServerRequest("db", CIRROS, "1"))
    cloud.attach_volume(server.id, volume.id)
    cloud.extend_volume(volume.id, 5)  # in-use: Cinder 3.42+
    assert cloud.get_volume(volume.id).size_gb == 5

    with pytest.raises(CloudError) as caught:
        cloud.extend_volume(volume.id, 5)
    assert caught.value.message == ("Invalid input received: New size for extend must be greater than current "
                                    "size. (current: 5, extended: 5).")
    cloud.set_quota("gigabytes", 6)
    with pytest.raises(CloudError) as caught:
        cloud.extend_volume(volume.id, 8)
    assert caught.value.kind is ErrorKind.OVER_QUOTA
    assert cloud.get_volume(volume.id).size_gb == 5


def test_a_backup_outlives_its_volume_creating_then_available(cloud, clock, config):
    volume = cloud.create_volume(3)
    clock.advance(config.behaviour.volume_create_seconds)
    backup = cloud.create_volume_backup(volume.id, "keep")
    assert (backup.status, backup.size_gb, backup.volume_id) == ("creating", 3, volume.id)
    with pytest.raises(CloudError, match="Backup status must be available or error, but current status is: creating"):
        cloud.delete_volume_backup(backup.id)
    clock.advance(config.behaviour.backup_create_seconds)
    assert cloud.get_volume_backup(backup.id).status == "available"
    cloud.delete_volume(volume.id)  # unlike a snapshot, a backup does not hold its volume
    assert cloud.get_volume_backup(backup.id).volume_id == volume.id
    cloud.delete_volume_backup(backup.id)
    with pytest.raises(CloudError, match=f"Backup {backup.id} could not be found.") as caught:
        cloud.get_volume_backup(backup.id)
    assert caught.value.kind is ErrorKind.NOT_FOUND


def test_backups_follow_cinders_status_and_quota_rules(cloud, clock, config):
    volume = cloud.create_volume(4)
    with pytest.raises(CloudError, match='must be available or in-use, but the current status is "creating"'):
        cloud.create_volume_backup(volume.id)
    clock.advance(config.behaviour.volume_create_seconds)
    server = cloud.create_server(ServerRequest("db", CIRROS, "1"))
    cloud.attach_volume(server.id, volume.id)
    with pytest.raises(CloudError, match="Backing up an in-use volume must use the force flag."):
        cloud.create_volume_backup(volume.id)
    cloud.create_volume_backup(volume.id, force=True)
    cloud.set_quota("backup_gigabytes", 6)
    with pytest.raises(CloudError) as caught:
        cloud.create_volume_backup(volume.id, force=True)
    assert caught.value.kind is ErrorKind.OVER_QUOTA
    assert caught.value.message == (
        "Requested backup exceeds allowed Backup gigabytes quota. Requested 4G, quota is 6G and 4G has been consumed."
    )
    cloud.set_quota("backups", 1)
    with pytest.raises(CloudError, match=r"Maximum number of backups allowed \(1\) exceeded"):
        cloud.create_volume_backup(volume.id, force=True)
