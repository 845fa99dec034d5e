"""AWS::AutoScaling::ScalingPolicy and ScheduledAction: rules stored for the
scaling worker (``cfnapi.autoscaling``). A policy's ARN goes into alarm actions;
target tracking makes its own two alarms, as AWS does."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cfnapi.autoscaling.adjustments import policy_errors
from cfnapi.autoscaling.models import ScalingPolicyRow, ScheduledActionRow
from cfnapi.autoscaling.schedule import CronError, first_run
from cfnapi.autoscaling.store import AutoScalingStore, policy_arn
from cfnapi.engine.models import utcnow
from cfnapi.translate.base import PropertySpec, ResourceContext, ResourceFailure, ResourceType
from cfnapi.translate.cloud_calls import as_list, physical_name, truthy
from cfnapi.translate.cloudwatch_alarm import delete_alarms, put_alarm


def _store(ctx: ResourceContext) -> AutoScalingStore:
    return ctx.cloud.autoscaling


# Target tracking's predefined metrics: the average over the group's members.
_PREDEFINED = {
    "ASGAverageCPUUtilization": ("AWS/EC2", "CPUUtilization"),
    "ASGAverageNetworkIn": ("AWS/EC2", "NetworkIn"),
    "ASGAverageNetworkOut": ("AWS/EC2", "NetworkOut"),
}


def target_tracking_alarms(group: str, arn: str, config: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The two alarms AWS creates for a target tracking policy: high (3 of 3 minutes
    above the target) scales out, low (15 of 15 minutes below 90% of it) scales in."""
    predefined = config.get("PredefinedMetricSpecification")
    if predefined:
        kind = predefined.get("PredefinedMetricType")
        if kind not in _PREDEFINED:
            raise ResourceFailure(f"PredefinedMetricType {kind} is not supported here "
                                  f"(supported: {', '.join(_PREDEFINED)})")
        namespace, metric = _PREDEFINED[kind]
        metric_params = {"Namespace": namespace, "MetricName": metric, "Statistic": "Average",
                         "Dimensions": [{"Name": "AutoScalingGroupName", "Value": group}]}
    else:
        custom = config["CustomizedMetricSpecification"]
        metric_params = {"Namespace": custom["Namespace"], "MetricName": custom["MetricName"],
                         "Statistic": custom.get("Statistic") or "Average",
                         "Dimensions": [{"Name": str(d["Name"]), "Value": str(d["Value"])}
                                        for d in as_list(custom.get("Dimensions"))]}
        if custom.get("Unit"):
            metric_params["Unit"] = custom["Unit"]
    target = float(config["TargetValue"])
    suffix = arn.split(":")[6]
    high = {"AlarmName": f"TargetTracking-{group}-AlarmHigh-{suffix}", "Period": 60, "EvaluationPeriods": 3,
            "ComparisonOperator": "GreaterThanThreshold", "Threshold": target, "AlarmActions": [arn],
            **metric_params}
    alarms = [high]
    if not truthy(config.get("DisableScaleIn")):
        alarms.append({"AlarmName": f"TargetTracking-{group}-AlarmLow-{suffix}", "Period": 60,
                       "EvaluationPeriods": 15, "ComparisonOperator": "LessThanThreshold",
                       "Threshold": round(target * 0.9, 6), "AlarmActions": [arn], **metric_params})
    return alarms


class ScalingPolicy(ResourceType):
    type_name = "AWS::AutoScaling::ScalingPolicy"
    openstack_mapping = "cfnapi Auto Scaling policy; alarms whose actions name its ARN resize the group"
    properties = (
        PropertySpec("AutoScalingGroupName", required=True, update="replace"),
        PropertySpec("PolicyType"),
        PropertySpec("AdjustmentType"),
        PropertySpec("ScalingAdjustment", "Integer"),
        PropertySpec("Cooldown"),
        PropertySpec("MinAdjustmentMagnitude", "Integer"),
        PropertySpec("StepAdjustments", "List"),
        PropertySpec("MetricAggregationType"),
        PropertySpec("EstimatedInstanceWarmup", "Integer"),
        PropertySpec("TargetTrackingConfiguration", "Json"),
    )
    attribute_names = ("Arn", "PolicyName")
    not_honoured = ("PredictiveScalingConfiguration; EstimatedInstanceWarmup and MetricAggregationType (the "
                    "alarm's statistic is used); step and target tracking policies have no cooldown.")

    def create(self, ctx: ResourceContext, props: Mapping[str, Any]) -> str:
        problem = policy_errors(props)
        if problem:
            raise ResourceFailure(problem)
        group = str(props["AutoScalingGroupName"])
        if _store(ctx).group(ctx.account_id, ctx.region, group) is None:
            raise ResourceFailure(f"AutoScalingGroup name not found - AutoScalingGroup {group} not found")
        name = physical_name(ctx)
        arn = policy_arn(ctx.region, ctx.account_id, group, name)
        self._save(ctx, arn, group, name, props)
        return arn

    def _save(self, ctx: ResourceContext, arn: str, group: str, name: str, props: Mapping[str, Any]) -> None:
        store = _store(ctx)
        old = store.policy(arn)
        if old is not None and old.alarm_names:
            delete_alarms(ctx, list(old.alarm_names))
        alarm_names = []
        if (props.get("PolicyType") or "SimpleScaling") == "TargetTrackingScaling":
            for params in target_tracking_alarms(group, arn, props["TargetTrackingConfiguration"]):
                put_alarm(ctx, params["AlarmName"], params)
                alarm_names.append(params["AlarmName"])
        store.put_policy(ScalingPolicyRow(arn=arn, account_id=ctx.account_id, region=ctx.region, group_name=group,
                                          name=name, definition=dict(props), alarm_names=alarm_names))

    def update(self, ctx, resource, old_props, new_props) -> None:
        problem = policy_errors(new_props)
        if problem:
            raise ResourceFailure(problem)
        name = resource.physical_id.rsplit("policyName/", 1)[-1]
        self._save(ctx, resource.physical_id, str(new_props["AutoScalingGroupName"]), name, new_props)

    def delete(self, ctx, resource) -> None:
        store = _store(ctx)
        policy = store.policy(resource.physical_id or "")
        if policy is None:
            return
        if policy.alarm_names:
            delete_alarms(ctx, list(policy.alarm_names))
        store.delete_policy(policy.arn)

    def attributes(self, ctx, resource) -> dict[str, Any]:
        return {"Arn": resource.physical_id, "PolicyName": resource.physical_id.rsplit("policyName/", 1)[-1]}


class ScheduledAction(ResourceType):
    type_name = "AWS::AutoScaling::ScheduledAction"
    openstack_mapping = "cfnapi Auto Scaling scheduled action (run by the scaling worker)"
    properties = (
        PropertySpec("AutoScalingGroupName", required=True, update="replace"),
        PropertySpec("DesiredCapacity", "Integer"),
        PropertySpec("MinSize", "Integer"),
        PropertySpec("MaxSize", "Integer"),
        PropertySpec("Recurrence"),
        PropertySpec("StartTime"),
        PropertySpec("EndTime"),
        PropertySpec("TimeZone"),
    )
    not_honoured = "TimeZone other than UTC (times and Recurrence are read as UTC)."

    def create(self, ctx: ResourceContext, props: Mapping[str, Any]) -> str:
        name = physical_name(ctx)
        self._save(ctx, name, props)
        return name

    def _save(self, ctx: ResourceContext, name: str, props: Mapping[str, Any]) -> None:
        if all(props.get(k) in (None, "") for k in ("DesiredCapacity", "MinSize", "MaxSize")):
            raise ResourceFailure("At least one of DesiredCapacity, MinSize or MaxSize must be specified")
        group = str(props["AutoScalingGroupName"])
        store = _store(ctx)
        if store.group(ctx.account_id, ctx.region, group) is None:
            raise ResourceFailure(f"AutoScalingGroup name not found - AutoScalingGroup {group} not found")
        definition = {k: v for k, v in props.items() if v not in (None, "")}
        try:
            next_at = first_run(definition, utcnow())
        except (CronError, ValueError) as error:
            raise ResourceFailure(str(error)) from error
        existing = store.scheduled_action(ctx.account_id, ctx.region, name)
        store.put_scheduled_action(ScheduledActionRow(
            id=existing.id if existing else None, account_id=ctx.account_id, region=ctx.region, group_name=group,
            name=name, definition=definition, next_run_at=next_at))

    def update(self, ctx, resource, old_props, new_props) -> None:
        self._save(ctx, resource.physical_id, new_props)

    def delete(self, ctx, resource) -> None:
        if resource.physical_id:
            _store(ctx).delete_scheduled_action(ctx.account_id, ctx.region, resource.physical_id)
