import dataclasses

import pytest

from cfnapi.cloud.errors import CloudError, ErrorKind
from cfnapi.cloud.provider import BlockDevice, NetworkRequest, ServerRequest
from cfnapi.cloud.sim import SimCloud, load_config, seed

from .conftest import CIRROS, PROJECT


def request(**overrides):
    fields = dict(name="web", image_id=CIRROS, flavor_id="1")
    fields.update(overrides)
    return ServerRequest(**fields)


def test_server_moves_from_build_to_active_after_the_configured_delay(cloud, clock, config):
    server = cloud.create_server(request())
    assert server.status == "BUILD"
    clock.advance(config.behaviour.server_build_seconds - 0.5)
    assert cloud.get_server(server.id).status == "BUILD"
    clock.advance(0.5)
    assert cloud.get_server(server.id).status == "ACTIVE"


def test_server_gets_a_fixed_ip_and_neutron_mac_on_the_default_network(cloud):
    server = cloud.create_server(request())
    (address,) = server.addresses
    assert address.network_name == "private"
    assert address.ip_address == "10.0.0.2"  # .0 network, .1 gateway
    assert address.mac_address.startswith("fa:16:3e:")
    assert server.security_groups == ("default",)


def test_unknown_image_fails_with_novas_message(cloud):
    with pytest.raises(CloudError) as caught:
        cloud.create_server(request(image_id="ami-12345678"))
    assert caught.value.kind is ErrorKind.NOT_FOUND
    assert caught.value.message == "Image ami-12345678 could not be found."


def test_unknown_flavor_fails_with_novas_message(cloud):
    with pytest.raises(CloudError) as caught:
        cloud.create_server(request(flavor_id="99"))
    assert caught.value.message == "Flavor 99 could not be found."


def test_instance_quota_uses_novas_wording(cloud):
    cloud.set_quota("instances", 2)
    cloud.create_server(request(name="a"))
    cloud.create_server(request(name="b"))
    with pytest.raises(CloudError) as caught:
        cloud.create_server(request(name="c"))
    assert caught.value.kind is ErrorKind.OVER_QUOTA
    assert caught.value.message == "Quota exceeded for instances: Requested 1, but already used 2 of 2 instances"
    assert len(cloud.list_servers()) == 2  # the refused server left nothing behind


def test_cores_quota_counts_the_flavors_vcpus(cloud):
    cloud.set_quota("cores", 5)
    cloud.create_server(request(flavor_id="4"))  # 4 vCPUs
    with pytest.raises(CloudError) as caught:
        cloud.create_server(request(flavor_id="3"))  # 2 more
    assert caught.value.message == "Quota exceeded for cores: Requested 2, but already used 4 of 5 cores"


def test_unknown_zone_and_keypair_are_refused(cloud):
    with pytest.raises(CloudError, match="requested availability zone is not available"):
        cloud.create_server(request(availability_zone="mars"))
    with pytest.raises(CloudError, match="Invalid key_name provided."):
        cloud.create_server(request(key_name="nope"))


def test_forced_error_status_reports_the_fault(cloud):
    server = cloud.create_server(request())
    cloud.force_server_status(server.id, "ERROR", fault="No valid host was found.")
    reloaded = cloud.get_server(server.id)
    assert (reloaded.status, reloaded.fault) == ("ERROR", "No valid host was found.")
    assert cloud.force_server_status(server.id, "SHUTOFF").status == "SHUTOFF"


def test_delete_server_removes_its_ports_but_only_unbinds_ports_passed_in(cloud, config):
    network_id = config.default_network.network_id
    own_port = cloud.create_port(network_id, name="mine")
    server = cloud.create_server(request(networks=(NetworkRequest(port_id=own_port.id), NetworkRequest(network_id))))
    assert len(server.addresses) == 2
    cloud.delete_server(server.id)
    with pytest.raises(CloudError, match=f"Instance {server.id} could not be found."):
        cloud.get_server(server.id)
    remaining = cloud.list_ports(network_id=network_id)
    assert [(p.id, p.device_id) for p in remaining] == [(own_port.id, "")]


def test_boot_from_volume_creates_and_on_delete_removes_the_root_volume(cloud):
    server = cloud.create_server(request(image_id=None, block_devices=(
        BlockDevice("image", uuid=CIRROS, volume_size_gb=5, boot_index=0, delete_on_termination=True),)))
    (volume_id,) = server.volume_ids
    assert cloud.get_volume(volume_id).status == "in-use"
    cloud.delete_server(server.id)
    assert cloud.list_volumes() == []


def test_keypairs_generate_import_and_refuse_duplicates(cloud):
    created = cloud.create_keypair("mine")
    assert created.private_key.startswith("-----BEGIN RSA PRIVATE KEY-----")
    assert cloud.get_keypair("mine").private_key is None
    with pytest.raises(CloudError) as caught:
        cloud.import_keypair("mine", created.public_key)
    assert caught.value.message == "Key pair 'mine' already exists."
    cloud.delete_keypair("mine")
    with pytest.raises(CloudError, match=f"Keypair mine not found for user {PROJECT}"):
        cloud.get_keypair("mine")
    assert cloud.get_keypair("default").name == "default"  # the seed's shared pair


def test_other_projects_do_not_see_a_projects_servers(cloud, db, config, clock):
    from cfnapi.cloud.sim import SimCloud

    server = cloud.create_server(request())
    other = SimCloud(db, "210987654321", config, clock=clock)
    with pytest.raises(CloudError) as caught:
        other.get_server(server.id)
    assert caught.value.kind is ErrorKind.NOT_FOUND


def test_with_a_delete_delay_a_deleted_server_stays_until_the_time_has_passed(db, config, clock):
    import dataclasses

    from cfnapi.cloud.sim import SimCloud, seed

    slow = dataclasses.replace(config, behaviour=dataclasses.replace(config.behaviour, server_delete_seconds=3))
    seed(db, slow)
    cloud = SimCloud(db, PROJECT, slow, clock=clock)
    server = cloud.create_server(request())
    cloud.delete_server(server.id)
    clock.advance(2)
    cloud.delete_server(server.id)  # asked again while deleting: accepted, the clock does not restart
    assert [s.id for s in cloud.list_servers()] == [server.id]
    assert cloud.list_ports(device_id=server.id)  # its port goes with it, not before
    clock.advance(1)
    with pytest.raises(CloudError, match=f"Instance {server.id} could not be found."):
        cloud.get_server(server.id)
    assert cloud.list_servers() == []
    assert cloud.list_ports(device_id=server.id) == []


def test_resize_lands_in_verify_resize_and_confirm_makes_it_active_on_the_new_flavor(cloud, clock, config):
    server = cloud.create_server(ServerRequest("web", CIRROS, "1"))
    with pytest.raises(CloudError) as caught:
        cloud.resize_server(server.id, "2")  # still building
    assert caught.value.kind is ErrorKind.CONFLICT
    assert caught.value.message == f"Cannot 'resize' instance {server.id} while it is in vm_state build"
    clock.advance(config.behaviour.server_build_seconds)
    with pytest.raises(CloudError, match="When resizing, instances must change flavor!"):
        cloud.resize_server(server.id, "1")
    cloud.resize_server(server.id, "3")
    assert (cloud.get_server(server.id).status, cloud.get_server(server.id).flavor_id) == ("VERIFY_RESIZE", "3")
    cloud.confirm_server_resize(server.id)
    assert cloud.get_server(server.id).status == "ACTIVE"
    with pytest.raises(CloudError) as caught:
        cloud.confirm_server_resize(server.id)
    assert caught.value.kind is ErrorKind.CONFLICT


def test_confirming_the_resize_of_a_stopped_server_leaves_it_stopped(cloud, clock, config):
    server = cloud.create_server(ServerRequest("web", CIRROS, "1"))
    clock.advance(config.behaviour.server_build_seconds)
    cloud.force_server_status(server.id, "SHUTOFF")
    cloud.resize_server(server.id, "2")
    assert cloud.get_server(server.id).status == "VERIFY_RESIZE"
    cloud.confirm_server_resize(server.id)
    assert (cloud.get_server(server.id).status, cloud.get_server(server.id).flavor_id) == ("SHUTOFF", "2")


def test_nova_confirms_by_itself_after_the_resize_confirm_window_and_refuses_a_late_confirm(db, clock):
    config = dataclasses.replace(load_config(), behaviour=dataclasses.replace(
        load_config().behaviour, resize_confirm_window_seconds=60.0))
    seed(db, config)
    cloud = SimCloud(db, PROJECT, config, clock=clock)
    server = cloud.create_server(ServerRequest("web", CIRROS, "1"))
    clock.advance(config.behaviour.server_build_seconds)
    cloud.resize_server(server.id, "2")
    clock.advance(59)
    assert cloud.get_server(server.id).status == "VERIFY_RESIZE"
    clock.advance(1)
    assert (cloud.get_server(server.id).status, cloud.get_server(server.id).flavor_id) == ("ACTIVE", "2")
    with pytest.raises(CloudError) as caught:
        cloud.confirm_server_resize(server.id)
    assert caught.value.message == f"Cannot 'confirmResize' instance {server.id} while it is in vm_state active"
    cloud.resize_server(server.id, "1")  # the resize back (a rollback) is accepted
    assert cloud.get_server(server.id).status == "VERIFY_RESIZE"


def test_resize_checks_quota_for_the_growth_only(cloud, clock, config):
    cloud.set_quota("cores", 3)
    server = cloud.create_server(ServerRequest("web", CIRROS, "3"))  # 2 vCPUs
    clock.advance(config.behaviour.server_build_seconds)
    with pytest.raises(CloudError) as caught:
        cloud.resize_server(server.id, "4")  # 4 vCPUs: 2 more, 1 left
    assert caught.value.kind is ErrorKind.OVER_QUOTA
    assert caught.value.message == "Quota exceeded for cores: Requested 2, but already used 2 of 3 cores"
    assert cloud.get_server(server.id).flavor_id == "3"
    cloud.resize_server(server.id, "1")  # shrinking needs no quota
    cloud.confirm_server_resize(server.id)
    assert cloud.get_server(server.id).flavor_id == "1"
