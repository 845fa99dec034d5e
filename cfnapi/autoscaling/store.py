"""Reading and writing the Auto Scaling tables, and recording activities as
stack events on the group's resource (the event and the row it describes are
written in one transaction, as the engine does)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, select, update

from cfnapi.autoscaling.models import (
    ScalingGroupRow,
    ScalingMemberRow,
    ScalingPolicyRow,
    ScalingRequestRow,
    ScheduledActionRow,
)
from cfnapi.cloudwatch.models import Alarm, ResourceTag
from cfnapi.db import Database
from cfnapi.engine.models import EventRow, ResourceRow, SignalRow, StackRow, utcnow

GROUP_TYPE = "AWS::AutoScaling::AutoScalingGroup"


def policy_arn(region: str, account_id: str, group: str, policy: str) -> str:
    return (f"arn:aws:autoscaling:{region}:{account_id}:scalingPolicy:{uuid.uuid4()}:"
            f"autoScalingGroupName/{group}:policyName/{policy}")


def health_action_arn(region: str, account_id: str, group: str) -> str:
    """cfnapi's SetInstanceHealth-like alarm action (see docs/autoscaling.md)."""
    return f"arn:aws:autoscaling:{region}:{account_id}:setInstanceHealth:autoScalingGroupName/{group}"


class AutoScalingStore:
    def __init__(self, db: Database):
        self.db = db

    # -- groups --------------------------------------------------------------
    def create_group(self, **columns: Any) -> None:
        with self.db.transaction() as session:
            session.add(ScalingGroupRow(**columns))

    def group(self, account_id: str, region: str, name: str) -> ScalingGroupRow | None:
        with self.db.transaction() as session:
            return session.scalar(select(ScalingGroupRow).where(
                ScalingGroupRow.account_id == account_id, ScalingGroupRow.region == region,
                ScalingGroupRow.name == name))

    def group_by_id(self, group_id: int) -> ScalingGroupRow | None:
        with self.db.transaction() as session:
            return session.get(ScalingGroupRow, group_id)

    def update_group(self, group_id: int, **values: Any) -> None:
        with self.db.transaction() as session:
            session.execute(update(ScalingGroupRow).where(ScalingGroupRow.id == group_id).values(**values))

    def forget_group(self, group_id: int) -> None:
        with self.db.transaction() as session:
            session.execute(delete(ScalingRequestRow).where(ScalingRequestRow.group_id == group_id))
            session.execute(delete(ScalingMemberRow).where(ScalingMemberRow.group_id == group_id))
            session.execute(delete(ScalingGroupRow).where(ScalingGroupRow.id == group_id))

    def all_group_ids(self) -> list[int]:
        with self.db.transaction() as session:
            return list(session.scalars(select(ScalingGroupRow.id).order_by(ScalingGroupRow.id)))

    # -- members -------------------------------------------------------------
    def members(self, group_id: int) -> list[ScalingMemberRow]:
        with self.db.transaction() as session:
            return list(session.scalars(select(ScalingMemberRow).where(ScalingMemberRow.group_id == group_id)
                                        .order_by(ScalingMemberRow.id)))

    def add_member(self, group_id: int, instance_id: str, spec_version: int, replaces: str | None) -> None:
        with self.db.transaction() as session:
            session.add(ScalingMemberRow(group_id=group_id, instance_id=instance_id, spec_version=spec_version,
                                         replaces=replaces))

    def update_member(self, member_id: int, **values: Any) -> None:
        with self.db.transaction() as session:
            session.execute(update(ScalingMemberRow).where(ScalingMemberRow.id == member_id).values(**values))

    def remove_member(self, member_id: int) -> None:
        with self.db.transaction() as session:
            session.execute(delete(ScalingMemberRow).where(ScalingMemberRow.id == member_id))

    # -- policies and scheduled actions --------------------------------------
    def put_policy(self, row: ScalingPolicyRow) -> None:
        with self.db.transaction() as session:
            session.merge(row)

    def policy(self, arn: str) -> ScalingPolicyRow | None:
        with self.db.transaction() as session:
            return session.get(ScalingPolicyRow, arn)

    def delete_policy(self, arn: str) -> None:
        with self.db.transaction() as session:
            session.execute(delete(ScalingPolicyRow).where(ScalingPolicyRow.arn == arn))

    def put_scheduled_action(self, row: ScheduledActionRow) -> int:
        with self.db.transaction() as session:
            row = session.merge(row)
            session.flush()
            return row.id

    def delete_scheduled_action(self, account_id: str, region: str, name: str) -> None:
        with self.db.transaction() as session:
            session.execute(delete(ScheduledActionRow).where(
                ScheduledActionRow.account_id == account_id, ScheduledActionRow.region == region,
                ScheduledActionRow.name == name))

    def scheduled_action(self, account_id: str, region: str, name: str) -> ScheduledActionRow | None:
        with self.db.transaction() as session:
            return session.scalar(select(ScheduledActionRow).where(
                ScheduledActionRow.account_id == account_id, ScheduledActionRow.region == region,
                ScheduledActionRow.name == name))

    def due_scheduled_actions(self, account_id: str, region: str, group: str,
                              now: dt.datetime) -> list[ScheduledActionRow]:
        with self.db.transaction() as session:
            return list(session.scalars(select(ScheduledActionRow).where(
                ScheduledActionRow.account_id == account_id, ScheduledActionRow.region == region,
                ScheduledActionRow.group_name == group, ScheduledActionRow.next_run_at <= now)))

    def set_next_run(self, action_id: int, next_run_at: dt.datetime | None) -> None:
        with self.db.transaction() as session:
            session.execute(update(ScheduledActionRow).where(ScheduledActionRow.id == action_id)
                            .values(next_run_at=next_run_at))

    # -- the request queue ---------------------------------------------------
    def enqueue(self, group_id: int, kind: str, payload: Mapping[str, Any]) -> None:
        with self.db.transaction() as session:
            session.add(ScalingRequestRow(group_id=group_id, kind=kind, payload=dict(payload)))

    def requests(self, group_id: int) -> list[ScalingRequestRow]:
        with self.db.transaction() as session:
            return list(session.scalars(select(ScalingRequestRow).where(ScalingRequestRow.group_id == group_id)
                                        .order_by(ScalingRequestRow.id)))

    def done(self, request_id: int, *, group: Mapping[str, Any] | None = None,
             member: tuple[int, Mapping[str, Any]] | None = None) -> None:
        """Remove a request together with the change it made (one transaction: a
        crash never applies a policy twice, nor loses it)."""
        with self.db.transaction() as session:
            request = session.get(ScalingRequestRow, request_id)
            if request is None:
                return
            if group:
                session.execute(update(ScalingGroupRow).where(ScalingGroupRow.id == request.group_id)
                                .values(**group))
            if member:
                session.execute(update(ScalingMemberRow).where(ScalingMemberRow.id == member[0])
                                .values(**member[1]))
            session.delete(request)

    # -- leases (several worker processes on one PostgreSQL) -----------------
    def claim(self, group_id: int, owner: str, seconds: float) -> bool:
        now = utcnow()
        with self.db.transaction() as session:
            claimed = session.execute(
                update(ScalingGroupRow)
                .where(ScalingGroupRow.id == group_id,
                       (ScalingGroupRow.lease_owner.is_(None)) | (ScalingGroupRow.lease_owner == owner)
                       | (ScalingGroupRow.lease_expires_at < now))
                .values(lease_owner=owner, lease_expires_at=now + dt.timedelta(seconds=seconds))
            )
            return claimed.rowcount == 1

    def release(self, group_id: int, owner: str) -> None:
        with self.db.transaction() as session:
            session.execute(update(ScalingGroupRow)
                            .where(ScalingGroupRow.id == group_id, ScalingGroupRow.lease_owner == owner)
                            .values(lease_owner=None, lease_expires_at=None))

    # -- the engine's and CloudWatch's tables ---------------------------------
    def resource_properties(self, account_id: str, type_name: str, physical_id: str) -> dict | None:
        """The applied properties of a LaunchConfiguration / LaunchTemplate resource of this account."""
        return self._current_resource_column(ResourceRow.properties, account_id, type_name, physical_id)

    def resource_attributes(self, account_id: str, type_name: str, physical_id: str) -> dict | None:
        """The attributes cfnapi keeps for such a resource (a launch template's versions)."""
        return self._current_resource_column(ResourceRow.attributes, account_id, type_name, physical_id)

    def _current_resource_column(self, column, account_id: str, type_name: str, physical_id: str) -> dict | None:
        with self.db.transaction() as session:
            return session.scalar(
                select(column).join(StackRow, StackRow.stack_id == ResourceRow.stack_id)
                .where(StackRow.account_id == account_id, ResourceRow.type == type_name,
                       ResourceRow.physical_id == physical_id, ResourceRow.role == "current")
                .order_by(ResourceRow.id.desc()).limit(1))

    def forget_member_alarms(self, group: ScalingGroupRow, instance_id: str) -> None:
        """Delete the per-instance alarms (heartbeats) that act on this group for a member now gone."""
        action = health_action_arn(group.region, group.account_id, group.name)
        with self.db.transaction() as session:
            alarms = session.scalars(select(Alarm).where(
                Alarm.account_id == group.account_id, Alarm.region == group.region,
                Alarm.definition.contains(instance_id), Alarm.definition.contains(action)))
            for alarm in alarms:
                session.execute(delete(ResourceTag).where(ResourceTag.resource_arn == alarm.arn))
                session.delete(alarm)


    def success_signal(self, group: ScalingGroupRow, instance_id: str) -> str | None:
        """SUCCESS / FAILURE of the CreationPolicy signal a member sent (UniqueId = its instance id)."""
        with self.db.transaction() as session:
            return session.scalar(select(SignalRow.status).where(
                SignalRow.stack_id == group.stack_id, SignalRow.logical_id == group.logical_id,
                SignalRow.unique_id == instance_id))

    def record_activity(self, group: ScalingGroupRow, reason: str) -> None:
        """A scaling activity as a stack event on the group (status: the resource's
        current one), and as the resource's status reason for DescribeStackResources."""
        now = utcnow()
        with self.db.transaction() as session:
            resource = session.scalar(select(ResourceRow).where(
                ResourceRow.stack_id == group.stack_id, ResourceRow.logical_id == group.logical_id,
                ResourceRow.role == "current", ResourceRow.type == GROUP_TYPE))
            if resource is None:
                return  # the stack forgot the group already (being deleted)
            resource.status_reason = reason
            session.add(EventRow(
                event_id=str(uuid.uuid4()), stack_id=group.stack_id, stack_name=group.stack_name,
                logical_id=group.logical_id, physical_id=group.name, resource_type=GROUP_TYPE,
                status=resource.status, status_reason=reason, timestamp=now,
            ))
