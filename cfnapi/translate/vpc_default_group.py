"""Each VPC's own default security group, as EC2 makes one with every VPC.

EC2's default group lets in all traffic from its own members and lets out all
traffic; it is deleted with its VPC, and instances and network interfaces
launched into the VPC without groups get it. Neutron's per-project ``default``
group cannot stand in (every VPC would share it), so a VPC gets a group of its
own, found by name (``vpc-default-sg-<network id>``) like the VPC's router:
nothing beyond the VPC's physical id has to be remembered.
"""

from __future__ import annotations

from cfnapi.cloud.provider import CloudProvider, SecurityGroup
from cfnapi.translate.cloud_calls import call, gone_ok

DESCRIPTION = "default VPC security group"  # EC2's own description of it


def default_group_name(vpc_id: str) -> str:
    return f"vpc-default-sg-{vpc_id}"


def create_default_group(cloud: CloudProvider, vpc_id: str) -> SecurityGroup:
    """The group and its ingress from itself (Neutron adds the allow-all egress)."""
    group = call(cloud.create_security_group, default_group_name(vpc_id), DESCRIPTION)
    try:
        _add_self_ingress(cloud, group, ("IPv4", "IPv6"))
    except Exception:
        gone_ok(cloud.delete_security_group, group.id)
        raise
    return group


def complete_default_group(cloud: CloudProvider, vpc_id: str) -> None:
    """For a VPC create resumed after its process died: make whatever of the default group
    (the group, either of its ingress rules) the dead create had not made yet."""
    group = find_default_group(cloud, vpc_id)
    if group is None:
        create_default_group(cloud, vpc_id)
        return
    have = {rule.ethertype for rule in group.rules
            if rule.direction == "ingress" and rule.remote_group_id == group.id}
    _add_self_ingress(cloud, group, [e for e in ("IPv4", "IPv6") if e not in have])


def _add_self_ingress(cloud: CloudProvider, group: SecurityGroup, ethertypes) -> None:
    for ethertype in ethertypes:
        call(cloud.create_security_group_rule, group.id, direction="ingress", ethertype=ethertype,
             remote_group_id=group.id)


def find_default_group(cloud: CloudProvider, vpc_id: str) -> SecurityGroup | None:
    """The VPC's group; None for a VPC made before VPCs had one (or for no VPC)."""
    name = default_group_name(vpc_id)
    return next((g for g in call(cloud.list_security_groups) if g.name == name), None)


def delete_default_group(cloud: CloudProvider, vpc_id: str) -> None:
    group = find_default_group(cloud, vpc_id)
    if group is not None:
        gone_ok(cloud.delete_security_group, group.id)


def group_ids_for_network(cloud: CloudProvider, network_id: str) -> list[str] | None:
    """What a port on ``network_id`` gets when the template names no group: the VPC's
    default group when the network is a VPC's, else None (the project's ``default``)."""
    group = find_default_group(cloud, network_id)
    return [group.id] if group is not None else None
