"""Change sets: CreateChangeSet, DescribeChangeSet, ExecuteChangeSet,
DeleteChangeSet, ListChangeSets.

CreateChangeSet validates the template and parameters at once and returns a
change set in CREATE_PENDING; it is computed in the background
(``change_set_review``), so clients wait for it with the
``change_set_create_complete`` waiter as they do on AWS. A CREATE change set
brings a new stack into being in REVIEW_IN_PROGRESS. Executing one
starts the same create or update UpdateStack/CreateStack would, and deletes
the stack's other change sets, as AWS does.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from sqlalchemy import select, update

from cfnapi.engine import statuses as st
from cfnapi.engine.change_set_cleanup import delete_with_nested
from cfnapi.engine.change_set_review import is_stale, review_change_set
from cfnapi.engine.lookup import Caller, find_live_stack, find_stack, no_such_stack
from cfnapi.engine.models import ChangeSetRow, StackRow, utcnow
from cfnapi.engine.pagination import page, with_token
from cfnapi.engine.records import Recorder, StackRef
from cfnapi.engine.runtime import EngineRuntime
from cfnapi.engine.stack_ops import (
    begin_update,
    check_capabilities,
    compile_for,
    create_columns,
    new_stack_id,
    no_echo_of,
    rerun_when_raced,
    template_source,
)
from cfnapi.errors import ServiceError, validation_error

_NAME = re.compile(r"[a-zA-Z][-a-zA-Z0-9]*")


def _not_found(name: str) -> ServiceError:
    return ServiceError("ChangeSetNotFound", f"ChangeSet [{name}] does not exist", 404)


def find_change_set(runtime: EngineRuntime, caller: Caller, name_or_arn: str, stack_name: str | None) -> ChangeSetRow:
    with runtime.db.transaction() as session:
        if name_or_arn.startswith("arn:"):
            row = session.get(ChangeSetRow, name_or_arn)
            stack = session.get(StackRow, row.stack_id) if row is not None else None
            if stack is None or stack.account_id != caller.account_id or stack.region != caller.region:
                raise _not_found(name_or_arn)
        else:
            if not stack_name:
                raise validation_error("StackName must be specified if ChangeSetName is not specified as an ARN.")
            stack = find_stack(runtime, caller, stack_name, include_deleted=stack_name.startswith("arn:"))
            row = session.scalars(
                select(ChangeSetRow).where(ChangeSetRow.stack_id == stack.stack_id, ChangeSetRow.name == name_or_arn)
            ).first()
            if row is None:
                raise _not_found(name_or_arn)
        session.expunge(row)
        return row


def _stack_for_new_change_set(runtime: EngineRuntime, caller: Caller, params: dict[str, Any]) -> StackRow | None:
    """The stack an UPDATE change set targets, or a REVIEW_IN_PROGRESS stack a CREATE one may reuse."""
    name, kind = params["StackName"], params.get("ChangeSetType") or "UPDATE"
    try:
        stack = find_live_stack(runtime, caller, name)
    except ServiceError:
        stack = None
    if kind == "CREATE":
        if stack is not None and stack.status != "REVIEW_IN_PROGRESS":
            raise validation_error(
                f"Stack [{name}] already exists and cannot be created again with the changeSet "
                f"[{params['ChangeSetName']}]."
            )
        return stack
    if stack is None:
        raise validation_error(f"Stack [{name}] does not exist")
    if stack.status == "REVIEW_IN_PROGRESS":
        raise validation_error(
            f"Stack [{name}] does not exist; use ChangeSetType CREATE for a stack in REVIEW_IN_PROGRESS"
        )
    if stack.status not in st.UPDATABLE:
        raise validation_error(f"Stack:{stack.stack_id} is in {stack.status} state and can not be updated.")
    return stack


@rerun_when_raced
def create_change_set(runtime: EngineRuntime, caller: Caller, params: dict[str, Any]) -> dict[str, Any]:
    name, kind = params["ChangeSetName"], params.get("ChangeSetType") or "UPDATE"
    if not _NAME.fullmatch(name) or len(name) > 128:
        raise validation_error(
            f"1 validation error detected: Value '{name}' at 'changeSetName' failed to satisfy constraint: "
            "Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*"
        )
    if kind not in ("CREATE", "UPDATE"):
        raise validation_error(f"ChangeSetType {kind} is not supported by cfnapi")
    stack = _stack_for_new_change_set(runtime, caller, params)
    if stack is not None:
        existing = _by_name(runtime, stack.stack_id, name)
        if existing is not None:
            if params.get("ClientToken") and existing.client_token == params["ClientToken"]:
                return {"Id": existing.change_set_id, "StackId": stack.stack_id}
            raise ServiceError("AlreadyExistsException", f"ChangeSet [{name}] already exists")

    stack_id = stack.stack_id if stack is not None else new_stack_id(caller, params["StackName"])
    if params.get("UsePreviousTemplate"):
        if stack is None:
            raise validation_error("UsePreviousTemplate can only be used with ChangeSetType UPDATE")
        body = stack.template_body
    else:
        body = template_source(runtime, params)
    definition = compile_for(runtime, stack_id, params["StackName"], caller, body, params, stack)
    check_capabilities(definition, params.get("Capabilities"))

    if stack is None:
        stack = _review_stack(runtime, caller, stack_id, params)
    change_set_id = (
        f"arn:aws:cloudformation:{caller.region}:{caller.account_id}:changeSet/{name}/{uuid.uuid4()}"
    )
    row = ChangeSetRow(
        change_set_id=change_set_id,
        name=name,
        stack_id=stack_id,
        change_set_type=kind,
        status="CREATE_PENDING",  # computed in the background (change_set_review)
        execution_status="UNAVAILABLE",
        description=params.get("Description"),
        template_body=body,
        parameters=dict(definition.parameter_values),
        parameters_response=list(definition.parameters_response),
        no_echo_parameters=no_echo_of(definition),
        capabilities=list(params.get("Capabilities") or []),
        tags=list(params["Tags"]) if params.get("Tags") is not None else list(stack.tags or []),
        notification_arns=list(params.get("NotificationARNs") or stack.notification_arns or []),
        role_arn=params.get("RoleARN"),
        on_stack_failure=params.get("OnStackFailure"),
        client_token=params.get("ClientToken"),
        include_nested_stacks=bool(params.get("IncludeNestedStacks")),
        changes=[],
        created_at=utcnow(),
    )
    with runtime.db.transaction() as session:
        session.add(row)
    runtime.in_background(lambda: review_change_set(runtime, change_set_id, definition))
    return {"Id": change_set_id, "StackId": stack_id}


def _by_name(runtime: EngineRuntime, stack_id: str, name: str) -> ChangeSetRow | None:
    with runtime.db.transaction() as session:
        row = session.scalars(
            select(ChangeSetRow).where(ChangeSetRow.stack_id == stack_id, ChangeSetRow.name == name)
        ).first()
        if row is not None:
            session.expunge(row)
        return row


def _review_stack(runtime: EngineRuntime, caller: Caller, stack_id: str, params: dict[str, Any]) -> StackRow:
    """The placeholder stack a CREATE change set makes: REVIEW_IN_PROGRESS, no resources."""
    stack = StackRow(
        stack_id=stack_id,
        account_id=caller.account_id,
        region=caller.region,
        name=params["StackName"],
        status="REVIEW_IN_PROGRESS",
        status_reason=st.USER_INITIATED,
        template_body="",
        parameters={},
        tags=list(params.get("Tags") or []),
        notification_arns=list(params.get("NotificationARNs") or []),
        role_arn=params.get("RoleARN"),
        created_at=utcnow(),
        needs_work=False,
    )
    Recorder(runtime.db, StackRef(stack_id, stack.name)).new_stack(stack)
    return find_stack(runtime, caller, stack_id)


def _execution_status(row: ChangeSetRow, stack: StackRow) -> str:
    """EXECUTE_IN_PROGRESS until the stack operation it started has finished; an
    AVAILABLE change set is OBSOLETE once the stack changed after it was made."""
    if row.execution_status == "AVAILABLE":
        changed = stack.updated_at is not None and stack.updated_at > row.created_at
        return "OBSOLETE" if changed or stack.deleted_at is not None else "AVAILABLE"
    if row.execution_status != "EXECUTE_IN_PROGRESS" or stack.status in st.IN_PROGRESS:
        return row.execution_status
    if stack.status in ("CREATE_COMPLETE", "UPDATE_COMPLETE"):
        return "EXECUTE_COMPLETE"
    return "EXECUTE_FAILED"


def _stack_of(runtime: EngineRuntime, row: ChangeSetRow) -> StackRow:
    with runtime.db.transaction() as session:
        stack = session.get(StackRow, row.stack_id)
        session.expunge(stack)
        return stack


def _execution_of(runtime: EngineRuntime, row: ChangeSetRow, stack: StackRow) -> str:
    """A nested change set is executed by its root's update: it follows the root stack."""
    if row.root_change_set_id and row.execution_status == "EXECUTE_IN_PROGRESS":
        with runtime.db.transaction() as session:
            root = session.get(ChangeSetRow, row.root_change_set_id)
            root_stack = session.get(StackRow, root.stack_id) if root is not None else None
            if root_stack is not None:
                session.expunge(root_stack)
                stack = root_stack
    return _execution_status(row, stack)


def _nesting(row: ChangeSetRow) -> dict[str, Any]:
    out: dict[str, Any] = {"IncludeNestedStacks": bool(row.include_nested_stacks)}
    if row.parent_change_set_id:
        out["ParentChangeSetId"] = row.parent_change_set_id
        out["RootChangeSetId"] = row.root_change_set_id
    return out


def _recover_if_stale(runtime: EngineRuntime, caller: Caller, row: ChangeSetRow, stack: StackRow) -> ChangeSetRow:
    """A change set left pending by a process that died is computed now, by this caller."""
    if not is_stale(row):
        return row
    parameters = [{"ParameterKey": k, "ParameterValue": v} for k, v in (row.parameters or {}).items()]
    definition = compile_for(runtime, stack.stack_id, stack.name, caller, row.template_body, {"Parameters": parameters})
    review_change_set(runtime, row.change_set_id, definition)
    return find_change_set(runtime, caller, row.change_set_id, None)


def describe_change_set(runtime: EngineRuntime, caller: Caller, params: dict[str, Any]) -> dict[str, Any]:
    row = find_change_set(runtime, caller, params["ChangeSetName"], params.get("StackName"))
    stack = _stack_of(runtime, row)
    row = _recover_if_stale(runtime, caller, row, stack)
    masked = set(row.no_echo_parameters or ())
    out: dict[str, Any] = {
        "ChangeSetName": row.name,
        "ChangeSetId": row.change_set_id,
        "StackId": stack.stack_id,
        "StackName": stack.name,
        "Parameters": [
            {"ParameterKey": k, "ParameterValue": "****" if k in masked else v} for k, v in row.parameters.items()
        ],
        "CreationTime": row.created_at,
        "ExecutionStatus": _execution_of(runtime, row, stack),
        "Status": row.status,
        "NotificationARNs": list(row.notification_arns or []),
        "RollbackConfiguration": {},
        "Capabilities": list(row.capabilities or []),
        "Tags": list(row.tags or []),
        "Changes": list(row.changes or []),
        **_nesting(row),
    }
    if row.description is not None:
        out["Description"] = row.description
    if row.status_reason is not None:
        out["StatusReason"] = row.status_reason
    if row.on_stack_failure:
        out["OnStackFailure"] = row.on_stack_failure
    return out


@rerun_when_raced
def execute_change_set(runtime: EngineRuntime, caller: Caller, params: dict[str, Any]) -> dict[str, Any]:
    row = find_change_set(runtime, caller, params["ChangeSetName"], params.get("StackName"))
    stack = _stack_of(runtime, row)
    token = params.get("ClientRequestToken")
    if token and row.execution_status == "EXECUTE_IN_PROGRESS" and stack.client_request_token == token:
        return {}  # a retry of the execution already under way
    if row.parent_change_set_id:
        raise validation_error(
            f"ChangeSet [{row.change_set_id}] is a nested change set; execute its root change set "
            f"[{row.root_change_set_id}] instead"
        )
    execution = _execution_status(row, stack)
    if execution != "AVAILABLE":
        which = f"status of [{row.status}]" if row.status != "CREATE_COMPLETE" else f"execution status of [{execution}]"
        raise ServiceError(
            "InvalidChangeSetStatus", f"ChangeSet [{row.change_set_id}] cannot be executed in its current {which}"
        )
    settings = {
        "Capabilities": row.capabilities,
        "Tags": row.tags,
        "NotificationARNs": row.notification_arns,
        "RoleARN": row.role_arn,
    }
    definition = compile_for(
        runtime, stack.stack_id, stack.name, caller, row.template_body,
        {"Parameters": [{"ParameterKey": k, "ParameterValue": v} for k, v in row.parameters.items()]},
    )
    if row.change_set_type == "CREATE":
        if stack.status != "REVIEW_IN_PROGRESS":
            raise validation_error(f"Stack:{stack.stack_id} is in {stack.status} state and can not be created.")
        on_failure = {"DELETE": "DELETE", "DO_NOTHING": "DO_NOTHING"}.get(row.on_stack_failure or "", None)
        if params.get("DisableRollback") is not None:
            on_failure = "DO_NOTHING" if params["DisableRollback"] else "ROLLBACK"
        columns = create_columns(runtime, row.template_body, definition, {**settings, "OnFailure": on_failure}, token)
        Recorder(runtime.db, StackRef(stack.stack_id, stack.name), token).stack_status(
            "CREATE_IN_PROGRESS", st.USER_INITIATED, expected_status="REVIEW_IN_PROGRESS", **columns
        )
        runtime.notify_work()
    else:
        if stack.status not in st.UPDATABLE:
            raise validation_error(f"Stack:{stack.stack_id} is in {stack.status} state and can not be updated.")
        settings["DisableRollback"] = params.get("DisableRollback")
        begin_update(runtime, stack, row.template_body, definition, settings, token)
    with runtime.db.transaction() as session:
        others = session.scalars(
            select(ChangeSetRow.change_set_id).where(
                ChangeSetRow.stack_id == stack.stack_id, ChangeSetRow.change_set_id != row.change_set_id
            )
        ).all()
    # Executing one change set makes the stack's others obsolete; AWS deletes them.
    delete_with_nested(runtime, list(others))
    with runtime.db.transaction() as session:
        executed = session.get(ChangeSetRow, row.change_set_id)
        executed.execution_status = "EXECUTE_IN_PROGRESS"
        session.execute(
            update(ChangeSetRow)
            .where(ChangeSetRow.root_change_set_id == row.change_set_id)
            .values(execution_status="EXECUTE_IN_PROGRESS")
        )
    return {}


def delete_change_set(runtime: EngineRuntime, caller: Caller, params: dict[str, Any]) -> dict[str, Any]:
    row = find_change_set(runtime, caller, params["ChangeSetName"], params.get("StackName"))
    stack = _stack_of(runtime, row)
    if _execution_of(runtime, row, stack) == "EXECUTE_IN_PROGRESS":
        raise ServiceError(
            "InvalidChangeSetStatus",
            f"Cannot delete ChangeSet in status {row.status} while it is being executed",
        )
    if row.parent_change_set_id:
        raise validation_error(
            f"ChangeSet [{row.change_set_id}] is a nested change set; delete its root change set "
            f"[{row.root_change_set_id}] instead"
        )
    delete_with_nested(runtime, [row.change_set_id])
    return {}


def list_change_sets(runtime: EngineRuntime, caller: Caller, params: dict[str, Any]) -> dict[str, Any]:
    try:
        stack = find_stack(runtime, caller, params["StackName"])
    except ServiceError:
        raise no_such_stack(params["StackName"]) from None
    with runtime.db.transaction() as session:
        rows = session.scalars(
            select(ChangeSetRow).where(ChangeSetRow.stack_id == stack.stack_id).order_by(ChangeSetRow.created_at)
        ).all()
        chunk, token = page("ListChangeSets", rows, params.get("NextToken"))
        summaries = []
        for row in chunk:
            summary = {
                "StackId": stack.stack_id,
                "StackName": stack.name,
                "ChangeSetId": row.change_set_id,
                "ChangeSetName": row.name,
                "ExecutionStatus": _execution_of(runtime, row, stack),
                "Status": row.status,
                "CreationTime": row.created_at,
                **_nesting(row),
            }
            if row.status_reason is not None:
                summary["StatusReason"] = row.status_reason
            if row.description is not None:
                summary["Description"] = row.description
            summaries.append(summary)
        return with_token({"Summaries": summaries}, token)
