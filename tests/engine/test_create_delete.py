"""CreateStack and DeleteStack: parallelism, ordering, events as AWS shows them."""

from tests.engine.conftest import sleeper


def test_independent_resources_are_created_in_parallel(engine):
    resources = {f"R{i}": sleeper(CreateDelay="0.1") for i in range(4)}
    engine.create("par", resources)
    assert engine.status("par") == "CREATE_COMPLETE"
    intervals = engine.cloud.intervals()
    # Every create started before any other finished: they overlapped.
    latest_start = max(start for start, _ in intervals.values())
    earliest_end = min(end for _, end in intervals.values())
    assert latest_start < earliest_end


def test_dependencies_wait_and_refs_resolve(engine):
    engine.create(
        "deps",
        {
            "A": sleeper(Value="a"),
            "B": sleeper(Inputs={"Ref": "A"}),
            "C": sleeper(Inputs={"Fn::GetAtt": ["B", "Arn"]}, Value={"Fn::GetAtt": ["A", "Value"]}),
        },
        outputs={"Out": {"Value": {"Ref": "C"}, "Export": {"Name": "deps-c"}}},
    )
    assert engine.status("deps") == "CREATE_COMPLETE"
    iv = engine.cloud.intervals()
    assert iv["A"][1] <= iv["B"][0] and iv["B"][1] <= iv["C"][0]
    existing = engine.cloud.existing()
    assert engine.cloud.records[existing["B"]].properties["Inputs"] == existing["A"]
    stack = engine.call("describe_stacks", StackName="deps")["Stacks"][0]
    assert stack["Outputs"] == [{"OutputKey": "Out", "OutputValue": existing["C"], "ExportName": "deps-c"}]




def test_event_sequences(engine):
    stack_id = engine.create("seq", {"A": sleeper()})
    engine.call("delete_stack", StackName="seq")
    engine.worker.run_until_idle()
    assert engine.events(stack_id) == [
        ("seq", "CREATE_IN_PROGRESS", "User Initiated"),
        ("A", "CREATE_IN_PROGRESS", None),
        ("A", "CREATE_IN_PROGRESS", "Resource creation Initiated"),
        ("A", "CREATE_COMPLETE", None),
        ("seq", "CREATE_COMPLETE", None),
        ("seq", "DELETE_IN_PROGRESS", "User Initiated"),
        ("A", "DELETE_IN_PROGRESS", None),
        ("A", "DELETE_COMPLETE", None),
        ("seq", "DELETE_COMPLETE", None),
    ]
    raw = engine.call("describe_stack_events", StackName=stack_id)["StackEvents"]
    assert raw[0]["PhysicalResourceId"] == stack_id and raw[0]["ResourceType"] == "AWS::CloudFormation::Stack"
    assert engine.cloud.existing() == {}
    # A deleted stack is gone by name, still there by id.
    import pytest

    from cfnapi.errors import ServiceError

    with pytest.raises(ServiceError, match="Stack with id seq does not exist"):
        engine.call("describe_stacks", StackName="seq")
    assert engine.call("describe_stacks", StackName=stack_id)["Stacks"][0]["StackStatus"] == "DELETE_COMPLETE"


def test_delete_runs_in_reverse_dependency_order(engine):
    engine.create("chain", {"A": sleeper(), "B": sleeper(Inputs={"Ref": "A"}), "C": {**sleeper(), "DependsOn": "B"}})
    engine.call("delete_stack", StackName="chain")
    engine.worker.run_until_idle()
    assert engine.cloud.deleted == ["C", "B", "A"]


def test_failed_create_rolls_back_in_reverse_dependency_order(engine):
    stack_id = engine.create(
        "fail",
        {
            "A": sleeper(),
            "B": sleeper(Inputs={"Ref": "A"}),
            "Bad": sleeper(Inputs={"Ref": "B"}, FailOnCreate="true"),
            "Never": sleeper(Inputs={"Ref": "Bad"}),
        },
    )
    assert engine.status(stack_id) == "ROLLBACK_COMPLETE"
    assert engine.cloud.deleted == ["Bad", "B", "A"]
    assert engine.cloud.existing() == {}
    events = engine.events(stack_id)
    assert ("Bad", "CREATE_FAILED", "Sleeper was told to fail on create") in events
    assert (
        "fail",
        "ROLLBACK_IN_PROGRESS",
        "The following resource(s) failed to create: [Bad]. Rollback requested by user.",
    ) in events
    assert not any(lid == "Never" for lid, _, _ in events)
    assert events[-1] == ("fail", "ROLLBACK_COMPLETE", None)


def test_failure_cancels_resources_in_flight(engine):
    stack_id = engine.create("cancel", {"Slow": sleeper(CreateDelay="5"), "Bad": sleeper(FailOnCreate="true")})
    events = engine.events(stack_id)
    assert ("Slow", "CREATE_FAILED", "Resource creation cancelled") in events
    assert (
        "cancel",
        "ROLLBACK_IN_PROGRESS",
        "The following resource(s) failed to create: [Bad]. Rollback requested by user.",
    ) in events
    assert engine.cloud.existing() == {}


def test_on_failure_do_nothing_keeps_resources(engine):
    stack_id = engine.create("keep", {"A": sleeper(), "Bad": sleeper(FailOnCreate="true")}, OnFailure="DO_NOTHING")
    assert engine.status(stack_id) == "CREATE_FAILED"
    assert "A" in engine.cloud.existing()


def test_on_failure_delete_ends_deleted(engine):
    stack_id = engine.create("gone", {"A": sleeper(), "Bad": sleeper(FailOnCreate="true")}, OnFailure="DELETE")
    assert engine.status(stack_id) == "DELETE_COMPLETE"
    assert engine.cloud.existing() == {}


def test_timeout_fires_and_rolls_back(tmp_path):
    from tests.engine.conftest import Harness

    harness = Harness(tmp_path, seconds_per_timeout_minute=0.05)
    stack_id = harness.create("slow", {"Slow": sleeper(CreateDelay="30")}, TimeoutInMinutes=1)
    events = harness.events(stack_id)
    assert ("Slow", "CREATE_FAILED", "Resource creation cancelled") in events
    assert (
        "slow",
        "ROLLBACK_IN_PROGRESS",
        "Stack creation time exceeded the specified timeout. Rollback requested by user.",
    ) in events
    assert harness.status(stack_id) == "ROLLBACK_COMPLETE"
    assert harness.cloud.existing() == {}
    harness.runtime.shutdown()


def test_retained_resource_is_skipped(engine):
    stack_id = engine.create("ret", {"Keep": {**sleeper(), "DeletionPolicy": "Retain"}})
    engine.call("delete_stack", StackName="ret")
    engine.worker.run_until_idle()
    assert ("Keep", "DELETE_SKIPPED", None) in engine.events(stack_id)
    assert "Keep" in engine.cloud.existing()


def test_get_azs_lists_the_clouds_zones_for_the_stacks_own_account(cfn):
    asked = []

    def zones(account_id, region):
        asked.append((account_id, region))
        return [f"{region}a", f"{region}b", f"{region}c"]

    cfn.cloud.availability_zones = zones
    cfn.create("azs", {"A": sleeper()},
               outputs={"Second": {"Value": {"Fn::Select": [1, {"Fn::GetAZs": ""}]}}})
    assert cfn.status("azs") == "CREATE_COMPLETE", cfn.events("azs")
    stack = cfn.call("describe_stacks", StackName="azs")["Stacks"][0]
    assert stack["Outputs"] == [{"OutputKey": "Second", "OutputValue": "us-east-1b"}]
    assert ("123456789012", "us-east-1") in asked
