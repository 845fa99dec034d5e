"""Computing a change set after CreateChangeSet returned, as AWS does:
CREATE_PENDING, then CREATE_IN_PROGRESS while the plan is made, then
CREATE_COMPLETE (AVAILABLE) — or FAILED (UNAVAILABLE) with AWS's reason when
the change set would change nothing.

The job runs in the API process's background pool. Should that process die
first, the change set is computed by whoever next describes it once it is
older than ``STALE_AFTER`` (every step is a conditional write, so a late
original and a recovery cannot both finish it).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from sqlalchemy import update

from cfnapi.engine.change_preview import preview_create, preview_update
from cfnapi.engine.definition import StackDefinition
from cfnapi.engine.models import ChangeSetRow, StackRow, utcnow
from cfnapi.engine.nested_change_sets import make_nested_change_sets
from cfnapi.engine.plan import change_set_changes
from cfnapi.engine.runtime import EngineRuntime
from cfnapi.errors import ServiceError

log = logging.getLogger(__name__)

NO_CHANGES = (
    "The submitted information didn't contain changes. Submit different information to create a change set."
)
PENDING = ("CREATE_PENDING", "CREATE_IN_PROGRESS")
STALE_AFTER = dt.timedelta(seconds=60)


def is_stale(row: ChangeSetRow) -> bool:
    return row.status in PENDING and utcnow() - row.created_at > STALE_AFTER


def review_change_set(runtime: EngineRuntime, change_set_id: str, definition: StackDefinition) -> None:
    if not _move(runtime, change_set_id, PENDING, status="CREATE_IN_PROGRESS"):
        return  # already computed (or deleted)
    with runtime.db.transaction() as session:
        row = session.get(ChangeSetRow, change_set_id)
        stack = session.get(StackRow, row.stack_id) if row is not None else None
        if row is None or stack is None:
            return
        session.expunge_all()
    try:
        outcome = _outcome(runtime, row, stack, definition)
    except ServiceError as error:
        outcome = dict(status="FAILED", status_reason=error.message, execution_status="UNAVAILABLE")
    except Exception:
        log.exception("change set %s: computing it failed", change_set_id)
        outcome = dict(status="FAILED", status_reason="Internal failure", execution_status="UNAVAILABLE")
    _move(runtime, change_set_id, ("CREATE_IN_PROGRESS",), **outcome)


def _outcome(runtime: EngineRuntime, row: ChangeSetRow, stack: StackRow, definition: StackDefinition) -> dict[str, Any]:
    if row.change_set_type == "CREATE":
        plan = preview_create(definition)
    else:
        plan = preview_update(runtime, stack, definition)
        unchanged = (
            not plan.has_changes
            and row.template_body == stack.template_body
            and dict(row.parameters or {}) == dict(stack.parameters or {})
            and list(row.tags or []) == list(stack.tags or [])
        )
        if unchanged:
            return dict(status="FAILED", status_reason=NO_CHANGES, execution_status="UNAVAILABLE")
    changes = change_set_changes(plan)
    if row.include_nested_stacks:
        nested = make_nested_change_sets(runtime, row, stack, definition, plan)
        for logical_id, (nested_id, child_definition) in nested.items():
            review_change_set(runtime, nested_id, child_definition)  # its own children, recursively
            status, reason = _status_of(runtime, nested_id)
            if status == "FAILED" and reason == NO_CHANGES:
                # The child is touched (e.g. only its timeout changed) but none of its resources.
                _move(runtime, nested_id, ("FAILED",), status="CREATE_COMPLETE", status_reason=None,
                      execution_status="AVAILABLE")
            elif status != "CREATE_COMPLETE":
                return dict(status="FAILED", execution_status="UNAVAILABLE",
                            status_reason=f"Nested change set {nested_id} was not successfully created: "
                                          f"Currently in {status}.")
        for change in changes:
            resource = change["ResourceChange"]
            if resource["LogicalResourceId"] in nested:
                resource["ChangeSetId"] = nested[resource["LogicalResourceId"]][0]
    return dict(status="CREATE_COMPLETE", execution_status="AVAILABLE", changes=changes)


def _status_of(runtime: EngineRuntime, change_set_id: str) -> tuple[str | None, str | None]:
    with runtime.db.transaction() as session:
        row = session.get(ChangeSetRow, change_set_id)
        return (row.status, row.status_reason) if row is not None else (None, None)


def _move(runtime: EngineRuntime, change_set_id: str, from_statuses: tuple[str, ...], **values: Any) -> bool:
    with runtime.db.transaction() as session:
        return bool(
            session.execute(
                update(ChangeSetRow)
                .where(ChangeSetRow.change_set_id == change_set_id, ChangeSetRow.status.in_(from_statuses))
                .values(**values)
            ).rowcount
        )
