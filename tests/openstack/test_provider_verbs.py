"""The openstacksdk provider's verbs straight against the real services, where
no corpus template reaches them: Swift containers and the error classification."""

from __future__ import annotations

import uuid

import pytest

from cfnapi.cloud.errors import CloudError, ErrorKind
from cfnapi.cloud.openstack import OpenStackCloud

from .box import unique


@pytest.fixture
def cloud(project_conn):
    return OpenStackCloud(project_conn)


def test_a_container_with_objects_cannot_be_deleted_until_emptied(cloud, project_conn):
    name = unique("bucket")
    cloud.create_container(name)
    try:
        assert cloud.container_is_empty(name)
        cloud.put_object(name, "a.txt", b"hello")
        assert not cloud.container_is_empty(name)
        with pytest.raises(CloudError) as caught:
            cloud.delete_container(name)
        assert caught.value.kind is ErrorKind.CONFLICT
    finally:
        project_conn.object_store.delete_object("a.txt", container=name, ignore_missing=True)
    cloud.delete_container(name)
    assert name not in {c.name for c in cloud.list_containers()}


def test_missing_things_are_not_found_with_the_services_words(cloud):
    missing = str(uuid.uuid4())
    for verb in (cloud.get_server, cloud.get_volume, cloud.get_network, cloud.get_port):
        with pytest.raises(CloudError) as caught:
            verb(missing)
        assert caught.value.kind is ErrorKind.NOT_FOUND, verb
        assert missing in caught.value.message


def test_a_network_with_a_port_cannot_be_deleted(cloud):
    network = cloud.create_network(unique("busy-net"))
    cloud.create_subnet(network.id, "10.77.0.0/24")
    port = cloud.create_port(network.id)
    try:
        with pytest.raises(CloudError) as caught:
            cloud.delete_network(network.id)
        assert caught.value.kind is ErrorKind.CONFLICT
        assert "in use" in caught.value.message
    finally:
        cloud.delete_port(port.id)
        cloud.delete_network(network.id)


def test_floating_ips_come_from_the_external_pool_and_stay_down_on_the_box(cloud):
    address = cloud.allocate_floating_ip()
    try:
        assert address.floating_ip_address.startswith("172.24.4.")
        assert address.status in ("DOWN", "ACTIVE")  # no L3 agent on the box: DOWN
    finally:
        cloud.release_floating_ip(address.id)


def test_container_metadata_is_replaced_as_a_set_and_the_url_is_swifts(cloud, project_conn):
    name = unique("tagged")
    cloud.create_container(name)
    try:
        cloud.set_container_metadata(name, {"tag-env": "prod", "tag-team": "ops"})
        assert cloud.get_container(name).metadata == {"tag-env": "prod", "tag-team": "ops"}
        cloud.set_container_metadata(name, {"tag-env": "dev"})
        assert cloud.get_container(name).metadata == {"tag-env": "dev"}
        url = cloud.container_url(name)
        assert url.endswith(f"/{name}")
        assert project_conn.session.head(url, authenticated=True).status_code in (200, 204)
    finally:
        cloud.delete_container(name)
