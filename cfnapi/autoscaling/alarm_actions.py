"""Alarm actions that name Auto Scaling ARNs, registered with the CloudWatch
action dispatcher for ``arn:aws:autoscaling:``.

The callback runs on the dispatcher's pool (never the evaluator's thread) and
only queues the work durably; the scaling worker does it on its next tick.

- a scaling policy's ARN (what ``Ref`` of an AWS::AutoScaling::ScalingPolicy
  returns) queues the policy with the alarm's threshold and newest datapoint;
- ``arn:aws:autoscaling:{region}:{account}:setInstanceHealth:autoScalingGroupName/{group}``
  marks the member named by the alarm's ``InstanceId`` dimension Unhealthy,
  like SetInstanceHealth — the group then replaces it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from cfnapi.autoscaling.store import AutoScalingStore
from cfnapi.cloudwatch.alarms import Transition

log = logging.getLogger(__name__)

ARN_PREFIX = "arn:aws:autoscaling:"


def _newest_value(transition: Transition) -> float | None:
    data = transition.reason_data or {}
    points = data.get("recentDatapoints") or []
    return float(points[-1]) if points else None


class AutoScalingActions:
    def __init__(self, store: AutoScalingStore, work_queued: Callable[[], None] = lambda: None):
        self.store, self.work_queued = store, work_queued

    def __call__(self, arn: str, transition: Transition) -> None:
        parts = arn.split(":")
        if len(parts) < 7 or parts[4] != transition.account_id:
            log.warning("alarm %s: action %s is not in the alarm's account", transition.alarm_name, arn)
            return
        region, account, kind = parts[3], parts[4], parts[5]
        if kind == "scalingPolicy":
            self._policy(arn, transition)
        elif kind == "setInstanceHealth":
            self._health(region, account, arn.rsplit("autoScalingGroupName/", 1)[-1], transition)
        else:
            log.warning("alarm %s: unknown Auto Scaling action %s", transition.alarm_name, arn)
            return
        self.work_queued()

    def _policy(self, arn: str, transition: Transition) -> None:
        policy = self.store.policy(arn)
        if policy is None:
            log.warning("alarm %s: scaling policy %s does not exist", transition.alarm_name, arn)
            return
        group = self.store.group(policy.account_id, policy.region, policy.group_name)
        if group is None:
            return
        threshold = (transition.reason_data or {}).get("threshold", transition.definition.get("Threshold"))
        self.store.enqueue(group.id, "policy", {
            "policy_arn": arn, "alarm": transition.alarm_name, "state": transition.new_state,
            "threshold": threshold, "value": _newest_value(transition), "at": transition.timestamp.isoformat(),
        })

    def _health(self, region: str, account: str, group_name: str, transition: Transition) -> None:
        group = self.store.group(account, region, group_name)
        dimensions = {d["Name"]: d["Value"] for d in transition.definition.get("Dimensions", [])}
        instance_id = dimensions.get("InstanceId")
        if group is None or not instance_id:
            log.warning("alarm %s: setInstanceHealth needs a group and an InstanceId dimension",
                        transition.alarm_name)
            return
        self.store.enqueue(group.id, "health", {"instance_id": instance_id, "alarm": transition.alarm_name,
                                                "at": transition.timestamp.isoformat()})
