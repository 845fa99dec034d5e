"""PutMetricAlarm / PutCompositeAlarm validation, and alarms rendered as DescribeAlarms shows them."""

from __future__ import annotations

import json
from datetime import timedelta

from cfnapi.cloudwatch import composite
from cfnapi.cloudwatch.evaluation import COMPARISONS, TREAT_MISSING
from cfnapi.cloudwatch.ingest import combination, invalid, missing, validate_dimensions, validate_namespace
from cfnapi.cloudwatch.models import Alarm
from cfnapi.cloudwatch.statistics import is_percentile, validate_statistic
from cfnapi.cloudwatch.timeutil import as_utc
from cfnapi.cloudwatch.units import normalise_unit
from cfnapi.errors import ServiceError

ANOMALY_OPERATORS = ("LessThanLowerOrGreaterThanUpperThreshold", "LessThanLowerThreshold",
                     "GreaterThanUpperThreshold")
MAX_ACTIONS = 5
_MAX_EVALUATION_SPAN = timedelta(days=7)


def _name(params: dict) -> str:
    name = params.get("AlarmName")
    if not name:
        raise missing("The parameter AlarmName is required.")
    if len(name) > 255 or not name.isascii():
        raise invalid(f"The value {name} for parameter AlarmName is invalid.")
    return name


def _actions(params: dict) -> None:
    for key in ("OKActions", "AlarmActions", "InsufficientDataActions"):
        actions = params.get(key) or []
        if len(actions) > MAX_ACTIONS:
            raise invalid(f"The collection {key} must not have a size greater than {MAX_ACTIONS}.")
        for action in actions:
            if not action.startswith(("arn:", "http://", "https://")):
                raise invalid(f"Invalid arn syntax: {action}")


def _period(period, parameter: str = "Period") -> int:
    if period is None:
        raise missing(f"The parameter {parameter} is required.")
    if period not in (10, 20, 30) and (period < 60 or period % 60):
        raise invalid(f"The parameter {parameter} must be 10, 20, 30 or a multiple of 60.")
    return period


def metric_alarm_definition(params: dict) -> dict:
    """Validate PutMetricAlarm params; returns the definition to store (Tags excluded)."""
    _name(params)
    _actions(params)
    definition = {k: v for k, v in params.items() if k != "Tags" and v is not None}
    operator = params.get("ComparisonOperator")
    if not operator:
        raise missing("The parameter ComparisonOperator is required.")
    if operator in ANOMALY_OPERATORS or params.get("ThresholdMetricId"):
        raise invalid(f"ComparisonOperator {operator} needs anomaly detection, which cfnapi does not support.")
    if operator not in COMPARISONS:
        raise invalid(f"The value {operator} for parameter ComparisonOperator is invalid.")
    if params.get("Threshold") is None:
        raise missing("The parameter Threshold is required.")
    periods = params.get("EvaluationPeriods")
    if not periods or periods < 1:
        raise missing("The parameter EvaluationPeriods is required.") if not periods else \
            invalid("The parameter EvaluationPeriods must be greater than or equal to 1.")
    to_alarm = params.get("DatapointsToAlarm")
    if to_alarm is not None and not 1 <= to_alarm <= periods:
        raise ServiceError("ValidationError", f"DatapointsToAlarm ({to_alarm}) must be between 1 and "
                                              f"EvaluationPeriods ({periods}).")
    treat = params.get("TreatMissingData")
    if treat is not None and treat not in TREAT_MISSING:
        raise invalid(f"The value {treat} for parameter TreatMissingData is invalid.")
    if params.get("Metrics"):
        period = _metric_math_alarm(params)
    else:
        period = _single_metric_alarm(params, definition)
    if period * periods > _MAX_EVALUATION_SPAN.total_seconds():
        raise ServiceError("ValidationError", "The evaluation span (Period * EvaluationPeriods) must not "
                                              "exceed 7 days.")
    definition.setdefault("ActionsEnabled", True)
    return definition


def _single_metric_alarm(params: dict, definition: dict) -> int:
    validate_namespace(params.get("Namespace"))
    if not params.get("MetricName"):
        raise missing("The parameter MetricName is required.")
    statistic, extended = params.get("Statistic"), params.get("ExtendedStatistic")
    if statistic and extended:
        raise combination("The parameters Statistic and ExtendedStatistic are mutually exclusive and you "
                          "have specified both.")
    if not statistic and not extended:
        raise missing("One of the parameters Statistic or ExtendedStatistic is required.")
    if statistic:
        validate_statistic(statistic, "Statistic")
    elif not is_percentile(extended):
        raise invalid(f"The value {extended} for parameter ExtendedStatistic is invalid.")
    low = params.get("EvaluateLowSampleCountPercentile")
    if low is not None:
        if low not in ("evaluate", "ignore"):
            raise invalid(f"The value {low} for parameter EvaluateLowSampleCountPercentile is invalid.")
        if not extended:
            raise combination("EvaluateLowSampleCountPercentile can only be used with ExtendedStatistic.")
    validate_dimensions(params.get("Dimensions"), "Dimensions")
    if params.get("Unit") is not None:
        definition["Unit"] = normalise_unit(params["Unit"])
    return _period(params.get("Period"))


def _metric_math_alarm(params: dict) -> int:
    for key in ("MetricName", "Namespace", "Statistic", "ExtendedStatistic", "Dimensions", "Period", "Unit"):
        if params.get(key):
            raise combination(f"The parameter {key} cannot be used with Metrics.")
    metrics = params["Metrics"]
    if len(metrics) > 10 + 1 + 20:
        raise invalid("The collection Metrics must not have a size greater than 31.")
    returned = [m for m in metrics if m.get("ReturnData", True)]
    if len(returned) != 1:
        raise ServiceError("ValidationError", "Exactly one element of the metrics list should return data.")
    periods = {m["MetricStat"]["Period"] for m in metrics if m.get("MetricStat")}
    if len(periods) > 1:
        raise ServiceError("ValidationError", "All metrics in an alarm must use the same period.")
    for m in metrics:
        if m.get("MetricStat"):
            validate_namespace(m["MetricStat"]["Metric"].get("Namespace"), "Metrics.MetricStat.Metric.Namespace")
    return _period(periods.pop() if periods else (returned[0].get("Period") or 60), "Metrics.MetricStat.Period")


def composite_alarm_definition(params: dict) -> dict:
    name = _name(params)
    _actions(params)
    rule = params.get("AlarmRule")
    if not rule:
        raise missing("The parameter AlarmRule is required.")
    if len(rule) > 10240:
        raise invalid("The parameter AlarmRule must not be longer than 10240 characters.")
    if name in composite.referenced_alarms(composite.parse_rule(rule)):
        raise ServiceError("ValidationError", "A composite alarm cannot refer to itself in its AlarmRule.")
    definition = {k: v for k, v in params.items() if k != "Tags" and v is not None}
    definition.setdefault("ActionsEnabled", True)
    return definition


def _state_fields(alarm: Alarm) -> dict:
    out = {
        "AlarmArn": alarm.arn,
        "AlarmConfigurationUpdatedTimestamp": as_utc(alarm.configuration_updated_at),
        "ActionsEnabled": alarm.actions_enabled,
        "StateValue": alarm.state_value,
        "StateReason": alarm.state_reason,
        "StateUpdatedTimestamp": as_utc(alarm.state_updated_at),
        "StateTransitionedTimestamp": as_utc(alarm.state_transitioned_at),
    }
    if alarm.state_reason_data:
        out["StateReasonData"] = alarm.state_reason_data
    return out


_METRIC_ALARM_KEYS = ("AlarmName", "AlarmDescription", "MetricName", "Namespace", "Statistic", "ExtendedStatistic",
                      "Period", "Unit", "EvaluationPeriods", "DatapointsToAlarm", "Threshold",
                      "ComparisonOperator", "TreatMissingData", "EvaluateLowSampleCountPercentile", "Metrics")


def metric_alarm_view(alarm: Alarm) -> dict:
    d = json.loads(alarm.definition)
    out = {k: d[k] for k in _METRIC_ALARM_KEYS if k in d}
    out.update({"OKActions": d.get("OKActions", []), "AlarmActions": d.get("AlarmActions", []),
                "InsufficientDataActions": d.get("InsufficientDataActions", []),
                "Dimensions": d.get("Dimensions", [])})
    out.update(_state_fields(alarm))
    return out


def composite_alarm_view(alarm: Alarm) -> dict:
    d = json.loads(alarm.definition)
    out = {k: d[k] for k in ("AlarmName", "AlarmDescription", "AlarmRule") if k in d}
    out.update({"OKActions": d.get("OKActions", []), "AlarmActions": d.get("AlarmActions", []),
                "InsufficientDataActions": d.get("InsufficientDataActions", [])})
    out.update(_state_fields(alarm))
    return out
