"""The openstacksdk calls behind EC2's in-place changes, at the SDK boundary (a mocked Connection)."""

from types import SimpleNamespace as NS
from unittest import mock

import pytest

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
