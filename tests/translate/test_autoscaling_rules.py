"""The pure parts of Auto Scaling: adjustments, step bounds, target tracking, cron."""

import datetime as dt

import pytest

from cfnapi.autoscaling.adjustments import (
    Trigger,
    apply_adjustment,
    desired_after,
    policy_errors,
    step_adjustment,
    target_tracking_capacity,
)
from cfnapi.autoscaling.schedule import CronError, first_run, next_cron_time, next_run


@pytest.mark.parametrize("current, kind, adjustment, magnitude, expected", [
    (2, "ChangeInCapacity", 1, None, 3),
    (2, "ChangeInCapacity", -3, None, -1),  # clamped by Min/Max later, not here
    (2, "ExactCapacity", 5, None, 5),
    (10, "PercentChangeInCapacity", 25, None, 12),  # 2.5 rounds toward zero
    (10, "PercentChangeInCapacity", -25, None, 8),
    (2, "PercentChangeInCapacity", 10, None, 3),  # 0.2 rounds away from zero: always a change
    (2, "PercentChangeInCapacity", -10, None, 1),
    (10, "PercentChangeInCapacity", 10, 3, 13),  # MinAdjustmentMagnitude raises a 1 to 3
    (10, "PercentChangeInCapacity", -10, 3, 7),
])
def test_adjustment_types(current, kind, adjustment, magnitude, expected):
    assert apply_adjustment(current, kind, adjustment, magnitude) == expected


STEPS = [
    {"MetricIntervalLowerBound": 0, "MetricIntervalUpperBound": 10, "ScalingAdjustment": 1},
    {"MetricIntervalLowerBound": 10, "MetricIntervalUpperBound": 20, "ScalingAdjustment": 2},
    {"MetricIntervalLowerBound": 20, "ScalingAdjustment": 4},
]


@pytest.mark.parametrize("value, expected", [(70, 1), (79.9, 1), (80, 2), (95, 4), (500, 4), (60, None)])
def test_step_bounds_are_relative_to_the_threshold(value, expected):
    assert step_adjustment(STEPS, 70, value) == expected


def test_step_policy_through_desired_after():
    policy = {"PolicyType": "StepScaling", "AdjustmentType": "ChangeInCapacity", "StepAdjustments": STEPS}
    assert desired_after(policy, Trigger("a", "ALARM", 70.0, 85.0), 3) == 5
    assert desired_after(policy, Trigger("a", "ALARM", 70.0, None), 3) is None


@pytest.mark.parametrize("current, target, value, disable, expected", [
    (2, 50, 100, False, 4), (4, 50, 20, False, 2), (4, 50, 20, True, 4), (3, 50, 50, False, 3),
    (0, 50, 80, False, 1),
])
def test_target_tracking_is_proportional(current, target, value, disable, expected):
    assert target_tracking_capacity(current, target, value, disable) == expected


@pytest.mark.parametrize("props, message", [
    ({"AdjustmentType": "Bogus", "ScalingAdjustment": 1}, "AdjustmentType must be one of"),
    ({"AdjustmentType": "ChangeInCapacity"}, "ScalingAdjustment is required"),
    ({"AdjustmentType": "ChangeInCapacity", "ScalingAdjustment": 1, "MinAdjustmentMagnitude": 2},
     "MinAdjustmentMagnitude is only valid"),
    ({"PolicyType": "StepScaling", "AdjustmentType": "ChangeInCapacity"}, "StepAdjustments is required"),
    ({"PolicyType": "TargetTrackingScaling", "TargetTrackingConfiguration": {"TargetValue": 50}},
     "PredefinedMetricSpecification or CustomizedMetricSpecification"),
    ({"PolicyType": "Predictive"}, "Invalid PolicyType"),
])
def test_policy_validation(props, message):
    assert message in policy_errors(props)


def test_cron_recurrence():
    at = dt.datetime(2026, 3, 6, 10, 7, 30, tzinfo=dt.timezone.utc)  # a Friday
    assert next_cron_time("*/15 * * * *", at) == at.replace(minute=15, second=0)
    assert next_cron_time("0 9 * * 1-5", at) == dt.datetime(2026, 3, 9, 9, 0, tzinfo=dt.timezone.utc)  # Monday
    assert next_cron_time("30 8 1 * *", at) == dt.datetime(2026, 4, 1, 8, 30, tzinfo=dt.timezone.utc)
    with pytest.raises(CronError):
        next_cron_time("61 * * * *", at)
    with pytest.raises(CronError):
        next_cron_time("* * *", at)


def test_schedule_first_and_next_runs():
    now = dt.datetime(2026, 3, 6, 10, 7, tzinfo=dt.timezone.utc)
    once = {"StartTime": "2026-03-07T00:00:00Z"}
    assert first_run(once, now) == dt.datetime(2026, 3, 7, tzinfo=dt.timezone.utc)
    assert next_run(once, now) is None
    daily = {"Recurrence": "0 6 * * *", "EndTime": "2026-03-08T00:00:00Z"}
    assert first_run(daily, now) == dt.datetime(2026, 3, 7, 6, tzinfo=dt.timezone.utc)
    assert next_run(daily, dt.datetime(2026, 3, 7, 6, tzinfo=dt.timezone.utc)) is None  # past EndTime
