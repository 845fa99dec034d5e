"""Metric-alarm evaluation as a pure function.

The rules follow AWS's "How alarm state is evaluated when data is missing"
(CloudWatch User Guide, AlarmThatSendsEmail):

- CloudWatch looks at an *evaluation range* a little longer than
  EvaluationPeriods (N): ``N + 2`` periods here, the 5-for-3 of AWS's tables.
- If at least N real datapoints exist in the range, the most recent N are
  evaluated and TreatMissingData is irrelevant.
- If fewer exist, ``breaching``/``notBreaching`` fill the gap with as few
  synthetic datapoints as possible (every real datapoint is kept).
- ``missing``/``ignore`` evaluate the real datapoints alone: enough breaching
  ones give ALARM, any non-breaching one gives OK; an undecidable range gives
  INSUFFICIENT_DATA (``missing``) or keeps the state (``ignore``) — except that
  with ``missing`` a breaching datapoint at the oldest end of the range still
  means ALARM (the sixth row of AWS's first table).
- ALARM when at least DatapointsToAlarm (M) of the N evaluated datapoints breach.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from cfnapi.errors import ServiceError

OK, ALARM, INSUFFICIENT_DATA = "OK", "ALARM", "INSUFFICIENT_DATA"
STATES = (OK, ALARM, INSUFFICIENT_DATA)
TREAT_MISSING = ("missing", "ignore", "breaching", "notBreaching")

COMPARISONS = {
    "GreaterThanOrEqualToThreshold": ("greater than or equal to", lambda v, t: v >= t),
    "GreaterThanThreshold": ("greater than", lambda v, t: v > t),
    "LessThanThreshold": ("less than", lambda v, t: v < t),
    "LessThanOrEqualToThreshold": ("less than or equal to", lambda v, t: v <= t),
}


@dataclass(frozen=True)
class Slot:
    """One period of the evaluation range; ``value`` None means no data."""

    timestamp: datetime
    value: float | None = None
    sample_count: float = 0.0


@dataclass(frozen=True)
class AlarmRule:
    threshold: float
    comparison: str
    evaluation_periods: int
    datapoints_to_alarm: int
    treat_missing_data: str = "missing"
    statistic: str = "Average"
    period: int = 60

    def breaches(self, value: float) -> bool:
        if self.comparison not in COMPARISONS:
            raise ServiceError("InvalidParameterValue", f"Unsupported ComparisonOperator {self.comparison}.")
        return COMPARISONS[self.comparison][1](value, self.threshold)

    @property
    def words(self) -> str:
        return COMPARISONS[self.comparison][0]


@dataclass(frozen=True)
class Outcome:
    """The state an evaluation arrives at; ``retained`` when TreatMissingData=ignore kept it."""

    state: str
    reason: str
    reason_data: dict[str, Any] = field(default_factory=dict)
    retained: bool = False


def evaluation_range(evaluation_periods: int) -> int:
    return evaluation_periods + 2


def evaluate(rule: AlarmRule, slots: list[Slot], current_state: str, query_date: datetime) -> Outcome:
    """Evaluate ``slots`` (oldest first, ``evaluation_range`` long) against ``rule``."""
    n, m = rule.evaluation_periods, rule.datapoints_to_alarm
    present = [s for s in slots if s.value is not None]
    treat = rule.treat_missing_data

    if not present:
        if treat == "ignore":
            return Outcome(current_state, "", retained=True)
        if treat == "missing":
            return _outcome(rule, INSUFFICIENT_DATA, [], query_date,
                            f"Insufficient Data: {_count(n, 'datapoint')} {_were(n)} unknown.")
        state = ALARM if treat == "breaching" else OK
        label = "Breaching" if treat == "breaching" else "NonBreaching"
        return _outcome(rule, state, [], query_date,
                        f"Threshold Crossed: no datapoints were received for {_count(n, 'period')} and "
                        f"{_count(n, 'missing datapoint')} {_were(n)} treated as [{label}].")

    if len(present) >= n:
        return _decide(rule, present[-n:], 0, query_date)

    missing_needed = n - len(present)
    if treat in ("breaching", "notBreaching"):
        return _decide(rule, present, missing_needed, query_date)

    breaching = sum(1 for s in present if rule.breaches(s.value))
    if breaching >= m or breaching < len(present):
        return _decide(rule, present, 0, query_date)
    if treat == "missing" and slots[0].value is not None:
        return _decide(rule, present, 0, query_date, force_alarm=True)
    if treat == "ignore":
        return Outcome(current_state, "", retained=True)
    return _outcome(rule, INSUFFICIENT_DATA, present, query_date,
                    f"Insufficient Data: {_count(missing_needed, 'datapoint')} {_were(missing_needed)} unknown.")


def _decide(rule: AlarmRule, evaluated: list[Slot], filled: int, query_date: datetime,
            force_alarm: bool = False) -> Outcome:
    n, m = rule.evaluation_periods, rule.datapoints_to_alarm
    breaching = [s for s in evaluated if rule.breaches(s.value)]
    fill_breaches = rule.treat_missing_data == "breaching"
    breach_count = len(breaching) + (filled if fill_breaches else 0)
    state = ALARM if force_alarm or breach_count >= m else OK
    shown = breaching if state == ALARM else [s for s in evaluated if not rule.breaches(s.value)]
    shown = sorted(shown, key=lambda s: s.timestamp, reverse=True)
    listed = "[" + ", ".join(f"{_number(s.value)} ({_short_date(s.timestamp)})" for s in shown) + "]"
    negation = "" if state == ALARM else "not "
    threshold = f"the threshold ({_number(rule.threshold)})"
    if m == n or force_alarm:
        k = len(shown)
        text = f"Threshold Crossed: {_count(k, 'datapoint')} {listed} {'was' if k == 1 else 'were'} " \
               f"{negation}{rule.words} {threshold}."
    else:
        k = len(shown)
        if state == ALARM:
            minimum = f"(minimum {_count(m, 'datapoint')} for OK -> ALARM transition)"
        else:
            needed = n - m + 1
            minimum = f"(minimum {_count(needed, 'datapoint')} for ALARM -> OK transition)"
        text = f"Threshold Crossed: {k} out of the last {n} datapoints {listed} {'was' if k == 1 else 'were'} " \
               f"{negation}{rule.words} {threshold} {minimum}."
    if filled:
        label = "Breaching" if fill_breaches else "NonBreaching"
        text = text[:-1] + f" and {_count(filled, 'missing datapoint')} {_were(filled)} treated as [{label}]."
    return _outcome(rule, state, evaluated, query_date, text)


def _outcome(rule: AlarmRule, state: str, evaluated: list[Slot], query_date: datetime, reason: str) -> Outcome:
    evaluated_sorted = sorted(evaluated, key=lambda s: s.timestamp, reverse=True)
    data: dict[str, Any] = {
        "version": "1.0",
        "queryDate": _iso(query_date),
        "statistic": rule.statistic,
        "period": rule.period,
        "recentDatapoints": [s.value for s in sorted(evaluated, key=lambda s: s.timestamp)],
        "threshold": rule.threshold,
        "evaluatedDatapoints": [
            {"timestamp": _iso(s.timestamp), "sampleCount": s.sample_count, "value": s.value}
            for s in evaluated_sorted
        ],
    }
    if evaluated:
        data["startDate"] = _iso(min(s.timestamp for s in evaluated))
    return Outcome(state, reason, data)


def _count(k: int, noun: str) -> str:
    return f"{k} {noun}" + ("" if k == 1 else "s")


def _were(k: int) -> str:
    return "was" if k == 1 else "were"


def _number(value: float) -> str:
    return repr(float(value))


def _short_date(ts: datetime) -> str:
    return ts.astimezone(timezone.utc).strftime("%d/%m/%y %H:%M:%S")


def _iso(ts: datetime) -> str:
    ts = ts.astimezone(timezone.utc)
    return ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}+0000"
