"""PutMetricData validation: request parameters → ``Sample`` objects, with AWS's limits and messages."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from cfnapi.cloudwatch.statistics import Aggregate
from cfnapi.cloudwatch.store import MetricKey, Sample, canonical_dimensions
from cfnapi.cloudwatch.timeutil import as_utc
from cfnapi.cloudwatch.units import normalise_unit
from cfnapi.errors import ServiceError

MAX_METRIC_DATA = 1000
MAX_VALUES = 150
MAX_DIMENSIONS = 30
# CloudWatch rejects values it cannot store: beyond ±2^360, or non-zero magnitudes below 8.515920e-109.
_LARGEST, _SMALLEST = 2.0 ** 360, 8.515920e-109
_MAX_AGE, _MAX_AHEAD = timedelta(days=14), timedelta(hours=2)


def invalid(message: str) -> ServiceError:
    return ServiceError("InvalidParameterValue", message)


def missing(message: str) -> ServiceError:
    return ServiceError("MissingParameter", message)


def combination(message: str) -> ServiceError:
    return ServiceError("InvalidParameterCombination", message)


HIGH_RESOLUTION_PERIODS = (1, 5, 10, 20, 30)


def validate_period(period: int, parameter: str = "Period") -> int:
    """AWS's query periods: 1, 5, 10, 20 or 30 seconds (high-resolution data) or a multiple of 60."""
    if period not in HIGH_RESOLUTION_PERIODS and (period < 60 or period % 60):
        raise invalid(f"The parameter {parameter} must be 1, 5, 10, 20, 30 or a multiple of 60.")
    return period


def validate_namespace(namespace: str | None, parameter: str = "Namespace") -> str:
    if not namespace:
        raise missing(f"The parameter {parameter} is required.")
    if len(namespace) > 255 or not namespace.isascii() or namespace.startswith(":"):
        raise invalid(f"The value {namespace} for parameter {parameter} is invalid.")
    return namespace


def validate_dimensions(dimensions: list[dict] | None, parameter: str) -> tuple[tuple[str, str], ...]:
    dimensions = dimensions or []
    if len(dimensions) > MAX_DIMENSIONS:
        raise invalid(f"The collection {parameter} must not have a size greater than {MAX_DIMENSIONS}.")
    for i, dim in enumerate(dimensions, 1):
        for field in ("Name", "Value"):
            value = dim.get(field)
            if value is None or value == "":
                raise missing(f"The parameter {parameter}.member.{i}.{field} is required.")
            if len(value) > (255 if field == "Name" else 1024):
                raise invalid(f"The value {value} for parameter {parameter}.member.{i}.{field} is invalid.")
    names = [d["Name"] for d in dimensions]
    if len(set(names)) != len(names):
        raise invalid(f"No metric may have duplicate dimension names in {parameter}.")
    return canonical_dimensions((d["Name"], d["Value"]) for d in dimensions)


def _check_value(value: float, parameter: str) -> float:
    value = float(value)
    if math.isnan(value) or math.isinf(value) or abs(value) > _LARGEST or (value != 0 and abs(value) < _SMALLEST):
        raise invalid(f"The value {value} for parameter {parameter} is invalid.")
    return value


def _check_values(values: list, parameter: str) -> list[float]:
    floats = [float(v) for v in values]
    for i, v in enumerate(floats, 1):
        # One chained comparison per value; NaN fails it too.
        if not (_SMALLEST <= abs(v) <= _LARGEST) and v != 0:
            raise invalid(f"The value {v} for parameter {parameter}.member.{i} is invalid.")
    return floats


def samples_from_request(params: dict, now: datetime) -> list[Sample]:
    namespace = validate_namespace(params.get("Namespace"))
    if namespace.startswith("AWS/"):
        raise invalid(f"The value {namespace} for parameter Namespace is invalid: the AWS/ prefix is reserved.")
    data = params.get("MetricData")
    if not data:
        raise missing("The parameter MetricData is required.")
    if len(data) > MAX_METRIC_DATA:
        raise invalid(f"The collection MetricData must not have a size greater than {MAX_METRIC_DATA}.")
    return [_sample(namespace, datum, f"MetricData.member.{i}", now) for i, datum in enumerate(data, 1)]


def _sample(namespace: str, datum: dict, prefix: str, now: datetime) -> Sample:
    name = datum.get("MetricName")
    if not name:
        raise missing(f"The parameter {prefix}.MetricName is required.")
    if len(name) > 255:
        raise invalid(f"The value {name} for parameter {prefix}.MetricName is invalid.")
    dimensions = validate_dimensions(datum.get("Dimensions"), f"{prefix}.Dimensions")
    resolution = datum.get("StorageResolution", 60)
    if resolution not in (1, 60):
        raise invalid(f"The value {resolution} for parameter {prefix}.StorageResolution is invalid.")
    timestamp = as_utc(datum["Timestamp"]) if datum.get("Timestamp") is not None else now
    if timestamp < now - _MAX_AGE:
        raise invalid(f"The parameter {prefix}.Timestamp must specify a time no more than two weeks in the past.")
    if timestamp > now + _MAX_AHEAD:
        raise invalid(f"The parameter {prefix}.Timestamp must specify a time no more than two hours in the future.")
    unit = normalise_unit(datum.get("Unit")) or "None"
    return Sample(MetricKey(namespace, name, dimensions), timestamp, unit, _aggregate(datum, prefix),
                  high_resolution=resolution == 1)


def _aggregate(datum: dict, prefix: str) -> Aggregate:
    given = [k for k in ("Value", "StatisticValues", "Values") if datum.get(k) is not None]
    if not given:
        raise missing(f"The parameter {prefix}.Value is required.")
    if len(given) > 1:
        raise combination(f"The parameters {prefix}.{given[0]} and {prefix}.{given[1]} are mutually "
                          "exclusive and you have specified both.")
    if datum.get("Counts") is not None and given[0] != "Values":
        raise combination(f"The parameter {prefix}.Counts can only be used with {prefix}.Values.")
    if given[0] == "Value":
        return Aggregate.of_values([_check_value(datum["Value"], f"{prefix}.Value")])
    if given[0] == "Values":
        values = datum["Values"]
        if len(values) > MAX_VALUES:
            raise invalid(f"The collection {prefix}.Values must not have a size greater than {MAX_VALUES}.")
        counts = datum.get("Counts")
        if counts is not None and len(counts) != len(values):
            raise invalid(f"The parameters {prefix}.Values and {prefix}.Counts must be of the same size.")
        values = _check_values(values, f"{prefix}.Values")
        if counts is not None:
            counts = _check_values(counts, f"{prefix}.Counts")
            if any(c <= 0 for c in counts):
                raise invalid(f"The parameter {prefix}.Counts must contain only positive numbers.")
        return Aggregate.of_values(values, counts)
    stats = datum["StatisticValues"]
    for field in ("SampleCount", "Sum", "Minimum", "Maximum"):
        if stats.get(field) is None:
            raise missing(f"The parameter {prefix}.StatisticValues.{field} is required.")
        _check_value(stats[field], f"{prefix}.StatisticValues.{field}")
    if stats["SampleCount"] <= 0:
        raise invalid(f"The parameter {prefix}.StatisticValues.SampleCount must be greater than 0.")
    if stats["Minimum"] > stats["Maximum"]:
        raise invalid(f"The parameter {prefix}.StatisticValues.Maximum must be greater than "
                      f"{prefix}.StatisticValues.Minimum.")
    return Aggregate.of_statistic_set(float(stats["SampleCount"]), float(stats["Sum"]),
                                      float(stats["Minimum"]), float(stats["Maximum"]))
