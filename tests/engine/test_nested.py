"""AWS::CloudFormation::Stack: the child is a real stack run by the same engine."""

import json

import pytest

from cfnapi.errors import ServiceError
from cfnapi.template_url import TemplateUrlPolicy

SLEEPER = "Test::Engine::Sleeper"

CHILD = {
    "Parameters": {"Value": {"Type": "String"}, "Fail": {"Type": "String", "Default": "false"}},
    "Resources": {
        "Inner": {"Type": SLEEPER, "Properties": {"Value": {"Ref": "Value"}}},
        "Risky": {"Type": SLEEPER, "Properties": {"FailOnCreate": {"Ref": "Fail"}, "FailOnUpdate": {"Ref": "Fail"}}},
    },
    "Outputs": {"InnerValue": {"Value": {"Fn::GetAtt": ["Inner", "Value"]}}},
}


@pytest.fixture
def nest(cfn, tmp_path):
    (tmp_path / "child.json").write_text(json.dumps(CHILD))
    cfn.runtime.url_policy = TemplateUrlPolicy(file_root=tmp_path)
    cfn.child_url = f"file://{tmp_path / 'child.json'}"
    return cfn


def parent_resources(h, value="one", fail="false", **extra):
    return {
        "Child": {
            "Type": "AWS::CloudFormation::Stack",
            "Properties": {"TemplateURL": h.child_url, "Parameters": {"Value": value, "Fail": fail}, **extra},
        },
        "User": {"Type": SLEEPER, "Properties": {"Value": {"Fn::GetAtt": ["Child", "Outputs.InnerValue"]},
                                                 "Inputs": {"Ref": "Child"}}},
    }


def child_of(h, parent="parent"):
    return h.resources(parent)["Child"]["PhysicalResourceId"]


def test_child_is_a_real_stack_with_parent_and_root(nest):
    parent_id = nest.create("parent", parent_resources(nest, Tags=[{"Key": "own", "Value": "child"}],
                                                         NotificationARNs=["arn:aws:sns:us-east-1:1:t"]),
                            TimeoutInMinutes=5, Tags=[{"Key": "team", "Value": "a"}, {"Key": "own", "Value": "p"}])
    assert nest.status("parent") == "CREATE_COMPLETE"
    child_id = child_of(nest)
    child = nest.call("describe_stacks", StackName=child_id)["Stacks"][0]
    assert child["StackStatus"] == "CREATE_COMPLETE"
    assert child["DisableRollback"] is False  # what AWS shows; the child's rollback is suppressed otherwise
    assert child["ParentId"] == parent_id and child["RootId"] == parent_id
    assert child["StackName"].startswith("parent-Child-") and len(child["StackName"]) == len("parent-Child-") + 13
    assert child["Outputs"] == [{"OutputKey": "InnerValue", "OutputValue": "one"}]
    assert child["Tags"] == [{"Key": "team", "Value": "a"}, {"Key": "own", "Value": "child"}]
    assert child["NotificationARNs"] == ["arn:aws:sns:us-east-1:1:t"]
    listed = {s["StackId"] for s in nest.call("list_stacks")["StackSummaries"]}
    assert child_id in listed
    # Ref is the child's StackId; GetAtt Outputs.X its output.
    user = nest.cloud.records[nest.resources("parent")["User"]["PhysicalResourceId"]]
    assert user.properties["Inputs"] == child_id and user.properties["Value"] == "one"
    # The parent shows the nested resource as any other; the child its own stack events.
    assert [e for e in nest.events("parent") if e[0] == "Child"] == [
        ("Child", "CREATE_IN_PROGRESS", None),
        ("Child", "CREATE_IN_PROGRESS", "Resource creation Initiated"),
        ("Child", "CREATE_COMPLETE", None),
    ]
    child_events = nest.events(child_id)
    assert child_events[0] == (child["StackName"], "CREATE_IN_PROGRESS", "User Initiated")
    assert child_events[-1] == (child["StackName"], "CREATE_COMPLETE", None)


def test_grandchild_root_is_the_top_stack(nest, tmp_path):
    middle = {"Resources": {"Leaf": {"Type": "AWS::CloudFormation::Stack", "Properties": {
        "TemplateURL": nest.child_url, "Parameters": {"Value": "deep"}}}}}
    (tmp_path / "middle.json").write_text(json.dumps(middle))
    root_id = nest.create("top", {"Mid": {"Type": "AWS::CloudFormation::Stack",
                                          "Properties": {"TemplateURL": f"file://{tmp_path / 'middle.json'}"}}})
    assert nest.status("top") == "CREATE_COMPLETE"
    mid_id = nest.resources("top")["Mid"]["PhysicalResourceId"]
    leaf_id = nest.resources(mid_id)["Leaf"]["PhysicalResourceId"]
    leaf = nest.call("describe_stacks", StackName=leaf_id)["Stacks"][0]
    assert leaf["ParentId"] == mid_id and leaf["RootId"] == root_id


def test_failed_child_fails_parent_with_aws_reason_and_rollback_deletes_it(nest):
    nest.create("parent", parent_resources(nest, fail="true"))
    assert nest.status("parent") == "ROLLBACK_COMPLETE"
    left = nest.call("describe_stack_resources", StackName="parent")["StackResources"]
    events = nest.events("parent")
    failed = [e for e in events if e[0] == "Child" and e[1] == "CREATE_FAILED"]
    assert len(failed) == 1
    assert failed[0][2].startswith("Embedded stack arn:aws:cloudformation:us-east-1:123456789012:stack/parent-Child-")
    assert failed[0][2].endswith(" was not successfully created: The following resource(s) failed to create: [Risky]. ")
    assert ("parent", "ROLLBACK_IN_PROGRESS",
            "The following resource(s) failed to create: [Child]. Rollback requested by user.") in events
    assert {r["ResourceStatus"] for r in left if r["LogicalResourceId"] == "Child"} == {"DELETE_COMPLETE"}
    child = [s for s in nest.call("list_stacks")["StackSummaries"] if s["StackName"].startswith("parent-Child-")][0]
    assert child["StackStatus"] == "DELETE_COMPLETE"
    assert nest.call("describe_stacks", StackName=child["StackId"])["Stacks"][0]["DisableRollback"] is False
    child_events = [e[1:] for e in nest.events(child["StackId"]) if e[0] == child["StackName"]]
    assert child_events == [
        ("CREATE_IN_PROGRESS", "User Initiated"),
        ("CREATE_FAILED", "The following resource(s) failed to create: [Risky]. "),
        ("DELETE_IN_PROGRESS", "User Initiated"),
        ("DELETE_COMPLETE", None),
    ]
    assert nest.cloud.existing() == {}


def test_parameter_change_updates_child_and_delete_deletes_it(nest):
    nest.create("parent", parent_resources(nest))
    child_id = child_of(nest)
    nest.update("parent", parent_resources(nest, value="two"))
    assert nest.status("parent") == "UPDATE_COMPLETE"
    assert child_of(nest) == child_id  # updated in place
    child = nest.call("describe_stacks", StackName=child_id)["Stacks"][0]
    assert child["StackStatus"] == "UPDATE_COMPLETE"
    assert child["Outputs"] == [{"OutputKey": "InnerValue", "OutputValue": "two"}]
    user = nest.cloud.records[nest.resources("parent")["User"]["PhysicalResourceId"]]
    assert user.properties["Value"] == "two"
    assert ("Child", "UPDATE_COMPLETE", None) in nest.events("parent")

    nest.call("delete_stack", StackName="parent")
    nest.worker.run_until_idle()
    assert nest.call("describe_stacks", StackName=child_id)["Stacks"][0]["StackStatus"] == "DELETE_COMPLETE"
    assert nest.cloud.existing() == {}


def test_failed_child_update_rolls_back_child_and_parent(nest):
    nest.create("parent", parent_resources(nest))
    child_id = child_of(nest)
    before = nest.cloud.existing()
    nest.update("parent", parent_resources(nest, value="two", fail="true"))
    assert nest.status("parent") == "UPDATE_ROLLBACK_COMPLETE"
    child = nest.call("describe_stacks", StackName=child_id)["Stacks"][0]
    assert child["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    assert {p["ParameterKey"]: p["ParameterValue"] for p in child["Parameters"]} == {"Value": "one", "Fail": "false"}
    failed = [e[2] for e in nest.events("parent") if e[:2] == ("Child", "UPDATE_FAILED")]
    assert failed and failed[0] == (
        f"Embedded stack {child_id} was not successfully updated. Currently in UPDATE_ROLLBACK_IN_PROGRESS "
        "with reason: The following resource(s) failed to update: [Risky]. "
    )
    assert nest.cloud.existing() == before


def test_child_needs_the_parents_capabilities(nest, tmp_path):
    (tmp_path / "iam.json").write_text(json.dumps({"Resources": {"U": {"Type": "AWS::IAM::User"}}}))
    nest.create("parent", {"Child": {"Type": "AWS::CloudFormation::Stack",
                                     "Properties": {"TemplateURL": f"file://{tmp_path / 'iam.json'}"}}})
    assert nest.status("parent") == "ROLLBACK_COMPLETE"
    reasons = [e[2] for e in nest.events("parent") if e[:2] == ("Child", "CREATE_FAILED")]
    assert reasons == ["Requires capabilities : [CAPABILITY_IAM]"]


def test_template_url_outside_the_allowed_directory_fails_the_resource(nest):
    nest.create("parent", {"Child": {"Type": "AWS::CloudFormation::Stack",
                                     "Properties": {"TemplateURL": "file:///etc/passwd"}}})
    reasons = [e[2] for e in nest.events("parent") if e[:2] == ("Child", "CREATE_FAILED")]
    assert reasons == ["TemplateURL must be a supported URL."]


@pytest.mark.parametrize("operation,params", [
    ("continue_update_rollback", {}),
    ("cancel_update_stack", {}),
    ("rollback_stack", {}),
    ("update_termination_protection", {"EnableTerminationProtection": True}),
])
def test_operations_only_the_root_may_run_are_refused_on_a_child(nest, operation, params):
    nest.create("parent", parent_resources(nest))
    with pytest.raises(ServiceError) as caught:
        nest.call(operation, StackName=child_of(nest), **params)
    assert caught.value.code == "ValidationError" and "nested stack" in caught.value.message


def test_change_set_with_nested_stacks_shows_the_childs_changes(nest):
    parent_id = nest.create("parent", parent_resources(nest))
    child_id = child_of(nest)
    body = json.dumps({"Resources": parent_resources(nest, value="two")})
    root = nest.call("create_change_set", StackName="parent", ChangeSetName="deep", TemplateBody=body,
                     IncludeNestedStacks=True)
    nest.runtime.wait_for_background()
    described = nest.call("describe_change_set", ChangeSetName=root["Id"])
    assert (described["Status"], described["ExecutionStatus"]) == ("CREATE_COMPLETE", "AVAILABLE")
    assert described["IncludeNestedStacks"] is True and "ParentChangeSetId" not in described
    child_change = next(c["ResourceChange"] for c in described["Changes"]
                        if c["ResourceChange"]["LogicalResourceId"] == "Child")
    assert child_change["Action"] == "Modify" and child_change["PhysicalResourceId"] == child_id
    nested = nest.call("describe_change_set", ChangeSetName=child_change["ChangeSetId"])
    assert nested["StackId"] == child_id
    assert nested["ParentChangeSetId"] == root["Id"] and nested["RootChangeSetId"] == root["Id"]
    assert nested["Status"] == "CREATE_COMPLETE"
    assert [c["ResourceChange"]["LogicalResourceId"] for c in nested["Changes"]] == ["Inner"]
    assert {p["ParameterKey"]: p["ParameterValue"] for p in nested["Parameters"]}["Value"] == "two"
    listed = nest.call("list_change_sets", StackName=child_id)["Summaries"]
    assert [s["RootChangeSetId"] for s in listed] == [root["Id"]]

    with pytest.raises(ServiceError, match="nested change set"):
        nest.call("execute_change_set", ChangeSetName=nested["ChangeSetId"])
    with pytest.raises(ServiceError, match="nested change set"):
        nest.call("delete_change_set", ChangeSetName=nested["ChangeSetId"])
    nest.call("execute_change_set", ChangeSetName=root["Id"])
    assert nest.call("describe_change_set", ChangeSetName=nested["ChangeSetId"])["ExecutionStatus"] == \
        "EXECUTE_IN_PROGRESS"
    nest.worker.run_until_idle()
    assert nest.status(parent_id) == "UPDATE_COMPLETE"
    assert nest.call("describe_change_set", ChangeSetName=nested["ChangeSetId"])["ExecutionStatus"] == \
        "EXECUTE_COMPLETE"
    assert nest.call("describe_stacks", StackName=child_id)["Stacks"][0]["Outputs"][0]["OutputValue"] == "two"


def test_change_set_without_nested_stacks_makes_none(nest):
    nest.create("parent", parent_resources(nest))
    body = json.dumps({"Resources": parent_resources(nest, value="two")})
    root = nest.call("create_change_set", StackName="parent", ChangeSetName="flat", TemplateBody=body)
    nest.runtime.wait_for_background()
    described = nest.call("describe_change_set", ChangeSetName=root["Id"])
    assert described["IncludeNestedStacks"] is False
    assert all("ChangeSetId" not in c["ResourceChange"] for c in described["Changes"])
    assert nest.call("list_change_sets", StackName=child_of(nest))["Summaries"] == []


def test_parent_resource_names_the_child_before_the_child_exists(nest, monkeypatch):
    """Crash safety: at the moment the child row is written, the parent's resource already
    points at it; a rollback that finds no such child (the insert never happened) completes."""
    from sqlalchemy import select

    from cfnapi.engine import nested
    from cfnapi.engine.models import ResourceRow

    seen = {}

    class DyingRecorder(nested.Recorder):
        def new_stack(self, row):
            with nest.db.transaction() as session:
                seen["pointer"] = session.scalar(select(ResourceRow.physical_id).where(
                    ResourceRow.logical_id == "Child", ResourceRow.stack_id == row.parent_id))
            seen["child"] = row.stack_id
            raise RuntimeError("the process died here")

    monkeypatch.setattr(nested, "Recorder", DyingRecorder)
    nest.create("parent", parent_resources(nest))
    assert seen["pointer"] == seen["child"]
    assert nest.status("parent") == "ROLLBACK_COMPLETE"


def test_cancelling_the_parents_update_cancels_and_rolls_back_the_child(nest, tmp_path):
    import threading
    import time

    slow_child = {"Parameters": {"Value": {"Type": "String"}, "Delay": {"Type": "String", "Default": "0"}},
                  "Resources": {"Inner": {"Type": SLEEPER, "Properties": {
                      "Value": {"Ref": "Value"}, "UpdateDelay": {"Ref": "Delay"}}}}}
    (tmp_path / "slow.json").write_text(json.dumps(slow_child))
    url = f"file://{tmp_path / 'slow.json'}"

    def resources(value, delay):
        return {"Child": {"Type": "AWS::CloudFormation::Stack",
                          "Properties": {"TemplateURL": url, "Parameters": {"Value": value, "Delay": delay}}}}

    nest.create("parent", resources("one", "0"))
    child_id = child_of(nest)
    nest.call("update_stack", StackName="parent", TemplateBody=json.dumps({"Resources": resources("two", "60")}))
    runner = threading.Thread(target=nest.worker.run_until_idle)
    runner.start()
    deadline = time.monotonic() + 30
    while ("Inner", "UPDATE_IN_PROGRESS", None) not in nest.events(child_id):
        assert time.monotonic() < deadline
        time.sleep(0.01)
    nest.call("cancel_update_stack", StackName="parent")
    runner.join()
    while nest.status(child_id).endswith("IN_PROGRESS"):  # the child's own rollback, in its thread
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert nest.status("parent") == "UPDATE_ROLLBACK_COMPLETE"
    assert nest.status(child_id) == "UPDATE_ROLLBACK_COMPLETE"
    assert ("Inner", "UPDATE_FAILED", "Resource update cancelled") in nest.events(child_id)
    inner = nest.resources(child_id)["Inner"]["PhysicalResourceId"]
    assert nest.cloud.records[inner].properties["Value"] == "one"


def test_a_sibling_failure_cancels_the_child_being_created_and_rollback_deletes_it(nest, tmp_path):
    slow = {"Resources": {"Quick": {"Type": SLEEPER}, "Slow": {"Type": SLEEPER, "Properties": {"CreateDelay": "60"}}}}
    (tmp_path / "slow.json").write_text(json.dumps(slow))
    nest.create("parent", {
        "Child": {"Type": "AWS::CloudFormation::Stack", "Properties": {"TemplateURL": f"file://{tmp_path / 'slow.json'}"}},
        # Fails once the child is under way (its Slow resource waiting for a minute).
        "Broken": {"Type": SLEEPER, "Properties": {"FailOnCreate": "true", "CreateDelay": "1"}},
    })
    assert nest.status("parent") == "ROLLBACK_COMPLETE"
    events = nest.events("parent")
    assert ("Child", "CREATE_FAILED", "Resource creation cancelled") in events
    child_id = next(r["PhysicalResourceId"] for r in nest.call("describe_stack_resources", StackName="parent")[
        "StackResources"] if r["LogicalResourceId"] == "Child")
    child_stack_events = [e[1:] for e in nest.events(child_id) if e[0].startswith("parent-Child-")]
    assert child_stack_events == [("CREATE_IN_PROGRESS", "User Initiated"), ("DELETE_IN_PROGRESS", "User Initiated"),
                                  ("DELETE_COMPLETE", None)]
    assert ("Slow", "CREATE_COMPLETE", None) not in nest.events(child_id)
    assert nest.cloud.existing() == {}


def test_disable_rollback_keeps_the_failed_child_and_rollback_stack_restores_it(nest):
    nest.create("parent", parent_resources(nest))
    child_id = child_of(nest)
    nest.update("parent", parent_resources(nest, value="two", fail="true"), DisableRollback=True)
    assert nest.status("parent") == "UPDATE_FAILED"
    assert nest.status(child_id) == "UPDATE_FAILED"
    [reason] = [e[2] for e in nest.events("parent") if e[:2] == ("Child", "UPDATE_FAILED")]
    assert reason == (f"Embedded stack {child_id} was not successfully updated. Currently in UPDATE_FAILED "
                      "with reason: The following resource(s) failed to update: [Risky]. ")
    nest.call("rollback_stack", StackName="parent")
    nest.worker.run_until_idle()
    assert nest.status("parent") == "UPDATE_ROLLBACK_COMPLETE"
    child = nest.call("describe_stacks", StackName=child_id)["Stacks"][0]
    assert {p["ParameterKey"]: p["ParameterValue"] for p in child["Parameters"]} == {"Value": "one", "Fail": "false"}
    assert child["Outputs"][0]["OutputValue"] == "one"


def test_a_child_is_protected_by_its_roots_termination_protection(nest):
    nest.create("parent", parent_resources(nest), EnableTerminationProtection=True)
    child_id = child_of(nest)
    with pytest.raises(ServiceError, match="cannot be deleted while TerminationProtection is enabled"):
        nest.call("delete_stack", StackName=child_id)
    nest.call("update_termination_protection", StackName="parent", EnableTerminationProtection=False)
    nest.call("delete_stack", StackName="parent")
    nest.worker.run_until_idle()
    assert nest.status(child_id) == "DELETE_COMPLETE"


def test_child_timeout_fails_the_parents_resource(tmp_path):
    from cfnapi.engine.template_binding import TemplateCompiler
    from cfnapi.translate.testing import test_registry
    from tests.engine.conftest import Harness

    harness = Harness(tmp_path, compiler=TemplateCompiler(test_registry().supported()),
                      seconds_per_timeout_minute=0.3, poll_initial_seconds=0.005, poll_max_seconds=0.02,
                      watchdog_seconds=0.01)
    try:
        slow = {"Resources": {"Slow": {"Type": SLEEPER, "Properties": {"CreateDelay": "60"}}}}
        (tmp_path / "slow.json").write_text(json.dumps(slow))
        harness.runtime.url_policy = TemplateUrlPolicy(file_root=tmp_path)
        harness.create("parent", {"Child": {"Type": "AWS::CloudFormation::Stack", "Properties": {
            "TemplateURL": f"file://{tmp_path / 'slow.json'}", "TimeoutInMinutes": 1}}})
        assert harness.status("parent") == "ROLLBACK_COMPLETE"
        [reason] = [e[2] for e in harness.events("parent") if e[:2] == ("Child", "CREATE_FAILED")]
        assert reason.endswith(" was not successfully created: Stack creation time exceeded the specified timeout.")
        assert harness.cloud.existing() == {}
    finally:
        harness.runtime.shutdown()
        harness.db.dispose()


def test_every_parent_update_reaches_the_child_and_picks_up_its_changed_template(nest, tmp_path):
    nest.create("parent", parent_resources(nest))
    child_id = child_of(nest)
    changed = json.loads(json.dumps(CHILD))
    changed["Resources"]["Extra"] = {"Type": SLEEPER}
    (tmp_path / "child.json").write_text(json.dumps(changed))  # same TemplateURL, new template
    resources = parent_resources(nest)
    resources["Other"] = {"Type": SLEEPER}  # the parent's own template changes elsewhere
    nest.update("parent", resources)
    assert nest.status("parent") == "UPDATE_COMPLETE"
    assert ("Child", "UPDATE_COMPLETE", None) in nest.events("parent")
    assert "Extra" in nest.resources(child_id)
    assert nest.status(child_id) == "UPDATE_COMPLETE"


def test_parent_rollback_restores_a_child_whose_template_changed_behind_the_same_url(nest, tmp_path):
    nest.create("parent", parent_resources(nest))
    child_id = child_of(nest)
    changed = json.loads(json.dumps(CHILD))
    changed["Resources"]["Extra"] = {"Type": SLEEPER}
    (tmp_path / "child.json").write_text(json.dumps(changed))
    resources = parent_resources(nest)
    # The parent fails after the child's update completed.
    resources["Late"] = {"Type": SLEEPER, "DependsOn": "Child", "Properties": {"FailOnCreate": "true"}}
    nest.update("parent", resources)
    assert nest.status("parent") == "UPDATE_ROLLBACK_COMPLETE"
    # The child's update had completed but not cleaned up (that waits for the root): it rolls back.
    assert nest.status(child_id) == "UPDATE_ROLLBACK_COMPLETE"
    child_name = nest.call("describe_stacks", StackName=child_id)["Stacks"][0]["StackName"]
    assert [e[1] for e in nest.events(child_id) if e[0] == child_name][-5:] == [
        "UPDATE_IN_PROGRESS", "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", "UPDATE_ROLLBACK_IN_PROGRESS",
        "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS", "UPDATE_ROLLBACK_COMPLETE",
    ]
    assert "Extra" not in {lid for lid, r in nest.resources(child_id).items() if r["ResourceStatus"] != "DELETE_COMPLETE"}
    assert json.loads(nest.call("get_template", StackName=child_id)["TemplateBody"]) == CHILD
    assert set(nest.cloud.existing()) == {"Inner", "Risky", "User"}


def _events_in_order(harness, *stack_ids):
    """(stack name, logical id, status) of the stacks' events, across stacks, oldest first."""
    from sqlalchemy import select

    from cfnapi.engine.models import EventRow

    with harness.db.transaction() as session:
        rows = session.execute(
            select(EventRow.stack_name, EventRow.logical_id, EventRow.status)
            .where(EventRow.stack_id.in_(stack_ids)).order_by(EventRow.seq)
        ).all()
    return [tuple(r) for r in rows]


def test_a_childs_old_resources_are_cleaned_up_in_the_roots_cleanup(nest, tmp_path):
    parent_id = nest.create("parent", parent_resources(nest))
    child_id = child_of(nest)
    child_name = nest.call("describe_stacks", StackName=child_id)["Stacks"][0]["StackName"]
    shrunk = json.loads(json.dumps(CHILD))
    del shrunk["Resources"]["Risky"]
    (tmp_path / "child.json").write_text(json.dumps(shrunk))
    resources = parent_resources(nest)
    resources["Other"] = {"Type": SLEEPER}
    nest.update("parent", resources)
    assert nest.status("parent") == "UPDATE_COMPLETE" and nest.status(child_id) == "UPDATE_COMPLETE"
    assert set(nest.cloud.existing()) == {"Inner", "User", "Other"}
    events = _events_in_order(nest, parent_id, child_id)
    update_started = events.index(("parent", "parent", "UPDATE_IN_PROGRESS"))
    order = [e for e in events[update_started:] if e in {
        ("parent", "Child", "UPDATE_COMPLETE"),
        ("parent", "parent", "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"),
        (child_name, child_name, "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"),
        (child_name, "Risky", "DELETE_IN_PROGRESS"),
        (child_name, child_name, "UPDATE_COMPLETE"),
        ("parent", "parent", "UPDATE_COMPLETE"),
    }]
    assert order == [
        (child_name, child_name, "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"),  # the child's update is done …
        ("parent", "Child", "UPDATE_COMPLETE"),  # … which completes the parent's resource
        ("parent", "parent", "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"),
        (child_name, "Risky", "DELETE_IN_PROGRESS"),  # only now the child's removed resource goes
        (child_name, child_name, "UPDATE_COMPLETE"),
        ("parent", "parent", "UPDATE_COMPLETE"),
    ]


def test_an_unchanged_child_still_runs_an_update(nest):
    nest.create("parent", parent_resources(nest))
    child_id = child_of(nest)
    child_name = nest.call("describe_stacks", StackName=child_id)["Stacks"][0]["StackName"]
    resources = parent_resources(nest)
    resources["Other"] = {"Type": SLEEPER}  # the parent changes; the child's template and parameters do not
    created = len(nest.events(child_id))
    nest.update("parent", resources)
    assert nest.status("parent") == "UPDATE_COMPLETE"
    # AWS: every nested stack is updated with its parent, with the child's stack events
    # even when nothing in it changes (and no resource events).
    assert nest.events(child_id)[created:] == [
        (child_name, "UPDATE_IN_PROGRESS", "User Initiated"),
        (child_name, "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", None),
        (child_name, "UPDATE_COMPLETE", None),
    ]
    assert [e for e in nest.events("parent") if e[0] == "Child"][-2:] == [
        ("Child", "UPDATE_IN_PROGRESS", None), ("Child", "UPDATE_COMPLETE", None)]

def _create_in_background(harness, name, resources):
    """Create ``name`` on a thread; the test's join bounds how long a deadlock may hang it."""
    import threading

    thread = threading.Thread(target=harness.create, args=(name, resources), daemon=True)
    thread.start()
    return thread


@pytest.mark.parametrize("children,resource_threads", [(6, 2), (100, 32)])
def test_more_nested_stacks_than_resource_threads_all_complete(tmp_path, children, resource_threads):
    """Waiting for a child holds no resource-pool thread: with every pool thread held
    by a waiting parent resource, the children's resources could never run."""
    from cfnapi.engine.template_binding import TemplateCompiler
    from cfnapi.translate.testing import test_registry
    from tests.engine.conftest import Harness

    harness = Harness(tmp_path, compiler=TemplateCompiler(test_registry().supported()),
                      resource_threads=resource_threads)
    creating = None
    try:
        (tmp_path / "leaf.json").write_text(json.dumps({"Resources": {"Inner": {"Type": SLEEPER}}}))
        harness.runtime.url_policy = TemplateUrlPolicy(file_root=tmp_path)
        resources = {f"Child{i}": {"Type": "AWS::CloudFormation::Stack",
                                   "Properties": {"TemplateURL": f"file://{tmp_path / 'leaf.json'}"}}
                     for i in range(children)}
        creating = _create_in_background(harness, "wide", resources)
        creating.join(timeout=60)
        assert not creating.is_alive(), "the parent's create never finished (pool exhausted)"
        assert harness.status("wide") == "CREATE_COMPLETE"
        child_ids = [r["PhysicalResourceId"] for r in harness.resources("wide").values()]
        assert len(child_ids) == children
        assert {harness.status(c) for c in child_ids} == {"CREATE_COMPLETE"}
        assert len([r for r in harness.cloud.records.values() if r.delete_started is None]) == children
    finally:
        if creating is None or not creating.is_alive():  # a deadlocked pool would never shut down
            harness.runtime.shutdown()
            harness.db.dispose()


def test_a_child_shows_its_roots_disable_rollback(nest):
    nest.create("parent", parent_resources(nest, fail="true"), DisableRollback=True)
    assert nest.status("parent") == "CREATE_FAILED"
    child = nest.call("describe_stacks", StackName=child_of(nest))["Stacks"][0]
    assert child["StackStatus"] == "CREATE_FAILED" and child["DisableRollback"] is True


def _nested_create_change_set(harness, root_id):
    """The root change set's nested change set for the added ``Child``, described."""
    described = harness.call("describe_change_set", ChangeSetName=root_id)
    assert (described["Status"], described["ExecutionStatus"]) == ("CREATE_COMPLETE", "AVAILABLE")
    child_change = next(c["ResourceChange"] for c in described["Changes"]
                        if c["ResourceChange"]["LogicalResourceId"] == "Child")
    assert child_change["Action"] == "Add"
    nested = harness.call("describe_change_set", ChangeSetName=child_change["ChangeSetId"])
    assert nested["ParentChangeSetId"] == root_id and nested["RootChangeSetId"] == root_id
    assert nested["Status"] == "CREATE_COMPLETE"
    assert sorted((c["ResourceChange"]["LogicalResourceId"], c["ResourceChange"]["Action"])
                  for c in nested["Changes"]) == [("Inner", "Add"), ("Risky", "Add")]
    # AWS makes the child stack at once, in REVIEW_IN_PROGRESS, as for any CREATE change set.
    child = harness.call("describe_stacks", StackName=nested["StackId"])["Stacks"][0]
    assert child["StackStatus"] == "REVIEW_IN_PROGRESS" and child["StackName"].startswith("parent-Child-")
    return nested


def test_create_change_set_with_nested_stacks_makes_a_nested_create_change_set(nest):
    body = json.dumps({"Resources": parent_resources(nest)})
    root = nest.call("create_change_set", StackName="parent", ChangeSetName="first", TemplateBody=body,
                     ChangeSetType="CREATE", IncludeNestedStacks=True)
    nest.runtime.wait_for_background()
    nested = _nested_create_change_set(nest, root["Id"])
    assert nest.call("describe_stacks", StackName=nested["StackId"])["Stacks"][0]["ParentId"] == root["StackId"]
    nest.call("execute_change_set", ChangeSetName=root["Id"])
    nest.worker.run_until_idle()
    assert nest.status("parent") == "CREATE_COMPLETE"
    assert child_of(nest) == nested["StackId"]  # the reviewed stack is the one created
    assert nest.status(nested["StackId"]) == "CREATE_COMPLETE"
    children = [s for s in nest.call("list_stacks")["StackSummaries"] if s["StackName"].startswith("parent-Child-")]
    assert len(children) == 1


def test_update_change_set_adding_a_nested_stack_makes_a_nested_create_change_set(nest):
    nest.create("parent", {"Other": {"Type": SLEEPER}})
    body = json.dumps({"Resources": {"Other": {"Type": SLEEPER}, **parent_resources(nest)}})
    root = nest.call("create_change_set", StackName="parent", ChangeSetName="grow", TemplateBody=body,
                     IncludeNestedStacks=True)
    nest.runtime.wait_for_background()
    nested = _nested_create_change_set(nest, root["Id"])
    nest.call("execute_change_set", ChangeSetName=root["Id"])
    nest.worker.run_until_idle()
    assert nest.status("parent") == "UPDATE_COMPLETE"
    assert child_of(nest) == nested["StackId"] and nest.status(nested["StackId"]) == "CREATE_COMPLETE"


def test_deleting_the_root_change_set_deletes_the_child_it_made_for_review(nest):
    body = json.dumps({"Resources": parent_resources(nest)})
    root = nest.call("create_change_set", StackName="parent", ChangeSetName="first", TemplateBody=body,
                     ChangeSetType="CREATE", IncludeNestedStacks=True)
    nest.runtime.wait_for_background()
    nested = _nested_create_change_set(nest, root["Id"])
    nest.call("delete_change_set", ChangeSetName=root["Id"])
    assert nest.status(nested["StackId"]) == "DELETE_COMPLETE"
    with pytest.raises(ServiceError):
        nest.call("describe_change_set", ChangeSetName=nested["ChangeSetId"])


def test_an_updated_child_keeps_the_capabilities_its_parent_gave(nest):
    nest.create("parent", parent_resources(nest), Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"])
    child_id = child_of(nest)
    created = nest.call("describe_stacks", StackName=child_id)["Stacks"][0]
    assert created["Capabilities"] == ["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"]

    nest.update("parent", parent_resources(nest, value="two"), Capabilities=["CAPABILITY_IAM"])

    updated = nest.call("describe_stacks", StackName=child_id)["Stacks"][0]
    assert updated["StackStatus"] == "UPDATE_COMPLETE"
    assert updated["Capabilities"] == ["CAPABILITY_IAM"]  # what this update gave the parent


@pytest.mark.parametrize("change_set_type", ["CREATE", "UPDATE"])
def test_deleting_the_parent_deletes_the_child_a_nested_create_change_set_made(nest, change_set_type):
    # AWS deletes a stack's change sets with it, and a nested stack with its parent: the child made
    # for review (REVIEW_IN_PROGRESS) is in no resource of the parent, so it must go with the change set.
    if change_set_type == "UPDATE":
        nest.create("parent", {"Other": {"Type": SLEEPER}})
    body = json.dumps({"Resources": {"Other": {"Type": SLEEPER}, **parent_resources(nest)}})
    root = nest.call("create_change_set", StackName="parent", ChangeSetName="open", TemplateBody=body,
                     ChangeSetType=change_set_type, IncludeNestedStacks=True)
    nest.runtime.wait_for_background()
    nested = _nested_create_change_set(nest, root["Id"])

    nest.call("delete_stack", StackName=root["StackId"])
    nest.worker.run_until_idle()

    assert nest.status(root["StackId"]) == "DELETE_COMPLETE"
    assert nest.status(nested["StackId"]) == "DELETE_COMPLETE"
    live = [s["StackName"] for s in nest.call("list_stacks")["StackSummaries"] if s["StackStatus"] != "DELETE_COMPLETE"]
    assert live == []
    for gone in (root["Id"], nested["ChangeSetId"]):
        with pytest.raises(ServiceError):
            nest.call("describe_change_set", ChangeSetName=gone)
    assert nest.cloud.existing() == {}


def test_a_parent_change_set_modifies_an_untouched_nested_stack_automatically(nest):
    resources = parent_resources(nest)
    resources["Other"] = {"Type": SLEEPER, "Properties": {"Value": "a"}}
    nest.create("parent", resources)
    resources["Other"]["Properties"]["Value"] = "b"
    root = nest.call("create_change_set", StackName="parent", ChangeSetName="auto",
                     TemplateBody=json.dumps({"Resources": resources}))
    nest.runtime.wait_for_background()
    changes = {c["ResourceChange"]["LogicalResourceId"]: c["ResourceChange"]
               for c in nest.call("describe_change_set", ChangeSetName=root["Id"])["Changes"]}
    # Only Other was edited; the child's template may have changed, so AWS updates it too.
    assert set(changes) == {"Other", "Child"}
    assert changes["Child"]["Action"] == "Modify" and changes["Child"]["Replacement"] == "False"
    assert changes["Child"]["PhysicalResourceId"] == child_of(nest)
    assert [d["ChangeSource"] for d in changes["Child"]["Details"]] == ["Automatic"]
    assert changes["Other"]["Details"][0]["ChangeSource"] == "DirectModification"
