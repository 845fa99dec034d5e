"""Stack signal actions: an alarm action that is this server's own signal URL is delivered in
process as a wait-condition signal, after its signature and expiry are checked."""

import json
from datetime import datetime, timedelta, timezone

import pytest

from cfnapi.cloudwatch.actions import DefaultActionDispatcher, WebhookSender
from cfnapi.cloudwatch.alarms import AlarmStore
from cfnapi.cloudwatch.evaluator import AlarmEvaluator
from cfnapi.cloudwatch.signal_actions import StackSignalActions, signal_action_prefix
from cfnapi.handlers.base import RequestContext
from cfnapi.handlers.cloudwatch import CloudWatchHandlers
from cfnapi.signals import SignalTarget, SignalUrls

CTX = RequestContext("111111111111", "AKIA", "us-east-1", "req")
T0 = datetime(2026, 11, 22, 10, 0, 0, tzinfo=timezone.utc)
STACK = "arn:aws:cloudformation:us-east-1:111111111111:stack/s/1234"


class Clock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


@pytest.fixture
def world(db):
    clock = Clock(T0)
    urls = SignalUrls(b"k" * 32, "http://127.0.0.1:9", clock=lambda: clock.now.timestamp())
    signals = []
    webhooks = WebhookSender(attempts=1, timeout=1)
    dispatcher = DefaultActionDispatcher(webhooks=webhooks, history=AlarmStore(db), clock=clock)
    dispatcher.registry.register(signal_action_prefix(urls),
                                 StackSignalActions(urls, lambda target, signal: signals.append((target, signal))))
    cw = CloudWatchHandlers(db, dispatcher=dispatcher, clock=clock)
    yield cw, AlarmEvaluator(db, clock, dispatcher), clock, urls, signals, dispatcher
    dispatcher.shutdown()


def breach(cw, evaluator, clock, action):
    cw.handler_for("PutMetricAlarm")(CTX, {
        "AlarmName": "HighCPU", "Namespace": "App", "MetricName": "CPU", "Statistic": "Maximum", "Period": 60,
        "EvaluationPeriods": 1, "Threshold": 80.0, "ComparisonOperator": "GreaterThanThreshold",
        "AlarmActions": [action]})
    cw.handler_for("PutMetricData")(CTX, {"Namespace": "App", "MetricData": [
        {"MetricName": "CPU", "Value": 95.0, "Timestamp": T0 + timedelta(seconds=10)}]})
    clock.now = T0 + timedelta(seconds=61)
    assert evaluator.evaluate_all() == 1
    evaluator.dispatcher.shutdown(wait=True)


def action_items(cw):
    items = cw.handler_for("DescribeAlarmHistory")(CTX, {"AlarmName": "HighCPU", "HistoryItemType": "Action"})
    return [(i["HistorySummary"], json.loads(i["HistoryData"])) for i in items["AlarmHistoryItems"]]


def test_an_alarm_signals_the_handle_its_action_url_names(world):
    cw, evaluator, clock, urls, signals, _ = world
    url = urls.url(SignalTarget("111111111111", STACK, "Handle"))
    breach(cw, evaluator, clock, url)
    [(target, signal)] = signals
    assert target == SignalTarget("111111111111", STACK, "Handle")
    [alarm] = cw.handler_for("DescribeAlarms")(CTX, {"AlarmNames": ["HighCPU"]})["MetricAlarms"]
    assert signal["Status"] == "SUCCESS" and signal["Reason"] == alarm["StateReason"]
    assert signal["UniqueId"].startswith("HighCPU ")
    notification = json.loads(signal["Data"])
    message = json.loads(notification["Message"])
    assert (message["AlarmName"], message["NewStateValue"]) == ("HighCPU", "ALARM")
    [(summary, data)] = action_items(cw)
    assert summary == f"Successfully executed action {url}" and data["actionState"] == "Succeeded"


@pytest.mark.parametrize("spoil", [
    lambda url: url.replace("Handle", "Other"),                     # another handle: signature no longer fits
    lambda url: url[:-4] + ("0000" if not url.endswith("0000") else "1111"),  # altered signature
])
def test_an_altered_signal_url_fails_the_action_and_signals_nothing(world, spoil):
    cw, evaluator, clock, urls, signals, _ = world
    url = spoil(urls.url(SignalTarget("111111111111", STACK, "Handle")))
    breach(cw, evaluator, clock, url)
    assert signals == []
    [(summary, data)] = action_items(cw)
    assert summary == f"Failed to execute action {url}" and data["actionState"] == "Failed"
    assert "invalid, altered or expired" in data["error"]


def test_an_expired_signal_url_fails_the_action(world):
    cw, evaluator, clock, urls, signals, _ = world
    clock.now = T0 - timedelta(days=2)  # minted two days ago: valid for 24 hours only
    url = urls.url(SignalTarget("111111111111", STACK, "Handle"))
    clock.now = T0
    breach(cw, evaluator, clock, url)
    assert signals == []
    assert action_items(cw)[0][1]["actionState"] == "Failed"


def test_a_signal_url_of_another_account_is_refused(world):
    cw, evaluator, clock, urls, signals, _ = world
    url = urls.url(SignalTarget("222222222222", STACK.replace("111111111111", "222222222222"), "Handle"))
    breach(cw, evaluator, clock, url)
    assert signals == []
    assert "another account" in action_items(cw)[0][1]["error"]
