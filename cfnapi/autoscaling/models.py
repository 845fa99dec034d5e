"""Auto Scaling tables: groups, their members, policies, scheduled actions, and
the durable queue of work alarms hand to the scaling worker."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cfnapi.db import Base
from cfnapi.engine.models import UtcDateTime, utcnow


class ScalingGroupRow(Base):
    __tablename__ = "asg_groups"
    __table_args__ = (
        UniqueConstraint("account_id", "region", "name"),
        Index("ix_asg_groups_pending", "needs_work", "lease_expires_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(32))
    region: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(255))
    # The stack resource that owns the group: activities become its events.
    stack_id: Mapped[str] = mapped_column(String(512))
    stack_name: Mapped[str] = mapped_column(String(128))
    logical_id: Mapped[str] = mapped_column(String(255))
    # What a new member is built from: AWS::EC2::Instance properties (see autoscaling.launch).
    launch_spec: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    spec_version: Mapped[int] = mapped_column(Integer, default=1)
    min_size: Mapped[int] = mapped_column(Integer)
    max_size: Mapped[int] = mapped_column(Integer)
    desired: Mapped[int] = mapped_column(Integer)
    default_cooldown: Mapped[int] = mapped_column(Integer, default=300)
    health_check_type: Mapped[str] = mapped_column(String(8), default="EC2")
    health_check_grace_seconds: Mapped[int] = mapped_column(Integer, default=0)
    # {"Count": n, "Timeout": "PT5M"} when members must cfn-signal before they count (CreationPolicy)
    signal_policy: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    max_batch_size: Mapped[int] = mapped_column(Integer, default=1)  # AutoScalingRollingUpdate
    last_scaling_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    last_failure: Mapped[str | None] = mapped_column(Text)
    deleting: Mapped[bool] = mapped_column(Boolean, default=False)
    needs_work: Mapped[bool] = mapped_column(Boolean, default=True)
    lease_owner: Mapped[str | None] = mapped_column(String(128))
    lease_expires_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)


class ScalingMemberRow(Base):
    __tablename__ = "asg_members"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("asg_groups.id", ondelete="CASCADE"), index=True)
    instance_id: Mapped[str] = mapped_column(String(64), index=True)
    # Pending (building / awaiting its signal) | InService | Terminating
    lifecycle: Mapped[str] = mapped_column(String(16), default="Pending")
    health: Mapped[str] = mapped_column(String(16), default="Healthy")  # Healthy | Unhealthy
    health_reason: Mapped[str | None] = mapped_column(Text)
    spec_version: Mapped[int] = mapped_column(Integer, default=1)
    # The member this one was launched to replace (deleted once this one is InService).
    replaces: Mapped[str | None] = mapped_column(String(64))
    launched_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)


class ScalingPolicyRow(Base):
    __tablename__ = "asg_policies"

    arn: Mapped[str] = mapped_column(String(1024), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(32))
    region: Mapped[str] = mapped_column(String(32))
    group_name: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(255))
    definition: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # the template's properties
    alarm_names: Mapped[list[str]] = mapped_column(JSON, default=list)  # target tracking's own alarms


class ScheduledActionRow(Base):
    __tablename__ = "asg_scheduled_actions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(32))
    region: Mapped[str] = mapped_column(String(32))
    group_name: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(255))
    definition: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    next_run_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), index=True)


class ScalingRequestRow(Base):
    """Work an alarm action asked for, kept until the scaling worker has done it
    (so an alarm that fires just before a restart still scales the group)."""

    __tablename__ = "asg_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("asg_groups.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # policy | health
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
