"""Members a dead process launched but never recorded.

A launch is a Nova create followed by the member row; a process that dies between the two
leaves a server no group knows, which would run (and bill) forever while the group launches
another. Every member carries the ``aws:autoscaling:groupName`` metadata AWS puts on it, and
its name is the group's resource's generated name, so the first tick of a group in a process
(a restart, or a takeover on PostgreSQL) adopts such servers as members: the group's usual life
then keeps them, replaces them or terminates them, ports included. Ports a launch made before
dying without a server (``<server name>-ethN``, bound to nothing) are deleted.
"""

from __future__ import annotations

import re

from cfnapi.autoscaling import activities as act
from cfnapi.autoscaling.models import ScalingGroupRow
from cfnapi.autoscaling.store import AutoScalingStore
from cfnapi.cloud.provider import SERVER_DELETED
from cfnapi.translate.base import ResourceContext
from cfnapi.translate.cloud_calls import call, gone_ok, provider

GROUP_NAME_TAG = "aws:autoscaling:groupName"
MEMBER_NAME_LENGTH = 63  # an Instance's server name (translate.ec2_instance)
ADOPTED = "an instance launched by a cfnapi process that stopped before recording it was adopted"


def adopt_orphans(store: AutoScalingStore, group: ScalingGroupRow, ctx: ResourceContext) -> list[str]:
    """Record the group's unrecorded servers as members, and delete the ports a launch made for
    a server it never got to; returns the adopted servers' ids."""
    cloud = provider(ctx)
    member_name = _member_name(ctx)
    known = {member.instance_id for member in store.members(group.id)}
    servers = call(cloud.list_servers)
    adopted = []
    for server in servers:
        if (server.id in known or server.status == SERVER_DELETED or server.task_state == "deleting"
                or server.metadata.get(GROUP_NAME_TAG) != group.name or not member_name.fullmatch(server.name)):
            continue
        store.add_member(group.id, server.id, group.spec_version, None)
        store.record_activity(group, act.launching(server.id, ADOPTED))
        adopted.append(server.id)
    names = {server.name for server in servers}
    for port in call(cloud.list_ports):
        owner = _PORT_NAME.fullmatch(port.name)
        if owner and not port.device_id and member_name.fullmatch(owner.group(1)) and owner.group(1) not in names:
            gone_ok(cloud.delete_port, port.id)
    return adopted


def _member_name(ctx: ResourceContext) -> re.Pattern[str]:
    """A member's server name: ``physical_name`` of the group's resource, 63 long at most."""
    head = f"{ctx.stack_name}-{ctx.logical_id}"[: MEMBER_NAME_LENGTH - 13]
    return re.compile(re.escape(head) + r"-[0-9A-F]{12}")


_PORT_NAME = re.compile(r"(.+)-eth\d+")  # translate.ec2_instance names a server's own ports so
