"""Alarm persistence: definitions, state transitions and history.

A state change and its history item are always written in the same
transaction; the returned ``Transition`` is what the action dispatcher gets
once that transaction has committed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from cfnapi.cloudwatch.evaluation import ALARM, INSUFFICIENT_DATA, OK
from cfnapi.cloudwatch.models import Alarm, AlarmHistory, ResourceTag
from cfnapi.cloudwatch.timeutil import as_utc
from cfnapi.errors import ServiceError

METRIC_ALARM, COMPOSITE_ALARM = "MetricAlarm", "CompositeAlarm"
ACTION_KEYS = {OK: "OKActions", ALARM: "AlarmActions", INSUFFICIENT_DATA: "InsufficientDataActions"}
HISTORY_RETENTION = timedelta(days=14)  # AWS keeps alarm history for two weeks
# AWS: "For Auto Scaling actions, the alarm continues to invoke the action once per
# minute that the alarm remains in the new state" -- every other action fires on transitions only.
REPEATING_ACTION_PREFIX = "arn:aws:autoscaling:"


def to_millisecond(moment: datetime) -> datetime:
    """History is kept at the millisecond, the precision clients see: a timestamp read from
    DescribeAlarmHistory and sent back as StartDate or EndDate then includes its own item."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def alarm_arn(region: str, account_id: str, name: str) -> str:
    return f"arn:aws:cloudwatch:{region}:{account_id}:alarm:{name}"


@dataclass(frozen=True)
class Transition:
    """A committed state change, with everything an action needs."""

    account_id: str
    region: str
    alarm_name: str
    alarm_arn: str
    alarm_type: str
    old_state: str
    new_state: str
    reason: str
    reason_data: dict[str, Any] | None
    timestamp: datetime
    definition: dict[str, Any]
    configuration_updated_at: datetime
    actions: tuple[str, ...] = field(default=())


class AlarmStore:
    def __init__(self, db):
        self.db = db

    # -- definitions ---------------------------------------------------------
    def put(self, session: Session, account_id: str, region: str, alarm_type: str, definition: dict,
            tags: list[dict], now: datetime, tags_on_update: bool = False) -> Alarm:
        """Create or update an alarm. As AWS documents for PutMetricAlarm and PutCompositeAlarm,
        ``tags`` are ignored when the alarm exists (TagResource changes them), unless
        ``tags_on_update``: a template's AWS::CloudWatch::Alarm updates its Tags in place."""
        name = definition["AlarmName"]
        alarm = self.get(session, account_id, region, name)
        created = alarm is None
        if created:
            alarm = Alarm(
                account_id=account_id, region=region, name=name, arn=alarm_arn(region, account_id, name),
                state_value=INSUFFICIENT_DATA, state_reason="Unchecked: Initial alarm creation",
                state_reason_data=None, state_updated_at=now, state_transitioned_at=now,
            )
            session.add(alarm)
        elif alarm.alarm_type != alarm_type:
            raise ServiceError("InvalidParameterCombination",
                               f"An alarm of another type already exists with the name {name}.")
        alarm.alarm_type = alarm_type
        alarm.definition = json.dumps(definition, sort_keys=True)
        alarm.namespace = definition.get("Namespace")
        alarm.metric_name = definition.get("MetricName")
        alarm.actions_enabled = definition.get("ActionsEnabled", True)
        alarm.configuration_updated_at = now
        alarm.next_evaluation_at = now  # evaluate a new or changed alarm in the next cycle
        for tag in (tags if created or tags_on_update else ()):
            session.merge(ResourceTag(resource_arn=alarm.arn, key=tag["Key"], value=tag["Value"]))
        verb = "created" if created else "updated"
        self.add_history(session, alarm, now, "ConfigurationUpdate", f'Alarm "{name}" {verb}', {
            "version": "1.0", "type": "Create" if created else "Update",
            ("createdAlarm" if created else "updatedAlarm"): definition,
        })
        return alarm

    def get(self, session: Session, account_id: str, region: str, name: str) -> Alarm | None:
        return session.scalar(select(Alarm).where(
            Alarm.account_id == account_id, Alarm.region == region, Alarm.name == name))

    def query(self, session: Session, account_id: str, region: str):
        return select(Alarm).where(Alarm.account_id == account_id, Alarm.region == region)

    def delete(self, session: Session, account_id: str, region: str, names: list[str]) -> None:
        alarms = list(session.scalars(self.query(session, account_id, region).where(Alarm.name.in_(names))))
        for alarm in alarms:
            session.execute(delete(ResourceTag).where(ResourceTag.resource_arn == alarm.arn))
            session.delete(alarm)

    # -- state ---------------------------------------------------------------
    def transition(self, session: Session, alarm: Alarm, new_state: str, reason: str,
                   reason_data: dict | None, now: datetime, force_history: bool = False) -> Transition | None:
        """Move ``alarm`` to ``new_state``; returns the Transition, or None when nothing changed.

        The reason is refreshed even when the state stays (AWS updates
        StateUpdatedTimestamp, not StateTransitionedTimestamp, in that case).
        """
        old_state, old_reason = alarm.state_value, alarm.state_reason
        changed = old_state != new_state
        alarm.state_reason = reason
        alarm.state_reason_data = json.dumps(reason_data) if reason_data is not None else None
        alarm.state_updated_at = now
        if not changed and not force_history:
            return None
        alarm.state_value = new_state
        if changed:
            alarm.state_transitioned_at = now
        new_state_data: dict[str, Any] = {"stateValue": new_state, "stateReason": reason}
        if reason_data is not None:
            new_state_data["stateReasonData"] = reason_data
        self.add_history(session, alarm, now, "StateUpdate", f"Alarm updated from {old_state} to {new_state}", {
            "version": "1.0",
            "oldState": {"stateValue": old_state, "stateReason": old_reason},
            "newState": new_state_data,
        })
        definition = json.loads(alarm.definition)
        actions = tuple(definition.get(ACTION_KEYS[new_state], [])) if alarm.actions_enabled else ()
        return Transition(
            account_id=alarm.account_id, region=alarm.region, alarm_name=alarm.name, alarm_arn=alarm.arn,
            alarm_type=alarm.alarm_type, old_state=old_state, new_state=new_state, reason=reason,
            reason_data=reason_data, timestamp=now, definition=definition,
            configuration_updated_at=as_utc(alarm.configuration_updated_at), actions=actions,
        )

    def repeat(self, alarm: Alarm, now: datetime, reason_data: dict | None = None) -> Transition | None:
        """The Auto Scaling actions of the state ``alarm`` stays in, to invoke again (AWS
        re-invokes them while the state lasts); None when there is nothing to repeat (actions
        disabled, or no Auto Scaling ARN). Like every invocation, each gets its "Action"
        history item once it has run (``record_action``)."""
        if not alarm.actions_enabled:
            return None
        definition = json.loads(alarm.definition)
        actions = tuple(a for a in definition.get(ACTION_KEYS.get(alarm.state_value, ""), [])
                        if a.startswith(REPEATING_ACTION_PREFIX))
        if not actions:
            return None
        if reason_data is None:  # the newest datapoints, for step scaling; else what the state was set with
            reason_data = json.loads(alarm.state_reason_data) if alarm.state_reason_data else None
        return Transition(
            account_id=alarm.account_id, region=alarm.region, alarm_name=alarm.name, alarm_arn=alarm.arn,
            alarm_type=alarm.alarm_type, old_state=alarm.state_value, new_state=alarm.state_value,
            reason=alarm.state_reason or "", reason_data=reason_data, timestamp=now, definition=definition,
            configuration_updated_at=as_utc(alarm.configuration_updated_at), actions=actions,
        )

    def add_history(self, session: Session, alarm: Alarm, now: datetime, item_type: str, summary: str,
                    data: dict) -> None:
        session.add(AlarmHistory(
            account_id=alarm.account_id, region=alarm.region, alarm_name=alarm.name,
            alarm_type=alarm.alarm_type, timestamp=to_millisecond(now), item_type=item_type, summary=summary,
            data=json.dumps(data, default=str),
        ))

    def record_action(self, transition: Transition, action: str, error: str | None, now: datetime) -> None:
        """The "Action" history item of one action run for ``transition`` (a state change or a
        repeat), in AWS's words: "Successfully executed action <arn>" or "Failed to execute
        action <arn>", the data saying which and, on failure, why."""
        data: dict[str, Any] = {
            "actionState": "Failed" if error else "Succeeded",
            "stateUpdateTimestamp": int(as_utc(transition.timestamp).timestamp() * 1000),
            "notificationResource": action,
        }
        if error:
            data["error"] = error
        summary = f"Failed to execute action {action}" if error else f"Successfully executed action {action}"
        with self.db.transaction() as session:
            session.add(AlarmHistory(account_id=transition.account_id, region=transition.region,
                                     alarm_name=transition.alarm_name, alarm_type=transition.alarm_type,
                                     timestamp=to_millisecond(now), item_type="Action", summary=summary,
                                     data=json.dumps(data, default=str)))

    def expire_history(self, now: datetime) -> None:
        with self.db.transaction() as session:
            session.execute(delete(AlarmHistory).where(AlarmHistory.timestamp < now - HISTORY_RETENTION))
