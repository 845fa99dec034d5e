"""Runs MetricDataQuery lists (MetricStat and Expression) against the store.

Shared by GetMetricData and metric-math alarms, so both see the same values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from cfnapi.cloudwatch.ingest import validate_period
from cfnapi.cloudwatch.metric_math import Context, Series, evaluate_expression
from cfnapi.cloudwatch.statistics import STATISTICS, is_percentile
from cfnapi.cloudwatch.store import MetricKey, MetricStore, canonical_dimensions
from cfnapi.cloudwatch.timeutil import epoch
from cfnapi.cloudwatch.units import normalise_unit
from cfnapi.errors import ServiceError


@dataclass
class QueryResult:
    id: str
    label: str
    series: Series
    return_data: bool


class MetricQueryRunner:
    def __init__(self, store: MetricStore):
        self.store = store

    def run(self, session, account_id: str, region: str, queries: list[dict], start: datetime,
            end: datetime) -> list[QueryResult]:
        _validate(queries)
        series: dict[str, Series] = {}
        results: dict[str, QueryResult] = {}
        metric_ids = [q["Id"] for q in queries if q.get("MetricStat")]
        default_period = next((q["MetricStat"]["Period"] for q in queries if q.get("MetricStat")), None)
        for query in queries:
            if query.get("MetricStat"):
                data = self._metric_stat(session, account_id, region, query["MetricStat"], start, end)
                label = query.get("Label") or query["MetricStat"]["Metric"]["MetricName"]
                series[query["Id"]] = data
                results[query["Id"]] = QueryResult(query["Id"], label, data, query.get("ReturnData", True))
        # Expressions may refer to each other in any order: evaluate until all resolve.
        pending = [q for q in queries if q.get("Expression")]
        while pending:
            progressed = False
            for query in list(pending):
                period = query.get("Period") or default_period or 60
                # ``start`` is the rounded StartTime: every series' periods count from it.
                context = Context(list(range(epoch(start), epoch(end), period)), series, metric_ids)
                try:
                    value = evaluate_expression(query["Expression"], context)
                except ServiceError as err:
                    if "Unknown identifier" in err.message and len(pending) > 1:
                        continue
                    raise
                data = _as_series(value, context.grid)
                series[query["Id"]] = data
                results[query["Id"]] = QueryResult(query["Id"], query.get("Label") or query["Id"], data,
                                                   query.get("ReturnData", True))
                pending.remove(query)
                progressed = True
            if not progressed:
                raise ServiceError("ValidationError", "Circular or unknown references between expressions.")
        return [results[q["Id"]] for q in queries]

    def _metric_stat(self, session, account_id, region, stat: dict, start, end) -> Series:
        metric = stat["Metric"]
        key = MetricKey(metric["Namespace"], metric["MetricName"],
                        canonical_dimensions((d["Name"], d["Value"]) for d in metric.get("Dimensions", [])))
        metric_id = self.store.find_metric_id(session, account_id, region, key)
        if metric_id is None:
            return {}
        name = stat["Stat"]
        # Old agents' spellings (Counter, megabytes) are stored normalised, so look them up that way.
        aggregates = self.store.statistics_for_id(session, metric_id, start, end, stat["Period"],
                                                  normalise_unit(stat.get("Unit")), with_sketches=is_percentile(name))
        merged = {}
        for (ts, _unit), agg in aggregates.items():
            t = epoch(ts)
            if t in merged:
                merged[t].merge(agg)
            else:
                merged[t] = agg
        out = {}
        for t in sorted(merged):
            value = merged[t].statistic(name)
            if value is not None:
                out[t] = value
        return out


def _as_series(value, grid: list[int]) -> Series:
    if isinstance(value, dict):
        return {t: v for t, v in sorted(value.items()) if not math.isnan(v)}
    if isinstance(value, list):
        raise ServiceError("ValidationError", "An expression must return a single time series.")
    if isinstance(value, str):
        raise ServiceError("ValidationError", "An expression must return a time series or a number.")
    return {t: float(value) for t in grid} if not math.isnan(value) else {}


def _validate(queries: list[dict]) -> None:
    seen = set()
    for n, query in enumerate(queries, 1):
        qid = query.get("Id", "")
        if not qid or not (qid[0].islower()) or not qid.replace("_", "a").isalnum():
            raise ServiceError("ValidationError",
                               f"The value {qid} for parameter MetricDataQueries.member.Id is invalid: "
                               "it must start with a lowercase letter and contain only letters, numbers "
                               "and underscores.")
        if qid in seen:
            raise ServiceError("ValidationError", f"The value {qid} for parameter MetricDataQueries.member.Id "
                                                  "is duplicated.")
        seen.add(qid)
        if bool(query.get("MetricStat")) == bool(query.get("Expression")):
            raise ServiceError("ValidationError", "Exactly one of MetricStat and Expression must be set "
                                                  f"for MetricDataQuery {qid}.")
        stat = query.get("MetricStat")
        if stat and not (stat["Stat"] in STATISTICS or is_percentile(stat["Stat"])):
            raise ServiceError("ValidationError", f"The value {stat['Stat']} for parameter "
                                                  "MetricDataQueries.member.MetricStat.Stat is invalid.")
        if stat:
            validate_period(stat["Period"], f"MetricDataQueries.member.{n}.MetricStat.Period")
            normalise_unit(stat.get("Unit"))
        if query.get("Period") is not None:
            validate_period(query["Period"], f"MetricDataQueries.member.{n}.Period")


def series_for_alarm(runner: MetricQueryRunner, session, account_id: str, region: str, metrics: list[dict],
                     start: datetime, end: datetime, period: int) -> Series:
    """The one returned series of a metric-math alarm's ``Metrics`` list."""
    results = runner.run(session, account_id, region, metrics, start, end)
    returned = [r for r in results if r.return_data]
    return returned[0].series if returned else {}
