"""How a scaling policy changes a group's desired capacity: pure functions,
following the Amazon EC2 Auto Scaling user guide (simple and step scaling,
adjustment types, MinAdjustmentMagnitude, target tracking)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

CHANGE, EXACT, PERCENT = "ChangeInCapacity", "ExactCapacity", "PercentChangeInCapacity"
ADJUSTMENT_TYPES = (CHANGE, EXACT, PERCENT)
POLICY_TYPES = ("SimpleScaling", "StepScaling", "TargetTrackingScaling")


@dataclass(frozen=True)
class Trigger:
    """What fired the policy: the alarm's state, its threshold and the value that breached."""

    alarm_name: str
    state: str  # ALARM | OK | INSUFFICIENT_DATA
    threshold: float | None = None
    value: float | None = None  # the newest evaluated datapoint


def clamp(capacity: int, min_size: int, max_size: int) -> int:
    return max(min_size, min(max_size, capacity))


def apply_adjustment(current: int, adjustment_type: str, adjustment: float,
                     min_adjustment_magnitude: int | None = None) -> int:
    """The new capacity before Min/Max clamping.

    PercentChangeInCapacity rounds toward zero for values above 1 or below -1
    and away from zero between them (so a percent change always changes
    something), then MinAdjustmentMagnitude raises a too-small change.
    """
    if adjustment_type == EXACT:
        return int(adjustment)
    if adjustment_type == CHANGE:
        return current + int(adjustment)
    change = current * adjustment / 100.0
    if abs(change) >= 1:
        step = math.trunc(change)
    elif change > 0:
        step = 1
    elif change < 0:
        step = -1
    else:
        step = 0
    if min_adjustment_magnitude and 0 < abs(step) < min_adjustment_magnitude:
        step = int(math.copysign(min_adjustment_magnitude, step))
    return current + step


def step_adjustment(steps: Sequence[Mapping[str, Any]], threshold: float, value: float) -> float | None:
    """The ScalingAdjustment of the step whose bounds (relative to the alarm's
    threshold; lower inclusive, upper exclusive) contain ``value``."""
    difference = value - threshold
    for step in steps:
        lower, upper = step.get("MetricIntervalLowerBound"), step.get("MetricIntervalUpperBound")
        if lower not in (None, "") and difference < float(lower):
            continue
        if upper not in (None, "") and difference >= float(upper):
            continue
        return float(step["ScalingAdjustment"])
    return None


def target_tracking_capacity(current: int, target: float, value: float, disable_scale_in: bool) -> int:
    """Capacity proportional to the metric: ``ceil(current * value / target)``
    (an average metric scales with the number of members)."""
    if target <= 0 or current <= 0:
        return max(current, 1) if value > target else current
    wanted = math.ceil(round(current * value / target, 6))
    if wanted < current and disable_scale_in:
        return current
    return wanted


def desired_after(policy: Mapping[str, Any], trigger: Trigger, current: int) -> int | None:
    """The capacity ``policy`` asks for when ``trigger`` fires; None: no change."""
    policy_type = policy.get("PolicyType") or "SimpleScaling"
    adjustment_type = policy.get("AdjustmentType") or CHANGE
    magnitude = int(policy["MinAdjustmentMagnitude"]) if policy.get("MinAdjustmentMagnitude") not in (None, "") \
        else None
    if policy_type == "TargetTrackingScaling":
        config = policy.get("TargetTrackingConfiguration") or {}
        if trigger.value is None:
            return None
        disable = str(config.get("DisableScaleIn", "false")).lower() == "true"
        return target_tracking_capacity(current, float(config["TargetValue"]), trigger.value, disable)
    if policy_type == "StepScaling":
        if trigger.value is None or trigger.threshold is None:
            return None
        adjustment = step_adjustment(policy.get("StepAdjustments") or [], trigger.threshold, trigger.value)
        if adjustment is None:
            return None
        return apply_adjustment(current, adjustment_type, adjustment, magnitude)
    return apply_adjustment(current, adjustment_type, float(policy["ScalingAdjustment"]), magnitude)


def policy_errors(props: Mapping[str, Any]) -> str | None:
    """AWS's validation of a policy's properties, as the message it gives; None when valid."""
    policy_type = props.get("PolicyType") or "SimpleScaling"
    if policy_type not in POLICY_TYPES:
        return f"Invalid PolicyType {policy_type}; valid types are {', '.join(POLICY_TYPES)}"
    adjustment_type = props.get("AdjustmentType")
    if policy_type != "TargetTrackingScaling":
        if adjustment_type not in ADJUSTMENT_TYPES:
            return f"AdjustmentType must be one of {', '.join(ADJUSTMENT_TYPES)}"
        if props.get("MinAdjustmentMagnitude") not in (None, "") and adjustment_type != PERCENT:
            return "MinAdjustmentMagnitude is only valid with AdjustmentType PercentChangeInCapacity"
    if policy_type == "SimpleScaling" and props.get("ScalingAdjustment") in (None, ""):
        return "ScalingAdjustment is required for SimpleScaling policies"
    if policy_type == "StepScaling" and not props.get("StepAdjustments"):
        return "StepAdjustments is required for StepScaling policies"
    if policy_type == "TargetTrackingScaling":
        config = props.get("TargetTrackingConfiguration") or {}
        if config.get("TargetValue") in (None, ""):
            return "TargetTrackingConfiguration.TargetValue is required for TargetTrackingScaling policies"
        if not config.get("PredefinedMetricSpecification") and not config.get("CustomizedMetricSpecification"):
            return "TargetTrackingConfiguration needs a PredefinedMetricSpecification or CustomizedMetricSpecification"
    return None
