"""SignalResource is accepted only while a resource waits for signals (AWS's refusals)."""

import json
import threading
import time

import pytest

from cfnapi.engine.models import ResourceRow, StackRow
from cfnapi.engine.signal_rules import check_signal_accepted
from cfnapi.errors import ServiceError
from tests.engine.conftest import SLEEPER_TYPE, sleeper

STACK_ID = "arn:aws:cloudformation:us-east-1:123456789012:stack/s/1"


def _stack(status="CREATE_IN_PROGRESS", count=2):
    body = {"Resources": {
        "Waiter": {"Type": SLEEPER_TYPE, "CreationPolicy": {"ResourceSignal": {"Count": count, "Timeout": "PT1M"}}},
        "Plain": {"Type": SLEEPER_TYPE},
        "Handle": {"Type": "AWS::CloudFormation::WaitConditionHandle"},
    }, "Parameters": {"N": {"Type": "Number"}}}
    return StackRow(stack_id=STACK_ID, status=status, template_body=json.dumps(body), parameters={"N": "3"})


def _resource(logical_id="Waiter", status="CREATE_IN_PROGRESS", type_name=SLEEPER_TYPE):
    return ResourceRow(logical_id=logical_id, status=status, type=type_name)


def _refusal(stack, resource, successes=(), unique_id="i-1"):
    with pytest.raises(ServiceError) as caught:
        check_signal_accepted(stack, resource, set(successes), unique_id)
    assert caught.value.code == "ValidationError"
    return caught.value.message


def test_a_waiting_resource_takes_signals_until_its_count_and_resent_ones_after():
    check_signal_accepted(_stack(), _resource(), set(), "i-1")
    check_signal_accepted(_stack(), _resource(), {"i-1"}, "i-2")
    check_signal_accepted(_stack(), _resource(), {"i-1", "i-2"}, "i-2")  # resent: counts once, not refused
    assert _refusal(_stack(), _resource(), {"i-1", "i-2"}, "i-3") == (
        "Resource Waiter has already received the 2 signal(s) its CreationPolicy requires and cannot be signaled")


def test_a_count_given_by_a_parameter_is_read_from_the_stack():
    stack = _stack(count={"Ref": "N"})
    check_signal_accepted(stack, _resource(), {"a", "b"}, "c")
    assert "already received the 3 signal(s)" in _refusal(stack, _resource(), {"a", "b", "c"}, "d")


def test_refusals_for_a_finished_stack_a_finished_resource_and_one_without_a_creation_policy():
    assert _refusal(_stack("CREATE_COMPLETE"), _resource(status="CREATE_COMPLETE")) == (
        f"Stack {STACK_ID} is in CREATE_COMPLETE state and cannot be signaled")
    assert _refusal(_stack(), _resource(status="CREATE_COMPLETE")) == (
        "Resource Waiter is in CREATE_COMPLETE state and cannot be signaled")
    assert _refusal(_stack(), _resource("Plain")) == (
        "Resource Plain does not have a CreationPolicy ResourceSignal and cannot be signaled")


def test_wait_condition_handles_and_scaling_groups_are_not_checked():
    check_signal_accepted(_stack("CREATE_COMPLETE"), _resource("Handle", "CREATE_COMPLETE",
                                                              "AWS::CloudFormation::WaitConditionHandle"), set(), "x")
    check_signal_accepted(_stack("UPDATE_COMPLETE"), _resource("Group", "CREATE_COMPLETE",
                                                              "AWS::AutoScaling::AutoScalingGroup"), set(), "x")


def _signal(engine, logical_id, unique_id, status="SUCCESS"):
    return engine.call("signal_resource", StackName="sig", LogicalResourceId=logical_id, UniqueId=unique_id,
                       Status=status)


def _refused(engine, logical_id, unique_id):
    with pytest.raises(ServiceError) as caught:
        _signal(engine, logical_id, unique_id)
    return caught.value.message


def test_signals_through_the_engine_complete_the_resource_and_later_ones_are_refused(engine):
    waiter = {**sleeper(), "CreationPolicy": {"ResourceSignal": {"Count": 1, "Timeout": "PT1M"}}}
    body = json.dumps({"Resources": {"Waiter": waiter, "Plain": sleeper()}})
    stack_id = engine.call("create_stack", StackName="sig", TemplateBody=body)["StackId"]
    worker = threading.Thread(target=engine.worker.run_until_idle)
    worker.start()
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # bounded wait for the engine to reach the signal wait
            statuses = {r["LogicalResourceId"]: r["ResourceStatus"] for r in engine.call(
                "describe_stack_resources", StackName="sig")["StackResources"]}
            if statuses.get("Waiter") == "CREATE_IN_PROGRESS" and statuses.get("Plain") == "CREATE_COMPLETE":
                break
            time.sleep(0.01)
        assert _refused(engine, "Plain", "i-0") == "Resource Plain is in CREATE_COMPLETE state and cannot be signaled"
        _signal(engine, "Waiter", "i-1")
    finally:
        worker.join(timeout=60)
    assert engine.status("sig") == "CREATE_COMPLETE"
    assert _refused(engine, "Waiter", "i-2") == f"Stack {stack_id} is in CREATE_COMPLETE state and cannot be signaled"
    signals = [e for e in engine.events("sig") if e[2] and e[2].startswith("Received")]
    assert signals == [("Waiter", "CREATE_IN_PROGRESS", "Received SUCCESS signal with UniqueId i-1")]


def test_a_replacement_waits_for_signals_of_its_own(engine):
    def waiter(replace_me):
        return {**sleeper(ReplaceMe=replace_me), "CreationPolicy": {"ResourceSignal": {"Count": 1, "Timeout": "PT1S"}}}

    body = json.dumps({"Resources": {"Waiter": waiter("1")}})
    engine.call("create_stack", StackName="sig", TemplateBody=body)
    worker = threading.Thread(target=engine.worker.run_until_idle)
    worker.start()
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                _signal(engine, "Waiter", "first")
                break
            except ServiceError:  # not waiting yet
                time.sleep(0.01)
    finally:
        worker.join(timeout=60)
    assert engine.status("sig") == "CREATE_COMPLETE"

    # Nobody signals the replacement: its predecessor's signal must not complete it.
    engine.update("sig", {"Waiter": waiter("2")})
    assert engine.status("sig") == "UPDATE_ROLLBACK_COMPLETE"
    assert ("Waiter", "UPDATE_FAILED", "Failed to receive 1 resource signal(s) within the specified duration") in (
        engine.events("sig"))
