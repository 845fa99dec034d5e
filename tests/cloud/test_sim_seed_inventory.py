import io
import json
import uuid

import pytest

from cfnapi.cloud.provider import FixedIp, ServerRequest
from cfnapi.cloud.sim import SimCloud, differences_from_seed, inventory, seed, seed_inventory
from cfnapi.cloud.sim.show import main as show_main
from cfnapi.db import Base, Database

from .conftest import CIRROS, PROJECT


def test_seed_is_idempotent(db, config):
    first = seed(db, config)
    assert first > 0
    assert seed(db, config) == 0
    assert differences_from_seed(db, config) == {}


def test_seed_contains_what_the_config_promises(db, config):
    seed(db, config)
    listing = inventory(db)
    assert {"cirros-0.6.2-x86_64-disk", "ubuntu-22.04", "amazon-linux-2023"} <= {i["name"] for i in listing["images"]}
    assert {"m1.tiny", "m1.small", "m1.medium", "m1.large", "m1.xlarge"} <= {f["name"] for f in listing["flavors"]}
    assert "nova" in {z["name"] for z in listing["availability_zones"]}
    assert {n["name"]: n["external"] for n in listing["networks"]} == {"public": True, "private": False}
    for entry in listing["networks"] + listing["subnets"] + listing["security_groups"]:
        uuid.UUID(entry["id"])  # real-looking ids


def test_inventory_equals_seed_after_creating_and_deleting_everything(cloud, db, config, clock):
    network = cloud.create_network("vpc")
    subnet = cloud.create_subnet(network.id, "10.1.0.0/24")
    router = cloud.create_router("r", config.external_network.network_id)
    cloud.add_router_interface(router.id, subnet_id=subnet.id)
    group = cloud.create_security_group("sg")
    cloud.create_security_group_rule(group.id, direction="ingress", protocol="tcp", port_range_min=22,
                                     port_range_max=22)
    port = cloud.create_port(network.id, fixed_ips=[FixedIp(subnet.id, "10.1.0.50")], security_group_ids=[group.id])
    server = cloud.create_server(ServerRequest("vm", CIRROS, "2"))
    fip = cloud.allocate_floating_ip()
    cloud.associate_floating_ip(fip.id, port.id)
    volume = cloud.create_volume(1)
    clock.advance(10)
    cloud.attach_volume(server.id, volume.id)
    cloud.create_keypair("k")
    cloud.create_container("c")

    added = differences_from_seed(db, config, PROJECT)
    assert set(added) >= {"networks", "subnets", "routers", "ports", "servers", "floating_ips", "volumes",
                          "keypairs", "containers", "security_groups", "security_group_rules"}
    assert all(not d["removed"] for d in added.values())

    cloud.release_floating_ip(fip.id)
    cloud.delete_server(server.id)
    cloud.delete_volume(volume.id)
    cloud.delete_port(port.id)
    cloud.delete_security_group(group.id)
    cloud.remove_router_interface(router.id, subnet_id=subnet.id)
    cloud.delete_router(router.id)
    cloud.delete_network(network.id)
    cloud.delete_keypair("k")
    cloud.delete_container("c")
    assert differences_from_seed(db, config) == {}
    # the addresses went back too: the next port gets the first pool address again
    again = SimCloud(db, PROJECT, config, clock=clock)
    assert again.allocate_floating_ip().floating_ip_address == "172.24.4.10"


def test_show_prints_json_and_tables(cloud, db, config):
    cloud.create_network("mine")
    out = io.StringIO()
    assert show_main(["--json"], db=db, out=out) == 0
    listing = json.loads(out.getvalue())
    assert "mine" in {n["name"] for n in listing["networks"]}
    out = io.StringIO()
    assert show_main([], db=db, out=out) == 0
    text = out.getvalue()
    assert "networks (3)" in text and "(seed)" in text and PROJECT in text
    assert seed_inventory(config)["images"][0]["project_id"] is None


@pytest.fixture
def postgres_db(postgres_url):
    database = Database(postgres_url)
    Base.metadata.create_all(database.engine)
    yield database
    database.dispose()


def test_sim_store_on_postgresql(postgres_db, config, clock):
    seed(postgres_db, config)
    assert seed(postgres_db, config) == 0
    cloud = SimCloud(postgres_db, PROJECT, config, clock=clock)
    server = cloud.create_server(ServerRequest("vm", CIRROS, "1"))
    clock.advance(60)
    assert cloud.get_server(server.id).status == "ACTIVE"
    volume = cloud.create_volume(1)
    clock.advance(60)
    cloud.attach_volume(server.id, volume.id)
    cloud.delete_server(server.id)
    cloud.delete_volume(volume.id)
    assert differences_from_seed(postgres_db, config) == {}


def test_inventory_and_show_report_the_status_the_api_reports(cloud, db, config, clock):
    server = cloud.create_server(ServerRequest("vm", CIRROS, "1"))

    def listed_status(now):
        return {s["id"]: s["status"] for s in inventory(db, config=config, now=now)["servers"]}[server.id]

    assert listed_status(clock.now) == cloud.get_server(server.id).status == "BUILD"
    clock.advance(config.behaviour.server_build_seconds)
    # The stored row still says BUILD; what is shown is what Nova would say.
    assert listed_status(clock.now) == cloud.get_server(server.id).status == "ACTIVE"
    out = io.StringIO()  # `cfnapi sim show` runs at the wall clock, long after the fake clock's 2024
    assert show_main(["--json"], db=db, config=config, out=out) == 0
    assert {s["id"]: s["status"] for s in json.loads(out.getvalue())["servers"]}[server.id] == "ACTIVE"
    cloud.force_server_status(server.id, "ERROR")
    assert listed_status(clock.now) == "ERROR"



def test_inventory_reports_a_created_volume_available(cloud, db, config, clock):
    volume = cloud.create_volume(1)

    def listed_status():
        return {v["id"]: v["status"] for v in inventory(db, config=config, now=clock.now)["volumes"]}[volume.id]

    assert listed_status() == cloud.get_volume(volume.id).status == "creating"
    clock.advance(config.behaviour.volume_create_seconds)
    assert listed_status() == cloud.get_volume(volume.id).status == "available"
