"""UpdateStack: in place, replacement with cleanup, rollback to the previous state, cancel."""

import pytest

from cfnapi.errors import ServiceError
from tests.engine.conftest import sleeper


def _stack_events_since_update(events):
    start = max(i for i, e in enumerate(events) if e[1] == "UPDATE_IN_PROGRESS" and e[2] == "User Initiated")
    return events[start:]


def test_in_place_update_event_sequence(engine):
    stack_id = engine.create("up", {"A": sleeper(Value="1")})
    physical = engine.cloud.existing()["A"]
    engine.update("up", {"A": sleeper(Value="2")})
    assert engine.status("up") == "UPDATE_COMPLETE"
    assert engine.cloud.existing() == {"A": physical}
    assert engine.cloud.records[physical].properties["Value"] == "2"
    assert _stack_events_since_update(engine.events(stack_id)) == [
        ("up", "UPDATE_IN_PROGRESS", "User Initiated"),
        ("A", "UPDATE_IN_PROGRESS", None),
        ("A", "UPDATE_COMPLETE", None),
        ("up", "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", None),
        ("up", "UPDATE_COMPLETE", None),
    ]


def test_replacement_creates_new_repoints_dependents_and_deletes_old_in_cleanup(engine):
    stack_id = engine.create("rep", {"A": sleeper(ReplaceMe="1"), "B": sleeper(Inputs={"Ref": "A"})})
    old_a = engine.cloud.existing()["A"]
    engine.update("rep", {"A": sleeper(ReplaceMe="2"), "B": sleeper(Inputs={"Ref": "A"})})
    assert engine.status("rep") == "UPDATE_COMPLETE"
    now = engine.cloud.existing()
    assert now["A"] != old_a
    assert engine.cloud.records[now["B"]].properties["Inputs"] == now["A"]  # repointed in place
    events = _stack_events_since_update(engine.events(stack_id))
    assert events[:4] == [
        ("rep", "UPDATE_IN_PROGRESS", "User Initiated"),
        ("A", "UPDATE_IN_PROGRESS", "Requested update requires the creation of a new physical resource; hence creating one."),
        ("A", "UPDATE_IN_PROGRESS", "Resource creation Initiated"),
        ("A", "UPDATE_COMPLETE", None),
    ]
    cleanup = events.index(("rep", "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", None))
    assert events[cleanup + 1 :] == [
        ("A", "DELETE_IN_PROGRESS", None),
        ("A", "DELETE_COMPLETE", None),
        ("rep", "UPDATE_COMPLETE", None),
    ]
    assert set(engine.resources("rep")) == {"A", "B"}


def test_custom_named_resource_cannot_be_replaced(engine):
    engine.create("named", {"A": sleeper(Name="fixed", ReplaceMe="1")})
    engine.update("named", {"A": sleeper(Name="fixed", ReplaceMe="2")})
    assert engine.status("named") == "UPDATE_ROLLBACK_COMPLETE"
    assert any(
        r and r.startswith("CloudFormation cannot update a stack when a custom-named resource requires replacing")
        for _, _, r in engine.events("named")
    )


def test_custom_named_resource_is_replaced_when_the_name_changes_too(engine):
    engine.create("renamed", {"A": sleeper(Name="first", ReplaceMe="1")})
    old = engine.cloud.existing()["A"]
    engine.update("renamed", {"A": sleeper(Name="second", ReplaceMe="2")})
    assert engine.status("renamed") == "UPDATE_COMPLETE"
    assert engine.cloud.existing()["A"] != old


def test_failure_mid_update_rolls_back_to_previous_state(engine):
    stack_id = engine.create(
        "rb", {"A": sleeper(Value="1"), "R": sleeper(ReplaceMe="1"), "Gone": sleeper(), "Bad": sleeper(Value="1")}
    )
    before = engine.cloud.existing()
    engine.update(
        "rb",
        {
            "A": sleeper(Value="2"),
            "R": sleeper(ReplaceMe="2"),
            "New": sleeper(),
            "Bad": {**sleeper(Value="2", FailOnUpdate="true"), "DependsOn": ["A", "R", "New"]},
        },
    )
    assert engine.status("rb") == "UPDATE_ROLLBACK_COMPLETE"
    assert engine.cloud.existing() == before  # replacement and new resource cleaned up, old ones back
    assert engine.cloud.records[before["A"]].properties["Value"] == "1"
    assert set(engine.resources("rb")) == {"A", "R", "Gone", "Bad"}
    assert engine.resources("rb")["R"]["PhysicalResourceId"] == before["R"]
    events = _stack_events_since_update(engine.events(stack_id))
    assert ("rb", "UPDATE_ROLLBACK_IN_PROGRESS", "The following resource(s) failed to update: [Bad]. ") in events
    assert events[-1] == ("rb", "UPDATE_ROLLBACK_COMPLETE", None)
    assert ("rb", "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS", None) in events
    template = engine.call("get_template", StackName="rb")["TemplateBody"]
    assert '"Gone"' in template  # the previous template is the stack's template again


def test_cancel_update_rolls_back(engine):
    engine.create("cx", {"A": sleeper(Value="1")})
    engine.call(
        "update_stack",
        StackName="cx",
        TemplateBody='{"Resources": {"A": {"Type": "Test::Engine::Sleeper", "Properties": {"Value": "2", "UpdateDelay": "30"}}}}',
    )
    engine.call("cancel_update_stack", StackName="cx")
    engine.worker.run_until_idle()
    events = engine.events("cx")
    assert ("A", "UPDATE_FAILED", "Resource update cancelled") in events
    assert ("cx", "UPDATE_ROLLBACK_IN_PROGRESS", "Stack update cancelled") in events
    assert engine.status("cx") == "UPDATE_ROLLBACK_COMPLETE"
    physical = engine.cloud.existing()["A"]
    assert engine.cloud.records[physical].properties["Value"] == "1"


def test_update_errors_worded_as_aws(engine):
    stack_id = engine.create("err", {"A": sleeper(Value="1")})
    with pytest.raises(ServiceError, match="No updates are to be performed."):
        engine.update("err", {"A": sleeper(Value="1")})
    with pytest.raises(ServiceError, match=r"Stack \[err\] already exists") as info:
        engine.create("err", {"A": sleeper()})
    assert info.value.code == "AlreadyExistsException"
    engine.call("update_stack", StackName="err", TemplateBody='{"Resources": {"A": {"Type": "Test::Engine::Sleeper"}}}')
    with pytest.raises(ServiceError, match=f"Stack:{stack_id} is in UPDATE_IN_PROGRESS state and can not be updated."):
        engine.update("err", {"A": sleeper(Value="3")})
    with pytest.raises(ServiceError, match="Stack with id nope does not exist"):
        engine.call("describe_stacks", StackName="nope")
    with pytest.raises(ServiceError) as info:
        engine.create("iam", {"Role": {"Type": "AWS::IAM::Role"}})
    assert info.value.code == "InsufficientCapabilitiesException"
