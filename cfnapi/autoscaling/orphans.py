"""Members a dead process launched but never recorded.

A launch is a Nova create followed by the member row; a process that dies between the two
leaves a server no group knows, which would run (and bill) forever while the group launches
another. Every member carries the ``aws:autoscaling:groupName`` metadata AWS puts on it, and
its name starts with the group's resource's generated-name head, so the first tick of a group
in a process (a restart, or a takeover on PostgreSQL) adopts such servers as members: the
group's usual life then keeps them, replaces them or terminates them, ports included.
"""

from __future__ import annotations

from cfnapi.autoscaling import activities as act
from cfnapi.autoscaling.models import ScalingGroupRow
from cfnapi.autoscaling.store import AutoScalingStore
from cfnapi.cloud.provider import SERVER_DELETED
from cfnapi.translate.base import ResourceContext
from cfnapi.translate.cloud_calls import call, provider

GROUP_NAME_TAG = "aws:autoscaling:groupName"
MEMBER_NAME_LENGTH = 63  # an Instance's server name (translate.ec2_instance)
ADOPTED = "an instance launched by a cfnapi process that stopped before recording it was adopted"


def adopt_orphans(store: AutoScalingStore, group: ScalingGroupRow, ctx: ResourceContext) -> list[str]:
    """Record the group's unrecorded servers as members; returns their ids."""
    known = {member.instance_id for member in store.members(group.id)}
    head = f"{ctx.stack_name}-{ctx.logical_id}"[: MEMBER_NAME_LENGTH - 13]  # physical_name's head (63, "-TOKEN")
    adopted = []
    for server in call(provider(ctx).list_servers):
        if (server.id in known or server.status == SERVER_DELETED or server.task_state == "deleting"
                or server.metadata.get(GROUP_NAME_TAG) != group.name or not server.name.startswith(head)):
            continue
        store.add_member(group.id, server.id, group.spec_version, None)
        store.record_activity(group, act.launching(server.id, ADOPTED))
        adopted.append(server.id)
    return adopted
