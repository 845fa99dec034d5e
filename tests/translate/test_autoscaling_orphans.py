"""A member a dead process launched but never recorded is adopted by the group's first tick in the
next process: the group neither loses track of the server nor launches another beside it."""

from cfnapi.autoscaling.orphans import ADOPTED
from cfnapi.autoscaling.worker import GroupReconciler
from cfnapi.cloud.sim import differences_from_seed
from cfnapi.engine import api
from tests.translate.test_autoscaling import harness  # noqa: F401  (the fixture)


def test_a_server_launched_but_never_recorded_is_adopted_not_doubled(harness):  # noqa: F811
    stack = harness.create()
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    group = harness.group()
    before = sorted(s.id for s in harness.servers())
    assert len(before) == group.desired == 2
    # The dead process: Nova made the server, the member row was never written.
    [forgotten] = [m for m in harness.members() if m.instance_id == before[0]]
    harness.world.autoscaling.remove_member(forgotten.id)

    harness.reconciler = GroupReconciler(harness.world.autoscaling, harness.world.services)  # the next process
    harness.settle(lambda: len(harness.in_service()) == 2)
    for _ in range(20):  # more ticks: nothing else may be launched
        harness.reconciler.tick(group.id)

    assert sorted(s.id for s in harness.servers()) == before
    assert sorted(m.instance_id for m in harness.members()) == before
    reasons = [e.get("ResourceStatusReason") or "" for e in harness.events() if e["LogicalResourceId"] == "Group"]
    assert any(before[0] in r and ADOPTED in r for r in reasons)

    api.delete_stack(harness.runtime, harness.caller, {"StackName": stack["StackId"]})
    harness.run_stacks()
    assert differences_from_seed(harness.world.db, harness.world.config) == {}


def test_servers_of_other_groups_and_unnamed_ones_are_not_adopted(harness):  # noqa: F811
    harness.create()
    group = harness.group()
    provider = harness.world.services.provider("123456789012")
    from cfnapi.cloud.provider import ServerRequest

    image = provider.find_image("cirros-0.6.2-x86_64-disk")
    flavor = provider.list_flavors()[0]
    provider.create_server(ServerRequest("web-Group-AAAAAAAAAAAA", image.id, flavor.id,
                                         metadata={"aws:autoscaling:groupName": "another-group"}))
    provider.create_server(ServerRequest("hand-made", image.id, flavor.id,
                                         metadata={"aws:autoscaling:groupName": group.name}))
    members = sorted(m.instance_id for m in harness.members())

    GroupReconciler(harness.world.autoscaling, harness.world.services).tick(group.id)

    assert sorted(m.instance_id for m in harness.members()) == members


def test_ports_a_launch_made_for_a_server_it_never_got_to_are_deleted(harness):  # noqa: F811
    harness.create()
    group = harness.group()
    provider = harness.world.services.provider("123456789012")
    network = next(n for n in provider.list_networks() if not n.is_external)
    member = f"{group.stack_name}-{group.logical_id}-0123456789AB"
    left = provider.create_port(network.id, name=f"{member}-eth0")  # its server was never created
    other = provider.create_port(network.id, name="someone-elses-eth0")
    ports_before = {p.id for p in provider.list_ports()}

    GroupReconciler(harness.world.autoscaling, harness.world.services).tick(group.id)

    assert {p.id for p in provider.list_ports()} == ports_before - {left.id}
    assert other.id in ports_before
