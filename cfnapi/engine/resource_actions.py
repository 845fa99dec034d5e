"""One resource's create, update, replace or delete: the provider calls, the
polling with backoff, transient retries, and the events AWS shows for each step.

Every function either returns with the resource complete, or records the
failure (or cancellation) and raises ``ActionFailed`` / ``ActionCancelled``.
"""

from __future__ import annotations

import dataclasses
import os
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from cfnapi.engine import crash_points
from cfnapi.engine import statuses as st
from cfnapi.engine.deletion_policy import DELETE, RETAIN, SNAPSHOT, SNAPSHOT_ATTRIBUTE
from cfnapi.engine.models import utcnow
from cfnapi.engine.records import ResourceRecord
from cfnapi.engine.run import OperationRun
from cfnapi.engine.scheduler import ActionCancelled, ActionFailed
from cfnapi.errors import ServiceError
from cfnapi.translate.base import ResourceFailure, ResourceType, TransientError

T = TypeVar("T")


class _Stopped(Exception):
    pass


def _message(error: BaseException) -> str:
    if isinstance(error, ServiceError):
        return error.message
    return str(error) or type(error).__name__


def new_creation_token() -> str:
    """12 hex digits, the random part of CloudFormation-style generated names."""
    return os.urandom(6).hex()


def call_with_retries(run: OperationRun, call: Callable[[], T]) -> T:
    """Retry ``TransientError`` with backoff; after the last try it is a failure."""
    settings = run.runtime.settings
    delay = settings.poll_initial_seconds
    for attempt in range(settings.transient_retries + 1):
        try:
            return call()
        except TransientError as error:
            if attempt == settings.transient_retries:
                raise ResourceFailure(_message(error)) from error
            time.sleep(delay)
            delay = min(delay * 2, settings.poll_max_seconds)
    raise AssertionError("unreachable")


def wait_until_complete(run: OperationRun, check: Callable[[], bool], stop: threading.Event | None) -> None:
    """Poll ``check`` with exponential backoff until it is true; ``stop`` ends the wait."""
    settings = run.runtime.settings
    delay = settings.poll_initial_seconds
    never = threading.Event()
    stop = stop or never
    while not call_with_retries(run, check):
        if stop.wait(delay):
            raise _Stopped()
        delay = min(delay * settings.poll_factor, settings.poll_max_seconds)


def missing_required(handler: ResourceType, logical_id: str, props: dict[str, Any]) -> str | None:
    missing = [spec.name for spec in handler.properties if spec.required and props.get(spec.name) in (None, "")]
    if not missing:
        return None
    return (
        f"Properties validation failed for resource {logical_id} with message: "
        f"#: required key [{missing[0]}] not found"
    )


def _resolve(run: OperationRun, record: ResourceRecord, failed_status: str) -> dict[str, Any]:
    try:
        props = run.definition.resolve_properties(record.logical_id, run.env)
        record.metadata = run.definition.resolve_metadata(record.logical_id, run.env)
        return props
    except Exception as error:  # a template error surfaces as the resource's failure, as on AWS
        run.recorder.resource_status(record, failed_status, _message(error))
        raise ActionFailed(record.logical_id) from error


def create_resource(run: OperationRun, logical_id: str, failed: ResourceRecord | None = None) -> None:
    """A resource new to the stack: CREATE_IN_PROGRESS, "Resource creation Initiated", CREATE_COMPLETE.
    ``failed`` is this resource's row from an earlier failed create that is being retried."""
    if run.stop.is_set():
        raise ActionCancelled(logical_id)
    decl = run.definition.resources[logical_id]
    record = ResourceRecord(
        logical_id,
        decl.type,
        deletion_policy=decl.deletion_policy,
        update_replace_policy=decl.update_replace_policy,
        # During an update, remember the resource is new so a rollback removes it.
        update_action="created" if run.stack.status == "UPDATE_IN_PROGRESS" else None,
    )
    if failed is not None:
        record.row_id = failed.row_id
        if failed.physical_id is not None:  # what the failed attempt left is cleaned up later
            leftover = dataclasses.replace(failed, role="replaced", row_id=None, update_action=None)
            run.recorder.save_quietly(leftover)
            with run.lock:
                run.replaced.append(leftover)
    with run.lock:
        run.current[logical_id] = record
    props = _resolve(run, record, "CREATE_FAILED")
    record.properties = props
    record.creation_token = new_creation_token()  # saved with the event, before the create call
    run.recorder.resource_status(record, "CREATE_IN_PROGRESS", None, event_properties=props)
    _provision(run, record, decl, "CREATE")


def _provision(run: OperationRun, record: ResourceRecord, decl, action: str, first_reason: str | None = None) -> None:
    """Create the physical resource for ``record`` (a new one, or a replacement when
    ``action`` is UPDATE) and wait for it."""
    handler = run.runtime.registry.handler(record.type)
    ctx = run.context_for(record.logical_id, record.creation_token)
    failed = f"{action}_FAILED"
    problem = missing_required(handler, record.logical_id, record.properties)
    if problem:
        run.recorder.resource_status(record, failed, problem)
        raise ActionFailed(record.logical_id)
    try:
        record.created_at = utcnow()
        physical_id = call_with_retries(run, lambda: handler.create(ctx, record.properties))
    except Exception as error:
        run.recorder.resource_status(record, failed, _message(error))
        raise ActionFailed(record.logical_id) from error
    crash_points.after_create(record.logical_id)  # the kill -9 tests' window (see crash_points)
    # Persisted the moment it is known: a crash from here on cannot forget the resource.
    record.physical_id = physical_id
    run.recorder.resource_status(record, f"{action}_IN_PROGRESS", st.CREATE_INITIATED)
    _await_provisioned(run, record, decl, action)


def _await_provisioned(run: OperationRun, record: ResourceRecord, decl, action: str) -> None:
    """Wait until the physical resource is ready (and signalled), then read its attributes."""
    handler = run.runtime.registry.handler(record.type)
    ctx = run.context_for(record.logical_id, record.creation_token)
    failed = f"{action}_FAILED"
    try:
        wait_until_complete(run, lambda: handler.check_create_complete(ctx, run.state_of(record)), run.stop)
        _wait_for_creation_signals(run, record, decl)
        record.attributes = call_with_retries(run, lambda: handler.attributes(ctx, run.state_of(record)))
    except _Stopped:
        reason = st.CREATE_CANCELLED if action == "CREATE" else st.UPDATE_CANCELLED
        run.recorder.resource_status(record, failed, reason)
        raise ActionCancelled(record.logical_id) from None
    except Exception as error:
        run.recorder.resource_status(record, failed, _message(error))
        raise ActionFailed(record.logical_id) from error
    # A type that only records some of what was asked says so in the COMPLETE event's reason.
    run.recorder.resource_status(record, f"{action}_COMPLETE", handler.completion_note(record.properties))


def resume_create(run: OperationRun, logical_id: str) -> None:
    """After a takeover: finish what a dead worker left of this resource's create, without
    creating anything twice. Complete resources are kept; one whose create call returned an id
    is waited for again; one whose id was never saved is looked for by its creation token and
    created only if it is not found."""
    record = run.current.get(logical_id)
    if record is None:
        create_resource(run, logical_id)
        return
    if record.status == "CREATE_COMPLETE":
        return
    if record.status != "CREATE_IN_PROGRESS":  # it had failed already; that event was written
        raise ActionFailed(logical_id)
    decl = run.definition.resources[logical_id]
    if record.physical_id is None and record.creation_token is not None:
        handler = run.runtime.registry.handler(record.type)
        try:
            # The row's last write (updated_at) is the one that saved the token, before the create call.
            ctx = run.context_for(logical_id, record.creation_token, record.updated_at)
            record.physical_id = call_with_retries(run, lambda: handler.find_created(ctx, record.properties))
        except Exception as error:
            run.recorder.resource_status(record, "CREATE_FAILED", _message(error))
            raise ActionFailed(logical_id) from error
    if record.physical_id is None:
        _provision(run, record, decl, "CREATE")  # the create call had not been made (or made nothing)
        return
    run.recorder.resource_status(record, "CREATE_IN_PROGRESS", st.CREATE_RESUMED)
    _await_provisioned(run, record, decl, "CREATE")


def _wait_for_creation_signals(run: OperationRun, record: ResourceRecord, decl) -> None:
    """CreationPolicy ResourceSignal: wait for Count SUCCESS signals (SignalResource)."""
    policy = (decl.creation_policy or {}).get("ResourceSignal") if decl is not None else None
    if not policy:
        return
    expected = int(policy.get("Count", 1))
    timeout = iso8601_seconds(str(policy.get("Timeout", "PT5M")))
    started = time.monotonic()

    def enough() -> bool:
        signals = run.signals_for(record.logical_id)
        for signal in signals:
            if signal["Status"] == "FAILURE":
                raise ResourceFailure(f"Received FAILURE signal with UniqueId {signal['UniqueId']}")
        if sum(1 for s in signals if s["Status"] == "SUCCESS") >= expected:
            return True
        if time.monotonic() - started >= timeout:
            raise ResourceFailure(f"Failed to receive {expected} resource signal(s) within the specified duration")
        return False

    wait_until_complete(run, enough, run.stop)


def iso8601_seconds(text: str) -> float:
    """PT1H30M5S -> seconds (the subset CreationPolicy timeouts use)."""
    import re

    match = re.fullmatch(r"PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?", text.strip().upper())
    if not match:
        return 300.0
    hours, minutes, seconds = (int(g or 0) for g in match.groups())
    return hours * 3600 + minutes * 60 + seconds


def update_in_place(run: OperationRun, record: ResourceRecord, new_props: dict[str, Any]) -> None:
    """UPDATE_IN_PROGRESS then UPDATE_COMPLETE, the physical id unchanged."""
    handler = run.runtime.registry.handler(record.type)
    ctx = run.context_for(record.logical_id)
    old_props = record.properties
    before = run.state_of(record)
    if record.update_action is None:  # remember what a rollback must restore
        record.previous_properties, record.previous_attributes = old_props, record.attributes
        record.update_action = "updated"
    record.properties = new_props
    run.recorder.resource_status(record, "UPDATE_IN_PROGRESS", None, event_properties=new_props)
    try:
        call_with_retries(run, lambda: handler.update(ctx, before, old_props, new_props))
        wait_until_complete(run, lambda: handler.check_update_complete(ctx, run.state_of(record)), run.stop)
        record.attributes = call_with_retries(run, lambda: handler.attributes(ctx, run.state_of(record)))
    except _Stopped:
        run.recorder.resource_status(record, "UPDATE_FAILED", st.UPDATE_CANCELLED)
        raise ActionCancelled(record.logical_id) from None
    except Exception as error:
        run.recorder.resource_status(record, "UPDATE_FAILED", _message(error))
        raise ActionFailed(record.logical_id) from error
    run.recorder.resource_status(record, "UPDATE_COMPLETE", handler.completion_note(new_props))


def replace(run: OperationRun, record: ResourceRecord, new_type: str, new_props: dict[str, Any], decl) -> None:
    """Create the replacement now; the old physical resource is kept as a
    "replaced" row and deleted in the cleanup phase (or restored by a rollback)."""
    handler = run.runtime.registry.handler(record.type)
    # Only a replacement that would keep the same custom name is impossible; a new
    # name gives the replacement its own identity (AWS behaves the same way).
    named = [p for p in handler.name_properties
             if record.properties.get(p) and record.properties.get(p) == new_props.get(p)]
    if named:
        run.recorder.resource_status(
            record,
            "UPDATE_FAILED",
            "CloudFormation cannot update a stack when a custom-named resource requires replacing. "
            f"Rename {record.properties[named[0]]} and update the stack again.",
        )
        raise ActionFailed(record.logical_id)
    if decl.creation_policy:
        run.forget_signals(record.logical_id)
    old = dataclasses.replace(record, role="replaced", row_id=None, update_action=None)
    record.previous_properties, record.previous_attributes = record.properties, record.attributes
    record.update_action = "replaced"
    record.type, record.properties, record.physical_id, record.attributes = new_type, new_props, None, {}
    record.creation_token = new_creation_token()
    record.deletion_policy, record.update_replace_policy = decl.deletion_policy, decl.update_replace_policy
    # The old physical id moves to its own row in the same transaction as the event.
    run.recorder.resource_status(
        record, "UPDATE_IN_PROGRESS", st.REPLACEMENT_INITIATED, event_properties=new_props, also_save=(old,)
    )
    with run.lock:
        run.replaced.append(old)
    _provision(run, record, decl, "UPDATE")


def delete_resource(run: OperationRun, record: ResourceRecord, *, policy: str = DELETE, forget: bool = False) -> None:
    """DELETE_IN_PROGRESS, DELETE_COMPLETE (or DELETE_SKIPPED when retained); with the
    Snapshot policy a snapshot is taken, and finished, before the delete call.
    Deletion is not cancellable: it runs to completion or failure."""
    retain = policy == RETAIN
    if record.status == "DELETE_COMPLETE" or (record.status == "DELETE_SKIPPED" and retain):
        if forget:
            run.recorder.forget(record)
        return
    if retain:
        run.recorder.resource_status(record, "DELETE_SKIPPED")
        if forget:
            run.recorder.forget(record)
        return
    run.recorder.resource_status(record, "DELETE_IN_PROGRESS")
    completed_reason = None
    if record.physical_id is not None:
        handler = run.runtime.registry.handler(record.type)
        # With the token its create used, so a type can name what that create made besides the id.
        ctx = run.context_for(record.logical_id, record.creation_token)
        state = run.state_of(record)
        try:
            if policy == SNAPSHOT:
                snapshot_id = _snapshot_before_delete(run, record, handler, ctx, state)
                if snapshot_id is not None:
                    completed_reason = f"Snapshot {snapshot_id} was kept"
            call_with_retries(run, lambda: handler.delete(ctx, state))
            wait_until_complete(run, lambda: handler.check_delete_complete(ctx, state), None)
        except Exception as error:
            run.recorder.resource_status(record, "DELETE_FAILED", _message(error))
            raise ActionFailed(record.logical_id) from error
    run.recorder.resource_status(record, "DELETE_COMPLETE", completed_reason)
    if forget:
        run.recorder.forget(record)


def _snapshot_before_delete(run: OperationRun, record: ResourceRecord, handler: ResourceType, ctx, state) -> str | None:
    """Start the snapshot (unless a resumed delete already did) and wait until it is usable.
    Its id is saved with an event the moment it is known, so a crash cannot take it twice."""
    snapshot_id = record.attributes.get(SNAPSHOT_ATTRIBUTE)
    if snapshot_id is None:
        snapshot_id = call_with_retries(run, lambda: handler.snapshot(ctx, state))
        if snapshot_id is None:  # the resource is already gone: nothing to keep
            return None
        record.attributes = {**record.attributes, SNAPSHOT_ATTRIBUTE: snapshot_id}
        which = "UpdateReplacePolicy" if record.role == "replaced" else "DeletionPolicy"
        run.recorder.resource_status(
            record, "DELETE_IN_PROGRESS", f"Creating snapshot {snapshot_id} before deletion ({which} Snapshot)"
        )
    try:
        wait_until_complete(run, lambda: handler.check_snapshot_complete(ctx, snapshot_id), None)
    except ResourceFailure:  # a snapshot in error is not waited for again: a retried delete takes a new one
        record.attributes = {k: v for k, v in record.attributes.items() if k != SNAPSHOT_ATTRIBUTE}
        raise
    return snapshot_id
