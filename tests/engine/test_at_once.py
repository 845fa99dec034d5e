"""Resources complete as soon as they exist (WaitConditionHandle) are created by the
scheduler itself, a ready wave in one transaction, with the events the usual path writes."""

import threading

from sqlalchemy import event

from cfnapi.engine.wait_conditions import WaitConditionHandle
from cfnapi.translate.base import ResourceFailure
from tests.engine.conftest import sleeper

HANDLE = {"Type": "AWS::CloudFormation::WaitConditionHandle"}


def _event_inserts(engine) -> list[int]:
    """How many events each INSERT into the events table writes, as they run."""
    seen: list[int] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("INSERT INTO cfn_stack_events"):
            seen.append(len(parameters) if executemany else 1)

    event.listen(engine.db.engine, "before_cursor_execute", count)
    return seen


def test_a_wave_of_handles_is_written_in_one_commit_off_the_resource_pool(engine, monkeypatch):
    created_on = []
    real_create = WaitConditionHandle.create

    def create(self, ctx, props):
        created_on.append(threading.current_thread().name)
        return real_create(self, ctx, props)

    monkeypatch.setattr(WaitConditionHandle, "create", create)
    inserts = _event_inserts(engine)
    stack_id = engine.create("wave", {f"H{i}": HANDLE for i in range(20)})
    assert engine.status("wave") == "CREATE_COMPLETE"
    assert len(created_on) == 20 and not any(name.startswith("cfn-resource") for name in created_on)
    # The stack's CREATE_IN_PROGRESS, the whole wave's 60 events together, the stack's CREATE_COMPLETE.
    assert inserts == [1, 60, 1]
    events = engine.events(stack_id)
    for i in range(20):
        assert [(s, r) for lid, s, r in events if lid == f"H{i}"] == [
            ("CREATE_IN_PROGRESS", None),
            ("CREATE_IN_PROGRESS", "Resource creation Initiated"),
            ("CREATE_COMPLETE", None),
        ]
    raw = engine.call("describe_stack_events", StackName=stack_id)["StackEvents"]
    first = next(e for e in reversed(raw) if e["LogicalResourceId"] == "H0")
    assert first["PhysicalResourceId"] == ""  # written before the handle had its id, as on the usual path
    rows = engine.resources("wave")
    assert rows["H3"]["ResourceStatus"] == "CREATE_COMPLETE"
    assert rows["H3"]["PhysicalResourceId"] == f"{stack_id}/H3"


def test_dependants_see_the_wave_and_waves_follow_dependencies(engine):
    stack_id = engine.create("deps", {
        "H": HANDLE,
        "S": sleeper(Inputs={"Ref": "H"}),
        "After": {**HANDLE, "DependsOn": "S"},
    })
    assert engine.status("deps") == "CREATE_COMPLETE"
    existing = engine.cloud.existing()
    assert engine.cloud.records[existing["S"]].properties["Inputs"] == f"{stack_id}/H"
    order = [lid for lid, status, _ in engine.events(stack_id) if status == "CREATE_COMPLETE"]
    assert order.index("H") < order.index("S") < order.index("After")
    engine.call("delete_stack", StackName="deps")
    engine.worker.run_until_idle()
    assert engine.status(stack_id) == "DELETE_COMPLETE"


def test_a_handle_whose_create_fails_is_left_to_the_usual_path_which_records_why(engine, monkeypatch):
    def create(self, ctx, props):
        if ctx.logical_id == "Bad":
            raise ResourceFailure("handle refused")
        return f"{ctx.stack_id}/{ctx.logical_id}"

    monkeypatch.setattr(WaitConditionHandle, "create", create)
    stack_id = engine.create("bad", {"Good": HANDLE, "Bad": HANDLE}, OnFailure="DO_NOTHING")
    assert engine.status("bad") == "CREATE_FAILED"
    events = engine.events(stack_id)
    assert [(s, r) for lid, s, r in events if lid == "Bad"] == [
        ("CREATE_IN_PROGRESS", None),
        ("CREATE_FAILED", "handle refused"),
    ]
    assert engine.resources("bad")["Good"]["ResourceStatus"] == "CREATE_COMPLETE"


def test_a_wave_whose_write_fails_fails_its_resources_and_the_stack_rolls_back(engine, monkeypatch):
    from cfnapi.engine.records import Recorder

    def refuse(self, records, events):
        raise RuntimeError("disk full")

    monkeypatch.setattr(Recorder, "resources_together", refuse)
    stack_id = engine.create("nowrite", {"H1": HANDLE, "H2": HANDLE})
    assert engine.status(stack_id) == "ROLLBACK_COMPLETE"
    reason = [r for lid, s, r in engine.events(stack_id) if s == "ROLLBACK_IN_PROGRESS"][0]
    assert "H1" in reason and "H2" in reason
    # Nothing of the wave was written, so nothing is left to show or to delete.
    assert [lid for lid, _, _ in engine.events(stack_id) if lid in ("H1", "H2")] == []


def test_types_that_read_other_records_are_not_created_at_once(engine):
    # Two roles of one name in one ready wave: created at once, neither would see the
    # other's record. On the usual path the second finds the first, as IAM would.
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    role = {"Type": "AWS::IAM::Role", "Properties": {"RoleName": "same", "AssumeRolePolicyDocument": trust}}
    stack_id = engine.create("iam", {"A": role, "B": role}, Capabilities=["CAPABILITY_NAMED_IAM"])
    assert engine.status("iam") == "ROLLBACK_COMPLETE"
    failed = [r for lid, s, r in engine.events(stack_id) if s == "CREATE_FAILED"]
    assert "Role with name same already exists." in failed


def test_a_chain_of_handles_shares_one_commit_and_the_pool_waits_for_it(engine, monkeypatch):
    from cfnapi.translate.testing import Sleeper

    seen_by_sleeper = []
    real_create = Sleeper.create

    def create(self, ctx, props):
        # The handles it depends on are committed before a pool resource starts.
        seen_by_sleeper.append(engine.resources("chain")["H2"]["ResourceStatus"])
        return real_create(self, ctx, props)

    monkeypatch.setattr(Sleeper, "create", create)
    inserts = _event_inserts(engine)
    stack_id = engine.create("chain", {
        "H0": HANDLE,
        "H1": {**HANDLE, "DependsOn": "H0"},
        "H2": {**HANDLE, "DependsOn": "H1"},
        "S": sleeper(Inputs={"Ref": "H2"}),
    })
    assert engine.status("chain") == "CREATE_COMPLETE"
    assert seen_by_sleeper == ["CREATE_COMPLETE"]
    # The stack's CREATE_IN_PROGRESS, the three handles' 9 events together, then the Sleeper's
    # three status changes one by one, then the stack's CREATE_COMPLETE.
    assert inserts == [1, 9, 1, 1, 1, 1]
    order = [lid for lid, status, _ in engine.events(stack_id) if status == "CREATE_COMPLETE"]
    assert order == ["H0", "H1", "H2", "S", "chain"]
