"""Mutating stack operations: validate, write the new status with its event in
one transaction, and return; a ``StackWorker`` does the work.

Every operation honours ClientRequestToken: a retry carrying the token of the
operation the stack last ran returns that operation's answer again instead of
starting a second one.
"""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import update

from cfnapi.engine import statuses as st
from cfnapi.engine.change_set_cleanup import delete_change_sets_of
from cfnapi.engine.definition import Identity, StackDefinition
from cfnapi.engine.lookup import Caller, find_live_stack, find_stack
from cfnapi.engine.models import EventRow, SignalRow, StackRow, utcnow
from cfnapi.engine.records import LostRace, Recorder, StackRef
from cfnapi.engine.rollback_skips import check_resources_to_skip
from cfnapi.engine.runtime import EngineRuntime
from cfnapi.engine.signal_rules import check_signal_accepted
from cfnapi.engine.stack_policy import policy_text
from cfnapi.errors import ServiceError, validation_error
from cfnapi.template_url import fetch_template


# --- shared pieces ----------------------------------------------------------------------


def template_source(runtime: EngineRuntime, params: Mapping[str, Any]) -> str:
    """Exactly one of TemplateBody or TemplateURL (fetched under the runtime's policy)."""
    body, url = params.get("TemplateBody"), params.get("TemplateURL")
    if body is not None and url is not None:
        raise validation_error("Specify exactly one of TemplateBody or TemplateUrl.")
    if body:
        return body
    if url:
        return fetch_template(url, runtime.url_policy)
    raise validation_error("Either Template URL or Template Body must be specified.")


def check_capabilities(definition: StackDefinition, capabilities: list[str] | None) -> None:
    needed, _reason = definition.required_capabilities
    granted = set(capabilities or ())
    if "CAPABILITY_NAMED_IAM" in granted:
        granted.add("CAPABILITY_IAM")  # NAMED_IAM covers IAM
    missing = [c for c in needed if c not in granted]
    if missing:
        raise ServiceError("InsufficientCapabilitiesException", f"Requires capabilities : [{', '.join(missing)}]")


def supplied_parameters(params: Mapping[str, Any]) -> tuple[dict[str, str], list[str]]:
    """(explicit values, keys marked UsePreviousValue)."""
    values, use_previous = {}, []
    for p in params.get("Parameters") or []:
        if p.get("UsePreviousValue"):
            if p.get("ParameterValue") is not None:
                raise validation_error(
                    f"Invalid input for parameter key {p['ParameterKey']}. "
                    "Cannot specify usePreviousValue as true and non empty value for a parameter"
                )
            use_previous.append(p["ParameterKey"])
        else:
            values[p["ParameterKey"]] = p.get("ParameterValue", "")
    return values, use_previous


def previous_values(stack: StackRow, keys: list[str]) -> dict[str, str]:
    previous = stack.parameters or {}
    for key in keys:
        if key not in previous:
            raise validation_error(
                f"Invalid input for parameter key {key}. "
                "Cannot specify usePreviousValue as true for a parameter key not in the previous template"
            )
    return {key: previous[key] for key in keys}


def compile_for(runtime: EngineRuntime, stack_id: str, name: str, caller: Caller, body: str, params: Mapping[str, Any],
                stack: StackRow | None = None) -> StackDefinition:
    """Compile ``body`` with the request's Parameters (UsePreviousValue against ``stack``)."""
    supplied, keep = supplied_parameters(params)
    previous = previous_values(stack, keep) if stack is not None else {}
    if keep and stack is None:
        raise validation_error(
            f"Invalid input for parameter key {keep[0]}. "
            "Cannot specify usePreviousValue as true for a parameter key not in the previous template"
        )
    identity = Identity(caller.account_id, caller.region, stack_id, name, tuple(params.get("NotificationARNs") or ()))
    return runtime.compiler.compile(body, {**previous, **supplied}, identity, use_previous=previous)


def deadline(runtime: EngineRuntime, minutes: int | None) -> dt.datetime | None:
    if not minutes:
        return None
    return utcnow() + dt.timedelta(seconds=minutes * runtime.settings.seconds_per_timeout_minute)


def no_echo_of(definition: StackDefinition) -> list[str]:
    return sorted(getattr(definition, "no_echo_parameters", ()) or ())


def _recorder(runtime: EngineRuntime, stack: StackRow, token: str | None) -> Recorder:
    return Recorder(runtime.db, StackRef(stack.stack_id, stack.name), token)


def _is_retry(stack: StackRow, token: str | None, statuses: tuple[str, ...]) -> bool:
    """The same ClientRequestToken as the operation the stack last ran, which is still that operation."""
    return bool(token) and stack.client_request_token == token and stack.status.startswith(statuses)


def refuse_nested(stack: StackRow, operation: str) -> None:
    """Operations AWS lets only the root stack run (its rollback and cancel drive the children)."""
    if stack.parent_id:
        raise validation_error(
            f"{operation} cannot be called on nested stack {stack.stack_id}; "
            f"call it on the root stack {stack.root_id or stack.parent_id} instead"
        )


def new_stack_id(caller: Caller, name: str) -> str:
    return f"arn:aws:cloudformation:{caller.region}:{caller.account_id}:stack/{name}/{uuid.uuid4()}"


def _on_failure(params: Mapping[str, Any]) -> str:
    if params.get("OnFailure") and params.get("DisableRollback") is not None:
        raise validation_error("You cannot specify both DisableRollback and OnFailure.")
    return params.get("OnFailure") or ("DO_NOTHING" if params.get("DisableRollback") else "ROLLBACK")


def create_columns(runtime: EngineRuntime, body: str, definition: StackDefinition, params: Mapping[str, Any],
                   token: str | None) -> dict[str, Any]:
    """The stack columns a create starts with (CreateStack and a CREATE change set's execution)."""
    return dict(
        description=definition.description,
        template_body=body,
        parameters=dict(definition.parameter_values),
        no_echo_parameters=no_echo_of(definition),
        tags=list(params.get("Tags") or []),
        capabilities=list(params.get("Capabilities") or []),
        notification_arns=list(params.get("NotificationARNs") or []),
        role_arn=params.get("RoleARN"),
        timeout_in_minutes=params.get("TimeoutInMinutes"),
        on_failure=_on_failure(params),
        termination_protection=bool(params.get("EnableTerminationProtection")),
        client_request_token=token,
        needs_work=True,
        operation_deadline=deadline(runtime, params.get("TimeoutInMinutes")),
    )


# How often an operation that lost a race re-reads the stack and tries again. Each loss means
# another request changed the stack meanwhile; the re-read almost always ends in AWS's
# "in progress" refusal or the idempotent reply, so a second loss in a row is already rare.
_RACE_RERUNS = 3

Operation = Callable[[EngineRuntime, Caller, dict[str, Any]], dict[str, Any]]


def rerun_when_raced(operation: Operation) -> Operation:
    """An API request checks the stack in one transaction and writes it in another: the write is
    conditional (``LostRace`` when the stack changed meanwhile), and the operation then runs again
    on what the stack is now: AWS's refusal for its new status, or the reply to a retry."""

    @functools.wraps(operation)
    def run(runtime: EngineRuntime, caller: Caller, params: dict[str, Any]) -> dict[str, Any]:
        for _ in range(_RACE_RERUNS):
            try:
                return operation(runtime, caller, params)
            except LostRace:
                continue
        name = params.get("StackName") or params.get("ChangeSetName")
        raise validation_error(f"Stack [{name}] is being changed by another operation; retry")

    return run


# --- operations -------------------------------------------------------------------------


@rerun_when_raced
def create_stack(runtime: EngineRuntime, caller: Caller, params: dict[str, Any]) -> dict[str, Any]:
    name = params["StackName"]
    token = params.get("ClientRequestToken")
    try:
        existing = find_stack(runtime, caller, name)
    except ServiceError:
        existing = None
    if existing is not None:
        if token and existing.client_request_token == token:
            return {"StackId": existing.stack_id}  # an idempotent retry
        raise ServiceError("AlreadyExistsException", f"Stack [{name}] already exists")
    stack_id = new_stack_id(caller, name)
    body = template_source(runtime, params)
    definition = compile_for(runtime, stack_id, name, caller, body, params)
    check_capabilities(definition, params.get("Capabilities"))
    stack_policy = policy_text(runtime, params.get("StackPolicyBody"), params.get("StackPolicyURL"))
    stack = StackRow(
        stack_id=stack_id,
        account_id=caller.account_id,
        region=caller.region,
        name=name,
        status="CREATE_IN_PROGRESS",
        status_reason=st.USER_INITIATED,
        stack_policy_body=stack_policy,
        created_at=utcnow(),
        **create_columns(runtime, body, definition, params, token),
    )
    # Written already leased to this process's worker when it has a stack thread free: the
    # create then starts the moment the row is committed, without a round through the
    # worker's claim (a thread hop and a transaction, ~5-10 ms of a 500-resource create).
    # A process that dies now leaves a lease like any worker's, taken over as usual.
    lease_expires = runtime.lease_new_stack() if runtime.lease_new_stack is not None else None
    if lease_expires is not None:
        stack.lease_owner, stack.lease_expires_at = runtime.worker_id, lease_expires
    Recorder(runtime.db, StackRef(stack_id, name), token).new_stack(stack)
    runtime.compiled.keep(stack_id, body, definition)
    if lease_expires is not None:
        runtime.start_leased(stack_id)
    else:
        runtime.notify_work()
    return {"StackId": stack_id}


def begin_update(runtime: EngineRuntime, stack: StackRow, body: str, definition: StackDefinition,
                 params: Mapping[str, Any], token: str | None, *, policy_override: str | None = None,
                 new_policy: str | None = None) -> None:
    """Move ``stack`` into UPDATE_IN_PROGRESS with the new definition (UpdateStack, UPDATE change sets),
    only if it is still in the status it was read in (``LostRace`` otherwise)."""
    capabilities = params.get("Capabilities") or []
    changed: dict[str, Any] = {}
    if new_policy is not None:
        changed["stack_policy_body"] = new_policy
    if params.get("Tags") is not None:
        changed["tags"] = list(params["Tags"])
    if params.get("NotificationARNs") is not None:
        changed["notification_arns"] = list(params["NotificationARNs"])
    if params.get("RoleARN") is not None:
        changed["role_arn"] = params["RoleARN"]
    # DisableRollback (default false, per operation) decides what a failure of this
    # update does: UPDATE_FAILED, keeping what was done, instead of a rollback.
    changed["on_failure"] = "DO_NOTHING" if params.get("DisableRollback") else "ROLLBACK"
    # Resuming after a failed DisableRollback update: a rollback must still go back to
    # the last stable definition, not to the one that failed.
    resuming = stack.status == "UPDATE_FAILED" and stack.previous_template_body is not None
    _recorder(runtime, stack, token).stack_status(
        "UPDATE_IN_PROGRESS",
        st.USER_INITIATED,
        expected_status=stack.status,
        previous_template_body=stack.previous_template_body if resuming else stack.template_body,
        previous_parameters=stack.previous_parameters if resuming else stack.parameters,
        template_body=body,
        parameters=dict(definition.parameter_values),
        no_echo_parameters=sorted(set(no_echo_of(definition)) | set(stack.no_echo_parameters or ())),
        description=definition.description,
        capabilities=list(capabilities),
        updated_at=utcnow(),
        client_request_token=token,
        needs_work=True,
        cancel_requested=False,
        update_policy_override=policy_override,
        operation_deadline=deadline(runtime, stack.timeout_in_minutes),
        **changed,
    )
    runtime.notify_work()


@rerun_when_raced
def update_stack(runtime: EngineRuntime, caller: Caller, params: dict[str, Any]) -> dict[str, Any]:
    stack = find_live_stack(runtime, caller, params["StackName"])
    token = params.get("ClientRequestToken")
    if _is_retry(stack, token, ("UPDATE_",)):
        return {"StackId": stack.stack_id}
    if stack.status not in st.UPDATABLE:
        raise validation_error(f"Stack:{stack.stack_id} is in {stack.status} state and can not be updated.")
    if params.get("UsePreviousTemplate"):
        if params.get("TemplateBody") or params.get("TemplateURL"):
            raise validation_error("You cannot specify both usePreviousTemplate and Template Body/Template Url")
        body = stack.template_body
    else:
        body = template_source(runtime, params)
    definition = compile_for(runtime, stack.stack_id, stack.name, caller, body, params, stack)
    check_capabilities(definition, params.get("Capabilities"))
    new_policy = None  # written with the status change: a refused update changes nothing
    if params.get("StackPolicyBody") is not None or params.get("StackPolicyURL") is not None:
        new_policy = policy_text(runtime, params.get("StackPolicyBody"), params.get("StackPolicyURL"))
    override = policy_text(
        runtime,
        params.get("StackPolicyDuringUpdateBody"),
        params.get("StackPolicyDuringUpdateURL"),
        "StackPolicyDuringUpdate",
    )
    unchanged = body == stack.template_body and dict(definition.parameter_values) == dict(stack.parameters)
    if unchanged and stack.status != "UPDATE_FAILED":  # from UPDATE_FAILED, the same template retries
        if params.get("Tags") is None or list(params["Tags"]) == list(stack.tags or []):
            raise validation_error("No updates are to be performed.")
    begin_update(runtime, stack, body, definition, params, token, policy_override=override, new_policy=new_policy)
    return {"StackId": stack.stack_id}


@rerun_when_raced
def delete_stack(runtime: EngineRuntime, caller: Caller, params: dict[str, Any]) -> dict[str, Any]:
    try:
        stack = find_stack(runtime, caller, params["StackName"])
    except ServiceError:
        return {}  # AWS: deleting a stack that does not exist succeeds
    if stack.status == "DELETE_COMPLETE" or stack.status == "DELETE_IN_PROGRESS":
        return {}
    if _termination_protected(runtime, stack):
        raise validation_error(
            f"Stack [{stack.name}] cannot be deleted while TerminationProtection is enabled"
        )
    retain = list(params.get("RetainResources") or [])
    if retain and stack.status != "DELETE_FAILED":
        raise validation_error(
            "Invalid operation on stack: RetainResources may only be specified when the stack is in DELETE_FAILED state"
        )
    if stack.status == "REVIEW_IN_PROGRESS":
        # Nothing was created yet: the stack (and its change sets) simply go away.
        _recorder(runtime, stack, params.get("ClientRequestToken")).stack_status(
            "DELETE_COMPLETE", None, expected_status=stack.status, deleted_at=utcnow(), needs_work=False
        )
        delete_change_sets_of(runtime, stack.stack_id)
        return {}
    if stack.status == "CREATE_IN_PROGRESS":
        # As on AWS, a create can be deleted: it stops (resources in flight are
        # cancelled) and the stack goes on to DELETE_IN_PROGRESS.
        with runtime.db.transaction() as session:
            stopped = session.execute(
                update(StackRow)
                .where(StackRow.stack_id == stack.stack_id, StackRow.status == "CREATE_IN_PROGRESS")
                .values(cancel_requested=True, on_failure="DELETE")
            ).rowcount
        if not stopped:  # the create finished meanwhile: delete whatever it became
            return delete_stack(runtime, caller, params)
        return {}
    if stack.status in st.IN_PROGRESS:
        raise validation_error(f"Stack [{stack.stack_id}] cannot be deleted while in status {stack.status}")
    _recorder(runtime, stack, params.get("ClientRequestToken")).stack_status(
        "DELETE_IN_PROGRESS", st.USER_INITIATED, expected_status=stack.status, needs_work=True,
        retain_resources=retain,
        client_request_token=params.get("ClientRequestToken"),
    )
    # Open change sets go now (AWS deletes them with the stack), and with them any child stack a
    # nested CREATE change set made: nothing in the stack's resources knows that child.
    delete_change_sets_of(runtime, stack.stack_id)
    runtime.notify_work()
    return {}


def _termination_protected(runtime: EngineRuntime, stack: StackRow) -> bool:
    """A nested stack is protected by its root's setting (AWS sets it on the root only)."""
    if stack.termination_protection or not stack.root_id:
        return bool(stack.termination_protection)
    with runtime.db.transaction() as session:
        root = session.get(StackRow, stack.root_id)
        return bool(root is not None and root.termination_protection)


@rerun_when_raced
def cancel_update_stack(runtime: EngineRuntime, caller: Caller, params: dict[str, Any]) -> dict[str, Any]:
    stack = find_live_stack(runtime, caller, params["StackName"])
    refuse_nested(stack, "CancelUpdateStack")
    if stack.status != "UPDATE_IN_PROGRESS":
        raise validation_error(f"CancelUpdateStack cannot be called from current stack status {stack.status}")
    with runtime.db.transaction() as session:
        requested = session.execute(
            update(StackRow)
            .where(StackRow.stack_id == stack.stack_id, StackRow.status == "UPDATE_IN_PROGRESS")
            .values(cancel_requested=True)
        ).rowcount
    if not requested:
        raise LostRace(f"stack {stack.stack_id} left UPDATE_IN_PROGRESS before the cancel")
    return {}


@rerun_when_raced
def continue_update_rollback(runtime: EngineRuntime, caller: Caller, params: dict[str, Any]) -> dict[str, Any]:
    stack = find_live_stack(runtime, caller, params["StackName"])
    token = params.get("ClientRequestToken")
    if _is_retry(stack, token, ("UPDATE_ROLLBACK_",)):
        return {}
    refuse_nested(stack, "ContinueUpdateRollback")
    if stack.status != "UPDATE_ROLLBACK_FAILED":
        raise validation_error(
            f"Stack {stack.stack_id} is in {stack.status} state and can not continue update rollback"
        )
    check_resources_to_skip(runtime, stack.stack_id, stack.name, params.get("ResourcesToSkip") or ())
    _recorder(runtime, stack, token).stack_status(
        "UPDATE_ROLLBACK_IN_PROGRESS",
        st.USER_INITIATED,
        expected_status=stack.status,
        needs_work=True,
        skip_resources=list(params.get("ResourcesToSkip") or []),
        client_request_token=token,
    )
    runtime.notify_work()
    return {}


# Where RollbackStack takes a stack left failed by DisableRollback / OnFailure=DO_NOTHING.
_ROLLBACK_FROM = {"CREATE_FAILED": "ROLLBACK_IN_PROGRESS", "UPDATE_FAILED": "UPDATE_ROLLBACK_IN_PROGRESS"}


@rerun_when_raced
def rollback_stack(runtime: EngineRuntime, caller: Caller, params: dict[str, Any]) -> dict[str, Any]:
    stack = find_live_stack(runtime, caller, params["StackName"])
    token = params.get("ClientRequestToken")
    if _is_retry(stack, token, ("ROLLBACK_", "UPDATE_ROLLBACK_")):
        return {"StackId": stack.stack_id}
    refuse_nested(stack, "RollbackStack")
    target = _ROLLBACK_FROM.get(stack.status)
    if target is None:
        raise validation_error(f"Stack {stack.stack_id} is in {stack.status} state and can not be rolled back")
    _recorder(runtime, stack, token).stack_status(
        target, st.USER_INITIATED, expected_status=stack.status, needs_work=True, client_request_token=token
    )
    runtime.notify_work()
    return {"StackId": stack.stack_id}


def update_termination_protection(runtime: EngineRuntime, caller: Caller, params: dict[str, Any]) -> dict[str, Any]:
    stack = find_live_stack(runtime, caller, params["StackName"])
    refuse_nested(stack, "UpdateTerminationProtection")
    with runtime.db.transaction() as session:
        session.execute(
            update(StackRow)
            .where(StackRow.stack_id == stack.stack_id)
            .values(termination_protection=bool(params["EnableTerminationProtection"]))
        )
    return {"StackId": stack.stack_id}


def signal_resource(runtime: EngineRuntime, caller: Caller, params: dict[str, Any]) -> dict[str, Any]:
    """SignalResource and wait-condition handle signals both land here."""
    from sqlalchemy import select

    from cfnapi.engine.models import ResourceRow

    stack = find_live_stack(runtime, caller, params["StackName"])
    with runtime.db.transaction() as session:
        resource = session.scalars(
            select(ResourceRow).where(
                ResourceRow.stack_id == stack.stack_id, ResourceRow.logical_id == params["LogicalResourceId"]
            ).order_by(ResourceRow.role != "current")
        ).first()
        if resource is None:
            raise validation_error(f"Resource {params['LogicalResourceId']} does not exist for stack {stack.name}")
        received = dict(session.execute(
            select(SignalRow.unique_id, SignalRow.status).where(
                SignalRow.stack_id == stack.stack_id,
                SignalRow.logical_id == params["LogicalResourceId"],
            )
        ).all())
        check_signal_accepted(
            stack, resource, {u for u, status in received.items() if status == "SUCCESS"}, params["UniqueId"]
        )
        if params["UniqueId"] not in received:  # a resent signal counts once
            session.add(
                SignalRow(
                    stack_id=stack.stack_id,
                    logical_id=params["LogicalResourceId"],
                    unique_id=params["UniqueId"],
                    status=params["Status"],
                    data=params.get("Data"),
                    reason=params.get("Reason"),
                )
            )
            if resource.type != WAIT_CONDITION_HANDLE_TYPE:  # AWS shows each CreationPolicy signal as an event
                session.add(_signal_event(stack, resource, params))
    return {}


WAIT_CONDITION_HANDLE_TYPE = "AWS::CloudFormation::WaitConditionHandle"


def _signal_event(stack, resource, params: dict[str, Any]) -> EventRow:
    return EventRow(
        event_id=str(uuid.uuid4()), stack_id=stack.stack_id, stack_name=stack.name, logical_id=resource.logical_id,
        physical_id=resource.physical_id, resource_type=resource.type, status=resource.status,
        status_reason=f"Received {params['Status']} signal with UniqueId {params['UniqueId']}", timestamp=utcnow(),
    )
