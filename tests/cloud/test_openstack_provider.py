"""The openstacksdk provider at the SDK boundary: a mocked Connection, real SDK exceptions."""

import base64
from types import SimpleNamespace as NS
from unittest import mock

import pytest
import requests
from openstack import exceptions as sdk

from cfnapi.cloud.errors import CloudError, ErrorKind, from_sdk_exception
from cfnapi.cloud.openstack import OpenStackCloud
from cfnapi.cloud.provider import AllocationPool, BlockDevice, FixedIp, NetworkRequest, Route, ServerRequest

from .sdk_errors import http_error


@pytest.fixture
def conn():
    return mock.MagicMock()


@pytest.fixture
def cloud(conn):
    return OpenStackCloud(conn)


SERVER = NS(
    id="s1", name="web", status="ACTIVE", flavor={"id": "2"}, image={"id": "img"}, key_name="k",
    availability_zone="nova", security_groups=[{"name": "default"}], metadata={"a": "b"},
    attached_volumes=[{"id": "v1"}], fault=None,
    addresses={"private": [
        {"addr": "10.0.0.5", "version": 4, "OS-EXT-IPS:type": "fixed", "OS-EXT-IPS-MAC:mac_addr": "fa:16:3e:00:00:01"},
        {"addr": "172.24.4.20", "version": 4, "OS-EXT-IPS:type": "floating", "OS-EXT-IPS-MAC:mac_addr": "fa:16:3e:00:00:01"},
    ]},
)


def test_create_server_sends_novas_request_shape(cloud, conn):
    conn.compute.create_server.return_value = SERVER
    server = cloud.create_server(ServerRequest(
        "web", "img", "2", key_name="k", user_data="#!/bin/sh\necho hi\n",
        networks=(NetworkRequest(network_id="n1", fixed_ip="10.0.0.5"), NetworkRequest(port_id="p1")),
        security_groups=("default",), availability_zone="nova",
        block_devices=(BlockDevice("volume", uuid="v1", boot_index=1, device_name="/dev/vdb"),),
        metadata={"a": "b"},
    ))
    kwargs = conn.compute.create_server.call_args.kwargs
    assert kwargs["imageRef"] == "img" and kwargs["flavorRef"] == "2"
    assert base64.b64decode(kwargs["user_data"]).decode() == "#!/bin/sh\necho hi\n"
    assert kwargs["networks"] == [{"uuid": "n1", "fixed_ip": "10.0.0.5"}, {"port": "p1"}]
    assert kwargs["security_groups"] == [{"name": "default"}]
    assert kwargs["block_device_mapping_v2"] == [{"source_type": "volume", "destination_type": "volume",
                                                  "delete_on_termination": False, "uuid": "v1", "boot_index": 1,
                                                  "device_name": "/dev/vdb"}]
    assert server.fixed_ips == ("10.0.0.5",) and server.floating_ips == ("172.24.4.20",)
    assert server.volume_ids == ("v1",) and server.flavor_id == "2"


def test_a_server_without_networks_asks_nova_for_the_projects_own_network(cloud, conn):
    conn.compute.create_server.return_value = SERVER
    cloud.create_server(ServerRequest("web", "img", "2"))
    assert conn.compute.create_server.call_args.kwargs["networks"] == "auto"


@pytest.mark.parametrize("call, sdk_method, args", [
    (lambda c: c.get_server("s1"), "compute.get_server", ("s1",)),
    (lambda c: c.delete_server("s1"), "compute.delete_server", ("s1",)),
    (lambda c: c.resize_server("s1", "3"), "compute.resize_server", ("s1", "3")),
    (lambda c: c.confirm_server_resize("s1"), "compute.confirm_server_resize", ("s1",)),
    (lambda c: c.extend_volume("v", 2), "block_storage.extend_volume", ("v", 2)),
    (lambda c: c.get_flavor("m1.small"), "compute.find_flavor", ("m1.small",)),
    (lambda c: c.get_keypair("k"), "compute.get_keypair", ("k",)),
    (lambda c: c.delete_keypair("k"), "compute.delete_keypair", ("k",)),
    (lambda c: c.detach_volume("s1", "v1"), "compute.delete_volume_attachment", ("s1", "v1")),
    (lambda c: c.get_image("i"), "image.get_image", ("i",)),
    (lambda c: c.delete_network("n"), "network.delete_network", ("n",)),
    (lambda c: c.delete_subnet("s"), "network.delete_subnet", ("s",)),
    (lambda c: c.delete_port("p"), "network.delete_port", ("p",)),
    (lambda c: c.delete_router("r"), "network.delete_router", ("r",)),
    (lambda c: c.release_floating_ip("f"), "network.delete_ip", ("f",)),
    (lambda c: c.delete_security_group("g"), "network.delete_security_group", ("g",)),
    (lambda c: c.delete_security_group_rule("r"), "network.delete_security_group_rule", ("r",)),
    (lambda c: c.delete_volume("v"), "block_storage.delete_volume", ("v",)),
    (lambda c: c.delete_volume_snapshot("s"), "block_storage.delete_snapshot", ("s",)),
    (lambda c: c.get_volume_backup("b"), "block_storage.get_backup", ("b",)),
    (lambda c: c.delete_volume_backup("b"), "block_storage.delete_backup", ("b",)),
    (lambda c: c.delete_container("c"), "object_store.delete_container", ("c",)),
])
def test_verbs_call_the_sdk_and_classify_not_found(cloud, conn, call, sdk_method, args):
    proxy, name = sdk_method.split(".")
    method = getattr(getattr(conn, proxy), name)
    method.side_effect = http_error(sdk.NotFoundException, 404,
                                    '{"itemNotFound": {"code": 404, "message": "Thing could not be found."}}')
    with pytest.raises(CloudError) as caught:
        call(cloud)
    assert caught.value.kind is ErrorKind.NOT_FOUND
    assert caught.value.message == "Thing could not be found."
    assert method.call_args.args[: len(args)] == args


@pytest.mark.parametrize("cls, status, body, kind", [
    (sdk.HttpException, 403, '{"forbidden": {"message": "Quota exceeded for instances: Requested 1, but already used 10 of 10 instances"}}', ErrorKind.OVER_QUOTA),
    (sdk.HttpException, 413, '{"overLimit": {"message": "VolumeLimitExceeded: Maximum number of volumes allowed (10) exceeded"}}', ErrorKind.OVER_QUOTA),
    (sdk.ConflictException, 409, '{"NeutronError": {"type": "OverQuota", "message": "Quota exceeded for resources: [\'port\'].", "detail": ""}}', ErrorKind.OVER_QUOTA),
    (sdk.ConflictException, 409, '{"NeutronError": {"message": "Unable to complete operation on network n. There are one or more ports still in use on the network."}}', ErrorKind.CONFLICT),
    (sdk.BadRequestException, 400, '{"badRequest": {"message": "Invalid key_name provided.", "code": 400}}', ErrorKind.INVALID),
    (sdk.ForbiddenException, 403, '{"forbidden": {"message": "Policy doesn\'t allow os_compute_api:servers:create to be performed."}}', ErrorKind.FORBIDDEN),
    (sdk.HttpException, 503, "Service Unavailable", ErrorKind.UNAVAILABLE),
])
def test_error_classification(cls, status, body, kind):
    error = from_sdk_exception(http_error(cls, status, body))
    assert error.kind is kind
    assert "{" not in error.message  # the service's sentence, unwrapped


def test_transport_failures_are_unavailable_and_retryable():
    error = from_sdk_exception(requests.ConnectionError("connection refused"))
    assert error.kind is ErrorKind.UNAVAILABLE and error.retryable


def test_network_verbs_shape_neutron_requests(cloud, conn):
    conn.network.create_subnet.return_value = NS(
        id="s", name="sub", network_id="n", cidr="10.0.0.0/24", gateway_ip="10.0.0.1",
        allocation_pools=[{"start": "10.0.0.10", "end": "10.0.0.20"}], ip_version=4, is_dhcp_enabled=True,
        dns_nameservers=[])
    subnet = cloud.create_subnet("n", "10.0.0.0/24", name="sub",
                                 allocation_pools=[AllocationPool("10.0.0.10", "10.0.0.20")])
    assert conn.network.create_subnet.call_args.kwargs["allocation_pools"] == [{"start": "10.0.0.10", "end": "10.0.0.20"}]
    assert subnet.allocation_pools == (AllocationPool("10.0.0.10", "10.0.0.20"),)

    conn.network.create_port.return_value = NS(
        id="p", name="", network_id="n", mac_address="fa:16:3e:00:00:02",
        fixed_ips=[{"subnet_id": "s", "ip_address": "10.0.0.9"}], security_group_ids=["g"], device_id="",
        device_owner="", status="DOWN")
    port = cloud.create_port("n", fixed_ips=[FixedIp("s", "10.0.0.9")], security_group_ids=["g"])
    assert conn.network.create_port.call_args.kwargs["fixed_ips"] == [{"subnet_id": "s", "ip_address": "10.0.0.9"}]
    assert port.fixed_ips == (FixedIp("s", "10.0.0.9"),)

    router = NS(id="r", name="r", external_gateway_info={"network_id": "ext", "external_fixed_ips": [
        {"ip_address": "172.24.4.3"}]}, routes=[{"destination": "0.0.0.0/0", "nexthop": "10.0.0.1"}], status="ACTIVE")
    conn.network.update_router.return_value = router
    conn.network.ports.return_value = [NS(id="ip", fixed_ips=[{"subnet_id": "s"}])]
    result = cloud.set_router_routes("r", [Route("0.0.0.0/0", "10.0.0.1")])
    assert conn.network.update_router.call_args.kwargs["routes"] == [{"destination": "0.0.0.0/0", "nexthop": "10.0.0.1"}]
    assert result.external_ip == "172.24.4.3" and result.interfaces[0].subnet_id == "s"

    conn.network.networks.return_value = iter([NS(id="ext", name="public", is_router_external=True, is_shared=True,
                                                  subnet_ids=["es"], status="ACTIVE")])
    conn.network.create_ip.return_value = NS(id="f", floating_ip_address="172.24.4.9", floating_network_id="ext",
                                             port_id=None, fixed_ip_address=None, status="DOWN")
    assert cloud.allocate_floating_ip().floating_ip_address == "172.24.4.9"
    assert conn.network.create_ip.call_args.kwargs == {"floating_network_id": "ext"}


def test_volume_and_container_verbs(cloud, conn):
    conn.block_storage.create_volume.return_value = NS(
        id="v", name="d", size=5, status="creating", availability_zone="nova", attachments=[], snapshot_id=None,
        image_id=None, volume_type=None, is_bootable="false")
    assert cloud.create_volume(5, name="d").status == "creating"
    assert conn.block_storage.create_volume.call_args.kwargs == {"size": 5, "name": "d"}
    conn.compute.create_volume_attachment.return_value = NS(device="/dev/vdc")
    assert cloud.attach_volume("s", "v").device == "/dev/vdc"
    conn.object_store.get_container_metadata.return_value = NS(name="c", count=2, bytes=10)
    assert cloud.container_is_empty("c") is False
    cloud.put_object("c", "o", b"x")
    conn.object_store.upload_object.assert_called_once_with(container="c", name="o", data=b"x")


def test_backup_verbs_shape_cinder_requests(cloud, conn):
    conn.block_storage.create_backup.return_value = NS(id="b", name="keep", volume_id="v", size=5, status="creating")
    backup = cloud.create_volume_backup("v", name="keep", force=True)
    assert conn.block_storage.create_backup.call_args.kwargs == {"volume_id": "v", "name": "keep", "force": True}
    assert (backup.id, backup.volume_id, backup.size_gb, backup.status) == ("b", "v", 5, "creating")
    conn.block_storage.get_backup.return_value = NS(id="b", name=None, volume_id="v", size=5, status="available")
    assert cloud.get_volume_backup("b").status == "available"
    cloud.delete_volume_backup("b")
    conn.block_storage.delete_backup.assert_called_once_with("b", ignore_missing=False)


def test_resize_confirm_and_extend_call_the_sdk(cloud, conn):
    cloud.resize_server("s1", "3")
    cloud.confirm_server_resize("s1")
    cloud.extend_volume("v1", 20)
    conn.compute.resize_server.assert_called_once_with("s1", "3")
    conn.compute.confirm_server_resize.assert_called_once_with("s1")
    conn.block_storage.extend_volume.assert_called_once_with("v1", 20)


@pytest.mark.parametrize("status, task_state, flavor, fault", [
    ("RESIZE", "resize_migrated", {"original_name": "m1.small"}, None),  # Nova ≥ 2.47: flavor by name
    ("VERIFY_RESIZE", None, {"original_name": "m1.medium"}, None),
    ("ERROR", None, {"id": "3"}, {"code": 500, "message": "No valid host was found. "}),
])
def test_a_resizing_server_reads_back_status_task_state_flavor_and_fault(cloud, conn, status, task_state, flavor, fault):
    conn.compute.get_server.return_value = NS(**{**vars(SERVER), "status": status, "task_state": task_state,
                                                 "flavor": flavor, "fault": fault})
    server = cloud.get_server("s1")
    assert (server.status, server.task_state) == (status, task_state)
    assert server.flavor_id == flavor.get("id", flavor.get("original_name"))
    assert server.fault == (fault or {}).get("message")


def test_an_idle_server_has_no_task_state(cloud, conn):
    conn.compute.get_server.return_value = NS(**{**vars(SERVER), "task_state": ""})
    assert cloud.get_server("s1").task_state is None


@pytest.mark.parametrize("call, sdk_method, body, kind, message", [
    (lambda c: c.confirm_server_resize("s1"), "compute.confirm_server_resize",
     '{"badRequest": {"code": 400, "message": "Instance has not been resized."}}',
     ErrorKind.INVALID, "Instance has not been resized."),
    (lambda c: c.resize_server("s1", "1"), "compute.resize_server",
     '{"badRequest": {"code": 400, "message": "When resizing, instances must change flavor!"}}',
     ErrorKind.INVALID, "When resizing, instances must change flavor!"),
    (lambda c: c.confirm_server_resize("s1"), "compute.confirm_server_resize",
     '{"conflictingRequest": {"code": 409, "message": "Cannot \'confirmResize\' instance s1 while it is in vm_state active"}}',
     ErrorKind.CONFLICT, "Cannot 'confirmResize' instance s1 while it is in vm_state active"),
    (lambda c: c.extend_volume("v1", 1), "block_storage.extend_volume",
     '{"badRequest": {"code": 400, "message": "Invalid input received: New size for extend must be greater than current size. (current: 2, extended: 1)."}}',
     ErrorKind.INVALID, "Invalid input received: New size for extend must be greater than current size. (current: 2, extended: 1)."),
])
def test_resize_and_extend_errors_are_classified(cloud, conn, call, sdk_method, body, kind, message):
    proxy, name = sdk_method.split(".")
    status = 409 if kind is ErrorKind.CONFLICT else 400
    cls = sdk.ConflictException if status == 409 else sdk.BadRequestException
    getattr(getattr(conn, proxy), name).side_effect = http_error(cls, status, body)
    with pytest.raises(CloudError) as caught:
        call(cloud)
    assert caught.value.kind is kind and caught.value.message == message


def test_create_network_sends_and_reads_back_the_description(cloud, conn):
    conn.network.create_network.return_value = NS(
        id="n", name="vpc", is_router_external=False, is_shared=False, subnet_ids=[], status="ACTIVE",
        description="AWS VPC CidrBlock 10.0.0.0/16")
    network = cloud.create_network("vpc", description="AWS VPC CidrBlock 10.0.0.0/16")
    conn.network.create_network.assert_called_once_with(name="vpc", description="AWS VPC CidrBlock 10.0.0.0/16")
    assert network.description == "AWS VPC CidrBlock 10.0.0.0/16"


def test_container_metadata_replaces_the_set_and_container_url_is_on_the_store_endpoint(cloud, conn):
    conn.object_store.get_container_metadata.return_value = NS(
        name="b", count=0, bytes=0, metadata={"Tag-Old": "1", "tag-env": "prod"})
    assert cloud.get_container("b").metadata == {"tag-old": "1", "tag-env": "prod"}
    cloud.set_container_metadata("b", {"tag-env": "dev", "Tag-New": "x"})
    conn.object_store.delete_container_metadata.assert_called_once_with("b", ["tag-old"])
    conn.object_store.set_container_metadata.assert_called_once_with("b", **{"tag-env": "dev", "tag-new": "x"})
    conn.object_store.get_endpoint.return_value = "https://swift.example:8080/v1/AUTH_p1/"
    assert cloud.container_url("my bucket") == "https://swift.example:8080/v1/AUTH_p1/my%20bucket"


def test_container_metadata_errors_are_classified(cloud, conn):
    conn.object_store.get_container_metadata.return_value = NS(name="b", count=0, bytes=0, metadata={})
    conn.object_store.set_container_metadata.side_effect = http_error(
        sdk.HttpException, 400, "Metadata name too long; max 128")
    with pytest.raises(CloudError) as caught:
        cloud.set_container_metadata("b", {"tag-" + "x" * 200: "v"})
    assert caught.value.kind is ErrorKind.INVALID


def test_floating_ip_and_rule_descriptions_go_with_the_create_and_read_back(cloud, conn):
    # The creation token rides in Neutron's standard description, sent in the POST itself: a
    # separate tag call could be cut off by a crash, leaving the object unfindable.
    conn.network.create_ip.return_value = NS(id="f", floating_ip_address="172.24.4.9", floating_network_id="ext",
                                             port_id=None, fixed_ip_address=None, status="DOWN",
                                             description="web-Ip-0123456789AB")
    fip = cloud.allocate_floating_ip("ext", "web-Ip-0123456789AB")
    assert conn.network.create_ip.call_args.kwargs == {"floating_network_id": "ext",
                                                      "description": "web-Ip-0123456789AB"}
    assert fip.description == "web-Ip-0123456789AB"

    conn.network.create_security_group_rule.return_value = NS(
        id="r", security_group_id="g", direction="ingress", ether_type="IPv4", protocol="tcp", port_range_min=22,
        port_range_max=22, remote_ip_prefix="0.0.0.0/0", remote_group_id=None, description="web-In-0123456789AB")
    rule = cloud.create_security_group_rule("g", direction="ingress", protocol="tcp", port_range_min=22,
                                            port_range_max=22, remote_ip_prefix="0.0.0.0/0",
                                            description="web-In-0123456789AB")
    assert conn.network.create_security_group_rule.call_args.kwargs["description"] == "web-In-0123456789AB"
    assert rule.description == "web-In-0123456789AB"

    conn.network.get_security_group.return_value = NS(id="g", name="web", description="", security_group_rules=[
        {"id": "r", "direction": "ingress", "ethertype": "IPv4", "protocol": "tcp", "port_range_min": 22,
         "port_range_max": 22, "remote_ip_prefix": "0.0.0.0/0", "remote_group_id": None,
         "description": "web-In-0123456789AB"}])
    assert cloud.get_security_group("g").rules[0].description == "web-In-0123456789AB"


def test_container_metadata_goes_with_the_put_that_creates_it(cloud, conn):
    conn.object_store.put.return_value = NS(status_code=201, headers={})
    conn.object_store.get_container_metadata.return_value = NS(
        name="b", count=0, bytes=0, metadata={"Cfn-Creation-Token": "web-B-0123456789AB"})
    container = cloud.create_container("my b", {"cfn-creation-token": "web-B-0123456789AB"})
    conn.object_store.put.assert_called_once_with(
        "/my%20b", headers={"X-Container-Meta-cfn-creation-token": "web-B-0123456789AB"}, raise_exc=False)
    conn.object_store.create_container.assert_not_called()  # its metadata dict is shared process-wide
    assert container.metadata == {"cfn-creation-token": "web-B-0123456789AB"}

    cloud.create_container("plain")
    conn.object_store.create_container.assert_called_once_with(name="plain")


def test_a_refused_container_put_is_classified(cloud, conn):
    response = requests.Response()
    response.status_code = 403
    response._content = b"Forbidden"
    response.headers["content-type"] = "text/plain"
    conn.object_store.put.return_value = response
    with pytest.raises(CloudError) as caught:
        cloud.create_container("b", {"cfn-creation-token": "x"})
    assert caught.value.kind is ErrorKind.FORBIDDEN


def test_keypair_and_group_creation_times_read_back_as_utc(cloud, conn):
    # Compared with the moment a creation token was saved, to adopt a template-named object.
    import datetime as dt

    conn.compute.get_keypair.return_value = NS(name="k", fingerprint="f", public_key="ssh-rsa A",
                                               created_at="2026-12-02T16:00:00.000000")
    assert cloud.get_keypair("k").created_at == dt.datetime(2026, 12, 2, 16, 0, tzinfo=dt.timezone.utc)
    conn.network.get_security_group.return_value = NS(id="g", name="web", description="d",
                                                      security_group_rules=[], created_at="2026-12-02T16:00:05Z")
    assert cloud.get_security_group("g").created_at == dt.datetime(2026, 12, 2, 16, 0, 5, tzinfo=dt.timezone.utc)
    conn.network.get_security_group.return_value = NS(id="g", name="web", description="d", security_group_rules=[])
    assert cloud.get_security_group("g").created_at is None  # a Neutron without timestamps: never adopted
