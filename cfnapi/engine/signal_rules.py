"""When SignalResource is accepted: only while a resource is waiting for signals.

AWS refuses a signal for a stack that is not in an operation ("Stack … is in
CREATE_COMPLETE state and cannot be signaled", as cfn-signal users see it), for a
resource that is not being created or replaced, for one without a CreationPolicy
ResourceSignal, and a signal with a new UniqueId once the Count has been reached.
A resent signal (same UniqueId) stays accepted and counts once.

Two types consume signals on their own terms and are not checked here: a
WaitConditionHandle (its presigned URL stands for an S3 object AWS writes at any
time) and an Auto Scaling group, whose members signal whenever the group launches
them (a replacement after a health check, long after the stack completed).
"""

from __future__ import annotations

from typing import Any

from cfnapi.engine.models import ResourceRow, StackRow
from cfnapi.errors import validation_error
from cfnapi.template.loader import load_template_data

SIGNALLED_OUTSIDE_OPERATIONS = frozenset({
    "AWS::CloudFormation::WaitConditionHandle",
    "AWS::AutoScaling::AutoScalingGroup",
})
WAITING_STATUSES = frozenset({"CREATE_IN_PROGRESS", "UPDATE_IN_PROGRESS"})  # a create, or a replacement's create


def check_signal_accepted(stack: StackRow, resource: ResourceRow, successes: set[str], unique_id: str) -> None:
    """Raise AWS's ValidationError unless ``resource`` is waiting for this signal.
    ``successes`` are the UniqueIds of the SUCCESS signals it has already received."""
    if resource.type in SIGNALLED_OUTSIDE_OPERATIONS:
        return
    if not stack.status.endswith("_IN_PROGRESS"):
        raise validation_error(f"Stack {stack.stack_id} is in {stack.status} state and cannot be signaled")
    if resource.status not in WAITING_STATUSES:
        raise validation_error(f"Resource {resource.logical_id} is in {resource.status} state and cannot be signaled")
    policy = _resource_signal_policy(stack, resource.logical_id)
    if policy is None:
        raise validation_error(
            f"Resource {resource.logical_id} does not have a CreationPolicy ResourceSignal and cannot be signaled"
        )
    count = _count(policy, stack.parameters or {})
    if unique_id not in successes and count is not None and len(successes) >= count:
        raise validation_error(
            f"Resource {resource.logical_id} has already received the {count} signal(s) its CreationPolicy "
            "requires and cannot be signaled"
        )


def _resource_signal_policy(stack: StackRow, logical_id: str) -> dict[str, Any] | None:
    _, data = load_template_data(stack.template_body)
    resource = ((data or {}).get("Resources") or {}).get(logical_id) or {}
    policy = (resource.get("CreationPolicy") or {}) if isinstance(resource, dict) else {}
    signal = policy.get("ResourceSignal") if isinstance(policy, dict) else None
    return signal if isinstance(signal, dict) else ({} if signal is not None else None)


def _count(policy: dict[str, Any], parameters: dict[str, Any]) -> int | None:
    """Count, 1 by default; a Ref to a parameter is read from the stack's values.
    Anything else the engine resolves itself: None here, no check."""
    raw = policy.get("Count", 1)
    if isinstance(raw, dict) and set(raw) == {"Ref"}:
        raw = parameters.get(raw["Ref"])
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None
