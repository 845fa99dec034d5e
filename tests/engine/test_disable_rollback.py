"""UpdateStack with DisableRollback: UPDATE_FAILED keeps what was done; then
UpdateStack resumes, RollbackStack returns to the last stable state, and
ContinueUpdateRollback is refused (it is only for UPDATE_ROLLBACK_FAILED)."""

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
