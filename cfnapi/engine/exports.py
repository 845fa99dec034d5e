"""Cross-stack exports: ListExports, ListImports, and the rules that protect them.

An export name is unique in an account and region; an export another stack
imports (``Fn::ImportValue``) can be neither removed nor changed until that
stack stops importing it. The phases call the ``*_conflict`` checks before
they write outputs or delete a stack, and fail the operation with AWS's reason.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select

from cfnapi.engine.definition import OutputValue
from cfnapi.engine.lookup import Caller
from cfnapi.engine.models import ExportRow, ImportRow, StackRow
from cfnapi.engine.pagination import page, with_token
from cfnapi.engine.runtime import EngineRuntime
from cfnapi.errors import validation_error


def list_exports(runtime: EngineRuntime, caller: Caller, params: dict[str, Any]) -> dict[str, Any]:
    with runtime.db.transaction() as session:
        rows = session.execute(
            select(ExportRow.stack_id, ExportRow.name, ExportRow.value)
            .where(ExportRow.account_id == caller.account_id, ExportRow.region == caller.region)
            .order_by(ExportRow.name)
        ).all()
    chunk, token = page("ListExports", rows, params.get("NextToken"))
    exports = [{"ExportingStackId": sid, "Name": name, "Value": value} for sid, name, value in chunk]
    return with_token({"Exports": exports}, token)


def list_imports(runtime: EngineRuntime, caller: Caller, params: dict[str, Any]) -> dict[str, Any]:
    name = params["ExportName"]
    with runtime.db.transaction() as session:
        exported = session.scalar(
            select(ExportRow.id).where(
                ExportRow.account_id == caller.account_id, ExportRow.region == caller.region, ExportRow.name == name
            )
        )
        if exported is None:
            raise validation_error(f"Export '{name}' does not exist.")
        importers = session.scalars(_importing_stack_names(caller.account_id, caller.region, [name])).all()
    chunk, token = page("ListImports", sorted(set(importers)), params.get("NextToken"))
    if not chunk and token is None and params.get("NextToken") is None:
        raise validation_error(f"Export '{name}' is not imported by any stack.")
    return with_token({"Imports": chunk}, token)


def _importing_stack_names(account_id: str, region: str, export_names: Iterable[str], *, excluding: str | None = None):
    query = (
        select(StackRow.name)
        .join(ImportRow, ImportRow.importing_stack_id == StackRow.stack_id)
        .where(
            ImportRow.account_id == account_id,
            ImportRow.region == region,
            ImportRow.export_name.in_(list(export_names)),
            StackRow.deleted_at.is_(None),
        )
    )
    if excluding is not None:
        query = query.where(StackRow.stack_id != excluding)
    return query


def _importers(session, stack: StackRow, export_name: str) -> list[str]:
    names = session.scalars(
        _importing_stack_names(stack.account_id, stack.region, [export_name], excluding=stack.stack_id)
    ).all()
    return sorted(set(names))


def delete_conflict(runtime: EngineRuntime, stack: StackRow) -> str | None:
    """Why the stack cannot be deleted because of its exports, or None."""
    with runtime.db.transaction() as session:
        for name in session.scalars(select(ExportRow.name).where(ExportRow.stack_id == stack.stack_id).order_by(ExportRow.name)):
            users = _importers(session, stack, name)
            if users:
                return f"Export {name} cannot be deleted as it is in use by {', '.join(users)}"
    return None


def outputs_conflict(runtime: EngineRuntime, stack: StackRow, outputs: list[OutputValue]) -> str | None:
    """Why these new outputs cannot replace the stack's exports, or None: a name another
    stack exports, or an in-use export that would disappear or change."""
    wanted = {o.export_name: o.value for o in outputs if o.export_name}
    with runtime.db.transaction() as session:
        for name in sorted(wanted):
            owner = session.scalar(
                select(StackRow.name)
                .join(ExportRow, ExportRow.stack_id == StackRow.stack_id)
                .where(
                    ExportRow.account_id == stack.account_id,
                    ExportRow.region == stack.region,
                    ExportRow.name == name,
                    ExportRow.stack_id != stack.stack_id,
                )
            )
            if owner is not None:
                return f"Export with name {name} is already exported by stack {owner}"
        current = session.execute(
            select(ExportRow.name, ExportRow.value).where(ExportRow.stack_id == stack.stack_id).order_by(ExportRow.name)
        ).all()
        for name, value in current:
            if name in wanted and wanted[name] == value:
                continue
            users = _importers(session, stack, name)
            if not users:
                continue
            if name not in wanted:
                return f"Export {name} cannot be deleted as it is in use by {', '.join(users)}"
            return f"Cannot update export {name} as it is in use by {', '.join(users)}"
    return None
