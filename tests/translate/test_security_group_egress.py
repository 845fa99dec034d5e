"""A security group's egress follows AWS: no SecurityGroupEgress means the default allow-all
egress (IPv4 and IPv6); listing egress rules replaces it, on create and on update alike, and
removing them restores it. An egress rule must name its destination."""

import pytest

from cfnapi.cloud.sim import differences_from_seed
from cfnapi.translate.base import ResourceFailure
from cfnapi.translate.ec2_security import SecurityGroup, SecurityGroupEgress

ALLOW_ALL_OUT = {("IPv4", None, None, None), ("IPv6", None, None, None)}
HTTPS_OUT = {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": "10.0.0.0/8"}
SSH_IN = {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIp": "0.0.0.0/0"}


def egress(world, group_id):
    return {(r.ethertype, r.protocol, r.port_range_min, r.remote_ip_prefix)
            for r in world.cloud.get_security_group(group_id).rules if r.direction == "egress"}


def ingress(world, group_id):
    return {(r.protocol, r.port_range_min, r.remote_ip_prefix)
            for r in world.cloud.get_security_group(group_id).rules if r.direction == "ingress"}


def test_adding_egress_rules_on_update_removes_the_default_allow_all(world):
    plain = {"GroupDescription": "d", "SecurityGroupIngress": [SSH_IN]}
    state = world.create(SecurityGroup(), plain)
    assert egress(world, state.physical_id) == ALLOW_ALL_OUT
    restricted = {**plain, "SecurityGroupEgress": [HTTPS_OUT]}
    SecurityGroup().update(world.ctx(), state, plain, restricted)
    assert egress(world, state.physical_id) == {("IPv4", "tcp", 443, "10.0.0.0/8")}
    assert ingress(world, state.physical_id) == {("tcp", 22, "0.0.0.0/0")}  # untouched
    world.delete(SecurityGroup(), world.state("Res", state.physical_id, restricted))
    assert differences_from_seed(world.db, world.config) == {}


def test_removing_egress_rules_on_update_restores_the_default_allow_all(world):
    restricted = {"GroupDescription": "d", "SecurityGroupEgress": [HTTPS_OUT]}
    state = world.create(SecurityGroup(), restricted)
    assert egress(world, state.physical_id) == {("IPv4", "tcp", 443, "10.0.0.0/8")}
    plain = {"GroupDescription": "d"}
    SecurityGroup().update(world.ctx(), state, restricted, plain)
    assert egress(world, state.physical_id) == ALLOW_ALL_OUT
    # An empty list is a list: no egress at all, as in AWS.
    SecurityGroup().update(world.ctx(), state, plain, {**plain, "SecurityGroupEgress": []})
    assert egress(world, state.physical_id) == set()
    world.delete(SecurityGroup(), state)
    assert differences_from_seed(world.db, world.config) == {}


def test_a_separate_egress_rule_survives_the_groups_own_egress_changes(world):
    plain = {"GroupDescription": "d"}
    group = world.create(SecurityGroup(), plain, "Sg")
    dns = {"GroupId": group.physical_id, "IpProtocol": "udp", "FromPort": 53, "ToPort": 53, "CidrIp": "10.0.0.2/32"}
    rule = world.create(SecurityGroupEgress(), dns, "Dns")
    restricted = {**plain, "SecurityGroupEgress": [HTTPS_OUT]}
    SecurityGroup().update(world.ctx("Sg"), group, plain, restricted)
    SecurityGroup().update(world.ctx("Sg"), group, restricted, plain)
    assert egress(world, group.physical_id) == ALLOW_ALL_OUT | {("IPv4", "udp", 53, "10.0.0.2/32")}
    world.delete(SecurityGroupEgress(), rule)
    world.delete(SecurityGroup(), group)
    assert differences_from_seed(world.db, world.config) == {}


@pytest.mark.parametrize("where", ["inline", "separate"])
def test_an_egress_rule_without_a_destination_is_refused_not_opened_to_everywhere(world, where):
    no_destination = {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443}
    message = "You must specify exactly one of the following destinations for an egress rule"
    if where == "inline":
        with pytest.raises(ResourceFailure, match=message):
            SecurityGroup().create(world.ctx(), {"GroupDescription": "d", "SecurityGroupEgress": [no_destination]})
    else:
        group = world.create(SecurityGroup(), {"GroupDescription": "d"}, "Sg")
        with pytest.raises(ResourceFailure, match=message):
            SecurityGroupEgress().create(world.ctx("Dst"), {"GroupId": group.physical_id, **no_destination})
        assert egress(world, group.physical_id) == ALLOW_ALL_OUT
        world.delete(SecurityGroup(), group)
    assert differences_from_seed(world.db, world.config) == {}


def test_a_bad_new_egress_rule_changes_nothing_on_update(world):
    plain = {"GroupDescription": "d"}
    state = world.create(SecurityGroup(), plain)
    with pytest.raises(ResourceFailure):
        SecurityGroup().update(world.ctx(), state, plain, {**plain, "SecurityGroupEgress": [{"IpProtocol": "-1"}]})
    assert egress(world, state.physical_id) == ALLOW_ALL_OUT
    world.delete(SecurityGroup(), state)
