"""The state one stack operation works on: its resources in memory, how to
reach the cloud, and the stop signal shared by everything in flight."""

from __future__ import annotations

import datetime as dt
import functools
import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import and_, delete, not_, or_, select

from cfnapi.engine.definition import Identity, StackDefinition
from cfnapi.engine.models import ExportRow, ResourceRow, SignalRow, StackRow
from cfnapi.engine.nested import NestedStacks
from cfnapi.engine.pools import RoutedPool, ThreadPerTask
from cfnapi.engine.records import Recorder, ResourceRecord, StackRef, load_resources
from cfnapi.engine.runtime import EngineRuntime
from cfnapi.errors import validation_error
from cfnapi.translate.base import ResourceContext, ResourceState


# Threads that only wait for a child stack (nested stacks' actions): one per action.
_STACK_WAITERS = ThreadPerTask("cfn-nested-wait")


class OperationRun:
    def __init__(self, runtime: EngineRuntime, stack: StackRow, definition: StackDefinition | None,
                 lease_owner: str | None = None):
        self.runtime = runtime
        self.stack = stack  # a detached snapshot of the row when the phase started
        self.definition = definition
        # A worker passes its id: then every write is fenced by its lease on the stack.
        self.recorder = Recorder(runtime.db, StackRef(stack.stack_id, stack.name), stack.client_request_token,
                                 lease_owner)
        records = load_resources(runtime.db, stack.stack_id)
        self.current: dict[str, ResourceRecord] = {r.logical_id: r for r in records if r.role == "current"}
        self.replaced: list[ResourceRecord] = [r for r in records if r.role == "replaced"]
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.stop_reason: str | None = None  # "cancel" | "timeout" | "lease" once stop is set by the watchdog
        self.env = RunEnv(self)
        self.previous_definition: StackDefinition | None = None  # set for the update cleanup phase

    def pool_for(self, type_of: Callable[[str], str | None]) -> RoutedPool:
        """The executor for a graph whose node ``n`` is a resource of type ``type_of(n)``:
        the bounded resource pool, or a thread of its own for types that wait on a stack."""
        registry = self.runtime.registry

        def waits(node: str) -> bool:
            type_name = type_of(node)
            return bool(type_name) and type_name in registry and registry.class_for(type_name).waits_on_a_stack

        return RoutedPool(self.runtime.resource_pool, _STACK_WAITERS, waits)

    @property
    def identity(self) -> Identity:
        return Identity(
            self.stack.account_id,
            self.stack.region,
            self.stack.stack_id,
            self.stack.name,
            tuple(self.stack.notification_arns or ()),
        )

    def halt(self, reason: str) -> None:
        if not self.stop.is_set():
            self.stop_reason = reason
            self.stop.set()

    def fresh_stop(self) -> None:
        """A new phase starts with a clear stop signal (a rollback must run even after a cancel)."""
        self.stop = threading.Event()
        self.stop_reason = None

    def cancel_was_requested(self) -> bool:
        """Read now, not at the last watchdog tick: a cancel must not slip past the end of a phase."""
        with self.runtime.db.read_transaction() as session:
            return bool(
                session.scalar(select(StackRow.cancel_requested).where(StackRow.stack_id == self.stack.stack_id))
            )

    def context_for(self, logical_id: str, creation_token: str | None = None,
                    token_saved_at: dt.datetime | None = None) -> ResourceContext:
        decl = self.definition.resources.get(logical_id) if self.definition is not None else None
        return ResourceContext(
            logical_id=logical_id,
            creation_policy=decl.creation_policy if decl is not None else None,
            update_policy=decl.update_policy if decl is not None else None,
            creation_token=creation_token,
            token_saved_at=token_saved_at,
            recorded_resources=functools.partial(self.recorded_resources, logical_id),
            **self._context_common,
        )

    @functools.cached_property
    def _context_common(self) -> dict[str, Any]:
        """What every resource's context shares, read off the stack row once per run (its
        attributes are ORM-instrumented, and a 500-resource wave asked for each 500 times)."""
        return dict(
            account_id=self.stack.account_id,
            region=self.stack.region,
            stack_id=self.stack.stack_id,
            stack_name=self.stack.name,
            cloud=self.runtime.cloud,
            presign_signal_url=self.runtime.presign_signal_url,
            signals_for=self.signals_for,
            logical_id_for_physical=self.logical_id_for_physical,
            nested_stacks=self.nested_stacks,
        )

    @functools.cached_property
    def nested_stacks(self) -> NestedStacks:
        """This stack's children (the AWS::CloudFormation::Stack resources' stacks)."""
        return NestedStacks(self.runtime, self.stack)

    @staticmethod
    def state_of(record: ResourceRecord) -> ResourceState:
        return ResourceState(
            record.logical_id, record.physical_id, record.properties, record.attributes, record.created_at
        )

    def signals_for(self, logical_id: str) -> list[dict]:
        with self.runtime.db.transaction() as session:
            rows = session.scalars(
                select(SignalRow)
                .where(SignalRow.stack_id == self.stack.stack_id, SignalRow.logical_id == logical_id)
                .order_by(SignalRow.id)
            ).all()
            return [{"UniqueId": r.unique_id, "Status": r.status, "Data": r.data, "Reason": r.reason} for r in rows]

    def forget_signals(self, logical_id: str) -> None:
        """A replacement waits for signals of its own: those its predecessor received
        (kept by logical id) must not count for it."""
        with self.recorder.transaction() as session:
            session.execute(
                delete(SignalRow).where(SignalRow.stack_id == self.stack.stack_id, SignalRow.logical_id == logical_id)
            )

    def recorded_resources(self, asking: str, type_name: str,
                           every_region: bool = False) -> list[tuple[str | None, dict]]:
        """(physical id, properties) of every resource of ``type_name`` that a stack of this
        account holds now, for the resource ``asking`` (a logical id of this stack, left out).
        Replaced ones are in (they exist until the cleanup), and so are creates in flight (no
        physical id yet), so two resources of one template created side by side see each other.
        Deleted and retained ones are left out: a record-only resource has nothing left once its
        stack lets go. IAM names are global (``every_region``); EC2's are per region."""
        itself = and_(ResourceRow.stack_id == self.stack.stack_id, ResourceRow.logical_id == asking,
                      ResourceRow.role == "current")
        query = (
            select(ResourceRow.physical_id, ResourceRow.properties)
            .join(StackRow, StackRow.stack_id == ResourceRow.stack_id)
            .where(StackRow.account_id == self.stack.account_id, ResourceRow.type == type_name, not_(itself),
                   or_(ResourceRow.physical_id.is_not(None), ResourceRow.status == "CREATE_IN_PROGRESS"),
                   ResourceRow.status.not_in(("DELETE_COMPLETE", "DELETE_SKIPPED")))
        )
        if not every_region:
            query = query.where(StackRow.region == self.stack.region)
        with self.runtime.db.transaction() as session:
            return [(physical_id, properties or {}) for physical_id, properties in session.execute(query)]

    def logical_id_for_physical(self, physical_id: str) -> str | None:
        with self.lock:
            for record in self.current.values():
                if record.physical_id == physical_id:
                    return record.logical_id
        return None


class RunEnv:
    """``ResolutionEnv`` over the run's live resources."""

    def __init__(self, run: OperationRun):
        self.run = run

    def _record(self, logical_id: str) -> ResourceRecord:
        with self.run.lock:
            record = self.run.current.get(logical_id)
        if record is None or record.physical_id is None:
            raise validation_error(f"Resource {logical_id} is not available yet")
        return record

    def ref_resource(self, logical_id: str) -> str:
        record = self._record(logical_id)
        return self.run.runtime.registry.handler(record.type).ref(OperationRun.state_of(record))

    def get_att(self, logical_id: str, attribute: str) -> Any:
        record = self._record(logical_id)
        if attribute not in record.attributes:
            raise validation_error(
                f"Template error: resource {logical_id} does not support attribute type {attribute} in Fn::GetAtt"
            )
        return record.attributes[attribute]

    def import_value(self, export_name: str) -> str:
        stack = self.run.stack
        with self.run.runtime.db.transaction() as session:
            value = session.scalar(
                select(ExportRow.value).where(
                    ExportRow.account_id == stack.account_id,
                    ExportRow.region == stack.region,
                    ExportRow.name == export_name,
                )
            )
        if value is None:
            raise validation_error(f"No export named {export_name} found.")
        return value

    def availability_zones(self) -> list[str]:
        # The cloud's zones as the stack's account sees them (us-east-1a, -1b … in the cloud's order).
        lister = getattr(self.run.runtime.cloud, "availability_zones", None)
        if callable(lister):
            return list(lister(self.run.stack.account_id, self.run.stack.region))
        return [f"{self.run.stack.region}a"]
