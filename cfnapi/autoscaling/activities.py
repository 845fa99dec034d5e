"""The sentences AWS Auto Scaling writes for its activities (Description and
Cause, as DescribeScalingActivities shows them), used as stack event reasons."""

from __future__ import annotations

import datetime as dt


def stamp(when: dt.datetime) -> str:
    return when.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def policy_cause(when: dt.datetime, alarm: str, state: str, policy: str, before: int, after: int) -> str:
    return (f"At {stamp(when)} a monitor alarm {alarm} in state {state} triggered policy {policy} "
            f"changing the desired capacity from {before} to {after}.")


def scheduled_cause(when: dt.datetime, action: str, before: int, after: int) -> str:
    return (f"At {stamp(when)} a scheduled action update of AutoScalingGroup constraints to {action} "
            f"changing the desired capacity from {before} to {after}.")


def launch_cause(when: dt.datetime, before: int, after: int) -> str:
    return (f"At {stamp(when)} an instance was started in response to a difference between desired and "
            f"actual capacity, increasing the capacity from {before} to {after}.")


def shrink_cause(when: dt.datetime, before: int, after: int) -> str:
    return (f"At {stamp(when)} an instance was taken out of service in response to a difference between "
            f"desired and actual capacity, shrinking the capacity from {before} to {after}.")


def health_cause(when: dt.datetime, why: str) -> str:
    if why == "alarm":
        return (f"At {stamp(when)} an instance was taken out of service in response to a health check "
                f"set by an alarm action (SetInstanceHealth Unhealthy).")
    return (f"At {stamp(when)} an instance was taken out of service in response to an EC2 health check "
            f"indicating it has been {why}.")


def replacement_cause(when: dt.datetime, old: str) -> str:
    return (f"At {stamp(when)} an instance was started in response to an unhealthy instance needing to be "
            f"replaced: {old}.")


def rolling_cause(when: dt.datetime, old: str) -> str:
    return (f"At {stamp(when)} an instance was started to replace {old}, which runs an outdated launch "
            f"configuration (UpdatePolicy AutoScalingRollingUpdate).")


def launching(instance_id: str, cause: str) -> str:
    return f"Launching a new EC2 instance: {instance_id}. Cause: {cause}"


def launch_failed(reason: str, cause: str) -> str:
    return f"Launching a new EC2 instance failed. Status Reason: {reason}. Cause: {cause}"


def terminating(instance_id: str, cause: str) -> str:
    return f"Terminating EC2 instance: {instance_id}. Cause: {cause}"


def in_service(instance_id: str) -> str:
    return f"EC2 instance {instance_id} is InService."
