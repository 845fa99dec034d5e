"""The sim's verbs behind EC2's in-place changes: restoring a backup into a new volume,
rebuilding a server with new user data, and tags/metadata on servers, volumes and
Neutron resources."""

import pytest
from sqlalchemy import select

from cfnapi.cloud.errors import CloudError, ErrorKind
from cfnapi.cloud.provider import ServerRequest
from cfnapi.cloud.sim import models as m

from .conftest import CIRROS


def _available_backup(cloud, clock, config, size=3):
    volume = cloud.create_volume(size)
    clock.advance(config.behaviour.volume_create_seconds)
    backup = cloud.create_volume_backup(volume.id, "keep")
    return volume, backup


def test_a_volume_is_restored_from_a_backup_that_outlived_its_volume(cloud, clock, config):
    volume, backup = _available_backup(cloud, clock, config)
    with pytest.raises(CloudError, match="Backup status must be available, but current status is: creating"):
        cloud.create_volume(3, backup_id=backup.id)
    clock.advance(config.behaviour.backup_create_seconds)
    cloud.delete_volume(volume.id)
    restored = cloud.create_volume(3, name="again", backup_id=backup.id)
    assert (restored.backup_id, restored.size_gb, restored.status) == (backup.id, 3, "creating")
    clock.advance(config.behaviour.volume_create_seconds)
    assert cloud.get_volume(restored.id).status == "available"
    assert cloud.create_volume(5, backup_id=backup.id).size_gb == 5  # larger is fine, as in Cinder


def test_restoring_a_backup_follows_cinders_checks(cloud, clock, config):
    _, backup = _available_backup(cloud, clock, config, size=4)
    clock.advance(config.behaviour.backup_create_seconds)
    with pytest.raises(CloudError, match="cannot be smaller than the backup size 4GB") as caught:
        cloud.create_volume(2, backup_id=backup.id)
    assert caught.value.kind is ErrorKind.INVALID
    with pytest.raises(CloudError, match="Backup nope could not be found.") as caught:
        cloud.create_volume(4, backup_id="nope")
    assert caught.value.kind is ErrorKind.NOT_FOUND


def _user_data(db, server_id):
    with db.transaction() as session:
        return session.scalar(select(m.SimServer.user_data).where(m.SimServer.id == server_id))


def test_rebuild_changes_user_data_and_keeps_the_server_its_ports_and_volumes(cloud, clock, config, db):
    server = cloud.create_server(ServerRequest("web", CIRROS, "1", user_data="echo one"))
    with pytest.raises(CloudError, match="Cannot 'rebuild' instance .* while it is in vm_state build") as caught:
        cloud.rebuild_server(server.id, CIRROS, "echo two")
    assert caught.value.kind is ErrorKind.CONFLICT
    clock.advance(config.behaviour.server_build_seconds)
    volume = cloud.create_volume(1)
    clock.advance(config.behaviour.volume_create_seconds)
    cloud.attach_volume(server.id, volume.id)
    before = cloud.get_server(server.id)

    cloud.rebuild_server(server.id, CIRROS, "echo two")
    after = cloud.get_server(server.id)
    assert _user_data(db, server.id) == "echo two"
    assert (after.id, after.status, after.fixed_ips, after.volume_ids) == (
        before.id, "ACTIVE", before.fixed_ips, (volume.id,))
    cloud.rebuild_server(server.id, CIRROS, None)
    assert _user_data(db, server.id) is None
    with pytest.raises(CloudError, match="Image nope could not be found."):
        cloud.rebuild_server(server.id, "nope", "x")


def test_server_and_volume_metadata_change_only_the_items_named(cloud, clock, config):
    server = cloud.create_server(ServerRequest("web", CIRROS, "1", metadata={"Name": "web", "keep": "me"}))
    cloud.set_server_metadata(server.id, {"Name": "api", "Owner": "ops"}, ["gone-already"])
    assert cloud.get_server(server.id).metadata == {"Name": "api", "keep": "me", "Owner": "ops"}
    cloud.set_server_metadata(server.id, {}, ["Owner"])
    assert cloud.get_server(server.id).metadata == {"Name": "api", "keep": "me"}
    with pytest.raises(CloudError, match="could not be found"):
        cloud.set_server_metadata("nope", {"a": "b"})

    volume = cloud.create_volume(1, metadata={"Name": "data"})
    assert volume.metadata == {"Name": "data"}
    cloud.set_volume_metadata(volume.id, {"Tier": "gold"}, ["Name"])
    assert cloud.get_volume(volume.id).metadata == {"Tier": "gold"}


def test_neutron_tags_replace_the_whole_set_on_every_taggable_kind(cloud, config):
    network = cloud.create_network("blue")
    subnet = cloud.create_subnet(network.id, "10.9.0.0/24")
    port = cloud.create_port(network.id)
    group = cloud.create_security_group("web")
    address = cloud.allocate_floating_ip()
    for kind, resource_id, read in (
            ("network", network.id, cloud.get_network), ("subnet", subnet.id, cloud.get_subnet),
            ("port", port.id, cloud.get_port), ("security_group", group.id, cloud.get_security_group),
            ("floating_ip", address.id, cloud.get_floating_ip)):
        cloud.set_network_tags(kind, resource_id, ["Name=a", "Team=x", "Name=a"])
        assert read(resource_id).tags == ("Name=a", "Team=x")
        cloud.set_network_tags(kind, resource_id, ["Name=b"])
        assert read(resource_id).tags == ("Name=b",)
    with pytest.raises(CloudError, match="exceeds maximum length of 255") as caught:
        cloud.set_network_tags("network", network.id, ["x" * 256])
    assert caught.value.kind is ErrorKind.INVALID
    with pytest.raises(CloudError, match="Network nope could not be found") as caught:
        cloud.set_network_tags("network", "nope", [])
    assert caught.value.kind is ErrorKind.NOT_FOUND
    with pytest.raises(CloudError) as caught:  # the seed's shared network belongs to the cloud
        cloud.set_network_tags("network", config.default_network.network_id, ["Name=mine"])
    assert caught.value.kind is ErrorKind.FORBIDDEN
