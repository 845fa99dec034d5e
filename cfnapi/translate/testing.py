"""A resource type for engine tests: controllable delay and failure, no cloud.

``Test::Engine::Sleeper`` lives in an in-memory ``SleeperCloud`` that records
what exists and each create's [start, end] interval, so tests can show that
creates overlapped (parallelism) and in which order things were deleted,
without timing assertions. It is only in ``test_registry()``.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cfnapi.translate.base import (
    PropertySpec,
    ResourceContext,
    ResourceFailure,
    ResourceState,
    ResourceType,
)
from cfnapi.translate.registry import TypeRegistry, builtin_resource_types

SLEEPER_TYPE = "Test::Engine::Sleeper"


@dataclass
class SleeperRecord:
    physical_id: str
    logical_id: str
    properties: dict[str, Any]
    create_started: float
    create_finished: float | None = None
    delete_started: float | None = None


@dataclass
class SleeperCloud:
    """The pretend cloud: thread safe, inspected by tests."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    records: dict[str, SleeperRecord] = field(default_factory=dict)  # physical id -> record
    deleted: list[str] = field(default_factory=list)  # logical ids, in deletion order
    journal: list[tuple[str, str, str]] = field(default_factory=list)  # (operation, logical id, physical id)
    snapshots: dict[str, str] = field(default_factory=dict)  # snapshot id -> the physical id it copies

    def existing(self) -> dict[str, str]:
        """logical id -> physical id of every Sleeper not deleted."""
        with self.lock:
            return {r.logical_id: pid for pid, r in self.records.items() if r.delete_started is None}

    def intervals(self) -> dict[str, tuple[float, float]]:
        with self.lock:
            return {
                r.logical_id: (r.create_started, r.create_finished)
                for r in self.records.values()
                if r.create_finished is not None
            }

    def _log(self, operation: str, logical_id: str, physical_id: str) -> None:
        self.journal.append((operation, logical_id, physical_id))


def _truthy(value: Any) -> bool:
    return str(value).lower() == "true"


def _seconds(value: Any) -> float:
    return float(value) if value not in (None, "") else 0.0


class Sleeper(ResourceType):
    type_name = SLEEPER_TYPE
    properties = (
        PropertySpec("Value", "String", update="mutable"),
        PropertySpec("ReplaceMe", "String", update="replace"),
        PropertySpec("MaybeReplace", "String", update="conditional"),
        PropertySpec("Name", "String", update="replace"),
        PropertySpec("CreateDelay", "Number"),
        PropertySpec("UpdateDelay", "Number"),
        PropertySpec("DeleteDelay", "Number"),
        PropertySpec("FailOnCreate", "Boolean"),
        PropertySpec("FailOnUpdate", "Boolean"),
        PropertySpec("FailOnDelete", "Boolean"),
        PropertySpec("FailOnSnapshot", "Boolean"),
        PropertySpec("Inputs", "Json"),  # anything: lets tests carry Refs/GetAtts
    )
    attribute_names = ("Value", "Arn")
    name_properties = ("Name",)

    def create(self, ctx: ResourceContext, props: Mapping[str, Any]) -> str:
        cloud: SleeperCloud = ctx.cloud
        physical_id = props.get("Name") or f"sleeper-{ctx.creation_token or uuid.uuid4().hex[:12]}"
        with cloud.lock:
            if physical_id in cloud.records and cloud.records[physical_id].delete_started is None:
                raise ResourceFailure(f"{physical_id} already exists")
            cloud.records[physical_id] = SleeperRecord(physical_id, ctx.logical_id, dict(props), time.monotonic())
            cloud._log("create", ctx.logical_id, physical_id)
        return physical_id

    def find_created(self, ctx: ResourceContext, props: Mapping[str, Any]) -> str | None:
        cloud: SleeperCloud = ctx.cloud
        physical_id = props.get("Name") or f"sleeper-{ctx.creation_token}"
        with cloud.lock:
            record = cloud.records.get(physical_id)
            return physical_id if record is not None and record.delete_started is None else None

    def check_create_complete(self, ctx: ResourceContext, resource: ResourceState) -> bool:
        cloud: SleeperCloud = ctx.cloud
        with cloud.lock:
            record = cloud.records[resource.physical_id]
            if time.monotonic() - record.create_started < _seconds(resource.properties.get("CreateDelay")):
                return False
            if _truthy(resource.properties.get("FailOnCreate")):
                raise ResourceFailure("Sleeper was told to fail on create")
            record.create_finished = time.monotonic()
            return True

    def update(self, ctx, resource, old_props, new_props) -> None:
        if _truthy(new_props.get("FailOnUpdate")):
            raise ResourceFailure("Sleeper was told to fail on update")
        cloud: SleeperCloud = ctx.cloud
        with cloud.lock:
            record = cloud.records[resource.physical_id]
            record.properties = dict(new_props)
            record.create_started = time.monotonic()  # the update's delay counts from now
            cloud._log("update", ctx.logical_id, resource.physical_id)

    def check_update_complete(self, ctx, resource) -> bool:
        cloud: SleeperCloud = ctx.cloud
        with cloud.lock:
            record = cloud.records[resource.physical_id]
            return time.monotonic() - record.create_started >= _seconds(record.properties.get("UpdateDelay"))

    def delete(self, ctx, resource) -> None:
        if _truthy(resource.properties.get("FailOnDelete")):
            raise ResourceFailure("Sleeper was told to fail on delete")
        cloud: SleeperCloud = ctx.cloud
        with cloud.lock:
            record = cloud.records.get(resource.physical_id)
            if record is None or record.delete_started is not None:
                return  # already gone: deletes are idempotent
            record.delete_started = time.monotonic()
            cloud.deleted.append(resource.logical_id)
            cloud._log("delete", ctx.logical_id, resource.physical_id)

    def check_delete_complete(self, ctx, resource) -> bool:
        cloud: SleeperCloud = ctx.cloud
        with cloud.lock:
            record = cloud.records.get(resource.physical_id)
            if record is None or record.delete_started is None:
                return True
            return time.monotonic() - record.delete_started >= _seconds(resource.properties.get("DeleteDelay"))

    def snapshot(self, ctx, resource) -> str | None:
        # The engine tests may give a Sleeper a Snapshot policy (their compiler does not validate it).
        if _truthy(resource.properties.get("FailOnSnapshot")):
            raise ResourceFailure("Sleeper was told to fail on snapshot")
        cloud: SleeperCloud = ctx.cloud
        with cloud.lock:
            record = cloud.records.get(resource.physical_id)
            if record is None or record.delete_started is not None:
                return None
            snapshot_id = f"snap-{uuid.uuid4().hex[:12]}"
            cloud.snapshots[snapshot_id] = resource.physical_id
            cloud._log("snapshot", ctx.logical_id, resource.physical_id)
            return snapshot_id

    def attributes(self, ctx, resource) -> dict[str, Any]:
        return {
            "Value": resource.properties.get("Value", ""),
            "Arn": f"arn:aws:test:{ctx.region}:{ctx.account_id}:sleeper/{resource.physical_id}",
        }


def test_registry() -> TypeRegistry:
    """The builtin types plus the Sleeper."""
    return TypeRegistry({**builtin_resource_types(), SLEEPER_TYPE: Sleeper})


test_registry.__test__ = False  # not a pytest test despite the name
