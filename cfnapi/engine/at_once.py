"""Resources complete as soon as they exist (``ResourceType.completes_at_once``, e.g. a
WaitConditionHandle), created by the scheduler's own thread, a ready wave at a time.

Each still goes through CREATE_IN_PROGRESS, CREATE_IN_PROGRESS "Resource creation
Initiated" and CREATE_COMPLETE, with an event each. The wave's rows and all its events
are written in one transaction (together with the waves that follow it at once, as
along a DependsOn chain; the scheduler commits before anything else may depend on
them): a crash keeps all of it or none of it, and since such a create makes nothing
but its id, a resumed create simply makes it again. Handing each of these to a pool
thread and waiting for three commits cost far more than the resource.

Anything out of the ordinary (a property that does not resolve, a missing required
property, a create that raises or is not complete at once, a CreationPolicy to wait for)
is left to the usual path (``resource_actions.create_resource``), which records it.
"""

from __future__ import annotations

from cfnapi.engine import statuses as st
from cfnapi.engine.models import utcnow
from cfnapi.engine.records import ResourceRecord
from cfnapi.engine.resource_actions import missing_required, new_creation_token
from cfnapi.engine.run import OperationRun


class CreateAtOnce:
    """The ``AtOnce`` of a create phase (see ``scheduler.run_graph``)."""

    def __init__(self, operation: OperationRun):
        self.operation = operation
        # Created since the last commit (``run_graph`` commits before anything depends on them
        # outside this thread): rows in their final state, and their events in order.
        self._created: list[ResourceRecord] = []
        self._events: list[dict] = []

    def takes(self, logical_id: str) -> bool:
        decl = self.operation.definition.resources[logical_id]
        registry = self.operation.runtime.registry
        if decl.type not in registry or not registry.class_for(decl.type).completes_at_once:
            return False
        return not (decl.creation_policy or {}).get("ResourceSignal")

    def run(self, logical_ids: list[str]) -> list[str]:
        run, recorder = self.operation, self.operation.recorder
        created: list[ResourceRecord] = []
        left: list[str] = []
        # One moment for the wave's start and one for its end: its resources are created
        # together, and shared timestamps are converted once when written.
        started = utcnow()
        for logical_id in logical_ids:
            record = self._create(logical_id, started)
            if record is None:
                left.append(logical_id)
            else:
                created.append(record)
        if not created:
            return left
        finished = utcnow()
        for record in created:
            record.updated_at = finished
        # Events in the order the usual path writes them, wave by wave: every resource's
        # CREATE_IN_PROGRESS (with its properties), then "Initiated", then CREATE_COMPLETE.
        events = [recorder.resource_event(r, "CREATE_IN_PROGRESS", None, r.created_at, properties=r.properties,
                                          before_create=True)
                  for r in created]
        events += [recorder.resource_event(r, "CREATE_IN_PROGRESS", st.CREATE_INITIATED, r.created_at)
                   for r in created]
        events += [recorder.resource_event(r, "CREATE_COMPLETE", r.status_reason, r.updated_at) for r in created]
        with run.lock:
            for record in created:
                run.current[record.logical_id] = record
        self._created += created
        self._events += events
        return left

    def commit(self) -> None:
        created, events = self._created, self._events
        self._created, self._events = [], []
        self.operation.recorder.resources_together(created, events)

    def _create(self, logical_id: str, started) -> ResourceRecord | None:
        """The resource complete, in memory, or None when the usual path must create it."""
        run = self.operation
        decl = run.definition.resources[logical_id]
        handler = run.runtime.registry.handler(decl.type)
        try:
            props = run.definition.resolve_properties(logical_id, run.env)
            metadata = run.definition.resolve_metadata(logical_id, run.env)
            if missing_required(handler, logical_id, props):
                return None
            record = ResourceRecord(
                logical_id, decl.type, properties=props, metadata=metadata, creation_token=new_creation_token(),
                deletion_policy=decl.deletion_policy, update_replace_policy=decl.update_replace_policy,
                created_at=started,
            )
            ctx = run.context_for(logical_id, record.creation_token)
            record.physical_id = handler.create(ctx, props)
            state = run.state_of(record)
            if not handler.check_create_complete(ctx, state):
                return None
            record.attributes = handler.attributes(ctx, state)
        except Exception:  # noqa: BLE001 - the usual path does it again and records why it fails
            return None
        record.status, record.status_reason = "CREATE_COMPLETE", handler.completion_note(props)
        return record
