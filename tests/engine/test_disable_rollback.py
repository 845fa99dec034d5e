"""UpdateStack with DisableRollback: UPDATE_FAILED keeps what was done; then
UpdateStack resumes, RollbackStack returns to the last stable state, and
ContinueUpdateRollback is refused (it is only for UPDATE_ROLLBACK_FAILED). Then the
failures of a rollback itself: UPDATE_ROLLBACK_FAILED left by ContinueUpdateRollback (with
and without ResourcesToSkip), and ROLLBACK_FAILED left by deleting with RetainResources."""

import pytest

from cfnapi.errors import ServiceError
from tests.engine.conftest import sleeper

STABLE = {"A": sleeper(Value="1"), "Bad": sleeper(Value="1")}
FAILING = {
    "A": sleeper(Value="2"),
    "New": sleeper(),
    "Bad": {**sleeper(Value="2", FailOnUpdate="true"), "DependsOn": ["A", "New"]},
}


@pytest.fixture
def failed(engine):
    engine.create("dr", STABLE)
    engine.before = engine.cloud.existing()
    engine.update("dr", FAILING, DisableRollback=True)
    return engine


def test_failed_update_stops_in_update_failed_without_rollback(failed):
    assert failed.status("dr") == "UPDATE_FAILED"
    stack = failed.call("describe_stacks", StackName="dr")["Stacks"][0]
    assert stack["StackStatusReason"] == "The following resource(s) failed to update: [Bad]. "
    assert stack["DisableRollback"] is True
    events = failed.events("dr")
    assert events[-1] == ("dr", "UPDATE_FAILED", "The following resource(s) failed to update: [Bad]. ")
    assert not any(e[1].startswith("UPDATE_ROLLBACK") for e in events)
    # What succeeded stays: A updated, New created.
    now = failed.cloud.existing()
    assert failed.cloud.records[now["A"]].properties["Value"] == "2" and "New" in now


def test_rollback_stack_returns_to_the_last_stable_state(failed):
    failed.call("rollback_stack", StackName="dr")
    failed.worker.run_until_idle()
    assert failed.status("dr") == "UPDATE_ROLLBACK_COMPLETE"
    assert failed.cloud.existing() == failed.before
    assert failed.cloud.records[failed.before["A"]].properties["Value"] == "1"
    assert '"New"' not in failed.call("get_template", StackName="dr")["TemplateBody"]


def test_update_resumes_and_a_later_rollback_still_goes_to_the_stable_state(failed):
    fixed = {**FAILING, "Bad": {**sleeper(Value="3"), "DependsOn": ["A", "New"]}}
    # From UPDATE_FAILED the same template may be sent again (a retry) as well as a fixed one.
    failed.update("dr", FAILING, DisableRollback=True)
    assert failed.status("dr") == "UPDATE_FAILED"
    failed.update("dr", {**fixed, "Extra": {**sleeper(), "DependsOn": ["Bad"]},
                         "Bad": {**sleeper(Value="3", FailOnUpdate="true"), "DependsOn": ["A", "New"]}})
    # Without DisableRollback this time, the failure rolls back to the state before the first update.
    assert failed.status("dr") == "UPDATE_ROLLBACK_COMPLETE"
    assert failed.cloud.existing() == failed.before
    failed.update("dr", FAILING, DisableRollback=True)
    failed.update("dr", fixed, DisableRollback=True)
    assert failed.status("dr") == "UPDATE_COMPLETE"
    now = failed.cloud.existing()
    assert failed.cloud.records[now["Bad"]].properties["Value"] == "3" and set(now) == {"A", "New", "Bad"}


def test_continue_update_rollback_is_only_for_update_rollback_failed(failed):
    with pytest.raises(ServiceError, match="UPDATE_FAILED state and can not continue update rollback"):
        failed.call("continue_update_rollback", StackName="dr")


def test_resumed_update_retries_a_resource_whose_create_failed(engine):
    engine.create("cr", {"A": sleeper(Value="1")})
    engine.update("cr", {"A": sleeper(Value="1"), "B": sleeper(FailOnCreate="true")}, DisableRollback=True)
    assert engine.status("cr") == "UPDATE_FAILED"
    assert engine.resources("cr")["B"]["ResourceStatus"] == "CREATE_FAILED"
    engine.update("cr", {"A": sleeper(Value="1"), "B": sleeper()}, DisableRollback=True)
    assert engine.status("cr") == "UPDATE_COMPLETE"
    assert engine.resources("cr")["B"]["ResourceStatus"] == "CREATE_COMPLETE"
    assert set(engine.cloud.existing()) == {"A", "B"}  # the failed attempt's leftover was cleaned up


# --- UPDATE_ROLLBACK_FAILED and ContinueUpdateRollback -----------------------------------------
# A fails to go back: its previous properties say FailOnUpdate, so the rollback's update of A
# fails (the forward update to Value 2, without FailOnUpdate, succeeded). Bad fails forward;
# Fine is updated and rolled back without trouble; Same is not touched.
UNRESTORABLE = {"A": sleeper(Value="1", FailOnUpdate="true"), "Bad": {**sleeper(Value="1"), "DependsOn": ["A"]},
                "Fine": sleeper(Value="1"), "Same": sleeper()}
BREAKS_ROLLBACK = {"A": sleeper(Value="2"), "Bad": {**sleeper(Value="2", FailOnUpdate="true"), "DependsOn": ["A"]},
                   "Fine": sleeper(Value="2"), "Same": sleeper()}


@pytest.fixture
def rollback_failed(engine):
    engine.create("rf", UNRESTORABLE)
    engine.update("rf", BREAKS_ROLLBACK)
    assert engine.status("rf") == "UPDATE_ROLLBACK_FAILED"
    resources = engine.resources("rf")
    assert resources["A"]["ResourceStatus"] == "UPDATE_FAILED"  # its rollback failed
    assert resources["Fine"]["ResourceStatus"] == "UPDATE_COMPLETE"  # rolled back fine
    assert resources["Same"]["ResourceStatus"] == "CREATE_COMPLETE"
    return engine


@pytest.mark.parametrize("skip, refused", [
    (["Nope"], "ResourcesToSkip [Nope] are not resources of stack rf"),
    (["A", "Nope"], "ResourcesToSkip [Nope] are not resources of stack rf"),
    (["Fine"], "Resources [Fine] cannot be skipped: only resources in UPDATE_FAILED state"),
    (["A", "Same"], "Resources [Same] cannot be skipped: only resources in UPDATE_FAILED state"),
])
def test_continue_update_rollback_refuses_resources_it_cannot_skip(rollback_failed, skip, refused):
    events_before = rollback_failed.events("rf")
    with pytest.raises(ServiceError, match=refused.replace("[", r"\[").replace("]", r"\]")) as error:
        rollback_failed.call("continue_update_rollback", StackName="rf", ResourcesToSkip=skip)
    assert error.value.code == "ValidationError"
    rollback_failed.worker.run_until_idle()
    # Nothing changed: no rollback started, no event written.
    assert rollback_failed.status("rf") == "UPDATE_ROLLBACK_FAILED"
    assert rollback_failed.events("rf") == events_before


def test_continue_without_skipping_fails_again_then_skipping_the_failed_resource_completes(rollback_failed):
    h = rollback_failed
    h.call("continue_update_rollback", StackName="rf")
    h.worker.run_until_idle()
    assert h.status("rf") == "UPDATE_ROLLBACK_FAILED"  # A still cannot go back
    assert [e[1] for e in h.events("rf") if e[0] == "rf"][-2:] == ["UPDATE_ROLLBACK_IN_PROGRESS",
                                                                    "UPDATE_ROLLBACK_FAILED"]
    h.call("continue_update_rollback", StackName="rf", ResourcesToSkip=["A"])
    h.worker.run_until_idle()
    assert h.status("rf") == "UPDATE_ROLLBACK_COMPLETE"
    assert ("A", "UPDATE_COMPLETE", "Resource skipped during continue update rollback") in h.events("rf")
    # Skipped means left as it is: A keeps the properties of the failed update, as AWS warns.
    assert h.cloud.records[h.cloud.existing()["A"]].properties["Value"] == "2"
    assert h.resources("rf")["A"]["ResourceStatus"] == "UPDATE_COMPLETE"


# --- ROLLBACK_FAILED → DeleteStack → DELETE_FAILED → DeleteStack with RetainResources --------


def test_a_stack_whose_rollback_failed_is_deleted_retaining_what_cannot_be_deleted(engine):
    engine.create("rb", {"Stuck": sleeper(FailOnDelete="true"),
                         "Broken": {**sleeper(FailOnCreate="true"), "DependsOn": ["Stuck"]}})
    assert engine.status("rb") == "ROLLBACK_FAILED"
    stuck = engine.cloud.existing()["Stuck"]
    with pytest.raises(ServiceError, match="RetainResources may only be specified when the stack is in DELETE_FAILED"):
        engine.call("delete_stack", StackName="rb", RetainResources=["Stuck"])
    engine.call("delete_stack", StackName="rb")
    engine.worker.run_until_idle()
    assert engine.status("rb") == "DELETE_FAILED"
    assert engine.resources("rb")["Stuck"]["ResourceStatus"] == "DELETE_FAILED"
    stack_id = engine.call("describe_stacks", StackName="rb")["Stacks"][0]["StackId"]
    engine.call("delete_stack", StackName="rb", RetainResources=["Stuck"])
    engine.worker.run_until_idle()
    final = engine.call("describe_stacks", StackName=stack_id)["Stacks"][0]
    assert final["StackStatus"] == "DELETE_COMPLETE"
    assert engine.cloud.existing() == {"Stuck": stuck}  # retained: still in the cloud
    assert ("Stuck", "DELETE_SKIPPED", None) in [(e[0], e[1], None) for e in engine.events(stack_id)]
