"""Child stacks of AWS::CloudFormation::Stack resources: the engine's narrow API
for them, handed to the resource type through ``ResourceContext.nested_stacks``.

A child is a real stack (its own row, events and resources, ParentId/RootId
set) run by the same engine. The parent's resource starts the child's
operation and then polls its status, as it polls any cloud resource (on a
thread of its own, not the bounded resource pool: see ``engine/pools.py``). The child
runs in a thread of its own under a lease taken by this worker in the same
transaction that queued the work, so no other worker claims it while this one
is alive, and another takes it over (like any stack) if this one dies. The
parent's resource row names the child before the child is inserted, so a crash
in between leaves nothing the parent's rollback cannot find.

A child never rolls back a failed create by itself (AWS leaves that to the
parent, whose rollback deletes it); a failed update rolls back in the child,
and the parent's rollback then waits for it. A child's successful update stops
in UPDATE_COMPLETE_CLEANUP_IN_PROGRESS with no work: its cleanup runs in its
root's cleanup phase (``run_deferred_cleanups``), as on AWS.
"""

from __future__ import annotations

import datetime as dt
import secrets
import string
import threading
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update

from cfnapi.engine import statuses as st
from cfnapi.engine.models import EventRow, ResourceRow, StackRow, utcnow
from cfnapi.engine.records import Recorder, StackRef
from cfnapi.engine.runtime import EngineRuntime
from cfnapi.engine.stack_ops import begin_update, check_capabilities, compile_for, create_columns, new_stack_id
from cfnapi.template_url import fetch_template
from cfnapi.translate.base import ResourceFailure

_SUFFIX_ALPHABET = string.ascii_uppercase + string.digits
_MAX_STACK_NAME = 128
_SUFFIX_LENGTH = 13


@dataclass(frozen=True)
class ChildRequest:
    """What an AWS::CloudFormation::Stack resource asks of its child."""

    template_url: str
    parameters: dict[str, str] = field(default_factory=dict)
    timeout_in_minutes: int | None = None
    notification_arns: tuple[str, ...] = ()
    tags: tuple[dict, ...] = ()

    def as_params(self) -> dict[str, Any]:
        """The same request shaped as CreateStack/UpdateStack parameters."""
        params: dict[str, Any] = {
            "Parameters": [{"ParameterKey": k, "ParameterValue": v} for k, v in self.parameters.items()],
            "NotificationARNs": list(self.notification_arns),
            "Tags": list(self.tags),
        }
        if self.timeout_in_minutes:
            params["TimeoutInMinutes"] = self.timeout_in_minutes
        return params


def _name_head(parent_name: str, logical_id: str) -> str:
    return f"{parent_name}-{logical_id}"[: _MAX_STACK_NAME - _SUFFIX_LENGTH - 1]


def child_stack_name(parent_name: str, logical_id: str) -> str:
    """AWS's ``{parent}-{logical id}-{random}``, shortened to the 128-character limit."""
    suffix = "".join(secrets.choice(_SUFFIX_ALPHABET) for _ in range(_SUFFIX_LENGTH))
    return f"{_name_head(parent_name, logical_id)}-{suffix}"


def review_child(runtime: EngineRuntime, parent: StackRow, logical_id: str) -> StackRow:
    """A child stack in REVIEW_IN_PROGRESS for a nested CREATE change set (no resources yet)."""
    name = child_stack_name(parent.name, logical_id)
    stack_id = new_stack_id(_Caller(parent.account_id, parent.region), name)
    row = StackRow(
        stack_id=stack_id,
        account_id=parent.account_id,
        region=parent.region,
        name=name,
        status="REVIEW_IN_PROGRESS",
        status_reason=st.USER_INITIATED,
        template_body="",
        parameters={},
        parent_id=parent.stack_id,
        root_id=parent.root_id or parent.stack_id,
        created_at=utcnow(),
        needs_work=False,
    )
    Recorder(runtime.db, StackRef(stack_id, name)).new_stack(row)
    return row


@dataclass(frozen=True)
class _Caller:
    account_id: str
    region: str


class NestedStacks:
    """Create, update, delete and watch the children of one parent stack."""

    def __init__(self, runtime: EngineRuntime, parent: StackRow):
        self.runtime = runtime
        self.parent = parent  # a detached snapshot of the parent's row
        self.caller = _Caller(parent.account_id, parent.region)

    # --- starting operations ------------------------------------------------------------

    def create(self, logical_id: str, request: ChildRequest) -> str:
        """Queue the child's create and start running it; returns its StackId. A child a
        nested change set made (REVIEW_IN_PROGRESS) is the one created, as on AWS."""
        reviewed = self._reviewed_child(logical_id)
        name = reviewed.name if reviewed else child_stack_name(self.parent.name, logical_id)
        stack_id = reviewed.stack_id if reviewed else new_stack_id(self.caller, name)
        body = fetch_template(request.template_url, self.runtime.url_policy)
        params = {**request.as_params(), "Tags": self._tags(request)}
        definition = compile_for(self.runtime, stack_id, name, self.caller, body, params)
        # A child may do what its parent was allowed to do, and no more.
        check_capabilities(definition, self.parent.capabilities)
        # DescribeStacks shows the child with its root's rollback setting, as AWS does; a
        # failed create never rolls the child back by itself all the same (create_phase).
        on_failure = "DO_NOTHING" if self.parent.on_failure == "DO_NOTHING" else "ROLLBACK"
        columns = create_columns(self.runtime, body, definition, {**params, "OnFailure": on_failure}, None)
        # The parent's resource names the child before the child exists: should this
        # process die in between, the parent's rollback still finds (or finds gone) it.
        self._point_parent_resource(logical_id, stack_id)
        if reviewed is not None:
            Recorder(self.runtime.db, StackRef(stack_id, name)).stack_status(
                "CREATE_IN_PROGRESS", st.USER_INITIATED,
                **{**columns, "capabilities": list(self.parent.capabilities or [])}, **self._lease(),
            )
            self._run(stack_id)
            return stack_id
        row = StackRow(
            stack_id=stack_id,
            account_id=self.parent.account_id,
            region=self.parent.region,
            name=name,
            status="CREATE_IN_PROGRESS",
            status_reason=st.USER_INITIATED,
            parent_id=self.parent.stack_id,
            root_id=self.parent.root_id or self.parent.stack_id,
            created_at=utcnow(),
            **{**columns, "capabilities": list(self.parent.capabilities or [])},
            **self._lease(),
        )
        Recorder(self.runtime.db, StackRef(stack_id, name)).new_stack(row)
        self._run(stack_id)
        return stack_id

    def update(self, child_id: str, request: ChildRequest) -> None:
        """Forward: start updating the child to ``request`` — always, even when nothing
        changed: AWS runs an update in every nested stack (UPDATE_IN_PROGRESS …
        UPDATE_COMPLETE on the child) whenever its parent is updated.
        During the parent's rollback: undo what this parent operation did to the child."""
        child = self._load(child_id)
        if self._parent_rolling_back():
            self._roll_back(child)
            return
        body = fetch_template(request.template_url, self.runtime.url_policy)
        if child.status not in st.UPDATABLE:
            raise ResourceFailure(f"Stack:{child_id} is in {child.status} state and can not be updated.")
        # The child keeps its parent's capabilities: DescribeStacks shows them on AWS, after an update too.
        params = {**request.as_params(), "Tags": self._tags(request),
                  "Capabilities": list(self.parent.capabilities or [])}
        # An update run with DisableRollback keeps a failed child as it is too.
        params["DisableRollback"] = self.parent.on_failure == "DO_NOTHING"
        self._start_update(child, body, params, request.timeout_in_minutes)

    def _roll_back(self, child: StackRow) -> None:
        """The child goes back to what it was before this parent operation touched it.
        Its cleanup waits for the root's (``awaits_root_cleanup``), so a child whose
        update completed still knows what it changed and rolls back by itself."""
        if child.status == "UPDATE_IN_PROGRESS":
            self._request_cancel(child.stack_id)  # its own rollback restores it
        elif child.status == "UPDATE_FAILED" or awaits_root_cleanup(child):
            # Left failed by DisableRollback, or complete and waiting for the root's cleanup:
            # roll it back as RollbackStack does.
            Recorder(self.runtime.db, StackRef(child.stack_id, child.name)).stack_status(
                "UPDATE_ROLLBACK_IN_PROGRESS", st.USER_INITIATED, needs_work=True, **self._lease()
            )
            self._run(child.stack_id)
        # Anything else (rolling back already, or untouched) needs nothing; update_progress waits.

    def _start_update(self, child: StackRow, body: str, params: dict[str, Any], timeout: int | None) -> None:
        definition = compile_for(self.runtime, child.stack_id, child.name, self.caller, body, params)
        check_capabilities(definition, self.parent.capabilities)
        with self.runtime.db.transaction() as session:
            session.execute(
                update(StackRow)
                .where(StackRow.stack_id == child.stack_id)
                .values(timeout_in_minutes=timeout, **self._lease())
            )
        child.timeout_in_minutes = timeout
        begin_update(self.runtime, child, body, definition, params, None)
        self._run(child.stack_id)

    def delete(self, child_id: str) -> None:
        """Start deleting the child. A child still busy is asked to stop first: a
        cancelled create goes on to delete itself; after anything else
        ``delete_progress`` starts the delete once the child has stopped."""
        child = self._load(child_id, missing_ok=True)
        if child is None or child.deleted_at is not None or child.status == "DELETE_IN_PROGRESS":
            return
        if awaits_root_cleanup(child):
            self._start_cleanup(child)  # delete_progress deletes it once the cleanup is done
            return
        if child.status in st.IN_PROGRESS:
            self._request_cancel(child_id)
            return
        Recorder(self.runtime.db, StackRef(child.stack_id, child.name)).stack_status(
            "DELETE_IN_PROGRESS", st.USER_INITIATED, needs_work=True, retain_resources=[], **self._lease()
        )
        self._run(child_id)

    # --- watching them ------------------------------------------------------------------

    def create_progress(self, child_id: str) -> bool:
        child = self._load(child_id)
        if child.status == "CREATE_COMPLETE":
            return True
        if child.status == "CREATE_IN_PROGRESS":
            return False
        raise ResourceFailure(f"Embedded stack {child_id} was not successfully created: {_reason(child)}")

    def update_progress(self, child_id: str, request: ChildRequest) -> bool:
        """Done when the child's update (or, in the parent's rollback, its restoration)
        has finished; a failure when the child's update failed."""
        child = self._load(child_id)
        if awaits_root_cleanup(child):
            return True  # updated (or restored); its old resources go in the root's cleanup
        if child.status in st.IN_PROGRESS:
            if child.status in ("UPDATE_IN_PROGRESS", "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"):
                return False
            if self._parent_rolling_back():
                return False  # the child rolling back is what the parent's rollback wants
        elif child.status in ("CREATE_COMPLETE", "UPDATE_COMPLETE"):
            return True
        elif child.status == "UPDATE_ROLLBACK_COMPLETE" and self._parent_rolling_back():
            return True
        status, reason = child.status, _reason(child)
        if status in ("UPDATE_ROLLBACK_IN_PROGRESS", "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS",
                      "UPDATE_ROLLBACK_COMPLETE"):
            # Word it as at the moment the child's update failed, whenever this poll came.
            status, reason = "UPDATE_ROLLBACK_IN_PROGRESS", self._rollback_reason(child) or reason
        raise ResourceFailure(
            f"Embedded stack {child_id} was not successfully updated. Currently in {status} with reason: {reason}"
        )

    def delete_progress(self, child_id: str) -> bool:
        child = self._load(child_id, missing_ok=True)
        if child is None or child.status == "DELETE_COMPLETE":
            return True
        if child.status == "DELETE_FAILED":
            raise ResourceFailure(f"Embedded stack {child_id} was not successfully deleted: {_reason(child)}")
        if child.status not in st.IN_PROGRESS:
            self.delete(child_id)  # it has stopped, as ``delete`` asked: now delete it
        return False

    def run_deferred_cleanups(self, stop: threading.Event) -> None:
        """The parent's cleanup phase: the children waiting for it clean up now, and
        this returns when they are done (or ``stop`` is set). AWS cleans nested
        stacks' old resources up after the root's update completes; a child's own
        cleanup does the same for its children, so the whole tree follows the root."""
        with self.runtime.db.transaction() as session:
            children = session.scalars(
                select(StackRow).where(
                    StackRow.parent_id == self.parent.stack_id,
                    StackRow.status == "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
                    StackRow.deleted_at.is_(None),
                )
            ).all()
            session.expunge_all()
        for child in children:
            if not child.needs_work:
                self._start_cleanup(child)
        settings = self.runtime.settings
        delay = settings.poll_initial_seconds
        pending = [c.stack_id for c in children]
        while pending and not stop.wait(delay):
            pending = [c for c in pending if self._load(c).status == "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"]
            delay = min(delay * settings.poll_factor, settings.poll_max_seconds)

    def _start_cleanup(self, child: StackRow) -> None:
        """No event: the child stays in UPDATE_COMPLETE_CLEANUP_IN_PROGRESS, now with work to do."""
        with self.runtime.db.transaction() as session:
            session.execute(
                update(StackRow).where(StackRow.stack_id == child.stack_id).values(needs_work=True, **self._lease())
            )
        self._run(child.stack_id)

    def outputs(self, child_id: str) -> dict[str, str]:
        child = self._load(child_id)
        return {o["OutputKey"]: o["OutputValue"] for o in child.outputs or []}

    # --- helpers ------------------------------------------------------------------------

    def _reviewed_child(self, logical_id: str) -> StackRow | None:
        """The REVIEW_IN_PROGRESS child a nested change set made for ``logical_id``, if any."""
        head = _name_head(self.parent.name, logical_id)
        with self.runtime.db.transaction() as session:
            candidates = session.scalars(
                select(StackRow).where(
                    StackRow.parent_id == self.parent.stack_id,
                    StackRow.status == "REVIEW_IN_PROGRESS",
                    StackRow.name.startswith(f"{head}-", autoescape=True),
                ).order_by(StackRow.created_at.desc())
            ).all()
            session.expunge_all()
        # The 13-character suffix follows the head exactly (logical ids have no dashes).
        return next((c for c in candidates if len(c.name) == len(head) + 1 + _SUFFIX_LENGTH), None)

    def _load(self, child_id: str, *, missing_ok: bool = False) -> StackRow | None:
        with self.runtime.db.transaction() as session:
            child = session.get(StackRow, child_id)
            if child is None or child.parent_id != self.parent.stack_id:
                if missing_ok:
                    return None
                raise ResourceFailure(f"Embedded stack {child_id} does not exist")
            session.expunge(child)
            return child

    def _parent_rolling_back(self) -> bool:
        return self.parent.status == "UPDATE_ROLLBACK_IN_PROGRESS"

    def _tags(self, request: ChildRequest) -> list[dict]:
        """The parent's stack tags propagate to its children, as on AWS; the resource's own Tags win."""
        own = {t["Key"]: t for t in request.tags}
        return [t for t in self.parent.tags or [] if t["Key"] not in own] + list(request.tags)

    def _rollback_reason(self, child: StackRow) -> str | None:
        """Why the child's latest rollback started (its UPDATE_ROLLBACK_IN_PROGRESS stack event)."""
        with self.runtime.db.transaction() as session:
            return session.scalar(
                select(EventRow.status_reason)
                .where(
                    EventRow.stack_id == child.stack_id,
                    EventRow.physical_id == child.stack_id,
                    EventRow.status == "UPDATE_ROLLBACK_IN_PROGRESS",
                )
                .order_by(EventRow.seq.desc())
                .limit(1)
            )

    def _request_cancel(self, child_id: str) -> None:
        with self.runtime.db.transaction() as session:
            session.execute(update(StackRow).where(StackRow.stack_id == child_id).values(cancel_requested=True))

    def _point_parent_resource(self, logical_id: str, child_id: str) -> None:
        with self.runtime.db.transaction() as session:
            session.execute(
                update(ResourceRow)
                .where(
                    ResourceRow.stack_id == self.parent.stack_id,
                    ResourceRow.logical_id == logical_id,
                    ResourceRow.role == "current",
                )
                .values(physical_id=child_id)
            )

    def _lease(self) -> dict[str, Any]:
        expires = utcnow() + dt.timedelta(seconds=self.runtime.settings.lease_seconds)
        return dict(lease_owner=self.runtime.worker_id, lease_expires_at=expires)

    def _run(self, child_id: str) -> None:
        """Run the child's phases in a thread of their own (not the resource pool,
        which the parent's resources are holding while they wait)."""
        from cfnapi.engine.worker import StackWorker  # the worker imports the phases, which import this

        threading.Thread(
            target=StackWorker(self.runtime).process, args=(child_id,), name=f"cfn-nested-{child_id[-8:]}", daemon=True
        ).start()


def awaits_root_cleanup(stack: StackRow) -> bool:
    """A nested stack whose update completed and whose cleanup waits for its parent's."""
    return stack.status == "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS" and not stack.needs_work


def _reason(child: StackRow) -> str:
    return child.status_reason or child.status
