"""Finding a caller's stack by name or StackId, with AWS's error when it is not there."""

from __future__ import annotations

from typing import Protocol

from sqlalchemy import bindparam, select
from sqlalchemy.orm import defer

from cfnapi.engine.models import StackRow
from cfnapi.engine.runtime import EngineRuntime
from cfnapi.errors import ServiceError, validation_error


class Caller(Protocol):
    account_id: str
    region: str


def no_such_stack(name: str) -> ServiceError:
    return validation_error(f"Stack with id {name} does not exist")


# Built once, with bound parameters: building the select (and its cache key) per call
# cost more than running it, and DescribeStacks is what clients poll.
_BY_ID = select(StackRow).where(StackRow.stack_id == bindparam("stack_id"))
_BY_NAME = select(StackRow).where(
    StackRow.account_id == bindparam("account_id"),
    StackRow.region == bindparam("region"),
    StackRow.name == bindparam("name"),
    StackRow.deleted_at.is_(None),
)
# The columns only operations that change a stack (or GetTemplate) read: a 500-resource
# template body is 50 KB, loaded and decoded on every poll otherwise.
_TEMPLATE_COLUMNS = (StackRow.template_body, StackRow.previous_template_body, StackRow.stack_policy_body,
                     StackRow.update_policy_override)
_WITHOUT_TEMPLATES = tuple(_statement.options(*(defer(c, raiseload=True) for c in _TEMPLATE_COLUMNS))
                           for _statement in (_BY_ID, _BY_NAME))


def find_stack(runtime: EngineRuntime, caller: Caller, name_or_id: str, *, include_deleted: bool = False,
               without_templates: bool = False) -> StackRow:
    """By StackId (deleted stacks too, as AWS allows) or by name (live stacks only).
    The row comes back detached: a snapshot, not a handle for writes. ``without_templates``
    leaves out the template and policy bodies (reading them then raises): for DescribeStacks."""
    by_id, by_name = _WITHOUT_TEMPLATES if without_templates else (_BY_ID, _BY_NAME)
    with runtime.db.read_transaction() as session:
        if name_or_id.startswith("arn:"):
            stack = session.scalars(by_id, {"stack_id": name_or_id}).first()
            if stack is not None and (stack.account_id != caller.account_id or stack.region != caller.region):
                stack = None
        else:
            stack = session.scalars(
                by_name, {"account_id": caller.account_id, "region": caller.region, "name": name_or_id}
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
