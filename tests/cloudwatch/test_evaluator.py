import json
import threading
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from cfnapi.cloudwatch.actions import ActionCallbackRegistry, DefaultActionDispatcher, WebhookSender
from cfnapi.cloudwatch.alarms import AlarmStore
from cfnapi.cloudwatch.evaluator import AlarmEvaluator
from cfnapi.handlers.base import RequestContext
from cfnapi.handlers.cloudwatch import CloudWatchHandlers

CTX = RequestContext("111111111111", "AKIA", "us-east-1", "req")
T0 = datetime(2026, 11, 22, 10, 0, 0, tzinfo=timezone.utc)


class FakeClock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


@pytest.fixture
def webhook():
    received, arrived = [], threading.Event()
    failures = {"remaining": 0}

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if failures["remaining"] > 0:
                failures["remaining"] -= 1
                self.send_response(503)
                self.end_headers()
                return
            received.append(json.loads(body))
            self.send_response(200)
            self.end_headers()
            arrived.set()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", received, arrived, failures
    server.shutdown()
    server.server_close()


@pytest.fixture
def setup(db):
    clock = FakeClock(T0)
    registry = ActionCallbackRegistry()
    dispatcher = DefaultActionDispatcher(registry, WebhookSender(first_delay=0.01, timeout=5),
                                         history=AlarmStore(db), clock=clock)
    cw = CloudWatchHandlers(db, dispatcher=dispatcher, clock=clock)
    evaluator = AlarmEvaluator(db, clock, dispatcher)
    yield cw, evaluator, clock, registry
    dispatcher.shutdown()


def put(cw, value, at):
    cw.handler_for("PutMetricData")(CTX, {"Namespace": "App", "MetricData": [
        {"MetricName": "CPU", "Value": value, "Timestamp": at, "Dimensions": [{"Name": "Host", "Value": "a"}]}]})


def state(cw, name="HighCPU"):
    return cw.handler_for("DescribeAlarms")(CTX, {"AlarmNames": [name], "AlarmTypes": ["MetricAlarm", "CompositeAlarm"]})


def alarm_params(url, **extra):
    return {"AlarmName": "HighCPU", "Namespace": "App", "MetricName": "CPU", "Statistic": "Maximum",
            "Dimensions": [{"Name": "Host", "Value": "a"}], "Period": 60, "EvaluationPeriods": 1,
            "Threshold": 80.0, "ComparisonOperator": "GreaterThanThreshold", "AlarmActions": [url],
            "OKActions": [url], **extra}


def test_breach_fires_exactly_one_webhook_then_recovers(setup, webhook):
    cw, evaluator, clock, _ = setup
    url, received, arrived, failures = webhook
    failures["remaining"] = 1  # the first delivery attempt fails: the retry must deliver it
    cw.handler_for("PutMetricAlarm")(CTX, alarm_params(url))
    put(cw, 95.0, T0 + timedelta(seconds=10))
    clock.now = T0 + timedelta(seconds=61)
    assert evaluator.evaluate_all() == 1
    metric_alarm = state(cw)["MetricAlarms"][0]
    assert metric_alarm["StateValue"] == "ALARM"
    assert metric_alarm["StateReason"] == ("Threshold Crossed: 1 datapoint [95.0 (22/11/26 10:00:00)] was greater "
                                           "than the threshold (80.0).")
    assert json.loads(metric_alarm["StateReasonData"])["evaluatedDatapoints"][0]["value"] == 95.0
    assert arrived.wait(10)
    # Still breaching next minute: no transition, so no second notification.
    put(cw, 96.0, T0 + timedelta(seconds=70))
    clock.now = T0 + timedelta(seconds=121)
    assert evaluator.evaluate_all() == 1
    evaluator.dispatcher.webhooks.shutdown(wait=True)
    assert len(received) == 1
    note = received[0]
    assert note["Type"] == "Notification"
    message = json.loads(note["Message"])
    assert (message["AlarmName"], message["OldStateValue"], message["NewStateValue"]) == \
        ("HighCPU", "INSUFFICIENT_DATA", "ALARM")
    assert message["Trigger"]["MetricName"] == "CPU" and message["Trigger"]["Threshold"] == 80.0


def test_ok_recovery_and_history(setup, webhook):
    cw, evaluator, clock, _ = setup
    url, received, arrived, _ = webhook
    cw.handler_for("PutMetricAlarm")(CTX, alarm_params(url, AlarmActions=[]))
    put(cw, 95.0, T0)
    clock.now = T0 + timedelta(seconds=60)
    evaluator.evaluate_all()
    put(cw, 10.0, T0 + timedelta(seconds=60))
    clock.now = T0 + timedelta(seconds=120)
    evaluator.evaluate_all()
    assert state(cw)["MetricAlarms"][0]["StateValue"] == "OK"
    assert arrived.wait(10)
    evaluator.dispatcher.webhooks.shutdown(wait=True)
    assert [json.loads(n["Message"])["NewStateValue"] for n in received] == ["OK"]
    history = cw.handler_for("DescribeAlarmHistory")(CTX, {"AlarmName": "HighCPU", "HistoryItemType": "StateUpdate",
                                                           "ScanBy": "TimestampAscending"})["AlarmHistoryItems"]
    assert [h["HistorySummary"] for h in history] == ["Alarm updated from INSUFFICIENT_DATA to ALARM",
                                                      "Alarm updated from ALARM to OK"]


def test_each_alarm_is_evaluated_once_per_interval(setup):
    cw, evaluator, clock, _ = setup
    cw.handler_for("PutMetricAlarm")(CTX, alarm_params("http://127.0.0.1:9/x"))
    assert evaluator.evaluate_all(T0) == 1
    assert evaluator.evaluate_all(T0 + timedelta(seconds=30)) == 0
    assert evaluator.evaluate_all(T0 + timedelta(seconds=60)) == 1


def test_scaling_policy_arns_go_to_registered_callbacks(setup):
    cw, evaluator, clock, registry = setup
    calls, done = [], threading.Event()
    registry.register("arn:aws:autoscaling:", lambda arn, t: (calls.append((arn, t.new_state)), done.set()))
    policy = "arn:aws:autoscaling:us-east-1:111111111111:scalingPolicy:abc:autoScalingGroupName/g:policyName/up"
    cw.handler_for("PutMetricAlarm")(CTX, alarm_params(policy, OKActions=[], TreatMissingData="breaching"))
    clock.now = T0 + timedelta(minutes=5)
    evaluator.evaluate_all()
    assert done.wait(5)
    assert calls == [(policy, "ALARM")]
    reason = state(cw)["MetricAlarms"][0]["StateReason"]
    assert reason == ("Threshold Crossed: no datapoints were received for 1 period and 1 missing datapoint was "
                      "treated as [Breaching].")


def test_metric_math_and_composite_alarms(setup):
    cw, evaluator, clock, _ = setup
    cw.handler_for("PutMetricAlarm")(CTX, {
        "AlarmName": "Doubled", "EvaluationPeriods": 1, "Threshold": 150.0,
        "ComparisonOperator": "GreaterThanThreshold",
        "Metrics": [
            {"Id": "m1", "ReturnData": False, "MetricStat": {
                "Metric": {"Namespace": "App", "MetricName": "CPU", "Dimensions": [{"Name": "Host", "Value": "a"}]},
                "Period": 60, "Stat": "Average"}},
            {"Id": "e1", "Expression": "m1 * 2", "ReturnData": True}]})
    cw.handler_for("PutMetricAlarm")(CTX, alarm_params("http://127.0.0.1:9/x", AlarmActions=[], OKActions=[]))
    cw.handler_for("PutCompositeAlarm")(CTX, {"AlarmName": "Both", "AlarmRule": "ALARM(Doubled) AND ALARM(HighCPU)"})
    put(cw, 90.0, T0)
    clock.now = T0 + timedelta(seconds=60)
    assert evaluator.evaluate_all() == 3
    assert state(cw, "Doubled")["MetricAlarms"][0]["StateValue"] == "ALARM"
    composite = state(cw, "Both")["CompositeAlarms"][0]
    assert composite["StateValue"] == "ALARM"
    assert "transitioned to ALARM" in composite["StateReason"]


def test_low_sample_percentile_alarm_keeps_state_when_told_to_ignore(setup):
    cw, evaluator, clock, _ = setup
    params = alarm_params("http://127.0.0.1:9/x", Statistic=None, ExtendedStatistic="p99",
                          EvaluateLowSampleCountPercentile="ignore")
    params.pop("Statistic")
    cw.handler_for("PutMetricAlarm")(CTX, params)
    put(cw, 95.0, T0)
    clock.now = T0 + timedelta(seconds=60)
    evaluator.evaluate_all()
    assert state(cw)["MetricAlarms"][0]["StateValue"] == "INSUFFICIENT_DATA"


def test_run_loop_stops(setup):
    cw, evaluator, clock, _ = setup
    stop = threading.Event()
    thread = threading.Thread(target=evaluator.run, args=(0.01, stop))
    thread.start()
    stop.set()
    thread.join(5)
    assert not thread.is_alive()


def test_a_transition_that_cannot_be_recorded_does_not_cost_the_others_theirs(setup, monkeypatch):
    """A cycle's transitions are written together; when that fails, each is retried alone."""
    cw, evaluator, clock, _ = setup
    for name in ("A", "Broken", "C"):
        cw.handler_for("PutMetricAlarm")(CTX, alarm_params("http://127.0.0.1:9/x", AlarmName=name, AlarmActions=[],
                                                           OKActions=[]))
    put(cw, 95.0, T0 + timedelta(seconds=10))
    real_transition = evaluator.alarms.transition

    def transition(session, alarm, *args, **kwargs):
        if alarm.name == "Broken":
            raise RuntimeError("cannot record")
        return real_transition(session, alarm, *args, **kwargs)

    monkeypatch.setattr(evaluator.alarms, "transition", transition)
    clock.now = T0 + timedelta(seconds=61)
    assert evaluator.evaluate_all() == 3
    assert [state(cw, n)["MetricAlarms"][0]["StateValue"] for n in ("A", "Broken", "C")] == \
        ["ALARM", "INSUFFICIENT_DATA", "ALARM"]
    for name in ("A", "C"):
        history = cw.handler_for("DescribeAlarmHistory")(CTX, {"AlarmName": name, "HistoryItemType": "StateUpdate"})
        assert [h["HistorySummary"] for h in history["AlarmHistoryItems"]] == \
            ["Alarm updated from INSUFFICIENT_DATA to ALARM"]


def test_the_sender_posts_a_string_body_as_is_for_sns_raw_delivery(webhook):
    url, received, arrived, _ = webhook
    sender = WebhookSender(first_delay=0.01, timeout=5)
    try:
        assert sender.submit(url, '{"AlarmName": "raw"}', {"x-amz-sns-rawdelivery": "true"}).result(timeout=30)
    finally:
        sender.shutdown()
    assert received == [{"AlarmName": "raw"}]  # not a JSON string wrapping it


class RecordingDispatcher:
    """Keeps what the evaluator hands over, synchronously, so the test sees every invocation."""

    def __init__(self):
        self.dispatched = []

    def dispatch(self, transition):
        self.dispatched.append((transition.old_state, transition.new_state, transition.actions))


POLICY = "arn:aws:autoscaling:us-east-1:111111111111:scalingPolicy:abc:autoScalingGroupName/g:policyName/up"
HEALTH = "arn:aws:autoscaling:us-east-1:111111111111:setInstanceHealth:autoScalingGroupName/g"
TOPIC = "arn:aws:sns:us-east-1:111111111111:ops"


@pytest.fixture
def repeating(db):
    clock = FakeClock(T0)
    recorder = RecordingDispatcher()
    cw = CloudWatchHandlers(db, dispatcher=recorder, clock=clock)
    evaluator = AlarmEvaluator(db, clock, recorder)
    return cw, evaluator, clock, recorder


def _minutes(evaluator, clock, start, count):
    for minute in range(start, start + count):
        clock.now = T0 + timedelta(minutes=minute)
        evaluator.evaluate_all()


def test_auto_scaling_actions_repeat_each_interval_while_the_state_lasts(repeating):
    cw, evaluator, clock, recorder = repeating
    cw.handler_for("PutMetricAlarm")(CTX, alarm_params(
        "http://127.0.0.1:9/hook", AlarmActions=[POLICY, HEALTH, TOPIC, "http://127.0.0.1:9/hook"], OKActions=[],
        TreatMissingData="breaching"))
    _minutes(evaluator, clock, 1, 4)
    transition = ("INSUFFICIENT_DATA", "ALARM", (POLICY, HEALTH, TOPIC, "http://127.0.0.1:9/hook"))
    repeat = ("ALARM", "ALARM", (POLICY, HEALTH))  # only the Auto Scaling ARNs come back
    assert recorder.dispatched == [transition, repeat, repeat, repeat]
    # The recorder runs nothing, so no action may be written down as executed.
    history = cw.handler_for("DescribeAlarmHistory")(CTX, {"AlarmName": "HighCPU", "HistoryItemType": "Action"})
    assert history["AlarmHistoryItems"] == []


def test_every_action_run_gets_its_history_item_first_invocations_and_repeats_alike(setup, webhook):
    cw, evaluator, clock, registry = setup
    url, received, arrived, _ = webhook
    refused = "http://127.0.0.1:9/hook"  # nothing listens on the discard port: delivery fails
    scaled = []
    registry.register("arn:aws:autoscaling:", lambda action, transition: scaled.append(transition.new_state))

    def broken_topic(action, transition):
        raise RuntimeError("topic is gone")
    registry.register("arn:aws:sns:", broken_topic)
    cw.handler_for("PutMetricAlarm")(CTX, alarm_params(
        url, AlarmActions=[POLICY, TOPIC, url, refused], OKActions=[], TreatMissingData="breaching"))
    _minutes(evaluator, clock, 1, 3)  # INSUFFICIENT_DATA -> ALARM, then two repeats of the scaling policy
    evaluator.dispatcher.shutdown(wait=True)
    assert scaled == ["ALARM"] * 3 and len(received) == 1

    items = cw.handler_for("DescribeAlarmHistory")(CTX, {"AlarmName": "HighCPU", "HistoryItemType": "Action"})
    summaries = sorted(item["HistorySummary"] for item in items["AlarmHistoryItems"])
    assert summaries == sorted([f"Successfully executed action {POLICY}"] * 3 + [
        f"Failed to execute action {TOPIC}", f"Successfully executed action {url}",
        f"Failed to execute action {refused}"])
    by_action = {}
    for item in items["AlarmHistoryItems"]:
        assert item["HistoryItemType"] == "Action" and item["AlarmType"] == "MetricAlarm"
        data = json.loads(item["HistoryData"])
        by_action.setdefault(data["notificationResource"], []).append(data)
    assert [d["actionState"] for d in by_action[TOPIC]] == ["Failed"]
    assert "topic is gone" in by_action[TOPIC][0]["error"]
    assert [d["actionState"] for d in by_action[url]] == ["Succeeded"] and "error" not in by_action[url][0]
    assert by_action[refused][0]["actionState"] == "Failed"
    assert {d["actionState"] for d in by_action[POLICY]} == {"Succeeded"}


def test_the_repetition_stops_when_the_alarm_leaves_the_state(repeating):
    cw, evaluator, clock, recorder = repeating
    cw.handler_for("PutMetricAlarm")(CTX, alarm_params(POLICY, OKActions=["http://127.0.0.1:9/hook"]))
    put(cw, 95.0, T0)
    _minutes(evaluator, clock, 1, 2)
    put(cw, 10.0, T0 + timedelta(minutes=2))
    _minutes(evaluator, clock, 3, 3)
    assert recorder.dispatched == [("INSUFFICIENT_DATA", "ALARM", (POLICY,)), ("ALARM", "ALARM", (POLICY,)),
                                   ("ALARM", "OK", ("http://127.0.0.1:9/hook",))]


def test_nothing_repeats_while_actions_are_disabled(repeating):
    cw, evaluator, clock, recorder = repeating
    cw.handler_for("PutMetricAlarm")(CTX, alarm_params(POLICY, OKActions=[], TreatMissingData="breaching"))
    _minutes(evaluator, clock, 1, 2)
    cw.handler_for("DisableAlarmActions")(CTX, {"AlarmNames": ["HighCPU"]})
    _minutes(evaluator, clock, 3, 3)
    cw.handler_for("EnableAlarmActions")(CTX, {"AlarmNames": ["HighCPU"]})
    _minutes(evaluator, clock, 6, 1)
    assert recorder.dispatched == [("INSUFFICIENT_DATA", "ALARM", (POLICY,)), ("ALARM", "ALARM", (POLICY,)),
                                   ("ALARM", "ALARM", (POLICY,))]


def test_a_repeat_happens_once_per_interval_however_often_evaluators_run(repeating, db):
    cw, evaluator, clock, recorder = repeating
    second = AlarmEvaluator(db, clock, recorder)  # another worker on the same database
    cw.handler_for("PutMetricAlarm")(CTX, alarm_params(POLICY, OKActions=[], TreatMissingData="breaching"))
    for seconds in range(60, 181, 20):
        clock.now = T0 + timedelta(seconds=seconds)
        evaluator.evaluate_all()
        second.evaluate_all()
    assert recorder.dispatched == [("INSUFFICIENT_DATA", "ALARM", (POLICY,)), ("ALARM", "ALARM", (POLICY,)),
                                   ("ALARM", "ALARM", (POLICY,))]
