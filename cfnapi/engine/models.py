"""The engine's tables: stacks, their resources, events, signals, change sets, exports.

Rows are written only through ``engine.records`` so that a status change and
its event always share one transaction.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, TypeDecorator, Boolean, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from cfnapi.db import Base


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class UtcDateTime(TypeDecorator):
    """DateTime that always comes back timezone-aware (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        return value


class StackRow(Base):
    __tablename__ = "cfn_stacks"

    stack_id: Mapped[str] = mapped_column(String(512), primary_key=True)  # arn:aws:cloudformation:…:stack/name/uuid
    account_id: Mapped[str] = mapped_column(String(32))
    region: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(64))
    status_reason: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    template_body: Mapped[str] = mapped_column(Text, default="")
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # key -> raw string as supplied/defaulted
    # The definition an update replaced, kept until the update is final so a rollback can restore it.
    previous_template_body: Mapped[str | None] = mapped_column(Text)
    previous_parameters: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    tags: Mapped[list[dict]] = mapped_column(JSON, default=list)
    capabilities: Mapped[list[str]] = mapped_column(JSON, default=list)
    notification_arns: Mapped[list[str]] = mapped_column(JSON, default=list)
    role_arn: Mapped[str | None] = mapped_column(String(2048))
    timeout_in_minutes: Mapped[int | None] = mapped_column(Integer)
    on_failure: Mapped[str] = mapped_column(String(16), default="ROLLBACK")  # ROLLBACK | DELETE | DO_NOTHING
    termination_protection: Mapped[bool] = mapped_column(Boolean, default=False)
    stack_policy_body: Mapped[str | None] = mapped_column(Text)
    # UpdateStack's StackPolicyDuringUpdateBody: overrides the policy for one update only.
    update_policy_override: Mapped[str | None] = mapped_column(Text)
    # NoEcho parameter names, masked in DescribeStacks (kept as a union across an
    # update so a rollback to the previous template never reveals a value).
    no_echo_parameters: Mapped[list[str]] = mapped_column(JSON, default=list)
    outputs: Mapped[list[dict]] = mapped_column(JSON, default=list)  # DescribeStacks Outputs
    parent_id: Mapped[str | None] = mapped_column(String(512))
    root_id: Mapped[str | None] = mapped_column(String(512))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    deleted_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    client_request_token: Mapped[str | None] = mapped_column(String(128))
    # Work for a worker. The phase to run follows from ``status`` (CREATE_IN_PROGRESS
    # creates, ROLLBACK_IN_PROGRESS rolls back, …), so a crash resumes where it stood.
    needs_work: Mapped[bool] = mapped_column(Boolean, default=False)
    operation_deadline: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    retain_resources: Mapped[list[str]] = mapped_column(JSON, default=list)
    skip_resources: Mapped[list[str]] = mapped_column(JSON, default=list)  # ContinueUpdateRollback
    lease_owner: Mapped[str | None] = mapped_column(String(128))
    lease_expires_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())

    __table_args__ = (
        Index("ix_cfn_stacks_lookup", "account_id", "region", "name"),
        Index("ix_cfn_stacks_pending", "needs_work", "lease_expires_at"),
        # One live stack per name: two CreateStack calls racing (threads of one API process, or
        # several API processes on one database) cannot both insert one.
        Index("uq_cfn_stacks_live_name", "account_id", "region", "name", unique=True,
              sqlite_where=text("deleted_at IS NULL"), postgresql_where=text("deleted_at IS NULL")),
    )


class ResourceRow(Base):
    __tablename__ = "cfn_stack_resources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    stack_id: Mapped[str] = mapped_column(ForeignKey("cfn_stacks.stack_id", ondelete="CASCADE"))
    logical_id: Mapped[str] = mapped_column(String(255))
    # "current": the resource the stack has now; "replaced": a physical resource
    # superseded by a replacement, deleted in the cleanup phase (or restored by rollback).
    role: Mapped[str] = mapped_column(String(16), default="current")
    type: Mapped[str] = mapped_column(String(255))
    physical_id: Mapped[str | None] = mapped_column(String(2048))
    # Written before the provider's create call and used in the name it gives the new resource,
    # so a create whose process died before its physical id was saved can still be found.
    creation_token: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(64))
    status_reason: Mapped[str | None] = mapped_column(Text)
    properties: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # as resolved and applied
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    resource_metadata: Mapped[Any] = mapped_column(JSON)
    deletion_policy: Mapped[str | None] = mapped_column(String(16))
    update_replace_policy: Mapped[str | None] = mapped_column(String(16))
    # What the running update did to this row, so its rollback can undo exactly that.
    update_action: Mapped[str | None] = mapped_column(String(16))  # created | updated | replaced
    previous_properties: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    previous_attributes: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)

    __table_args__ = (
        Index("ix_cfn_stack_resources_stack", "stack_id", "logical_id"),
        Index("ix_cfn_stack_resources_physical", "physical_id"),
    )


class EventRow(Base):
    __tablename__ = "cfn_stack_events"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)  # newest first = seq desc
    event_id: Mapped[str] = mapped_column(String(64))
    stack_id: Mapped[str] = mapped_column(ForeignKey("cfn_stacks.stack_id", ondelete="CASCADE"), index=True)
    stack_name: Mapped[str] = mapped_column(String(128))
    logical_id: Mapped[str] = mapped_column(String(255))
    physical_id: Mapped[str | None] = mapped_column(String(2048))
    resource_type: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(64))
    status_reason: Mapped[str | None] = mapped_column(Text)
    resource_properties: Mapped[str | None] = mapped_column(Text)
    timestamp: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    client_request_token: Mapped[str | None] = mapped_column(String(128))


class SignalRow(Base):
    """Signals for a wait condition handle or a resource's CreationPolicy."""

    __tablename__ = "cfn_resource_signals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    stack_id: Mapped[str] = mapped_column(ForeignKey("cfn_stacks.stack_id", ondelete="CASCADE"))
    logical_id: Mapped[str] = mapped_column(String(255))
    unique_id: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16))  # SUCCESS | FAILURE
    data: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)

    __table_args__ = (UniqueConstraint("stack_id", "logical_id", "unique_id"),)


class ChangeSetRow(Base):
    __tablename__ = "cfn_change_sets"

    change_set_id: Mapped[str] = mapped_column(String(512), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    stack_id: Mapped[str] = mapped_column(ForeignKey("cfn_stacks.stack_id", ondelete="CASCADE"), index=True)
    change_set_type: Mapped[str] = mapped_column(String(16))  # CREATE | UPDATE
    status: Mapped[str] = mapped_column(String(32))
    status_reason: Mapped[str | None] = mapped_column(Text)
    execution_status: Mapped[str] = mapped_column(String(32))
    description: Mapped[str | None] = mapped_column(Text)
    template_body: Mapped[str] = mapped_column(Text)
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    capabilities: Mapped[list[str]] = mapped_column(JSON, default=list)
    tags: Mapped[list[dict]] = mapped_column(JSON, default=list)
    notification_arns: Mapped[list[str]] = mapped_column(JSON, default=list)
    changes: Mapped[list[dict]] = mapped_column(JSON, default=list)  # DescribeChangeSet Changes
    parameters_response: Mapped[list[dict]] = mapped_column(JSON, default=list)  # NoEcho masked
    no_echo_parameters: Mapped[list[str]] = mapped_column(JSON, default=list)
    role_arn: Mapped[str | None] = mapped_column(String(2048))
    on_stack_failure: Mapped[str | None] = mapped_column(String(16))
    client_token: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    # IncludeNestedStacks: the root change set has one nested change set per child
    # stack the update would change; those point back at their parent and root.
    include_nested_stacks: Mapped[bool] = mapped_column(Boolean, default=False)
    parent_change_set_id: Mapped[str | None] = mapped_column(String(512))
    root_change_set_id: Mapped[str | None] = mapped_column(String(512), index=True)


class ExportRow(Base):
    __tablename__ = "cfn_exports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(32))
    region: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(255))
    value: Mapped[str] = mapped_column(Text)
    stack_id: Mapped[str] = mapped_column(ForeignKey("cfn_stacks.stack_id", ondelete="CASCADE"))

    __table_args__ = (UniqueConstraint("account_id", "region", "name"),)


class ImportRow(Base):
    """Which stack imports which export: such an export can be neither deleted nor changed."""

    __tablename__ = "cfn_imports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(32))
    region: Mapped[str] = mapped_column(String(32))
    export_name: Mapped[str] = mapped_column(String(255))
    importing_stack_id: Mapped[str] = mapped_column(ForeignKey("cfn_stacks.stack_id", ondelete="CASCADE"))
