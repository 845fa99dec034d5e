"""ContinueUpdateRollback's ResourcesToSkip: only resources whose rollback failed may be skipped.

AWS accepts only logical ids of the stack's resources that are UPDATE_FAILED because the
update rollback failed, not those that failed for another reason (an update that was cancelled).
Skipping anything else would mark a resource UPDATE_COMPLETE that was never in trouble, or
silently do nothing for a name that is not there.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from cfnapi.engine import statuses as st
from cfnapi.engine.models import ResourceRow
from cfnapi.engine.runtime import EngineRuntime
from cfnapi.errors import validation_error


def check_resources_to_skip(runtime: EngineRuntime, stack_id: str, stack_name: str, skip: Iterable[str]) -> None:
    wanted = list(dict.fromkeys(skip))
    if not wanted:
        return
    with runtime.db.transaction() as session:
        rows = session.execute(
            select(ResourceRow.logical_id, ResourceRow.status, ResourceRow.status_reason).where(
                ResourceRow.stack_id == stack_id, ResourceRow.role == "current",
                ResourceRow.logical_id.in_(wanted),
            )
        ).all()
    found = {logical_id: (status, reason) for logical_id, status, reason in rows}
    missing = [lid for lid in wanted if lid not in found]
    if missing:
        raise validation_error(
            f"ResourcesToSkip [{', '.join(missing)}] are not resources of stack {stack_name}"
        )
    not_failed = [
        lid for lid in wanted
        if found[lid][0] != "UPDATE_FAILED" or found[lid][1] == st.UPDATE_CANCELLED
    ]
    if not_failed:
        raise validation_error(
            f"Resources [{', '.join(not_failed)}] cannot be skipped: only resources in UPDATE_FAILED state "
            "because the update rollback failed can be skipped"
        )
