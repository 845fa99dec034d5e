"""AWS::CloudWatch::Alarm in cfnapi's own alarm store, and target tracking's alarms."""

import json

import pytest

from cfnapi.translate.autoscaling_policies import ScalingPolicy
from cfnapi.translate.base import ResourceFailure
from cfnapi.translate.cloudwatch_alarm import Alarm

from tests.translate.conftest import ACCOUNT, REGION, STACK_ID


def _stored(world, name):
    with world.db.transaction() as session:
        alarm = world.alarms.get(session, ACCOUNT, REGION, name)
        return None if alarm is None else (alarm, json.loads(alarm.definition))


MATH = {
    "AlarmName": "errors-rate",
    "EvaluationPeriods": "3",
    "DatapointsToAlarm": "2",
    "Threshold": "5",
    "ComparisonOperator": "GreaterThanOrEqualToThreshold",
    "TreatMissingData": "notBreaching",
    "ActionsEnabled": "false",
    "AlarmActions": ["http://127.0.0.1:9/hook"],
    "Metrics": [
        {"Id": "e", "MetricStat": {"Metric": {"Namespace": "App", "MetricName": "Errors",
                                              "Dimensions": [{"Name": "Service", "Value": "api"}]},
                                   "Period": "60", "Stat": "Sum"}, "ReturnData": "false"},
        {"Id": "rate", "Expression": "RATE(e) * 60", "ReturnData": "true"},
    ],
}


def test_metric_math_alarm_is_created_updated_and_deleted(world):
    handler = Alarm()
    state = world.create(handler, MATH, logical_id="Errors")
    assert state.physical_id == "errors-rate"
    assert handler.ref(state) == "errors-rate"
    assert state.attributes["Arn"] == f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:errors-rate"
    alarm, definition = _stored(world, "errors-rate")
    assert alarm.state_value == "INSUFFICIENT_DATA" and alarm.actions_enabled is False
    assert definition["EvaluationPeriods"] == 3 and definition["Threshold"] == 5.0
    assert definition["Metrics"][0]["MetricStat"]["Period"] == 60
    assert definition["Metrics"][0]["ReturnData"] is False

    handler.update(world.ctx("Errors"), state, MATH, {**MATH, "Threshold": "9"})
    assert _stored(world, "errors-rate")[1]["Threshold"] == 9.0
    world.delete(handler, state)
    assert _stored(world, "errors-rate") is None


def test_generated_name_dimensions_and_validation(world):
    handler = Alarm()
    props = {"Namespace": "App", "MetricName": "CPU", "Statistic": "Average", "Period": 60,
             "EvaluationPeriods": 1, "Threshold": 70, "ComparisonOperator": "GreaterThanThreshold",
             "Dimensions": [{"Name": "AutoScalingGroupName", "Value": "g1"}]}
    state = world.create(handler, props, logical_id="Cpu")
    assert state.physical_id.startswith("web-Cpu-")
    assert _stored(world, state.physical_id)[1]["Dimensions"] == [{"Name": "AutoScalingGroupName", "Value": "g1"}]
    with pytest.raises(ResourceFailure, match="Statistic and ExtendedStatistic are mutually exclusive"):
        handler.create(world.ctx("Bad"), {**props, "ExtendedStatistic": "p90"})
    with pytest.raises(ResourceFailure, match="already exists"):
        handler.create(world.ctx("Again"), {**props, "AlarmName": state.physical_id})


def test_target_tracking_policy_owns_a_high_and_a_low_alarm(world):
    world.autoscaling.create_group(account_id=ACCOUNT, region=REGION, name="g1", stack_id=STACK_ID,
                                   stack_name="web", logical_id="Group", launch_spec={}, min_size=1,
                                   max_size=4, desired=1)
    props = {"AutoScalingGroupName": "g1", "PolicyType": "TargetTrackingScaling",
             "TargetTrackingConfiguration": {"TargetValue": 50,
                                             "PredefinedMetricSpecification": {
                                                 "PredefinedMetricType": "ASGAverageCPUUtilization"}}}
    handler = ScalingPolicy()
    state = world.create(handler, props, logical_id="Track")
    names = world.autoscaling.policy(state.physical_id).alarm_names
    assert len(names) == 2
    high, low = (_stored(world, n)[1] for n in names)
    assert (high["ComparisonOperator"], high["Threshold"], high["EvaluationPeriods"]) == \
        ("GreaterThanThreshold", 50.0, 3)
    assert (low["ComparisonOperator"], low["Threshold"], low["EvaluationPeriods"]) == ("LessThanThreshold", 45.0, 15)
    assert high["MetricName"] == "CPUUtilization" and high["AlarmActions"] == [state.physical_id]
    world.delete(handler, state)
    assert all(_stored(world, n) is None for n in names)
    with pytest.raises(ResourceFailure, match="AutoScalingGroup name not found"):
        handler.create(world.ctx("Other"), {**props, "AutoScalingGroupName": "missing"})
