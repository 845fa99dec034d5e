"""CloudWatch operations: one method per operation, params and results as botocore's client has them.

Validation and storage live in ``cfnapi.cloudwatch``; these methods only
check what is specific to the request shape, scope everything by the
caller's account and region, and shape the results.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import delete, select

from cfnapi.cloudwatch import composite
from cfnapi.cloudwatch.actions import ActionDispatcher, DefaultActionDispatcher
from cfnapi.cloudwatch.alarm_definitions import (
    composite_alarm_definition, composite_alarm_view, metric_alarm_definition, metric_alarm_view,
)
from cfnapi.cloudwatch.alarm_routing import with_alarm_copies
from cfnapi.cloudwatch.alarms import COMPOSITE_ALARM, METRIC_ALARM, AlarmStore
from cfnapi.cloudwatch.evaluation import STATES
from cfnapi.cloudwatch.ingest import (
    combination, invalid, missing, samples_from_request, validate_dimensions, validate_period,
)
from cfnapi.cloudwatch.models import Alarm, AlarmHistory, Dashboard, ResourceTag
from cfnapi.cloudwatch.pagination import decode_token, encode_token, page
from cfnapi.cloudwatch.queries import MetricQueryRunner
from cfnapi.cloudwatch.ranges import rounded_start
from cfnapi.cloudwatch.statistics import percentile_of, validate_statistic
from cfnapi.cloudwatch.store import MetricKey, MetricStore
from cfnapi.cloudwatch.timeutil import as_utc, epoch, from_epoch
from cfnapi.cloudwatch.units import normalise_unit
from cfnapi.db import Database
from cfnapi.errors import ServiceError
from cfnapi.handlers.base import RequestContext, ServiceHandlers

Params = dict[str, Any]
MAX_DATAPOINTS = 1440
LIST_METRICS_PAGE = 500
MAX_GET_METRIC_DATA_POINTS = 100_800
MAX_HISTORY_RECORDS = 100
# botocore's HistoryItemType enum; the AlarmContributor* items belong to Contributor Insights alarms.
HISTORY_ITEM_TYPES = ("ConfigurationUpdate", "StateUpdate", "Action", "AlarmContributorStateUpdate",
                      "AlarmContributorAction")
_DASHBOARD_NAME = re.compile(r"^[A-Za-z0-9_-]{1,255}$")


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


class CloudWatchHandlers(ServiceHandlers):
    service_name = "CloudWatch"

    def __init__(self, db: Database, settings: Any = None, *, dispatcher: ActionDispatcher | None = None,
                 clock: Callable[[], datetime] = _utcnow):
        self.db = db
        self.settings = settings
        self.clock = clock
        self.metrics = MetricStore(db)
        self.alarms = AlarmStore(db)
        self.queries = MetricQueryRunner(self.metrics)
        self._dispatcher = dispatcher

    @property
    def dispatcher(self) -> ActionDispatcher:
        """The dispatcher SetAlarmState hands transitions to; share it with the AlarmEvaluator."""
        if self._dispatcher is None:
            self._dispatcher = DefaultActionDispatcher(history=self.alarms)
        return self._dispatcher

    # -- metrics -------------------------------------------------------------
    def put_metric_data(self, ctx: RequestContext, params: Params) -> Params:
        now = self.clock()
        samples = samples_from_request(params, now)
        # cfn-push-stats --watch: a sample with an AlarmName dimension also feeds that alarm.
        samples = with_alarm_copies(self.db, ctx.account_id, ctx.region, samples)
        self.metrics.put(ctx.account_id, ctx.region, samples, now)
        return {}

    def get_metric_statistics(self, ctx: RequestContext, params: Params) -> Params:
        key = self._metric_key(params)
        statistics = params.get("Statistics") or []
        extended = params.get("ExtendedStatistics") or []
        if not statistics and not extended:
            raise missing("Must specify either Statistics or ExtendedStatistics.")
        if len(statistics) + len(extended) > 10:
            raise invalid("The collection Statistics and ExtendedStatistics together must not have more than 10 members.")
        for name in statistics:
            validate_statistic(name)
        for name in extended:
            percentile_of(name)
        start, end, period = self._time_range(params)
        start = self._rounded_start(start, period)
        unit = normalise_unit(params.get("Unit"))
        aggregates = self.metrics.statistics(ctx.account_id, ctx.region, key, start, end, period, unit,
                                             with_sketches=bool(extended))
        datapoints = []
        for (timestamp, stored_unit), agg in sorted(aggregates.items(), key=lambda kv: kv[0][0]):
            point: Params = {"Timestamp": timestamp, "Unit": stored_unit}
            for name in statistics:
                point[name] = agg.statistic(name)
            if extended:
                point["ExtendedStatistics"] = {
                    name: value for name in extended if (value := agg.statistic(name)) is not None}
            datapoints.append(point)
        return {"Label": key.metric_name, "Datapoints": datapoints}

    def _metric_key(self, params: Params, prefix: str = "") -> MetricKey:
        for field in ("Namespace", "MetricName"):
            if not params.get(field):
                raise missing(f"The parameter {prefix}{field} is required.")
        return MetricKey(params["Namespace"], params["MetricName"],
                         validate_dimensions(params.get("Dimensions"), f"{prefix}Dimensions"))

    def _time_range(self, params: Params) -> tuple[datetime, datetime, int]:
        _require(params, "StartTime", "EndTime", "Period")
        start, end, period = as_utc(params["StartTime"]), as_utc(params["EndTime"]), validate_period(params["Period"])
        if start >= end:
            raise invalid("The parameter StartTime must be less than the parameter EndTime.")
        requested = -(-int((end - start).total_seconds()) // period)
        if requested > MAX_DATAPOINTS:
            raise combination(
                f"You have requested up to {requested:,} datapoints, which exceeds the limit of "
                f"{MAX_DATAPOINTS:,}. You may reduce the datapoints requested by increasing Period, "
                "or decreasing the time range.")
        return start, end, period

    def _rounded_start(self, start: datetime, period: int) -> datetime:
        """StartTime rounded as AWS does; it is the origin every returned period is counted from."""
        return from_epoch(rounded_start(epoch(start), period, epoch(self.clock())))

    def list_metrics(self, ctx: RequestContext, params: Params) -> Params:
        active = params.get("RecentlyActive")
        if active is not None and active != "PT3H":
            raise invalid(f"The value {active} for parameter RecentlyActive is invalid.")
        since = self.clock() - timedelta(hours=3) if active else None
        wanted = params.get("Dimensions") or []
        rows = self.metrics.list_metrics(ctx.account_id, ctx.region, params.get("Namespace"),
                                         params.get("MetricName"), since)
        matching = []
        for row in rows:
            dims = dict(tuple(d) for d in json.loads(row.dimensions))
            if all(f["Name"] in dims and (f.get("Value") is None or dims[f["Name"]] == f["Value"]) for f in wanted):
                matching.append({"Namespace": row.namespace, "MetricName": row.metric_name,
                                 "Dimensions": [{"Name": n, "Value": v} for n, v in sorted(dims.items())]})
        chunk, token = page(matching, params.get("NextToken"), LIST_METRICS_PAGE, "ListMetrics")
        result: Params = {"Metrics": chunk}
        if token:
            result["NextToken"] = token
        return result

    def get_metric_data(self, ctx: RequestContext, params: Params) -> Params:
        queries = params.get("MetricDataQueries") or []
        if not queries:
            raise missing("The parameter MetricDataQueries is required.")
        if len(queries) > 500:
            raise invalid("The collection MetricDataQueries must not have a size greater than 500.")
        _require(params, "StartTime", "EndTime")
        start, end = as_utc(params["StartTime"]), as_utc(params["EndTime"])
        if start >= end:
            raise ServiceError("ValidationError", "The parameter StartTime must be less than the parameter EndTime.")
        periods = [q["MetricStat"]["Period"] for q in queries if q.get("MetricStat")]
        periods += [q["Period"] for q in queries if q.get("Expression") and q.get("Period")]
        start = self._rounded_start(start, min(periods, default=60))
        descending = params.get("ScanBy", "TimestampDescending") == "TimestampDescending"
        limit = params.get("MaxDatapoints") or MAX_GET_METRIC_DATA_POINTS
        with self.db.transaction() as session:
            results = self.queries.run(session, ctx.account_id, ctx.region, queries, start, end)
        # Flatten (result, point) pairs so NextToken can resume in the middle of a result.
        skip = decode_token(params.get("NextToken"), "GetMetricData")
        out, emitted, position, token = [], 0, 0, None
        for result in (r for r in results if r.return_data):
            stamps = sorted(result.series, reverse=descending)
            entry: Params = {"Id": result.id, "Label": result.label, "Timestamps": [], "Values": [],
                             "StatusCode": "Complete", "Messages": []}
            for t in stamps:
                if position >= skip:
                    if emitted >= limit:
                        token = encode_token(position, "GetMetricData")
                        entry["StatusCode"] = "PartialData"
                        break
                    entry["Timestamps"].append(from_epoch(t))
                    entry["Values"].append(result.series[t])
                    emitted += 1
                position += 1
            out.append(entry)
            if token:
                break
        response: Params = {"MetricDataResults": out, "Messages": []}
        if token:
            response["NextToken"] = token
        return response

    # -- alarms --------------------------------------------------------------
    def put_metric_alarm(self, ctx: RequestContext, params: Params) -> Params:
        definition = metric_alarm_definition(params)
        with self.db.transaction() as session:
            self.alarms.put(session, ctx.account_id, ctx.region, METRIC_ALARM, definition,
                            params.get("Tags") or [], self.clock())
        return {}

    def put_composite_alarm(self, ctx: RequestContext, params: Params) -> Params:
        definition = composite_alarm_definition(params)
        with self.db.transaction() as session:
            self.alarms.put(session, ctx.account_id, ctx.region, COMPOSITE_ALARM, definition,
                            params.get("Tags") or [], self.clock())
        return {}

    def describe_alarms(self, ctx: RequestContext, params: Params) -> Params:
        names, prefix = params.get("AlarmNames"), params.get("AlarmNamePrefix")
        if names and prefix:
            raise combination("The parameters AlarmNames and AlarmNamePrefix are mutually exclusive.")
        if names and len(names) > 100:
            raise invalid("The collection AlarmNames must not have a size greater than 100.")
        state = params.get("StateValue")
        if state is not None and state not in STATES:
            raise invalid(f"The value {state} for parameter StateValue is invalid.")
        types = params.get("AlarmTypes") or [METRIC_ALARM]
        max_records = params.get("MaxRecords") or 50
        if not 1 <= max_records <= 100:
            raise invalid("The parameter MaxRecords must be between 1 and 100.")
        with self.db.transaction() as session:
            query = self.alarms.query(session, ctx.account_id, ctx.region).where(Alarm.alarm_type.in_(types))
            if names:
                query = query.where(Alarm.name.in_(names))
            if prefix:
                query = query.where(Alarm.name.startswith(prefix, autoescape=True))
            if state:
                query = query.where(Alarm.state_value == state)
            alarms = list(session.scalars(query.order_by(Alarm.name)))
            alarms = self._family_filter(session, ctx, alarms, params)
        if params.get("ActionPrefix"):
            alarms = [a for a in alarms if _has_action_prefix(a, params["ActionPrefix"])]
        chunk, token = page(alarms, params.get("NextToken"), max_records, "DescribeAlarms")
        result: Params = {
            "MetricAlarms": [metric_alarm_view(a) for a in chunk if a.alarm_type == METRIC_ALARM],
            "CompositeAlarms": [composite_alarm_view(a) for a in chunk if a.alarm_type == COMPOSITE_ALARM],
        }
        if token:
            result["NextToken"] = token
        return result

    def _family_filter(self, session, ctx, alarms: list[Alarm], params: Params) -> list[Alarm]:
        """ChildrenOfAlarmName / ParentsOfAlarmName: follow composite AlarmRules one level."""
        children_of, parents_of = params.get("ChildrenOfAlarmName"), params.get("ParentsOfAlarmName")
        if not children_of and not parents_of:
            return alarms
        if children_of:
            parent = self.alarms.get(session, ctx.account_id, ctx.region, children_of)
            if parent is None or parent.alarm_type != COMPOSITE_ALARM:
                return []
            wanted = composite.referenced_alarms(composite.parse_rule(json.loads(parent.definition)["AlarmRule"]))
            return [a for a in alarms if a.name in wanted]
        return [a for a in alarms if a.alarm_type == COMPOSITE_ALARM and parents_of in composite.referenced_alarms(
            composite.parse_rule(json.loads(a.definition)["AlarmRule"]))]

    def describe_alarms_for_metric(self, ctx: RequestContext, params: Params) -> Params:
        key = self._metric_key(params)
        with self.db.transaction() as session:
            alarms = list(session.scalars(self.alarms.query(session, ctx.account_id, ctx.region).where(
                Alarm.alarm_type == METRIC_ALARM, Alarm.namespace == key.namespace,
                Alarm.metric_name == key.metric_name).order_by(Alarm.name)))
        matched = []
        for alarm in alarms:
            d = json.loads(alarm.definition)
            dims = validate_dimensions(d.get("Dimensions"), "Dimensions")
            if params.get("Dimensions") is not None and dims != key.dimensions:
                continue
            if any(params.get(f) is not None and d.get(f) != params[f]
                   for f in ("Statistic", "ExtendedStatistic", "Period")):
                continue
            if params.get("Unit") is not None and d.get("Unit") != normalise_unit(params["Unit"]):
                continue
            matched.append(metric_alarm_view(alarm))
        return {"MetricAlarms": matched}

    def describe_alarm_history(self, ctx: RequestContext, params: Params) -> Params:
        types = params.get("AlarmTypes") or [METRIC_ALARM]
        item_type = params.get("HistoryItemType")
        if item_type is not None and item_type not in HISTORY_ITEM_TYPES:
            raise invalid(f"The value {item_type} for parameter HistoryItemType is invalid: it must be one of "
                          f"{', '.join(HISTORY_ITEM_TYPES)}.")
        max_records = params.get("MaxRecords")
        if max_records is None:
            max_records = MAX_HISTORY_RECORDS
        elif not 1 <= max_records <= MAX_HISTORY_RECORDS:
            raise invalid(f"The value {max_records} for parameter MaxRecords is invalid: it must be between 1 "
                          f"and {MAX_HISTORY_RECORDS}.")
        with self.db.transaction() as session:
            query = select(AlarmHistory).where(AlarmHistory.account_id == ctx.account_id,
                                               AlarmHistory.region == ctx.region,
                                               AlarmHistory.alarm_type.in_(types))
            if params.get("AlarmName"):
                query = query.where(AlarmHistory.alarm_name == params["AlarmName"])
            if item_type:
                query = query.where(AlarmHistory.item_type == item_type)
            if params.get("StartDate"):
                query = query.where(AlarmHistory.timestamp >= as_utc(params["StartDate"]))
            if params.get("EndDate"):
                query = query.where(AlarmHistory.timestamp <= as_utc(params["EndDate"]))
            ascending = params.get("ScanBy") == "TimestampAscending"
            order = (AlarmHistory.timestamp, AlarmHistory.id)
            query = query.order_by(*order) if ascending else query.order_by(*(c.desc() for c in order))
            items = list(session.scalars(query))
        chunk, token = page(items, params.get("NextToken"), max_records, "DescribeAlarmHistory")
        result: Params = {"AlarmHistoryItems": [{
            "AlarmName": h.alarm_name, "AlarmType": h.alarm_type, "Timestamp": as_utc(h.timestamp),
            "HistoryItemType": h.item_type, "HistorySummary": h.summary, "HistoryData": h.data,
        } for h in chunk]}
        if token:
            result["NextToken"] = token
        return result

    def delete_alarms(self, ctx: RequestContext, params: Params) -> Params:
        names = params.get("AlarmNames") or []
        with self.db.transaction() as session:
            existing = set(session.scalars(select(Alarm.name).where(
                Alarm.account_id == ctx.account_id, Alarm.region == ctx.region, Alarm.name.in_(names))))
            absent = [n for n in names if n not in existing]
            if absent:  # AWS deletes nothing when any name is wrong
                raise ServiceError("ResourceNotFound", f"The alarm {absent[0]} does not exist.", 404)
            self.alarms.delete(session, ctx.account_id, ctx.region, names)
        return {}

    def set_alarm_state(self, ctx: RequestContext, params: Params) -> Params:
        for field in ("AlarmName", "StateValue", "StateReason"):
            if not params.get(field):
                raise missing(f"The parameter {field} is required.")
        if params["StateValue"] not in STATES:
            raise invalid(f"The value {params['StateValue']} for parameter StateValue is invalid.")
        reason_data = None
        if params.get("StateReasonData"):
            try:
                reason_data = json.loads(params["StateReasonData"])
            except ValueError as exc:
                raise ServiceError("InvalidFormat", "The parameter StateReasonData must be valid JSON.") from exc
        with self.db.transaction() as session:
            alarm = self.alarms.get(session, ctx.account_id, ctx.region, params["AlarmName"])
            if alarm is None:
                raise ServiceError("ResourceNotFound", f"Alarm {params['AlarmName']} not found", 404)
            transition = self.alarms.transition(session, alarm, params["StateValue"], params["StateReason"],
                                                reason_data, self.clock())
        if transition is not None and transition.actions:
            self.dispatcher.dispatch(transition)
        return {}

    def enable_alarm_actions(self, ctx: RequestContext, params: Params) -> Params:
        self._set_actions_enabled(ctx, params.get("AlarmNames") or [], True)
        return {}

    def disable_alarm_actions(self, ctx: RequestContext, params: Params) -> Params:
        self._set_actions_enabled(ctx, params.get("AlarmNames") or [], False)
        return {}

    def _set_actions_enabled(self, ctx: RequestContext, names: list[str], enabled: bool) -> None:
        with self.db.transaction() as session:
            for alarm in session.scalars(self.alarms.query(session, ctx.account_id, ctx.region)
                                         .where(Alarm.name.in_(names))):
                alarm.actions_enabled = enabled
                definition = json.loads(alarm.definition)
                definition["ActionsEnabled"] = enabled
                alarm.definition = json.dumps(definition, sort_keys=True)

    # -- tags ----------------------------------------------------------------
    def _taggable(self, session, ctx: RequestContext, arn: str | None) -> str:
        if not arn:
            raise missing("The parameter ResourceARN is required.")
        prefix = f"arn:aws:cloudwatch:{ctx.region}:{ctx.account_id}:alarm:"
        if arn.startswith(prefix) and self.alarms.get(session, ctx.account_id, ctx.region, arn[len(prefix):]):
            return arn
        raise ServiceError("ResourceNotFoundException", f"Resource {arn} not found.", 404)

    def tag_resource(self, ctx: RequestContext, params: Params) -> Params:
        tags = params.get("Tags") or []
        with self.db.transaction() as session:
            arn = self._taggable(session, ctx, params.get("ResourceARN"))
            for tag in tags:
                if not tag.get("Key") or str(tag["Key"]).startswith("aws:"):
                    raise invalid(f"The value {tag.get('Key')} for parameter Tags.member.Key is invalid.")
                session.merge(ResourceTag(resource_arn=arn, key=tag["Key"], value=tag.get("Value", "")))
        return {}

    def untag_resource(self, ctx: RequestContext, params: Params) -> Params:
        with self.db.transaction() as session:
            arn = self._taggable(session, ctx, params.get("ResourceARN"))
            session.execute(delete(ResourceTag).where(ResourceTag.resource_arn == arn,
                                                      ResourceTag.key.in_(params.get("TagKeys") or [])))
        return {}

    def list_tags_for_resource(self, ctx: RequestContext, params: Params) -> Params:
        with self.db.transaction() as session:
            arn = self._taggable(session, ctx, params.get("ResourceARN"))
            tags = session.scalars(select(ResourceTag).where(ResourceTag.resource_arn == arn)
                                   .order_by(ResourceTag.key))
            return {"Tags": [{"Key": t.key, "Value": t.value} for t in tags]}

    # -- dashboards ----------------------------------------------------------
    def _dashboard_arn(self, ctx: RequestContext, name: str) -> str:
        return f"arn:aws:cloudwatch::{ctx.account_id}:dashboard/{name}"

    def put_dashboard(self, ctx: RequestContext, params: Params) -> Params:
        name, body = params.get("DashboardName"), params.get("DashboardBody")
        if not name or not _DASHBOARD_NAME.match(name):
            raise ServiceError("InvalidParameterInput", "The value for field DashboardName contains invalid "
                               "characters. It can only contain alphanumerics, dash (-) and underscore (_).")
        if body is None:
            raise missing("The parameter DashboardBody is required.")
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = None
        if not isinstance(parsed, dict) or not isinstance(parsed.get("widgets", []), list):
            raise ServiceError("InvalidParameterInput", "The field DashboardBody must be a valid JSON object "
                                                        "with an optional widgets array.")
        if len(body.encode()) > 1024 * 1024:
            raise ServiceError("InvalidParameterInput", "The field DashboardBody must be at most 1 MB.")
        with self.db.transaction() as session:
            session.merge(Dashboard(account_id=ctx.account_id, name=name, body=body, updated_at=self.clock()))
        return {"DashboardValidationMessages": []}

    def get_dashboard(self, ctx: RequestContext, params: Params) -> Params:
        name = params.get("DashboardName")
        with self.db.transaction() as session:
            dashboard = session.get(Dashboard, (ctx.account_id, name))
            if dashboard is None:
                raise ServiceError("ResourceNotFound", "Dashboard does not exist", 404)
            return {"DashboardArn": self._dashboard_arn(ctx, name), "DashboardBody": dashboard.body,
                    "DashboardName": name}

    def list_dashboards(self, ctx: RequestContext, params: Params) -> Params:
        with self.db.transaction() as session:
            query = select(Dashboard).where(Dashboard.account_id == ctx.account_id)
            if params.get("DashboardNamePrefix"):
                query = query.where(Dashboard.name.startswith(params["DashboardNamePrefix"], autoescape=True))
            rows = list(session.scalars(query.order_by(Dashboard.name)))
        chunk, token = page(rows, params.get("NextToken"), 1000, "ListDashboards")
        result: Params = {"DashboardEntries": [{
            "DashboardName": d.name, "DashboardArn": self._dashboard_arn(ctx, d.name),
            "LastModified": as_utc(d.updated_at), "Size": len(d.body.encode()),
        } for d in chunk]}
        if token:
            result["NextToken"] = token
        return result

    def delete_dashboards(self, ctx: RequestContext, params: Params) -> Params:
        names = params.get("DashboardNames") or []
        with self.db.transaction() as session:
            rows = {d.name: d for d in session.scalars(select(Dashboard).where(
                Dashboard.account_id == ctx.account_id, Dashboard.name.in_(names)))}
            absent = [n for n in names if n not in rows]
            if absent:
                raise ServiceError("ResourceNotFound", f"The specified dashboard does not exist. [{absent[0]}]", 404)
            for dashboard in rows.values():
                session.delete(dashboard)
        return {}


def _require(params: Params, *fields: str) -> None:
    for field in fields:
        if params.get(field) is None:
            raise missing(f"The parameter {field} is required.")


def _has_action_prefix(alarm: Alarm, prefix: str) -> bool:
    d = json.loads(alarm.definition)
    return any(a.startswith(prefix) for key in ("OKActions", "AlarmActions", "InsufficientDataActions")
               for a in d.get(key, []))
