"""What record-only types (network ACLs, IAM roles and policies, launch templates …) share:
they have no cloud object to ask, so AWS's rules that span resources — a name used once, a
rule number used once per ACL — are checked against what the account's stacks recorded."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cfnapi.translate.base import ResourceContext, ResourceFailure


def recorded(ctx: ResourceContext, type_name: str, *,
             every_region: bool = False) -> list[tuple[str | None, Mapping[str, Any]]]:
    """(physical id, properties) of the account's other recorded resources of ``type_name``
    (the asking resource is never among them; None: a create in flight). Empty when the engine
    gives no lookup (a type exercised on its own)."""
    if ctx.recorded_resources is None:
        return []
    return ctx.recorded_resources(type_name, every_region)


def recorded_ids(ctx: ResourceContext, type_name: str, *, every_region: bool = False) -> set[str]:
    return {pid for pid, _ in recorded(ctx, type_name, every_region=every_region) if pid is not None}


def require_recorded(ctx: ResourceContext, type_name: str, physical_id: str, message: str, *,
                     every_region: bool = False) -> None:
    """AWS's NotFound for a reference to a record-only resource (it exists nowhere else).
    Skipped when the engine gives no lookup (a type exercised on its own)."""
    if ctx.recorded_resources is None:
        return
    if physical_id not in recorded_ids(ctx, type_name, every_region=every_region):
        raise ResourceFailure(message)
