"""Finding a caller's stack by name or StackId, with AWS's error when it is not there."""

from __future__ import annotations

from typing import Protocol

from sqlalchemy import select

from cfnapi.engine.models import StackRow
from cfnapi.engine.runtime import EngineRuntime
from cfnapi.errors import ServiceError, validation_error


class Caller(Protocol):
    account_id: str
    region: str


def no_such_stack(name: str) -> ServiceError:
    return validation_error(f"Stack with id {name} does not exist")


def find_stack(runtime: EngineRuntime, caller: Caller, name_or_id: str, *, include_deleted: bool = False) -> StackRow:
    """By StackId (deleted stacks too, as AWS allows) or by name (live stacks only).
    The row comes back detached: a snapshot, not a handle for writes."""
    with runtime.db.transaction() as session:
        if name_or_id.startswith("arn:"):
            stack = session.get(StackRow, name_or_id)
            if stack is not None and (stack.account_id != caller.account_id or stack.region != caller.region):
                stack = None
        else:
            stack = session.scalars(
                select(StackRow).where(
                    StackRow.account_id == caller.account_id,
                    StackRow.region == caller.region,
                    StackRow.name == name_or_id,
                    StackRow.deleted_at.is_(None),
                )
            ).first()
        if stack is None:
            raise no_such_stack(name_or_id)
        session.expunge(stack)
        return stack


def find_live_stack(runtime: EngineRuntime, caller: Caller, name_or_id: str) -> StackRow:
    """A stack a mutating operation may act on: not deleted, even when named by StackId."""
    stack = find_stack(runtime, caller, name_or_id)
    if stack.deleted_at is not None:
        raise no_such_stack(name_or_id)
    return stack
