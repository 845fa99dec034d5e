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
