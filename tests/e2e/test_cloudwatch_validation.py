"""CloudWatch input checks through boto3, in query, JSON and CBOR: AWS's errors for bad
GetMetricData / GetMetricStatistics / DescribeAlarmHistory input, units normalised in
GetMetricData as in GetMetricStatistics, Tags ignored when PutMetricAlarm updates an alarm,
and DescribeAlarmHistory's date filters."""

import time
from datetime import datetime, timedelta, timezone

import pytest
from botocore.exceptions import ClientError

from cfnapi.testing.clients import CLOUDWATCH_PROTOCOLS, client

pytestmark = pytest.mark.e2e


def error_of(call, **params) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as caught:
        call(**params)
    response = caught.value.response
    return response["Error"]["Code"], response["Error"]["Message"], response["ResponseMetadata"]["HTTPStatusCode"]


def metric_stat(namespace: str, period: int = 60, unit: str | None = None) -> list[dict]:
    stat = {"Metric": {"Namespace": namespace, "MetricName": "Jobs"}, "Period": period, "Stat": "Sum"}
    if unit:
        stat["Unit"] = unit
    return [{"Id": "jobs", "MetricStat": stat}]


@pytest.mark.parametrize("protocol", CLOUDWATCH_PROTOCOLS)
def test_get_metric_data_without_start_time_is_a_missing_parameter(server, protocol):
    cw = client("cloudwatch", server.endpoint, protocol=protocol, parameter_validation=False)
    code, message, status = error_of(cw.get_metric_data, MetricDataQueries=metric_stat("V/missing"),
                                     EndTime=datetime.now(timezone.utc))
    assert (code, status) == ("MissingParameter", 400)
    assert message == "The parameter StartTime is required."


@pytest.mark.parametrize("protocol", CLOUDWATCH_PROTOCOLS)
def test_get_metric_data_refuses_a_period_aws_does_not_offer(server, protocol):
    cw = client("cloudwatch", server.endpoint, protocol=protocol)
    now = datetime.now(timezone.utc)
    code, message, status = error_of(cw.get_metric_data, MetricDataQueries=metric_stat("V/period", period=45),
                                     StartTime=now - timedelta(hours=1), EndTime=now)
    assert (code, status) == ("InvalidParameterValue", 400)
    assert message == ("The parameter MetricDataQueries.member.1.MetricStat.Period must be 1, 5, 10, 20, 30 "
                       "or a multiple of 60.")


@pytest.mark.parametrize("protocol", CLOUDWATCH_PROTOCOLS)
def test_get_metric_data_normalises_old_unit_spellings_like_get_metric_statistics(server, protocol):
    cw = client("cloudwatch", server.endpoint, protocol=protocol)
    namespace = f"V/units/{protocol}"
    minute = datetime.now(timezone.utc).replace(second=0, microsecond=0) - timedelta(minutes=5)
    cw.put_metric_data(Namespace=namespace, MetricData=[
        {"MetricName": "Jobs", "Value": 3, "Unit": "Count", "Timestamp": minute + timedelta(seconds=5)}])
    start, end = minute - timedelta(minutes=1), minute + timedelta(minutes=2)
    statistics = cw.get_metric_statistics(Namespace=namespace, MetricName="Jobs", StartTime=start, EndTime=end,
                                          Period=60, Statistics=["Sum"], Unit="Counter")
    assert [p["Sum"] for p in statistics["Datapoints"]] == [3.0]
    # boto3 sends what it is given: "Counter" is an old agent's spelling, not in the model's enum.
    lenient = client("cloudwatch", server.endpoint, protocol=protocol, parameter_validation=False)
    for unit in ("Counter", "count", "Count"):
        [result] = lenient.get_metric_data(MetricDataQueries=metric_stat(namespace, unit=unit),
                                           StartTime=start, EndTime=end)["MetricDataResults"]
        assert result["Values"] == [3.0], unit
    [nothing] = cw.get_metric_data(MetricDataQueries=metric_stat(namespace, unit="Seconds"),
                                   StartTime=start, EndTime=end)["MetricDataResults"]
    assert nothing["Values"] == []


@pytest.mark.parametrize("protocol", CLOUDWATCH_PROTOCOLS)
@pytest.mark.parametrize("bad", [{"HistoryItemType": "Everything"}, {"MaxRecords": 0}, {"MaxRecords": 101}])
def test_describe_alarm_history_refuses_bad_filters(server, protocol, bad):
    cw = client("cloudwatch", server.endpoint, protocol=protocol, parameter_validation=False)
    code, message, status = error_of(cw.describe_alarm_history, **bad)
    assert (code, status) == ("InvalidParameterValue", 400)
    [(name, value)] = bad.items()
    assert message.startswith(f"The value {value} for parameter {name} is invalid: it must be ")


def alarm(name: str, **extra) -> dict:
    return {"AlarmName": name, "Namespace": "V/alarms", "MetricName": "Jobs", "Statistic": "Sum", "Period": 60,
            "EvaluationPeriods": 1, "Threshold": 1.0, "ComparisonOperator": "GreaterThanThreshold", **extra}


@pytest.mark.parametrize("protocol", CLOUDWATCH_PROTOCOLS)
def test_tags_on_a_put_metric_alarm_that_updates_are_ignored(server, protocol):
    cw = client("cloudwatch", server.endpoint, protocol=protocol)
    name = f"tagged-{protocol}"
    cw.put_metric_alarm(**alarm(name, Tags=[{"Key": "team", "Value": "a"}]))
    cw.put_metric_alarm(**alarm(name, Threshold=5.0, Tags=[{"Key": "team", "Value": "b"},
                                                           {"Key": "extra", "Value": "x"}]))
    [described] = cw.describe_alarms(AlarmNames=[name])["MetricAlarms"]
    assert described["Threshold"] == 5.0  # the update itself happened
    tags = cw.list_tags_for_resource(ResourceARN=described["AlarmArn"])["Tags"]
    assert tags == [{"Key": "team", "Value": "a"}]


@pytest.mark.parametrize("protocol", CLOUDWATCH_PROTOCOLS)
def test_describe_alarm_history_filters_by_start_and_end_date(server, protocol):
    cw = client("cloudwatch", server.endpoint, protocol=protocol)
    name = f"dated-{protocol}"
    cw.put_metric_alarm(**alarm(name))
    time.sleep(1.1)
    between = datetime.now(timezone.utc)
    time.sleep(1.1)
    cw.set_alarm_state(AlarmName=name, StateValue="ALARM", StateReason="by hand")
    # The evaluator may later move the alarm back to INSUFFICIENT_DATA (no data): only the
    # first two items are this test's, so every window below ends at the state change.
    items = cw.describe_alarm_history(AlarmName=name, ScanBy="TimestampAscending")["AlarmHistoryItems"][:2]
    assert [i["HistoryItemType"] for i in items] == ["ConfigurationUpdate", "StateUpdate"]
    created, changed = (i["Timestamp"] for i in items)

    def types(**window):
        found = cw.describe_alarm_history(AlarmName=name, **window)["AlarmHistoryItems"]
        return sorted(i["HistoryItemType"] for i in found)

    assert types(StartDate=between, EndDate=changed) == ["StateUpdate"]
    assert types(EndDate=between) == ["ConfigurationUpdate"]
    # The timestamps a client reads back bound their own items (history is kept to the millisecond).
    assert types(StartDate=created, EndDate=changed) == ["ConfigurationUpdate", "StateUpdate"]
    assert types(StartDate=created, EndDate=created) == ["ConfigurationUpdate"]
    assert types(StartDate=between, EndDate=between + timedelta(milliseconds=500)) == []
