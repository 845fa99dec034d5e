"""IncludeNestedStacks: a change set that modifies an AWS::CloudFormation::Stack
gets a nested change set on the child stack, showing what the child's update
would do (recursively for grandchildren). One that adds a nested stack — an
UPDATE change set adding one, or any CREATE change set — gets, as on AWS, a
CREATE change set on a new child stack in REVIEW_IN_PROGRESS; executing the
root creates that very stack (``NestedStacks.create`` adopts it). The parent's ResourceChange for the
nested stack names it in ``ChangeSetId``; the nested ones point back through
ParentChangeSetId and RootChangeSetId. Only the root change set is executed:
running the parent's update updates the children as any update does.
"""

from __future__ import annotations

import secrets
import string
import uuid
from dataclasses import dataclass

from cfnapi.engine.change_preview import preview_properties
from cfnapi.engine.definition import StackDefinition
from cfnapi.engine.models import ChangeSetRow, StackRow, utcnow
from cfnapi.engine.plan import Action, Plan
from cfnapi.engine.runtime import EngineRuntime
from cfnapi.engine.nested import review_child
from cfnapi.engine.stack_ops import compile_for, no_echo_of
from cfnapi.template_url import fetch_template
from cfnapi.translate.cfn_stack import NestedStack, child_request

_SUFFIX = string.ascii_uppercase + string.digits


@dataclass(frozen=True)
class _Caller:
    account_id: str
    region: str


def make_nested_change_sets(
    runtime: EngineRuntime, parent: ChangeSetRow, stack: StackRow, definition: StackDefinition, plan: Plan
) -> dict[str, tuple[str, StackDefinition]]:
    """Insert a pending nested change set per modified child stack.
    Returns logical id -> (its change set id, the child's new definition)."""
    made = {}
    for logical_id, change in plan.changes.items():
        if change.resource_type != NestedStack.type_name or change.action not in (Action.UPDATE, Action.CREATE):
            continue
        props = preview_properties(runtime, stack, definition, logical_id)
        if props is None:
            continue  # properties not known before the operation runs
        if change.action is Action.CREATE:
            child = review_child(runtime, stack, logical_id)
        else:
            child = _child(runtime, change.physical_id)
            if child is None:
                continue  # a child that is gone
        request = child_request(props)
        body = fetch_template(request.template_url, runtime.url_policy)
        params = request.as_params()
        child_definition = compile_for(runtime, child.stack_id, child.name, _Caller(child.account_id, child.region),
                                       body, params)
        row = ChangeSetRow(
            change_set_id=f"arn:aws:cloudformation:{child.region}:{child.account_id}:changeSet/"
                          f"{_nested_name(parent.name, logical_id)}/{uuid.uuid4()}",
            name=_nested_name(parent.name, logical_id),
            stack_id=child.stack_id,
            change_set_type="CREATE" if change.action is Action.CREATE else "UPDATE",
            status="CREATE_PENDING",
            execution_status="UNAVAILABLE",
            template_body=body,
            parameters=dict(child_definition.parameter_values),
            parameters_response=list(child_definition.parameters_response),
            no_echo_parameters=no_echo_of(child_definition),
            capabilities=list(parent.capabilities or []),
            tags=list(child.tags or []),
            notification_arns=list(request.notification_arns),
            include_nested_stacks=True,
            parent_change_set_id=parent.change_set_id,
            root_change_set_id=parent.root_change_set_id or parent.change_set_id,
            changes=[],
            created_at=utcnow(),
        )
        with runtime.db.transaction() as session:
            session.add(row)
        made[logical_id] = (row.change_set_id, child_definition)
    return made


def _nested_name(parent_name: str, logical_id: str) -> str:
    suffix = "".join(secrets.choice(_SUFFIX) for _ in range(13))
    return f"{parent_name}-{logical_id}"[: 128 - len(suffix) - 1] + f"-{suffix}"


def _child(runtime: EngineRuntime, stack_id: str | None) -> StackRow | None:
    if not stack_id:
        return None
    with runtime.db.transaction() as session:
        child = session.get(StackRow, stack_id)
        if child is None or child.deleted_at is not None:
            return None
        session.expunge(child)
        return child
