"""Deleting change sets together with the nested ones under them. A child stack that only a
nested CREATE change set made (REVIEW_IN_PROGRESS, never created) has nothing else that would
ever delete it, so it goes with them: when its change set is deleted (DeleteChangeSet, or
another change set executed) and when the stack the change sets belong to is deleted."""

from __future__ import annotations

from sqlalchemy import delete, or_, select

from cfnapi.engine.models import ChangeSetRow, StackRow, utcnow
from cfnapi.engine.records import Recorder, StackRef
from cfnapi.engine.runtime import EngineRuntime


def delete_with_nested(runtime: EngineRuntime, root_ids: list[str]) -> None:
    """Delete root change sets with their nested ones, and the REVIEW_IN_PROGRESS child
    stacks those nested ones made."""
    if not root_ids:
        return
    with runtime.db.transaction() as session:
        doomed = or_(ChangeSetRow.change_set_id.in_(root_ids), ChangeSetRow.root_change_set_id.in_(root_ids))
        reviewed = session.scalars(
            select(StackRow).join(ChangeSetRow, ChangeSetRow.stack_id == StackRow.stack_id).where(
                doomed, ChangeSetRow.parent_change_set_id.is_not(None),
                StackRow.status == "REVIEW_IN_PROGRESS", StackRow.parent_id.is_not(None),
            )
        ).all()
        session.expunge_all()
        session.execute(delete(ChangeSetRow).where(doomed))
    for child in reviewed:
        Recorder(runtime.db, StackRef(child.stack_id, child.name)).stack_status(
            "DELETE_COMPLETE", None, deleted_at=utcnow(), needs_work=False
        )


def delete_change_sets_of(runtime: EngineRuntime, stack_id: str) -> None:
    """A stack being deleted loses its change sets, as on AWS, and so do the children they planned."""
    with runtime.db.transaction() as session:
        roots = session.scalars(
            select(ChangeSetRow.change_set_id).where(
                ChangeSetRow.stack_id == stack_id, ChangeSetRow.parent_change_set_id.is_(None)
            )
        ).all()
    delete_with_nested(runtime, list(roots))
