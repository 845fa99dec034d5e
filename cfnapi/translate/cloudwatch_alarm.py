"""AWS::CloudWatch::Alarm → an alarm in cfnapi's own CloudWatch store, in the
stack's account and region: the same validation and storage PutMetricAlarm uses,
so the evaluator treats it like any alarm made through the API."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cfnapi.cloudwatch.alarm_definitions import metric_alarm_definition
from cfnapi.cloudwatch.alarms import METRIC_ALARM, alarm_arn
from cfnapi.engine.models import utcnow
from cfnapi.errors import ServiceError
from cfnapi.translate.base import PropertySpec, ResourceContext, ResourceFailure, ResourceState, ResourceType
from cfnapi.translate.cloud_calls import made_since_token, physical_name, truthy

_INTEGERS = ("Period", "EvaluationPeriods", "DatapointsToAlarm")


def _metric_query(query: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(query)
    if "ReturnData" in out:
        out["ReturnData"] = truthy(out["ReturnData"], default=True)
    if out.get("Period") not in (None, ""):
        out["Period"] = int(out["Period"])
    if isinstance(out.get("MetricStat"), Mapping):
        stat = dict(out["MetricStat"])
        stat["Period"] = int(stat["Period"]) if stat.get("Period") not in (None, "") else stat.get("Period")
        out["MetricStat"] = stat
    return out


def put_metric_alarm_params(name: str, props: Mapping[str, Any]) -> dict[str, Any]:
    """Template properties (strings where the template had strings) → PutMetricAlarm's typed params."""
    params: dict[str, Any] = {k: v for k, v in props.items() if v not in (None, "") and k != "AlarmName"}
    params["AlarmName"] = name
    for key in _INTEGERS:
        if key in params:
            params[key] = int(params[key])
    if "Threshold" in params:
        params["Threshold"] = float(params["Threshold"])
    if "ActionsEnabled" in params:
        params["ActionsEnabled"] = truthy(params["ActionsEnabled"], default=True)
    if params.get("Metrics"):
        params["Metrics"] = [_metric_query(q) for q in params["Metrics"]]
    for key in ("AlarmActions", "OKActions", "InsufficientDataActions"):
        if key in params:
            params[key] = [str(a) for a in params[key]]
    if params.get("Dimensions"):
        params["Dimensions"] = [{"Name": str(d["Name"]), "Value": str(d["Value"])} for d in params["Dimensions"]]
    return params


def put_alarm(ctx: ResourceContext, name: str, params: Mapping[str, Any], tags: list | None = None) -> None:
    """Validate and store one metric alarm in the stack's account (shared with ScalingPolicy)."""
    store = ctx.cloud.alarms
    try:
        definition = metric_alarm_definition(dict(params))
    except ServiceError as error:
        raise ResourceFailure(error.message) from error
    with store.db.transaction() as session:
        store.put(session, ctx.account_id, ctx.region, METRIC_ALARM, definition, tags or [], utcnow(),
                  tags_on_update=True)


def delete_alarms(ctx: ResourceContext, names: list[str]) -> None:
    store = ctx.cloud.alarms
    with store.db.transaction() as session:
        store.delete(session, ctx.account_id, ctx.region, names)


class Alarm(ResourceType):
    type_name = "AWS::CloudWatch::Alarm"
    openstack_mapping = "an alarm in cfnapi's CloudWatch store (evaluated every minute; actions fire)"
    properties = (
        PropertySpec("AlarmName", update="replace"),
        PropertySpec("AlarmDescription"),
        PropertySpec("ActionsEnabled", "Boolean"),
        PropertySpec("AlarmActions", "List"),
        PropertySpec("OKActions", "List"),
        PropertySpec("InsufficientDataActions", "List"),
        PropertySpec("MetricName"),
        PropertySpec("Namespace"),
        PropertySpec("Statistic"),
        PropertySpec("ExtendedStatistic"),
        PropertySpec("Dimensions", "List"),
        PropertySpec("Period", "Integer"),
        PropertySpec("Unit"),
        PropertySpec("EvaluationPeriods", "Integer", required=True),
        PropertySpec("DatapointsToAlarm", "Integer"),
        PropertySpec("Threshold", "Number"),
        PropertySpec("ComparisonOperator", required=True),
        PropertySpec("TreatMissingData"),
        PropertySpec("EvaluateLowSampleCountPercentile"),
        PropertySpec("Metrics", "List"),
        PropertySpec("Tags", "List"),
    )
    attribute_names = ("Arn",)
    # No name_properties: AlarmName is the only property that replaces, so a
    # replacement always has a new name and cannot collide with the old alarm.
    not_honoured = "ThresholdMetricId (anomaly detection). Ref is the alarm name; Arn is cfnapi's alarm ARN."

    def create(self, ctx: ResourceContext, props: Mapping[str, Any]) -> str:
        name = str(props.get("AlarmName") or physical_name(ctx))
        if ctx.cloud.alarms.db is not None:
            with ctx.cloud.alarms.db.transaction() as session:
                if ctx.cloud.alarms.get(session, ctx.account_id, ctx.region, name) is not None:
                    raise ResourceFailure(f"{name} already exists")
        put_alarm(ctx, name, put_metric_alarm_params(name, props), list(props.get("Tags") or []))
        return name

    def find_created(self, ctx: ResourceContext, props: Mapping[str, Any]) -> str | None:
        """A generated name carries the token; an AlarmName is this create's only if the alarm
        was configured after the token was saved (one that existed before is someone else's)."""
        if not ctx.creation_token or ctx.cloud.alarms.db is None:
            return None
        name = str(props.get("AlarmName") or physical_name(ctx))
        with ctx.cloud.alarms.db.transaction() as session:
            alarm = ctx.cloud.alarms.get(session, ctx.account_id, ctx.region, name)
            configured = alarm.configuration_updated_at if alarm is not None else None
        if alarm is None or (props.get("AlarmName") and not made_since_token(ctx, configured)):
            return None
        return name

    def update(self, ctx: ResourceContext, resource: ResourceState, old_props, new_props) -> None:
        put_alarm(ctx, resource.physical_id, put_metric_alarm_params(resource.physical_id, new_props),
                  list(new_props.get("Tags") or []))

    def delete(self, ctx: ResourceContext, resource: ResourceState) -> None:
        if resource.physical_id:
            delete_alarms(ctx, [resource.physical_id])

    def attributes(self, ctx: ResourceContext, resource: ResourceState) -> dict[str, Any]:
        return {"Arn": alarm_arn(ctx.region, ctx.account_id, resource.physical_id)}
