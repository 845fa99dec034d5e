"""CloudWatch operations as clients see them: every test runs once per wire protocol
(query, JSON, CBOR), through botocore's serializers and parsers and the real WSGI app."""

import json
from datetime import datetime, timedelta, timezone

import pytest

from cfnapi.handlers.cloudwatch import CloudWatchHandlers
from cfnapi.testing.clients import CLOUDWATCH_PROTOCOLS

from .wire import Caller, WireCloudWatch

NOW = datetime(2026, 11, 22, 10, 0, 30, tzinfo=timezone.utc)
CTX = Caller("111111111111", "AKIACWTESTCALLER0001", "cw-test-secret-one")
OTHER = Caller("222222222222", "AKIACWTESTCALLER0002", "cw-test-secret-two")


class RecordingDispatcher:
    def __init__(self):
        self.transitions = []

    def dispatch(self, transition):
        self.transitions.append(transition)


@pytest.fixture(params=CLOUDWATCH_PROTOCOLS)
def cw(db, request):
    handlers = CloudWatchHandlers(db, None, dispatcher=RecordingDispatcher(), clock=lambda: NOW)
    return WireCloudWatch(handlers, request.param, (CTX, OTHER))


def call(cw, op, params, ctx=CTX):
    return cw.call(op, params, ctx)


def error_of(cw, op, params):
    return cw.error(op, params, CTX)


def put(cw, name="CPU", values=None, ctx=CTX, **datum):
    datum = {"MetricName": name, "Dimensions": [{"Name": "Host", "Value": "a"}], **datum}
    if values is not None:
        datum["Values"] = values
    call(cw, "PutMetricData", {"Namespace": "App", "MetricData": [datum]}, ctx)


def stats(cw, name="CPU", ctx=CTX, **extra):
    params = {"Namespace": "App", "MetricName": name, "Dimensions": [{"Name": "Host", "Value": "a"}],
              "StartTime": NOW - timedelta(hours=1), "EndTime": NOW + timedelta(minutes=1), "Period": 60,
              "Statistics": ["SampleCount", "Sum", "Average", "Minimum", "Maximum"], **extra}
    return call(cw, "GetMetricStatistics", {k: v for k, v in params.items() if v is not None}, ctx)


def test_put_forms_and_statistics(cw):
    put(cw, Value=10.0, Timestamp=NOW, Unit="Percent")
    put(cw, values=[20.0, 30.0], Counts=[1.0, 2.0], Timestamp=NOW, Unit="Percent")
    put(cw, StatisticValues={"SampleCount": 2, "Sum": 8, "Minimum": 4, "Maximum": 4}, Timestamp=NOW, Unit="Percent")
    result = stats(cw)
    assert result["Label"] == "CPU"
    [point] = result["Datapoints"]
    assert point["Timestamp"] == NOW.replace(second=0)
    assert point["SampleCount"] == 6 and point["Sum"] == 98 and point["Minimum"] == 4 and point["Maximum"] == 30
    assert point["Average"] == pytest.approx(98 / 6) and point["Unit"] == "Percent"
    [point] = stats(cw, Statistics=None, ExtendedStatistics=["p50", "p99.9"])["Datapoints"]
    assert point["ExtendedStatistics"]["p99.9"] == pytest.approx(30, rel=0.011)
    assert "Sum" not in point


def test_statistics_and_extended_statistics_together_are_both_answered(cw):
    # The API reference asks for one or the other; clients that send both get both, not an error.
    put(cw, values=[1.0, 2.0, 3.0], Timestamp=NOW)
    [point] = stats(cw, Statistics=["Sum"], ExtendedStatistics=["p50"])["Datapoints"]
    assert point["Sum"] == 6.0
    assert point["ExtendedStatistics"]["p50"] == pytest.approx(2.0, rel=0.011)


def test_legacy_units_are_normalised(cw):
    put(cw, Value=1.0, Timestamp=NOW, Unit="Counter")
    put(cw, Value=1.0, Timestamp=NOW, Unit="megabytes")
    units = {p["Unit"] for p in stats(cw)["Datapoints"]}
    assert units == {"Count", "Megabytes"}
    assert [p["Unit"] for p in stats(cw, Unit="Count")["Datapoints"]] == ["Count"]


def test_data_is_scoped_by_account(cw):
    put(cw, Value=1.0, Timestamp=NOW)
    assert stats(cw, ctx=OTHER)["Datapoints"] == []
    assert call(cw, "ListMetrics", {}, OTHER)["Metrics"] == []


@pytest.mark.parametrize("datum,code,fragment", [
    ({"MetricName": "m", "Value": 1.0, "Values": [1.0]}, "InvalidParameterCombination", "mutually exclusive"),
    ({"MetricName": "m"}, "MissingParameter", "MetricData.member.1.Value"),
    ({"Value": 1.0}, "MissingParameter", "MetricName"),
    ({"MetricName": "m", "Values": [1.0] * 151}, "InvalidParameterValue", "150"),
    ({"MetricName": "m", "Values": [1.0, 2.0], "Counts": [1.0]}, "InvalidParameterValue", "same size"),
    ({"MetricName": "m", "Value": float("nan")}, "InvalidParameterValue", "Value"),
    ({"MetricName": "m", "Value": 1.0, "StorageResolution": 30}, "InvalidParameterValue", "StorageResolution"),
    ({"MetricName": "m", "Value": 1.0, "Unit": "Parsecs"}, "InvalidParameterValue", "Unit"),
    ({"MetricName": "m", "Value": 1.0, "Dimensions": [{"Name": f"d{i}", "Value": "v"} for i in range(31)]},
     "InvalidParameterValue", "30"),
    ({"MetricName": "m", "Value": 1.0, "Timestamp": NOW - timedelta(days=15)}, "InvalidParameterValue", "two weeks"),
    ({"MetricName": "m", "Value": 1.0, "Timestamp": NOW + timedelta(hours=3)}, "InvalidParameterValue", "two hours"),
    ({"MetricName": "m", "StatisticValues": {"SampleCount": 1, "Sum": 1, "Minimum": 2, "Maximum": 1}},
     "InvalidParameterValue", "Maximum"),
])
def test_put_metric_data_errors(cw, datum, code, fragment):
    err = error_of(cw, "PutMetricData", {"Namespace": "App", "MetricData": [datum]})
    assert err.code == code and fragment in err.message


def test_put_metric_data_limits(cw):
    err = error_of(cw, "PutMetricData", {"Namespace": "App", "MetricData": [{"MetricName": "m", "Value": 1.0}] * 1001})
    assert err.code == "InvalidParameterValue" and "1000" in err.message
    assert error_of(cw, "PutMetricData", {"Namespace": "AWS/EC2", "MetricData": [
        {"MetricName": "m", "Value": 1.0}]}).code == "InvalidParameterValue"
    # A valid batch at the limit is accepted.
    call(cw, "PutMetricData", {"Namespace": "App", "MetricData": [
        {"MetricName": f"m{i}", "Values": [float(j) for j in range(150)], "Timestamp": NOW} for i in range(1000)]})
    assert len(call(cw, "ListMetrics", {"Namespace": "App"})["Metrics"]) == 500


def test_datapoint_limit_error(cw):
    err = error_of(cw, "GetMetricStatistics", {
        "Namespace": "App", "MetricName": "CPU", "StartTime": NOW - timedelta(days=2), "EndTime": NOW,
        "Period": 60, "Statistics": ["Average"]})
    assert err.code == "InvalidParameterCombination"
    assert err.message == ("You have requested up to 2,880 datapoints, which exceeds the limit of 1,440. You may "
                           "reduce the datapoints requested by increasing Period, or decreasing the time range.")
    assert error_of(cw, "GetMetricStatistics", {
        "Namespace": "App", "MetricName": "CPU", "StartTime": NOW - timedelta(hours=1), "EndTime": NOW,
        "Period": 90, "Statistics": ["Average"]}).code == "InvalidParameterValue"
    assert error_of(cw, "GetMetricStatistics", {
        "Namespace": "App", "MetricName": "CPU", "StartTime": NOW - timedelta(hours=1), "EndTime": NOW,
        "Period": 60}).code == "MissingParameter"


def test_high_resolution_query(cw):
    for second in range(0, 30):
        put(cw, Value=float(second), Timestamp=NOW.replace(second=second), StorageResolution=1)
    points = stats(cw, Period=10, StartTime=NOW.replace(second=0), EndTime=NOW.replace(second=30))["Datapoints"]
    assert [p["Sum"] for p in points] == [45.0, 145.0, 245.0]


def test_list_metrics_filters_and_pagination(cw):
    call(cw, "PutMetricData", {"Namespace": "App", "MetricData": [
        {"MetricName": "Disk", "Value": 1.0, "Dimensions": [{"Name": "Host", "Value": h}, {"Name": "Dev", "Value": "sda"}]}
        for h in ("a", "b")] + [{"MetricName": "Mem", "Value": 1.0}]})
    assert len(call(cw, "ListMetrics", {"MetricName": "Disk"})["Metrics"]) == 2
    only_b = call(cw, "ListMetrics", {"Dimensions": [{"Name": "Host", "Value": "b"}]})["Metrics"]
    assert only_b == [{"Namespace": "App", "MetricName": "Disk",
                       "Dimensions": [{"Name": "Dev", "Value": "sda"}, {"Name": "Host", "Value": "b"}]}]
    assert len(call(cw, "ListMetrics", {"Dimensions": [{"Name": "Dev"}]})["Metrics"]) == 2
    assert len(call(cw, "ListMetrics", {"RecentlyActive": "PT3H"})["Metrics"]) == 3
    later = WireCloudWatch(CloudWatchHandlers(cw.handlers.db, clock=lambda: NOW + timedelta(hours=4)),
                           cw.protocol, (CTX,))
    assert call(later, "ListMetrics", {"RecentlyActive": "PT3H"})["Metrics"] == []
    call(cw, "PutMetricData", {"Namespace": "Many", "MetricData": [
        {"MetricName": f"m{i:03}", "Value": 1.0} for i in range(600)]})
    first = call(cw, "ListMetrics", {"Namespace": "Many"})
    second = call(cw, "ListMetrics", {"Namespace": "Many", "NextToken": first["NextToken"]})
    assert len(first["Metrics"]) == 500 and len(second["Metrics"]) == 100 and "NextToken" not in second
    assert error_of(cw, "ListMetrics", {"NextToken": "garbage"}).code == "InvalidNextToken"


def alarm(name="HighCPU", **extra):
    params = {"AlarmName": name, "Namespace": "App", "MetricName": "CPU", "Statistic": "Average",
              "Dimensions": [{"Name": "Host", "Value": "a"}], "Period": 60, "EvaluationPeriods": 1,
              "Threshold": 80.0, "ComparisonOperator": "GreaterThanThreshold",
              "AlarmActions": ["http://127.0.0.1:9/hook"], **extra}
    return {name: value for name, value in params.items() if value is not None}  # None: leave it out


def test_alarm_lifecycle(cw):
    call(cw, "PutMetricAlarm", alarm(Tags=[{"Key": "team", "Value": "ops"}]))
    call(cw, "PutMetricAlarm", alarm("Low", Threshold=5.0, ComparisonOperator="LessThanThreshold",
                                     AlarmActions=["arn:aws:autoscaling:us-east-1:1:scalingPolicy:x"]))
    [described] = call(cw, "DescribeAlarms", {"AlarmNames": ["HighCPU"]})["MetricAlarms"]
    assert described["StateValue"] == "INSUFFICIENT_DATA"
    assert described["StateReason"] == "Unchecked: Initial alarm creation"
    assert described["AlarmArn"] == "arn:aws:cloudwatch:us-east-1:111111111111:alarm:HighCPU"
    assert described["ActionsEnabled"] is True and described["Threshold"] == 80.0
    assert [a["AlarmName"] for a in call(cw, "DescribeAlarms", {"AlarmNamePrefix": "Hi"})["MetricAlarms"]] == ["HighCPU"]
    assert [a["AlarmName"] for a in call(cw, "DescribeAlarms", {"ActionPrefix": "arn:aws:autoscaling"})["MetricAlarms"]] == ["Low"]
    assert call(cw, "DescribeAlarms", {}, OTHER)["MetricAlarms"] == []
    page1 = call(cw, "DescribeAlarms", {"MaxRecords": 1})
    page2 = call(cw, "DescribeAlarms", {"MaxRecords": 1, "NextToken": page1["NextToken"]})
    assert [a["AlarmName"] for a in page1["MetricAlarms"] + page2["MetricAlarms"]] == ["HighCPU", "Low"]
    for_metric = call(cw, "DescribeAlarmsForMetric", {"Namespace": "App", "MetricName": "CPU",
                                                      "Dimensions": [{"Name": "Host", "Value": "a"}]})
    assert {a["AlarmName"] for a in for_metric["MetricAlarms"]} == {"HighCPU", "Low"}

    call(cw, "SetAlarmState", {"AlarmName": "HighCPU", "StateValue": "ALARM", "StateReason": "testing",
                               "StateReasonData": json.dumps({"x": 1})})
    [transition] = cw.handlers.dispatcher.transitions
    assert (transition.old_state, transition.new_state, transition.actions) == \
        ("INSUFFICIENT_DATA", "ALARM", ("http://127.0.0.1:9/hook",))
    assert call(cw, "DescribeAlarms", {"StateValue": "ALARM"})["MetricAlarms"][0]["StateReasonData"] == '{"x": 1}'
    history = call(cw, "DescribeAlarmHistory", {"AlarmName": "HighCPU"})["AlarmHistoryItems"]
    assert [h["HistoryItemType"] for h in history] == ["StateUpdate", "ConfigurationUpdate"]
    assert history[0]["HistorySummary"] == "Alarm updated from INSUFFICIENT_DATA to ALARM"
    assert json.loads(history[0]["HistoryData"])["newState"]["stateValue"] == "ALARM"
    ascending = call(cw, "DescribeAlarmHistory", {"AlarmName": "HighCPU", "ScanBy": "TimestampAscending",
                                                  "HistoryItemType": "StateUpdate"})["AlarmHistoryItems"]
    assert len(ascending) == 1

    call(cw, "DisableAlarmActions", {"AlarmNames": ["HighCPU"]})
    call(cw, "SetAlarmState", {"AlarmName": "HighCPU", "StateValue": "OK", "StateReason": "quiet"})
    assert len(cw.handlers.dispatcher.transitions) == 1  # actions disabled: nothing handed to the dispatcher
    assert call(cw, "DescribeAlarms", {"AlarmNames": ["HighCPU"]})["MetricAlarms"][0]["StateValue"] == "OK"
    call(cw, "EnableAlarmActions", {"AlarmNames": ["HighCPU"]})
    assert call(cw, "DescribeAlarms", {"AlarmNames": ["HighCPU"]})["MetricAlarms"][0]["ActionsEnabled"] is True

    arn = described["AlarmArn"]
    assert call(cw, "ListTagsForResource", {"ResourceARN": arn})["Tags"] == [{"Key": "team", "Value": "ops"}]
    call(cw, "TagResource", {"ResourceARN": arn, "Tags": [{"Key": "env", "Value": "prod"}]})
    call(cw, "UntagResource", {"ResourceARN": arn, "TagKeys": ["team"]})
    assert call(cw, "ListTagsForResource", {"ResourceARN": arn})["Tags"] == [{"Key": "env", "Value": "prod"}]
    assert error_of(cw, "ListTagsForResource", {"ResourceARN": arn + "x"}).code == "ResourceNotFoundException"

    assert error_of(cw, "DeleteAlarms", {"AlarmNames": ["HighCPU", "Nope"]}).code == "ResourceNotFound"
    assert len(call(cw, "DescribeAlarms", {})["MetricAlarms"]) == 2  # nothing deleted
    call(cw, "DeleteAlarms", {"AlarmNames": ["HighCPU", "Low"]})
    assert call(cw, "DescribeAlarms", {})["MetricAlarms"] == []
    assert error_of(cw, "SetAlarmState", {"AlarmName": "HighCPU", "StateValue": "OK",
                                          "StateReason": "x"}).code == "ResourceNotFound"


@pytest.mark.parametrize("extra,code", [
    ({"ExtendedStatistic": "p99"}, "InvalidParameterCombination"),
    ({"Statistic": None}, "MissingParameter"),
    ({"Period": 45}, "InvalidParameterValue"),
    ({"DatapointsToAlarm": 2}, "ValidationError"),
    ({"TreatMissingData": "sometimes"}, "InvalidParameterValue"),
    ({"ComparisonOperator": "LessThanLowerOrGreaterThanUpperThreshold"}, "InvalidParameterValue"),
    ({"EvaluateLowSampleCountPercentile": "ignore"}, "InvalidParameterCombination"),
    ({"Metrics": [{"Id": "m1", "Expression": "1"}]}, "InvalidParameterCombination"),
])
def test_put_metric_alarm_errors(cw, extra, code):
    assert error_of(cw, "PutMetricAlarm", alarm(**extra)).code == code


def test_composite_alarms(cw):
    call(cw, "PutMetricAlarm", alarm("a"))
    call(cw, "PutCompositeAlarm", {"AlarmName": "both", "AlarmRule": 'ALARM("a") AND NOT OK(b)'})
    assert error_of(cw, "PutCompositeAlarm", {"AlarmName": "bad", "AlarmRule": "ALARM(a) AND"}).code == "ValidationError"
    result = call(cw, "DescribeAlarms", {"AlarmTypes": ["CompositeAlarm", "MetricAlarm"]})
    assert [a["AlarmName"] for a in result["CompositeAlarms"]] == ["both"]
    assert result["CompositeAlarms"][0]["AlarmRule"] == 'ALARM("a") AND NOT OK(b)'
    children = call(cw, "DescribeAlarms", {"ChildrenOfAlarmName": "both"})["MetricAlarms"]
    assert [a["AlarmName"] for a in children] == ["a"]
    parents = call(cw, "DescribeAlarms", {"ParentsOfAlarmName": "a", "AlarmTypes": ["CompositeAlarm"]})
    assert [a["AlarmName"] for a in parents["CompositeAlarms"]] == ["both"]


def test_dashboards(cw):
    body = json.dumps({"widgets": []})
    assert call(cw, "PutDashboard", {"DashboardName": "main", "DashboardBody": body}) == {"DashboardValidationMessages": []}
    call(cw, "PutDashboard", {"DashboardName": "other", "DashboardBody": body})
    got = call(cw, "GetDashboard", {"DashboardName": "main"})
    assert got == {"DashboardArn": "arn:aws:cloudwatch::111111111111:dashboard/main", "DashboardBody": body,
                   "DashboardName": "main"}
    entries = call(cw, "ListDashboards", {"DashboardNamePrefix": "ma"})["DashboardEntries"]
    assert [(e["DashboardName"], e["Size"]) for e in entries] == [("main", len(body))]
    assert error_of(cw, "PutDashboard", {"DashboardName": "x", "DashboardBody": "[1]"}).code == "InvalidParameterInput"
    assert error_of(cw, "PutDashboard", {"DashboardName": "bad name", "DashboardBody": body}).code == "InvalidParameterInput"
    assert error_of(cw, "DeleteDashboards", {"DashboardNames": ["main", "nope"]}).code == "ResourceNotFound"
    call(cw, "DeleteDashboards", {"DashboardNames": ["main", "other"]})
    assert error_of(cw, "GetDashboard", {"DashboardName": "main"}).code == "ResourceNotFound"
    assert call(cw, "ListDashboards", {}, OTHER)["DashboardEntries"] == []


def test_get_metric_data_with_expressions(cw):
    start = NOW.replace(second=0) - timedelta(minutes=5)
    for i in range(5):
        t = start + timedelta(minutes=i)
        call(cw, "PutMetricData", {"Namespace": "App", "MetricData": [
            {"MetricName": "Req", "Value": 10.0 * (i + 1), "Timestamp": t},
            {"MetricName": "Err", "Value": float(i), "Timestamp": t}]})

    def stat(name):
        return {"Metric": {"Namespace": "App", "MetricName": name}, "Period": 60, "Stat": "Sum"}

    result = call(cw, "GetMetricData", {
        "StartTime": start, "EndTime": start + timedelta(minutes=5), "ScanBy": "TimestampAscending",
        "MetricDataQueries": [
            {"Id": "req", "MetricStat": stat("Req"), "ReturnData": False},
            {"Id": "err", "MetricStat": stat("Err")},
            {"Id": "rate", "Expression": "100 * err / req", "Label": "Error rate"},
            {"Id": "total", "Expression": "SUM(METRICS())"},
        ]})
    by_id = {r["Id"]: r for r in result["MetricDataResults"]}
    assert set(by_id) == {"err", "rate", "total"}
    assert by_id["rate"]["Label"] == "Error rate"
    assert by_id["rate"]["Values"] == pytest.approx([0.0, 5.0, 2 * 100 / 30, 3 * 100 / 40, 4 * 100 / 50])
    assert by_id["total"]["Values"] == [10.0, 21.0, 32.0, 43.0, 54.0]
    assert by_id["err"]["Timestamps"][0] == start
    paged = call(cw, "GetMetricData", {
        "StartTime": start, "EndTime": start + timedelta(minutes=5), "MaxDatapoints": 3,
        "MetricDataQueries": [{"Id": "err", "MetricStat": stat("Err")}]})
    assert paged["MetricDataResults"][0]["Values"] == [4.0, 3.0, 2.0] and paged["NextToken"]
    rest = call(cw, "GetMetricData", {
        "StartTime": start, "EndTime": start + timedelta(minutes=5), "MaxDatapoints": 3,
        "NextToken": paged["NextToken"], "MetricDataQueries": [{"Id": "err", "MetricStat": stat("Err")}]})
    assert rest["MetricDataResults"][0]["Values"] == [1.0, 0.0] and "NextToken" not in rest


def test_periods_count_from_the_rounded_start_time(cw):
    """AWS stamps datapoints StartTime + k * Period, StartTime rounded down to the minute."""
    base = NOW.replace(minute=0, second=0)
    for minute in range(0, 20):
        put(cw, Value=float(minute), Timestamp=base + timedelta(minutes=minute))
    start = base + timedelta(minutes=2, seconds=40)  # rounded to 09:02 → periods 09:02, 09:07, …
    points = stats(cw, Period=300, StartTime=start, EndTime=base + timedelta(minutes=20))["Datapoints"]
    assert [(p["Timestamp"] - base, p["Sum"]) for p in points] == [
        (timedelta(minutes=2), 2 + 3 + 4 + 5 + 6), (timedelta(minutes=7), 7 + 8 + 9 + 10 + 11),
        (timedelta(minutes=12), 12 + 13 + 14 + 15 + 16), (timedelta(minutes=17), 17 + 18 + 19)]
    query = {"Id": "m", "MetricStat": {"Metric": {"Namespace": "App", "MetricName": "CPU",
                                                  "Dimensions": [{"Name": "Host", "Value": "a"}]},
                                       "Period": 300, "Stat": "Sum"}}
    data = call(cw, "GetMetricData", {"StartTime": start, "EndTime": base + timedelta(minutes=20),
                                      "ScanBy": "TimestampAscending", "MetricDataQueries": [
                                          query, {"Id": "double", "Expression": "2 * m"}]})
    by_id = {r["Id"]: r for r in data["MetricDataResults"]}
    assert [t - base for t in by_id["m"]["Timestamps"]] == [timedelta(minutes=m) for m in (2, 7, 12, 17)]
    assert by_id["m"]["Values"] == [20.0, 45.0, 70.0, 54.0]
    assert by_id["double"]["Timestamps"] == by_id["m"]["Timestamps"]
    assert by_id["double"]["Values"] == [40.0, 90.0, 140.0, 108.0]
