import pytest

from cfnapi.cloud.errors import CloudError, ErrorKind
from cfnapi.cloud.provider import AllocationPool, FixedIp, NetworkRequest, ServerRequest

from .conftest import CIRROS


@pytest.fixture
def net(cloud):
    network = cloud.create_network("vpc")
    subnet = cloud.create_subnet(network.id, "192.168.10.0/29", name="sub")
    return network, subnet


def test_subnet_defaults_gateway_and_pool_from_the_cidr(net):
    _, subnet = net
    assert subnet.gateway_ip == "192.168.10.1"
    assert subnet.allocation_pools == (AllocationPool("192.168.10.2", "192.168.10.6"),)


def test_fixed_ips_come_from_the_pool_in_order_and_run_out_with_neutrons_message(cloud, net):
    network, _ = net
    addresses = [cloud.create_port(network.id).fixed_ips[0].ip_address for _ in range(5)]
    assert addresses == [f"192.168.10.{i}" for i in range(2, 7)]  # never .0, .1 (gateway) or .7 (broadcast)
    with pytest.raises(CloudError) as caught:
        cloud.create_port(network.id)
    assert caught.value.message == f"No more IP addresses available on network {network.id}."


def test_requested_ip_is_honoured_and_a_taken_one_refused(cloud, net):
    network, subnet = net
    port = cloud.create_port(network.id, fixed_ips=[FixedIp(subnet.id, "192.168.10.5")])
    assert port.fixed_ips == (FixedIp(subnet.id, "192.168.10.5"),)
    with pytest.raises(CloudError) as caught:
        cloud.create_port(network.id, fixed_ips=[FixedIp(None, "192.168.10.5")])
    assert caught.value.kind is ErrorKind.CONFLICT
    assert caught.value.message == (
        f"Unable to complete operation for network {network.id}. The IP address 192.168.10.5 is in use."
    )
    with pytest.raises(CloudError, match="not a valid IP for the specified subnet"):
        cloud.create_port(network.id, fixed_ips=[FixedIp(None, "10.9.9.9")])


def test_freed_addresses_are_reused(cloud, net):
    network, _ = net
    first = cloud.create_port(network.id)
    cloud.delete_port(first.id)
    assert cloud.create_port(network.id).fixed_ips == first.fixed_ips


def test_network_with_ports_cannot_be_deleted(cloud, net):
    network, subnet = net
    port = cloud.create_port(network.id)
    with pytest.raises(CloudError) as caught:
        cloud.delete_network(network.id)
    assert caught.value.message == (
        f"Unable to complete operation on network {network.id}. "
        "There are one or more ports still in use on the network."
    )
    cloud.delete_port(port.id)
    cloud.delete_network(network.id)
    with pytest.raises(CloudError, match=f"Subnet {subnet.id} could not be found."):
        cloud.get_subnet(subnet.id)


def test_security_group_in_use_cannot_be_deleted(cloud, config):
    group = cloud.create_security_group("web", "web servers")
    assert {(r.direction, r.ethertype) for r in group.rules} == {("egress", "IPv4"), ("egress", "IPv6")}
    rule = cloud.create_security_group_rule(group.id, direction="ingress", protocol="tcp",
                                            port_range_min=80, port_range_max=80, remote_ip_prefix="0.0.0.0/0")
    with pytest.raises(CloudError, match=f"Security group rule already exists. Rule id is {rule.id}."):
        cloud.create_security_group_rule(group.id, direction="ingress", protocol="tcp",
                                         port_range_min=80, port_range_max=80, remote_ip_prefix="0.0.0.0/0")
    server = cloud.create_server(ServerRequest("web", CIRROS, "1", security_groups=("web",)))
    with pytest.raises(CloudError) as caught:
        cloud.delete_security_group(group.id)
    assert caught.value.message == f"Security Group {group.id} in use."
    cloud.delete_server(server.id)
    cloud.delete_security_group(group.id)


def test_shared_seed_resources_cannot_be_changed_by_a_project(cloud, config):
    with pytest.raises(CloudError) as caught:
        cloud.delete_network(config.default_network.network_id)
    assert caught.value.kind is ErrorKind.FORBIDDEN


def test_floating_ips_come_from_the_pool_and_follow_the_port(cloud, config):
    server = cloud.create_server(ServerRequest("web", CIRROS, "1"))
    fip = cloud.allocate_floating_ip()
    assert fip.floating_ip_address == "172.24.4.10"
    assert fip.floating_network_id == config.external_network.network_id
    (port,) = cloud.list_ports(device_id=server.id)
    associated = cloud.associate_floating_ip(fip.id, port.id)
    assert associated.fixed_ip_address == port.fixed_ips[0].ip_address
    assert cloud.get_server(server.id).floating_ips == ("172.24.4.10",)
    cloud.delete_server(server.id)  # Neutron disassociates with the port
    assert cloud.get_floating_ip(fip.id).port_id is None
    cloud.release_floating_ip(fip.id)


def test_floating_ip_quota_uses_neutrons_wording(cloud):
    cloud.set_quota("floatingip", 1)
    cloud.allocate_floating_ip()
    with pytest.raises(CloudError) as caught:
        cloud.allocate_floating_ip()
    assert caught.value.kind is ErrorKind.OVER_QUOTA
    assert caught.value.message == "Quota exceeded for resources: ['floatingip']."


def test_router_gateway_interfaces_and_routes(cloud, net, config):
    network, subnet = net
    router = cloud.create_router("r", external_network_id=config.external_network.network_id)
    assert router.external_ip == "172.24.4.10"
    interface = cloud.add_router_interface(router.id, subnet_id=subnet.id)
    assert cloud.get_port(interface.port_id).fixed_ips == (FixedIp(subnet.id, "192.168.10.1"),)
    with pytest.raises(CloudError, match=f"Router {router.id} still has ports"):
        cloud.delete_router(router.id)
    with pytest.raises(CloudError, match="cannot be deleted directly via the port API"):
        cloud.delete_port(interface.port_id)
    from cfnapi.cloud.provider import Route

    routed = cloud.set_router_routes(router.id, [Route("10.20.0.0/16", "192.168.10.3")])
    assert routed.routes == (Route("10.20.0.0/16", "192.168.10.3"),)
    cloud.remove_router_interface(router.id, subnet_id=subnet.id)
    cloud.delete_router(router.id)
    cloud.delete_network(network.id)


def test_network_quota_uses_neutrons_wording(cloud):
    cloud.set_quota("network", 0)
    with pytest.raises(CloudError) as caught:
        cloud.create_network("x")
    assert caught.value.message == "Quota exceeded for resources: ['network']."


def test_two_requests_racing_for_one_address_leave_the_loser_retryable(cloud, monkeypatch):
    """Concurrent allocations read the same free address; the unique index lets one
    win, and the loser's whole transaction rolls back as a retryable error (the
    engine retries it, as Neutron retries a DBDuplicateEntry)."""
    from cfnapi.cloud.sim.network import SimNetworkService

    first = cloud.allocate_floating_ip()
    # Replay the race: the second request does not yet see the first one's allocation.
    monkeypatch.setattr(SimNetworkService, "_used_addresses", lambda self, session, subnet: set())
    with pytest.raises(CloudError) as caught:
        cloud.allocate_floating_ip()
    assert caught.value.kind is ErrorKind.UNAVAILABLE and caught.value.retryable
    monkeypatch.undo()
    assert [f.id for f in cloud.list_floating_ips()] == [first.id]  # nothing half-made
    assert cloud.allocate_floating_ip().floating_ip_address == "172.24.4.11"


def test_security_group_rule_with_a_malformed_prefix_is_refused_like_neutron(cloud):
    group = cloud.create_security_group("web")
    with pytest.raises(CloudError) as caught:
        cloud.create_security_group_rule(group.id, direction="ingress", protocol="tcp", port_range_min=22,
                                         port_range_max=22, remote_ip_prefix="not-a-cidr")
    assert caught.value.kind is ErrorKind.INVALID
    assert caught.value.message == "Invalid input for remote_ip_prefix. Reason: 'not-a-cidr' is not a valid IP prefix."
    cloud.create_security_group_rule(group.id, direction="ingress", remote_ip_prefix="10.1.2.3/8")


def test_overlapping_subnets_on_one_network_are_refused_like_neutron(cloud, net):
    network, _ = net  # holds 192.168.10.0/29
    with pytest.raises(CloudError) as caught:
        cloud.create_subnet(network.id, "192.168.10.0/24")
    assert caught.value.kind is ErrorKind.INVALID
    assert caught.value.message == ("Invalid input for operation: Requested subnet with cidr: 192.168.10.0/24 "
                                    f"for network: {network.id} overlaps with another subnet.")
    cloud.create_subnet(network.id, "192.168.11.0/24")  # disjoint: fine
    other = cloud.create_network("other")
    cloud.create_subnet(other.id, "192.168.10.0/24")  # another network: fine


def test_a_network_keeps_its_description(cloud):
    network = cloud.create_network("vpc", description="AWS VPC CidrBlock 10.0.0.0/16")
    assert cloud.get_network(network.id).description == "AWS VPC CidrBlock 10.0.0.0/16"
    assert cloud.create_network("plain").description == ""


def test_a_port_a_server_holds_cannot_be_deleted_until_the_server_is_gone(cloud, net):
    # Neutron's default policy refuses a member's delete of a compute-owned port;
    # Nova releases a port it did not create when the server is deleted.
    network, _ = net
    port = cloud.create_port(network.id)
    server = cloud.create_server(ServerRequest(name="vm", image_id=CIRROS, flavor_id="1",
                                               networks=(NetworkRequest(port_id=port.id),)))
    with pytest.raises(CloudError) as caught:
        cloud.delete_port(port.id)
    assert caught.value.kind is ErrorKind.FORBIDDEN
    assert caught.value.message == "rule:delete_port is disallowed by policy"
    cloud.delete_server(server.id)
    cloud.delete_port(port.id)
    assert port.id not in {p.id for p in cloud.list_ports()}
