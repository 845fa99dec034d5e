"""The rest of the openstacksdk provider's verbs at the SDK boundary: the request each sends
(a mocked Connection), the provider dataclass it reads back from the SDK's own resource
classes (so a misspelt SDK attribute fails here), and how the SDK's errors are classified."""

import datetime as dt
from unittest import mock

import pytest
import requests
from openstack import exceptions as sdk
from openstack.block_storage.v3.snapshot import Snapshot as SdkSnapshot
from openstack.block_storage.v3.volume import Volume as SdkVolume
from openstack.compute.v2.availability_zone import AvailabilityZone as SdkZone
from openstack.compute.v2.flavor import Flavor as SdkFlavor
from openstack.compute.v2.keypair import Keypair as SdkKeypair
from openstack.compute.v2.server import Server as SdkServer
from openstack.image.v2.image import Image as SdkImage
from openstack.network.v2.floating_ip import FloatingIP as SdkFloatingIp
from openstack.network.v2.network import Network as SdkNetwork
from openstack.network.v2.port import Port as SdkPort
from openstack.network.v2.router import Router as SdkRouter
from openstack.network.v2.security_group import SecurityGroup as SdkSecurityGroup
from openstack.network.v2.subnet import Subnet as SdkSubnet
from openstack.object_store.v1.container import Container as SdkContainer

from cfnapi.cloud.errors import CloudError, ErrorKind
from cfnapi.cloud.openstack import ROUTER_INTERFACE_OWNER, OpenStackCloud
from cfnapi.cloud.provider import (
    AllocationPool, AvailabilityZone, Container, FixedIp, Flavor, FloatingIp, Image, KeyPair, Network, Port, Route,
    Router, RouterInterface, SecurityGroup, SecurityGroupRule, Subnet, Volume, VolumeAttachment, VolumeSnapshot,
)

from .sdk_errors import http_error


@pytest.fixture
def conn():
    connection = mock.MagicMock()
    connection.network.ports.return_value = []  # a router's interfaces: none unless a test says so
    return connection


@pytest.fixture
def cloud(conn):
    return OpenStackCloud(conn)


KEYPAIR = SdkKeypair(name="deploy", fingerprint="aa:bb", public_key="ssh-rsa AAAA nova",
                     private_key="-----BEGIN RSA PRIVATE KEY-----\n…", created_at="2026-12-02T16:00:00.000000")
FLAVOR = SdkFlavor(id="2", name="m1.small", vcpus=1, ram=2048, disk=20)
IMAGE = SdkImage(id="img", name="cirros", status="active", min_disk=1, min_ram=64)
NETWORK = SdkNetwork(id="n", name="private", is_router_external=False, is_shared=False, subnet_ids=["s"],
                     status="ACTIVE", description="d", tags=["k=v"])
EXTERNAL = SdkNetwork(id="ext", name="public", is_router_external=True, is_shared=True, subnet_ids=["es"],
                      status="ACTIVE")
SUBNET = SdkSubnet(id="s", name="sub", network_id="n", cidr="10.0.0.0/24", gateway_ip="10.0.0.1", ip_version=4,
                   allocation_pools=[{"start": "10.0.0.2", "end": "10.0.0.254"}], is_dhcp_enabled=True,
                   dns_nameservers=["8.8.8.8"], tags=[])
PORT = SdkPort(id="p", name="web-eth0", network_id="n", mac_address="fa:16:3e:00:00:01",
               fixed_ips=[{"subnet_id": "s", "ip_address": "10.0.0.5"}], security_group_ids=["g"], device_id="srv",
               device_owner="compute:nova", status="ACTIVE", tags=[])
ROUTER = SdkRouter(id="r", name="vpc", status="ACTIVE", routes=[],
                   external_gateway_info={"network_id": "ext", "external_fixed_ips": [{"ip_address": "172.24.4.3"}]})
FLOATING = SdkFloatingIp(id="f", floating_ip_address="172.24.4.9", floating_network_id="ext", port_id="p",
                         fixed_ip_address="10.0.0.5", status="ACTIVE", tags=[], description="")
GROUP = SdkSecurityGroup(id="g", name="web", description="web tier", tags=[], created_at="2026-12-02T16:00:05Z",
                         security_group_rules=[{"id": "r1", "direction": "ingress", "ethertype": "IPv4",
                                                "protocol": "tcp", "port_range_min": 22, "port_range_max": 22,
                                                "remote_ip_prefix": "0.0.0.0/0", "remote_group_id": None}])
VOLUME = SdkVolume(id="v", name="data", size=5, status="in-use", availability_zone="nova", snapshot_id=None,
                   image_id=None, volume_type="lvm", is_bootable="false", metadata={"Name": "data"},
                   attachments=[{"server_id": "srv", "device": "/dev/vdb", "attachment_id": "a"}])
SNAPSHOT = SdkSnapshot(id="snap", name="keep", volume_id="v", size=5, status="creating")
SERVER = SdkServer(id="srv", name="web", status="ACTIVE", flavor={"original_name": "m1.small"}, image={"id": "img"},
                   key_name="deploy", availability_zone="nova", security_groups=[{"name": "web"}], metadata={},
                   attached_volumes=[], addresses={})
CONTAINER = SdkContainer(name="bucket", count=3, bytes=30)

EXPECTED_KEYPAIR = KeyPair("deploy", "aa:bb", "ssh-rsa AAAA nova", "-----BEGIN RSA PRIVATE KEY-----\n…",
                           dt.datetime(2026, 12, 2, 16, 0, tzinfo=dt.timezone.utc))
EXPECTED_GROUP = SecurityGroup("g", "web", "web tier", (SecurityGroupRule(
    "r1", "g", "ingress", "IPv4", "tcp", 22, 22, "0.0.0.0/0", None, ""),), (),
    dt.datetime(2026, 12, 2, 16, 0, 5, tzinfo=dt.timezone.utc))
EXPECTED_ROUTER = Router("r", "vpc", "ext", "172.24.4.3", (), (), "ACTIVE")
EXPECTED_VOLUME = Volume("v", "data", 5, "in-use", "nova", (VolumeAttachment("v", "srv", "/dev/vdb"),), None, None,
                         "lvm", False, None, {"Name": "data"})


# --- keypairs ----------------------------------------------------------------

def test_create_keypair_asks_nova_to_generate_and_returns_the_private_key(cloud, conn):
    conn.compute.create_keypair.return_value = KEYPAIR
    assert cloud.create_keypair("deploy") == EXPECTED_KEYPAIR
    conn.compute.create_keypair.assert_called_once_with(name="deploy")  # no public_key: Nova generates


def test_import_keypair_sends_the_public_key(cloud, conn):
    conn.compute.create_keypair.return_value = SdkKeypair(name="deploy", fingerprint="aa:bb",
                                                          public_key="ssh-rsa AAAA me")
    keypair = cloud.import_keypair("deploy", "ssh-rsa AAAA me")
    conn.compute.create_keypair.assert_called_once_with(name="deploy", public_key="ssh-rsa AAAA me")
    assert (keypair.private_key, keypair.public_key, keypair.created_at) == (None, "ssh-rsa AAAA me", None)


@pytest.mark.parametrize("call, cls, status, body, kind, message", [
    (lambda c: c.import_keypair("deploy", "ssh-rsa AAAA"), sdk.ConflictException, 409,
     '{"conflictingRequest": {"code": 409, "message": "Key pair \'deploy\' already exists."}}',
     ErrorKind.CONFLICT, "Key pair 'deploy' already exists."),
    (lambda c: c.import_keypair("deploy", "not a key"), sdk.BadRequestException, 400,
     '{"badRequest": {"code": 400, "message": "Keypair data is invalid: failed to generate fingerprint"}}',
     ErrorKind.INVALID, "Keypair data is invalid: failed to generate fingerprint"),
    (lambda c: c.create_keypair("deploy"), sdk.HttpException, 403,
     '{"forbidden": {"code": 403, "message": "Quota exceeded, too many key pairs."}}',
     ErrorKind.OVER_QUOTA, "Quota exceeded, too many key pairs."),
])
def test_keypair_errors_are_classified(cloud, conn, call, cls, status, body, kind, message):
    conn.compute.create_keypair.side_effect = http_error(cls, status, body)
    with pytest.raises(CloudError) as caught:
        call(cloud)
    assert (caught.value.kind, caught.value.message) == (kind, message)


# --- network verbs -------------------------------------------------------------

def test_update_port_security_groups_replaces_the_list(cloud, conn):
    conn.network.update_port.return_value = PORT
    port = cloud.update_port_security_groups("p", ("g", "h"))
    conn.network.update_port.assert_called_once_with("p", security_group_ids=["g", "h"])
    assert port == Port("p", "web-eth0", "n", "fa:16:3e:00:00:01", (FixedIp("s", "10.0.0.5"),), ("g",), "srv",
                        "compute:nova", "ACTIVE", ())
    conn.network.update_port.reset_mock()
    cloud.update_port_security_groups("p", ())  # none: Neutron's empty list, not "leave as is"
    conn.network.update_port.assert_called_once_with("p", security_group_ids=[])


def test_create_router_with_and_without_a_gateway(cloud, conn):
    conn.network.create_router.return_value = ROUTER
    conn.network.ports.return_value = [SdkPort(id="ip", fixed_ips=[{"subnet_id": "s", "ip_address": "10.0.0.1"}])]
    router = cloud.create_router("vpc", "ext")
    conn.network.create_router.assert_called_once_with(name="vpc", external_gateway_info={"network_id": "ext"})
    conn.network.ports.assert_called_with(device_id="r", device_owner=ROUTER_INTERFACE_OWNER)
    assert router == Router("r", "vpc", "ext", "172.24.4.3", (RouterInterface("r", "ip", "s"),), (), "ACTIVE")
    conn.network.create_router.reset_mock()
    conn.network.create_router.return_value = SdkRouter(id="r2", name="bare", status="ACTIVE", routes=[],
                                                        external_gateway_info=None)
    conn.network.ports.return_value = []
    bare = cloud.create_router("bare")
    conn.network.create_router.assert_called_once_with(name="bare")
    assert (bare.external_network_id, bare.external_ip, bare.interfaces) == (None, None, ())


def test_set_router_gateway_sets_and_clears(cloud, conn):
    conn.network.update_router.return_value = ROUTER
    assert cloud.set_router_gateway("r", "ext") == EXPECTED_ROUTER
    conn.network.update_router.assert_called_once_with("r", external_gateway_info={"network_id": "ext"})
    conn.network.update_router.reset_mock()
    cloud.set_router_gateway("r", None)
    conn.network.update_router.assert_called_once_with("r", external_gateway_info={})


def test_disassociate_floating_ip_clears_the_port(cloud, conn):
    conn.network.update_ip.return_value = SdkFloatingIp(id="f", floating_ip_address="172.24.4.9",
                                                        floating_network_id="ext", port_id=None,
                                                        fixed_ip_address=None, status="DOWN")
    released = cloud.disassociate_floating_ip("f")
    conn.network.update_ip.assert_called_once_with("f", port_id=None)
    assert (released.port_id, released.fixed_ip_address, released.status) == (None, None, "DOWN")


def test_find_external_network_takes_the_first_router_external_one(cloud, conn):
    conn.network.networks.return_value = iter([EXTERNAL])
    assert cloud.find_external_network() == Network("ext", "public", True, True, ("es",), "ACTIVE", "", ())
    conn.network.networks.assert_called_once_with(is_router_external=True)
    conn.network.networks.return_value = iter([])
    with pytest.raises(CloudError) as caught:
        cloud.find_external_network()
    assert (caught.value.kind, caught.value.message) == (ErrorKind.NOT_FOUND, "Network (external) could not be found.")


@pytest.mark.parametrize("verb, proxy, sdk_method, found, expected", [
    ("find_image", "image", "find_image", IMAGE, Image("img", "cirros", "active", 1, 64)),
    ("find_security_group", "network", "find_security_group", GROUP, EXPECTED_GROUP),
])
def test_find_verbs_answer_none_for_nothing_and_never_raise_not_found(cloud, conn, verb, proxy, sdk_method, found,
                                                                      expected):
    method = getattr(getattr(conn, proxy), sdk_method)
    method.return_value = found
    assert getattr(cloud, verb)("web") == expected
    method.assert_called_once_with("web", ignore_missing=True)
    method.return_value = None
    assert getattr(cloud, verb)("nothing") is None


def test_find_errors_other_than_not_found_are_classified(cloud, conn):
    conn.network.find_security_group.side_effect = http_error(
        sdk.ConflictException, 409, '{"NeutronError": {"message": "Multiple security_group matches found for name '
                                    '\'web\', use an ID to be more specific."}}')
    with pytest.raises(CloudError) as caught:
        cloud.find_security_group("web")
    assert caught.value.kind is ErrorKind.CONFLICT


def test_create_security_group_sends_name_and_description(cloud, conn):
    conn.network.create_security_group.return_value = GROUP
    assert cloud.create_security_group("web", "web tier") == EXPECTED_GROUP
    conn.network.create_security_group.assert_called_once_with(name="web", description="web tier")
    conn.network.create_security_group.side_effect = http_error(
        sdk.ConflictException, 409, '{"NeutronError": {"type": "OverQuota", "message": "Quota exceeded for resources: '
                                    '[\'security_group\'].", "detail": ""}}')
    with pytest.raises(CloudError) as caught:
        cloud.create_security_group("web2")
    assert caught.value.kind is ErrorKind.OVER_QUOTA


# --- block storage -------------------------------------------------------------

def test_get_volume_reads_attachments_bootable_and_metadata(cloud, conn):
    conn.block_storage.get_volume.return_value = VOLUME
    assert cloud.get_volume("v") == EXPECTED_VOLUME
    conn.block_storage.get_volume.assert_called_once_with("v")


def test_volume_snapshot_create_and_get(cloud, conn):
    conn.block_storage.create_snapshot.return_value = SNAPSHOT
    assert cloud.create_volume_snapshot("v", name="keep", force=True) == VolumeSnapshot("snap", "keep", "v", 5,
                                                                                       "creating")
    conn.block_storage.create_snapshot.assert_called_once_with(volume_id="v", name="keep", force=True)
    conn.block_storage.get_snapshot.return_value = SdkSnapshot(id="snap", name=None, volume_id="v", size=5,
                                                               status="available")
    assert cloud.get_volume_snapshot("snap") == VolumeSnapshot("snap", "", "v", 5, "available")
    conn.block_storage.get_snapshot.assert_called_once_with("snap")
    conn.block_storage.create_snapshot.side_effect = http_error(
        sdk.BadRequestException, 400, '{"badRequest": {"code": 400, "message": "Invalid volume: Volume v status must '
                                      'be available, but current status is: in-use."}}')
    with pytest.raises(CloudError) as caught:
        cloud.create_volume_snapshot("v")
    assert caught.value.kind is ErrorKind.INVALID and caught.value.message.startswith("Invalid volume:")


# --- every get_* ------------------------------------------------------------------

@pytest.mark.parametrize("verb, sdk_method, returned, expected", [
    ("get_flavor", "compute.find_flavor", FLAVOR, Flavor("2", "m1.small", 1, 2048, 20)),
    ("get_image", "image.get_image", IMAGE, Image("img", "cirros", "active", 1, 64)),
    ("get_keypair", "compute.get_keypair", KEYPAIR, EXPECTED_KEYPAIR),
    ("get_network", "network.get_network", NETWORK, Network("n", "private", False, False, ("s",), "ACTIVE", "d",
                                                            ("k=v",))),
    ("get_subnet", "network.get_subnet", SUBNET, Subnet("s", "sub", "n", "10.0.0.0/24", "10.0.0.1",
                                                        (AllocationPool("10.0.0.2", "10.0.0.254"),), 4, True,
                                                        ("8.8.8.8",), ())),
    ("get_port", "network.get_port", PORT, Port("p", "web-eth0", "n", "fa:16:3e:00:00:01", (FixedIp("s", "10.0.0.5"),),
                                                ("g",), "srv", "compute:nova", "ACTIVE", ())),
    ("get_router", "network.get_router", ROUTER, EXPECTED_ROUTER),
    ("get_floating_ip", "network.get_ip", FLOATING, FloatingIp("f", "172.24.4.9", "ext", "p", "10.0.0.5", "ACTIVE")),
    ("get_security_group", "network.get_security_group", GROUP, EXPECTED_GROUP),
    ("get_volume", "block_storage.get_volume", VOLUME, EXPECTED_VOLUME),
    ("get_volume_snapshot", "block_storage.get_snapshot", SNAPSHOT, VolumeSnapshot("snap", "keep", "v", 5, "creating")),
    ("get_container", "object_store.get_container_metadata", CONTAINER, Container("bucket", 3, 30, {})),
])
def test_get_verbs_map_the_sdk_resource_and_classify_not_found(cloud, conn, verb, sdk_method, returned, expected):
    proxy, name = sdk_method.split(".")
    method = getattr(getattr(conn, proxy), name)
    method.return_value = returned
    assert getattr(cloud, verb)("the-id") == expected
    assert method.call_args.args == ("the-id",)
    if verb == "get_flavor":  # a flavor by id or name: find, but a miss is still Nova's 404
        assert method.call_args.kwargs == {"ignore_missing": False}
    method.side_effect = http_error(sdk.NotFoundException, 404, '{"itemNotFound": {"code": 404, "message": '
                                                                '"Thing the-id could not be found."}}')
    with pytest.raises(CloudError) as caught:
        getattr(cloud, verb)("the-id")
    assert (caught.value.kind, caught.value.message) == (ErrorKind.NOT_FOUND, "Thing the-id could not be found.")


# --- every list_* -----------------------------------------------------------------

@pytest.mark.parametrize("verb, args, sdk_method, items, query, expected", [
    ("list_flavors", (), "compute.flavors", [FLAVOR], {}, [Flavor("2", "m1.small", 1, 2048, 20)]),
    ("list_images", (), "image.images", [IMAGE], {}, [Image("img", "cirros", "active", 1, 64)]),
    ("list_availability_zones", (), "compute.availability_zones",
     [SdkZone(name="nova", state={"available": True}), SdkZone(name="down", state={"available": False})], {},
     [AvailabilityZone("nova", True), AvailabilityZone("down", False)]),
    ("list_keypairs", (), "compute.keypairs", [KEYPAIR], {}, [EXPECTED_KEYPAIR]),
    ("list_networks", (), "network.networks", [EXTERNAL], {},
     [Network("ext", "public", True, True, ("es",), "ACTIVE", "", ())]),
    ("list_subnets", (), "network.subnets", [SUBNET], {}, None),
    ("list_subnets", ("n",), "network.subnets", [SUBNET], {"network_id": "n"}, None),
    ("list_ports", (), "network.ports", [PORT], {}, None),
    ("list_ports", ("n", "srv"), "network.ports", [PORT], {"network_id": "n", "device_id": "srv"}, None),
    ("list_ports", (None, "srv"), "network.ports", [PORT], {"device_id": "srv"}, None),
    ("list_floating_ips", (), "network.ips", [FLOATING], {},
     [FloatingIp("f", "172.24.4.9", "ext", "p", "10.0.0.5", "ACTIVE")]),
    ("list_security_groups", (), "network.security_groups", [GROUP], {}, [EXPECTED_GROUP]),
    ("list_volumes", (), "block_storage.volumes", [VOLUME], {}, [EXPECTED_VOLUME]),
    ("list_containers", (), "object_store.containers", [CONTAINER], {}, [Container("bucket", 3, 30, {})]),
    ("list_servers", (), "compute.servers", [SERVER], {}, None),
])
def test_list_verbs_pass_their_filters_and_map_every_item(cloud, conn, verb, args, sdk_method, items, query,
                                                          expected):
    proxy, name = sdk_method.split(".")
    method = getattr(getattr(conn, proxy), name)
    method.return_value = iter(items)
    got = getattr(cloud, verb)(*args)
    assert method.call_args.kwargs == query
    assert len(got) == len(items)
    if expected is not None:
        assert got == expected
    else:  # the same mapping as the matching get_*, checked there
        assert [item.id for item in got] == [item.id for item in items]


def test_list_routers_reads_each_routers_interfaces(cloud, conn):
    conn.network.routers.return_value = iter([ROUTER])
    conn.network.ports.return_value = [SdkPort(id="ip", fixed_ips=[{"subnet_id": "s", "ip_address": "10.0.0.1"}])]
    assert cloud.list_routers() == [Router("r", "vpc", "ext", "172.24.4.3", (RouterInterface("r", "ip", "s"),), (),
                                           "ACTIVE")]


def test_a_server_listing_maps_flavor_by_name_and_no_addresses(cloud, conn):
    conn.compute.servers.return_value = iter([SERVER])
    [server] = cloud.list_servers()
    assert (server.flavor_id, server.image_id, server.key_name, server.security_groups) == (
        "m1.small", "img", "deploy", ("web",))
    assert server.fixed_ips == () and server.floating_ips == ()


def test_a_transport_failure_while_listing_is_unavailable(cloud, conn):
    conn.network.networks.side_effect = requests.ConnectionError("connection refused")
    with pytest.raises(CloudError) as caught:
        cloud.list_networks()
    assert caught.value.kind is ErrorKind.UNAVAILABLE and caught.value.retryable
