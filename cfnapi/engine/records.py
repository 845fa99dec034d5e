"""Writes to the engine's tables: each status change together with its event,
in one transaction, so a crash can never keep one and lose the other.

A worker's writes are fenced by its lease: each transaction checks, with the
stack row locked, that the worker still owns the stack. A worker that was
paused past its lease (and whose stack another worker has taken over) gets
``LeaseLost`` instead of writing over the new owner's work. A stack status
change does the check in the statement that inserts its event; resource status
changes, which share commits (``group_commit``), check once per stack and
batch; other writes check first.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, insert, literal, select, update
from sqlalchemy.exc import IntegrityError

from cfnapi.db import Database
from cfnapi.engine.group_commit import committer_for
from cfnapi.engine.models import EventRow, ResourceRow, StackRow, utcnow

STACK_TYPE = "AWS::CloudFormation::Stack"

# Statements built once on the tables (SQLAlchemy Core), executed on a plain
# connection with a dict of values: building an ORM-enabled statement per status
# change, and the session around it, cost more than the write itself on a
# 500-resource stack.
_EVENTS, _RESOURCES = EventRow.__table__, ResourceRow.__table__
_INSERT_EVENT = insert(_EVENTS)
_INSERT_RESOURCE = insert(_RESOURCES).returning(_RESOURCES.c.id)
# What tells a stack's resource rows apart when many are inserted in one statement.
_RESOURCE_IDENTITY = ("stack_id", "logical_id", "role")
_UPDATE_RESOURCE = update(_RESOURCES).where(_RESOURCES.c.id == bindparam("row_id_"))
# The lease check of a group-commit batch: the stack's owner, the row share-locked until
# commit. Built once: building it (an ORM select) per batch cost more than running it.
_STACKS = StackRow.__table__
_LEASE_OWNER = (
    select(_STACKS.c.lease_owner).where(_STACKS.c.stack_id == bindparam("stack_id")).with_for_update(read=True)
)


@dataclass
class ResourceRecord:
    """The in-memory copy of one ``ResourceRow`` an operation works on."""

    logical_id: str
    type: str
    status: str = "CREATE_IN_PROGRESS"
    physical_id: str | None = None
    creation_token: str | None = None  # see ResourceRow.creation_token
    status_reason: str | None = None
    properties: dict[str, Any] = field(default_factory=dict)
    attributes: dict[str, Any] = field(default_factory=dict)
    metadata: Any = None
    deletion_policy: str | None = None
    update_replace_policy: str | None = None
    update_action: str | None = None
    previous_properties: dict[str, Any] | None = None
    previous_attributes: dict[str, Any] | None = None
    role: str = "current"
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    row_id: int | None = None

    _COLUMNS = (
        "logical_id type status physical_id creation_token status_reason properties attributes deletion_policy "
        "update_replace_policy update_action previous_properties previous_attributes role created_at updated_at"
    ).split()

    def columns(self) -> dict[str, Any]:
        # Spelled out rather than looped over _COLUMNS with getattr: written for every row of a wave.
        return {
            "logical_id": self.logical_id, "type": self.type, "status": self.status, "physical_id": self.physical_id,
            "creation_token": self.creation_token, "status_reason": self.status_reason,
            "properties": self.properties, "attributes": self.attributes, "deletion_policy": self.deletion_policy,
            "update_replace_policy": self.update_replace_policy, "update_action": self.update_action,
            "previous_properties": self.previous_properties, "previous_attributes": self.previous_attributes,
            "role": self.role, "created_at": self.created_at, "updated_at": self.updated_at,
            "resource_metadata": self.metadata,
        }

    @classmethod
    def from_row(cls, row: ResourceRow) -> "ResourceRecord":
        record = cls(**{name: getattr(row, name) for name in cls._COLUMNS})
        record.metadata = row.resource_metadata
        record.row_id = row.id
        return record


class LeaseLost(Exception):
    """This worker no longer owns the stack: another worker took it over."""


class LostRace(Exception):
    """Another request changed the stack between this request's read and its write: the
    stack is no longer in the status the request checked, or its name was taken meanwhile.
    Nothing was written; the operation re-reads the stack and answers from what it finds."""


@dataclass(frozen=True)
class StackRef:
    stack_id: str
    stack_name: str


class Recorder:
    """Status changes of one stack's operation, with their events."""

    def __init__(self, db: Database, stack: StackRef, client_request_token: str | None = None,
                 lease_owner: str | None = None):
        self.db = db
        self.stack = stack
        self.client_request_token = client_request_token
        self.lease_owner = lease_owner  # a worker's id: every write checks it still holds the lease

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Any]:
        """A transaction that only goes ahead while this recorder's worker owns the stack."""
        with self.db.transaction() as session:
            if self.lease_owner is not None:
                owner = session.scalar(
                    select(StackRow.lease_owner).where(StackRow.stack_id == self.stack.stack_id).with_for_update()
                )
                if owner != self.lease_owner:
                    raise LeaseLost(f"stack {self.stack.stack_id} is now leased to {owner}")
            yield session

    def _check_lease(self, connection) -> None:
        """For a status change in a group-commit batch: this worker still owns the stack
        (checked once per stack and batch; the stack row stays share-locked until commit)."""
        owner = connection.execute(_LEASE_OWNER, {"stack_id": self.stack.stack_id}).scalar()
        if owner != self.lease_owner:
            raise LeaseLost(f"stack {self.stack.stack_id} is no longer leased to {self.lease_owner}")

    def _insert_event(self, session, values: dict[str, Any]) -> None:
        """Insert the event; for a worker, only while it owns the stack (else the whole
        transaction is rolled back with ``LeaseLost``). The stack row is share-locked, so no
        claim can change its owner before this transaction commits."""
        if self.lease_owner is None:
            session.execute(_INSERT_EVENT, values)
            return
        columns = EventRow.__table__.c
        source = (
            select(*(literal(value, type_=columns[name].type).label(name) for name, value in values.items()))
            .where(StackRow.stack_id == self.stack.stack_id, StackRow.lease_owner == self.lease_owner)
            .with_for_update(read=True)
        )
        inserted = session.execute(insert(EventRow).from_select(list(values), source).returning(EventRow.seq))
        if inserted.first() is None:
            raise LeaseLost(f"stack {self.stack.stack_id} is no longer leased to {self.lease_owner}")

    def stack_status(self, status: str, reason: str | None = None, *, shown_reason: str | None = None,
                     expected_status: str | None = None, **stack_columns: Any) -> None:
        """The stack's new status and its event, together. ``shown_reason`` is what DescribeStacks
        shows when it differs from the event's reason (ROLLBACK_COMPLETE keeps why the rollback began).
        ``expected_status``: change only a stack still in that status (an API request's check and
        its write are two transactions), else ``LostRace`` and nothing written."""
        now = utcnow()
        stacks = StackRow.__table__
        with self.db.core_transaction() as connection:
            condition = stacks.c.stack_id == self.stack.stack_id
            if expected_status is not None:
                condition = condition & (stacks.c.status == expected_status)
            changed = connection.execute(
                update(stacks).where(condition).values(status=status, status_reason=shown_reason or reason,
                                                       **stack_columns)
            ).rowcount
            if expected_status is not None and not changed:
                raise LostRace(f"stack {self.stack.stack_id} left {expected_status} before this change")
            self._insert_event(connection, self._event(now, status, reason))

    def new_stack(self, row: StackRow) -> None:
        """Insert a new stack row together with its first event. ``LostRace`` when a live stack of
        that name appeared since the caller looked (the unique index on live names refuses it)."""
        try:
            with self.db.transaction() as session:
                session.add(row)
                session.flush()
                session.execute(_INSERT_EVENT, self._event(utcnow(), row.status, row.status_reason))
        except IntegrityError as exc:
            raise LostRace(f"a live stack named {row.name} appeared meanwhile") from exc

    def resource_status(
        self,
        record: ResourceRecord,
        status: str,
        reason: str | None = None,
        *,
        event_properties: Any = None,
        also_save: tuple[ResourceRecord, ...] = (),
    ) -> None:
        """Persist ``record`` (with its new status), ``also_save`` and the event, together."""
        now = utcnow()
        record.status, record.status_reason, record.updated_at = status, reason, now
        event = self._event(
            now,
            status,
            reason,
            logical_id=record.logical_id,
            physical_id=record.physical_id or "",
            resource_type=record.type,
            properties=event_properties,
        )
        self._commit_together((record, *also_save), [event])

    def resource_event(self, record: ResourceRecord, status: str, reason: str | None, at: dt.datetime, *,
                       properties: Any = None, before_create: bool = False) -> dict[str, Any]:
        """The event of ``record`` reaching ``status`` at ``at``, to write with ``resources_together``
        (``before_create``: written before the resource had its physical id)."""
        physical_id = "" if before_create else record.physical_id or ""
        return self._event(at, status, reason, logical_id=record.logical_id, physical_id=physical_id,
                           resource_type=record.type, properties=properties)

    def resources_together(self, records: list[ResourceRecord], events: list[dict[str, Any]]) -> None:
        """Persist ``records`` as they are now and ``events``, all in one transaction (a wave of
        resources whose every status change happened before this write)."""
        self._commit_together(records, events)

    def _commit_together(self, records, events: list[dict[str, Any]]) -> None:
        row_ids = [r.row_id for r in records]

        def write(batch) -> None:
            if self.lease_owner is not None:
                batch.once(("lease", self.stack.stack_id), self._check_lease)
            for each in records:
                if each.row_id is None:  # inserted with the batch's other new rows; the id arrives before commit
                    batch.defer_insert(_RESOURCES, {"stack_id": self.stack.stack_id, **each.columns()},
                                       lambda row_id, each=each: setattr(each, "row_id", row_id), _RESOURCE_IDENTITY)
                else:
                    batch.defer(_UPDATE_RESOURCE, {"row_id_": each.row_id, **each.columns()})
            for event in events:
                batch.defer_rows(_EVENTS, event)

        def undo() -> None:  # a rolled-back insert must be inserted again on retry
            for each, row_id in zip(records, row_ids):
                each.row_id = row_id

        # Resource changes of every stack in flight share commits (group commit);
        # this returns once these changes and their events are committed, together.
        committer_for(self.db).run(write, undo)

    def save_quietly(self, record: ResourceRecord) -> None:
        """Persist without an event (e.g. attributes read after completion)."""
        with self.transaction() as session:
            self._save(session, record)

    def forget(self, record: ResourceRecord) -> None:
        from sqlalchemy import delete

        if record.row_id is None:
            return
        with self.transaction() as session:
            session.execute(delete(ResourceRow).where(ResourceRow.id == record.row_id))
        record.row_id = None

    def _save(self, connection, record: ResourceRecord) -> None:
        if record.row_id is None:
            result = connection.execute(_INSERT_RESOURCE, {"stack_id": self.stack.stack_id, **record.columns()})
            record.row_id = result.scalar_one()
        else:
            connection.execute(_UPDATE_RESOURCE, {"row_id_": record.row_id, **record.columns()})

    def _event(
        self,
        now: dt.datetime,
        status: str,
        reason: str | None,
        *,
        logical_id: str | None = None,
        physical_id: str | None = None,
        resource_type: str = STACK_TYPE,
        properties: Any = None,
    ) -> dict[str, Any]:
        # Stack events carry the stack's name as logical id and its StackId as physical id.
        return dict(
            event_id=_random_uuid(),
            stack_id=self.stack.stack_id,
            stack_name=self.stack.stack_name,
            logical_id=logical_id or self.stack.stack_name,
            physical_id=self.stack.stack_id if logical_id is None else physical_id,
            resource_type=resource_type,
            status=status,
            status_reason=reason,
            resource_properties=json.dumps(properties) if properties is not None else None,
            timestamp=now,
            client_request_token=self.client_request_token,
        )


def _random_uuid() -> str:
    """A version-4 UUID string, as ``str(uuid.uuid4())`` but without building a UUID object:
    a 500-resource stack writes 1,500 event ids, and that took a tenth of its engine time."""
    h = os.urandom(16).hex()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}"


def load_resources(db: Database, stack_id: str) -> list[ResourceRecord]:
    with db.transaction() as session:
        rows = session.scalars(
            select(ResourceRow).where(ResourceRow.stack_id == stack_id).order_by(ResourceRow.id)
        ).all()
        return [ResourceRecord.from_row(row) for row in rows]
