"""The phases of stack operations, one function per in-progress stack status.

A phase does its work and moves the stack to the next status (writing
``needs_work`` with it). Because the phase follows from the status alone, a
worker that takes over a stack after a crash simply runs the phase the
status names, as interrupted. A create is resumed: complete resources are
kept, those in flight are waited for again or found by their creation token,
so nothing is created twice. An unfinished update is failed instead (its
in-flight provider calls are lost, and half an update is no state to keep)
and rolls back as any failure does. Deletes, rollbacks and cleanups are
resumed: each step is idempotent (deleting something already gone succeeds).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from sqlalchemy import delete, insert, select

from cfnapi.engine import statuses as st
from cfnapi.engine.at_once import CreateAtOnce
from cfnapi.engine.deletion_policy import DELETE, RETAIN, removal_policy
from cfnapi.engine.models import EventRow, ExportRow, ImportRow, utcnow
from cfnapi.engine.plan import Action, ResourceSnapshot, diff_resource
from cfnapi.engine.records import ResourceRecord
from cfnapi.engine.resource_actions import create_resource, delete_resource, replace, resume_create, update_in_place
from cfnapi.engine.run import OperationRun
from cfnapi.engine.scheduler import GraphOutcome, reverse_graph, run_graph
from cfnapi.engine.exports import delete_conflict, outputs_conflict
from cfnapi.engine.stack_policy import effective_policy, policy_denial
from cfnapi.errors import ServiceError

Phase = Callable[[OperationRun, bool], None]

log = logging.getLogger(__name__)


def _graph_of(run: OperationRun, logical_ids: Iterable[str], definition=None) -> dict[str, set[str]]:
    definition = definition if definition is not None else run.definition
    decls = definition.resources if definition is not None else {}
    ids = set(logical_ids)
    return {lid: set(decls[lid].dependencies) & ids if lid in decls else set() for lid in ids}


def _declared_type(run: OperationRun) -> Callable[[str], str]:
    return lambda logical_id: run.definition.resources[logical_id].type


def _mark_interrupted(run: OperationRun) -> list[str]:
    """Resources left mid-operation by a dead process become failures (CREATE_IN_PROGRESS
    becomes CREATE_FAILED, and so on), with events saying so."""
    interrupted = []
    for record in list(run.current.values()):
        if record.status.endswith("_IN_PROGRESS"):
            _find_unsaved_creation(run, record)
            failed_status = record.status.replace("_IN_PROGRESS", "_FAILED")
            run.recorder.resource_status(record, failed_status, st.INTERRUPTED)
            interrupted.append(record.logical_id)
    return interrupted


def _find_unsaved_creation(run: OperationRun, record: ResourceRecord) -> None:
    """The process may have died after the provider created the resource and before its id
    was saved: ask the type to find it by the creation token, so the rollback deletes it."""
    if record.physical_id is not None or record.creation_token is None:
        return
    handler = run.runtime.registry.handler(record.type)
    try:
        # The row's last write (updated_at) is the one that saved the token, before the create call.
        ctx = run.context_for(record.logical_id, record.creation_token, record.updated_at)
        found = handler.find_created(ctx, record.properties)
    except Exception:  # the cloud is unreachable: carry on; the failure event still says what happened
        log.exception("stack %s: could not look for what %s's create made", run.stack.name, record.logical_id)
        return
    record.physical_id = found  # saved with the interrupted event that follows


def _interrupted_outcome(run: OperationRun) -> GraphOutcome:
    """An update a dead process left unfinished: never complete, even when no resource
    was in flight at the moment it died (it may have died between two waves)."""
    failed = _mark_interrupted(run)
    untouched = [lid for lid in run.definition.resources if lid not in failed]
    return GraphOutcome(failed=failed, not_started=untouched)


def _note_resumed(run: OperationRun) -> None:
    """An event saying the phase is picked up again after its process died (the status stays)."""
    run.recorder.stack_status(run.stack.status, st.OPERATION_RESUMED)


def _failure_reason(run: OperationRun, verb: str, failed: list[str], then: str, operation: str) -> str:
    if run.stop_reason == "timeout":
        return st.timeout_reason(operation, then)
    if run.stop_reason == "cancel":
        return st.STACK_UPDATE_CANCELLED
    return st.failed_to(verb, failed, then)


def _finish_outputs(run: OperationRun) -> tuple[list[dict], str | None]:
    """Resolve outputs and replace the stack's exports and imports (the caller writes
    the status). Returns (DescribeStacks Outputs, None), or ([], why it cannot)."""
    try:
        outputs = run.definition.resolve_outputs(run.env)
    except ServiceError as error:  # e.g. Fn::ImportValue of an export that is gone
        return [], error.message
    if run.stack.status == "CREATE_IN_PROGRESS" and not run.definition.imports \
            and not any(o.export_name for o in outputs):
        # A create that neither exports nor imports has no rows to check or replace (only this
        # same create could have written some, from this same template): two transactions
        # fewer between the last resource and CREATE_COMPLETE.
        return [o.for_response() for o in outputs], None
    conflict = outputs_conflict(run.runtime, run.stack, outputs)
    if conflict is not None:
        return [], conflict
    stack = run.stack
    with run.recorder.transaction() as session:
        _forget_exports(session, stack.stack_id)
        for output in outputs:
            if output.export_name:
                session.execute(
                    insert(ExportRow).values(
                        account_id=stack.account_id,
                        region=stack.region,
                        name=output.export_name,
                        value=output.value,
                        stack_id=stack.stack_id,
                    )
                )
        for name in sorted(run.definition.imports):
            session.execute(
                insert(ImportRow).values(
                    account_id=stack.account_id, region=stack.region, export_name=name, importing_stack_id=stack.stack_id
                )
            )
    return [o.for_response() for o in outputs], None


def _forget_exports(session, stack_id: str) -> None:
    session.execute(delete(ExportRow).where(ExportRow.stack_id == stack_id))
    session.execute(delete(ImportRow).where(ImportRow.importing_stack_id == stack_id))


def _done(**columns):
    return dict(needs_work=False, operation_deadline=None, cancel_requested=False, **columns)


# --- create ---------------------------------------------------------------------------


def create_phase(run: OperationRun, interrupted: bool) -> None:
    # A create taken over from a dead worker is resumed: nothing is created twice.
    if interrupted:
        _note_resumed(run)
    step = resume_create if interrupted else create_resource
    graph = {lid: set(decl.dependencies) for lid, decl in run.definition.resources.items()}
    # A resumed create goes resource by resource: each must be looked for before anything is made.
    at_once = None if interrupted else CreateAtOnce(run)
    outcome = run_graph(graph, lambda lid: step(run, lid), run.pool_for(_declared_type(run)), run.stop,
                        at_once=at_once)
    if run.stop_reason == "lease":
        return  # another worker owns the stack now
    if run.stop_reason == "cancel" or run.cancel_was_requested():
        # Only DeleteStack (or a parent deleting its child) cancels a create.
        run.recorder.stack_status("DELETE_IN_PROGRESS", st.USER_INITIATED, operation_deadline=None,
                                  cancel_requested=False, needs_work=True)
        return
    problem = None
    if outcome.ok:
        outputs, problem = _finish_outputs(run)
        if problem is None:
            run.recorder.stack_status("CREATE_COMPLETE", None, outputs=outputs, **_done())
            return
    failed = outcome.failed or outcome.cancelled
    # A nested stack's failed create is left to its parent, whose rollback deletes it (AWS).
    on_failure = "DO_NOTHING" if run.stack.parent_id else run.stack.on_failure
    then = {"DO_NOTHING": "", "DELETE": "Delete requested by user."}.get(on_failure, "Rollback requested by user.")
    reason = f"{problem}. {then}".rstrip() if problem else _failure_reason(run, "create", failed, then, "creation")
    if on_failure == "DO_NOTHING":
        run.recorder.stack_status("CREATE_FAILED", reason, **_done())
    elif on_failure == "DELETE":
        run.recorder.stack_status("DELETE_IN_PROGRESS", reason, operation_deadline=None)
    else:
        run.recorder.stack_status("ROLLBACK_IN_PROGRESS", reason, operation_deadline=None)


def _delete_all(run: OperationRun, retain: set[str], forget: bool, undoing_create: bool = False) -> GraphOutcome:
    records = dict(run.current)
    graph = reverse_graph(_graph_of(run, records))
    return run_graph(
        graph,
        lambda lid: delete_resource(
            run,
            records[lid],
            policy=RETAIN if lid in retain else removal_policy(records[lid], undoing_create=undoing_create),
            forget=forget,
        ),
        run.pool_for(lambda lid: records[lid].type),
        run.stop,
        halt_on_failure=False,
    )


def rollback_phase(run: OperationRun, interrupted: bool) -> None:
    if interrupted:
        _note_resumed(run)
    outcome = _delete_all(run, set(), forget=False, undoing_create=True)
    if outcome.ok:
        with run.recorder.transaction() as session:
            _forget_exports(session, run.stack.stack_id)
        # DescribeStacks goes on showing why the rollback began (its event has no reason), as AWS does.
        run.recorder.stack_status("ROLLBACK_COMPLETE", None, shown_reason=_why_rollback_began(run), **_done())
    else:
        run.recorder.stack_status("ROLLBACK_FAILED", st.failed_to("delete", outcome.failed), **_done())


def _why_rollback_began(run: OperationRun) -> str | None:
    """The reason of the stack's ROLLBACK_IN_PROGRESS event (not of a "Resumed" note after a crash)."""
    with run.runtime.db.transaction() as session:
        return session.scalar(
            select(EventRow.status_reason)
            .where(
                EventRow.stack_id == run.stack.stack_id,
                EventRow.physical_id == run.stack.stack_id,
                EventRow.status == "ROLLBACK_IN_PROGRESS",
                EventRow.status_reason != st.OPERATION_RESUMED,
            )
            .order_by(EventRow.seq.desc())
            .limit(1)
        )


def delete_phase(run: OperationRun, interrupted: bool) -> None:
    if interrupted:
        _note_resumed(run)
    conflict = delete_conflict(run.runtime, run.stack)
    if conflict is not None:  # nothing is deleted while another stack imports an export
        run.recorder.stack_status("DELETE_FAILED", conflict, **_done())
        return
    outcome = _delete_all(run, set(run.stack.retain_resources or ()), forget=False)
    if outcome.ok:
        with run.recorder.transaction() as session:
            _forget_exports(session, run.stack.stack_id)
        run.recorder.stack_status("DELETE_COMPLETE", None, deleted_at=utcnow(), **_done())
    else:
        run.recorder.stack_status("DELETE_FAILED", st.failed_to("delete", outcome.failed), **_done())


# --- update ---------------------------------------------------------------------------


def _behaviour_of(run: OperationRun):
    registry = run.runtime.registry
    return lambda type_name, prop: registry.class_for(type_name).update_behaviour(prop)


def _update_one(run: OperationRun, logical_id: str) -> None:
    record = run.current.get(logical_id)
    if record is None or record.status == "CREATE_FAILED":
        # New, or new in the failed update this one resumes: create it (again).
        create_resource(run, logical_id, failed=record)
        return
    decl = run.definition.resources[logical_id]
    props = run.definition.resolve_properties(logical_id, run.env)
    metadata = run.definition.resolve_metadata(logical_id, run.env)
    change = diff_resource(
        logical_id,
        ResourceSnapshot(record.type, record.properties, record.physical_id, record.metadata),
        ResourceSnapshot(decl.type, props, metadata=metadata),
        _behaviour_of(run),
    )
    record.metadata = metadata
    record.deletion_policy, record.update_replace_policy = decl.deletion_policy, decl.update_replace_policy
    if change.action is Action.KEEP:
        # Retried when it failed in the update this one resumes; a nested stack is
        # always updated, as on AWS (its template may have changed behind the same URL).
        if record.status == "UPDATE_FAILED" or run.runtime.registry.class_for(record.type).update_when_unchanged:
            update_in_place(run, record, props)
        return
    action = "Update:Replace" if change.action is Action.REPLACE else "Update:Modify"
    denial = policy_denial(effective_policy(run.stack), action, logical_id, record.type)
    if denial is not None:
        run.recorder.resource_status(record, "UPDATE_FAILED", denial)
        from cfnapi.engine.scheduler import ActionFailed

        raise ActionFailed(logical_id)
    if run.stop.is_set():
        from cfnapi.engine.scheduler import ActionCancelled

        raise ActionCancelled(logical_id)
    if change.action is Action.REPLACE:
        replace(run, record, decl.type, props, decl)
    else:
        update_in_place(run, record, props)


def _denied_removals(run: OperationRun) -> list[str]:
    """Resources the update would delete although the stack policy forbids it (checked
    before anything changes, since deletions only happen in the cleanup phase)."""
    policy = effective_policy(run.stack)
    denied = []
    for lid, record in run.current.items():
        if lid in run.definition.resources:
            continue
        denial = policy_denial(policy, "Update:Delete", lid, record.type)
        if denial is not None:
            run.recorder.resource_status(record, "UPDATE_FAILED", denial)
            denied.append(lid)
    return denied


def update_phase(run: OperationRun, interrupted: bool) -> None:
    if interrupted:
        outcome = _interrupted_outcome(run)
    elif denied := _denied_removals(run):
        outcome = GraphOutcome(failed=denied)
    else:
        graph = {lid: set(decl.dependencies) for lid, decl in run.definition.resources.items()}
        outcome = run_graph(graph, lambda lid: _update_one(run, lid), run.pool_for(_declared_type(run)), run.stop)
    if run.stop_reason == "lease":
        return
    problem = None
    if outcome.ok:
        outputs, problem = _finish_outputs(run)
        if problem is None:
            # A nested stack's old resources are cleaned up in its root's cleanup (as on
            # AWS): until then it waits, with no work, for its parent to start it.
            waits_for_root = bool(run.stack.parent_id)
            run.recorder.stack_status(
                "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", None, outputs=outputs,
                **(_done() if waits_for_root else dict(operation_deadline=None)),
            )
            return
    failed = outcome.failed or outcome.cancelled
    verb = "create" if all(run.current[f].status == "CREATE_FAILED" for f in failed if f in run.current) else "update"
    if interrupted:  # said plainly: the update stopped with its process, it did not fail on its own
        reason = st.update_interrupted(outcome.failed)
    else:
        reason = problem or _failure_reason(run, verb, failed, "", "update")
    if run.stack.on_failure == "DO_NOTHING" and run.stop_reason != "cancel":
        # DisableRollback: keep what was done; UpdateStack resumes, RollbackStack undoes it.
        run.recorder.stack_status("UPDATE_FAILED", reason, **_done())
        return
    run.recorder.stack_status("UPDATE_ROLLBACK_IN_PROGRESS", reason, operation_deadline=None, cancel_requested=False)


def _clear_update_marks(run: OperationRun) -> None:
    for record in run.current.values():
        if record.update_action or record.previous_properties is not None:
            record.update_action = None
            record.previous_properties = record.previous_attributes = None
            run.recorder.save_quietly(record)


def _cleanup(run: OperationRun, doomed: list[ResourceRecord], policy_of: Callable[[ResourceRecord], str]) -> None:
    """Delete superseded resources (reverse dependency order), forgetting their rows."""
    by_key = {f"{r.logical_id}#{i}": r for i, r in enumerate(doomed)}
    deps = _graph_of(run, {r.logical_id for r in doomed}, getattr(run, "previous_definition", None))
    graph = {key: {k for k, other in by_key.items() if other.logical_id in deps[r.logical_id]} for key, r in by_key.items()}
    run_graph(
        reverse_graph(graph),
        lambda key: delete_resource(run, by_key[key], policy=policy_of(by_key[key]), forget=True),
        run.pool_for(lambda key: by_key[key].type),
        run.stop,
        halt_on_failure=False,
    )


def _children_cleanups(run: OperationRun) -> None:
    """Nested stacks waiting for this stack's cleanup run theirs now (and their children's)."""
    run.nested_stacks.run_deferred_cleanups(run.stop)


def update_cleanup_phase(run: OperationRun, interrupted: bool) -> None:
    if interrupted:
        _note_resumed(run)
    _children_cleanups(run)
    removed = [r for lid, r in run.current.items() if lid not in run.definition.resources]
    replaced = list(run.replaced)
    _cleanup(run, removed + replaced, removal_policy)
    for record in removed:
        run.current.pop(record.logical_id, None)
    _clear_update_marks(run)
    # A failed cleanup delete does not fail the update (AWS behaves the same way).
    run.recorder.stack_status(
        "UPDATE_COMPLETE",
        None,
        previous_template_body=None,
        previous_parameters=None,
        update_policy_override=None,
        no_echo_parameters=sorted(getattr(run.definition, "no_echo_parameters", ()) or ()),
        **_done(),
    )


def update_rollback_phase(run: OperationRun, interrupted: bool) -> None:
    if interrupted:  # restoring is idempotent: an update to the old properties, or a swap already done
        _note_resumed(run)
    skip = set(run.stack.skip_resources or ())
    touched = [lid for lid, r in run.current.items() if r.update_action in ("updated", "replaced")]
    graph = _graph_of(run, touched)

    def restore(lid: str) -> None:
        record = run.current[lid]
        if lid in skip:
            record.update_action = "rolled_back"
            run.recorder.resource_status(record, "UPDATE_COMPLETE", "Resource skipped during continue update rollback")
            return
        if record.update_action == "updated":
            update_in_place(run, record, dict(record.previous_properties or {}))
            record.update_action = "rolled_back"
            run.recorder.save_quietly(record)
        elif record.update_action == "replaced":
            _swap_back(run, record)

    outcome = run_graph(graph, restore, run.pool_for(lambda lid: run.current[lid].type), run.stop,
                        halt_on_failure=False)
    if outcome.ok:
        run.recorder.stack_status("UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS", None, skip_resources=[])
    else:
        run.recorder.stack_status(
            "UPDATE_ROLLBACK_FAILED", st.failed_to("update", outcome.failed), skip_resources=[], **_done()
        )


def _swap_back(run: OperationRun, record: ResourceRecord) -> None:
    """Undo a replacement: the old physical resource is current again, the new one is cleaned up."""
    old = next((r for r in run.replaced if r.logical_id == record.logical_id), None)
    if old is None:  # the old one is already gone; keep the replacement
        record.update_action = "rolled_back"
        run.recorder.save_quietly(record)
        return
    new = ResourceRecord(**{**record.__dict__, "role": "replaced", "row_id": old.row_id, "update_action": None})
    record.type, record.physical_id = old.type, old.physical_id
    record.properties, record.attributes = dict(record.previous_properties or {}), dict(record.previous_attributes or {})
    record.deletion_policy, record.update_replace_policy = old.deletion_policy, old.update_replace_policy
    record.update_action = "rolled_back"
    with run.lock:
        run.replaced = [r for r in run.replaced if r is not old] + [new]
    # The new physical id takes the old row's place, in the same transaction as the event.
    run.recorder.resource_status(record, "UPDATE_COMPLETE", None, also_save=(new,))


def update_rollback_cleanup_phase(run: OperationRun, interrupted: bool) -> None:
    if interrupted:
        _note_resumed(run)
    _children_cleanups(run)  # children this rollback updated back to their old definitions
    created = [r for r in run.current.values() if r.update_action == "created"]
    # What the failed update made goes without a trace: no policy keeps or snapshots it.
    _cleanup(run, created + list(run.replaced), lambda r: DELETE)
    for record in created:
        run.current.pop(record.logical_id, None)
    _clear_update_marks(run)
    restored = {}
    if run.stack.previous_template_body is not None:
        restored = dict(template_body=run.stack.previous_template_body, parameters=run.stack.previous_parameters or {})
    run.recorder.stack_status(
        "UPDATE_ROLLBACK_COMPLETE",
        None,
        previous_template_body=None,
        previous_parameters=None,
        update_policy_override=None,
        **restored,
        **_done(),
    )


PHASES: dict[str, Phase] = {
    "CREATE_IN_PROGRESS": create_phase,
    "ROLLBACK_IN_PROGRESS": rollback_phase,
    "DELETE_IN_PROGRESS": delete_phase,
    "UPDATE_IN_PROGRESS": update_phase,
    "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS": update_cleanup_phase,
    "UPDATE_ROLLBACK_IN_PROGRESS": update_rollback_phase,
    "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS": update_rollback_cleanup_phase,
}

# Phases that run against the template the stack had before the update.
USES_PREVIOUS_TEMPLATE = frozenset({"UPDATE_ROLLBACK_IN_PROGRESS", "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS"})
