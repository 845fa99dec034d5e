"""Every row of the two tables in AWS's "How alarm state is evaluated when data is missing"."""

from datetime import datetime, timedelta, timezone

import pytest

from cfnapi.cloudwatch.evaluation import AlarmRule, Slot, evaluate, evaluation_range

T0 = datetime(2026, 11, 22, 10, 0, tzinfo=timezone.utc)
RETAIN = "retain"
COLUMNS = ("missing", "ignore", "breaching", "notBreaching")

# (datapoints oldest→newest, expected per column: MISSING, IGNORE, BREACHING, NOT BREACHING)
THREE_OF_THREE = [
    ("0-X-X", ("OK", "OK", "OK", "OK")),
    ("0----", ("OK", "OK", "OK", "OK")),
    ("-----", ("INSUFFICIENT_DATA", RETAIN, "ALARM", "OK")),
    ("0XX-X", ("ALARM", "ALARM", "ALARM", "ALARM")),
    ("----X", ("INSUFFICIENT_DATA", RETAIN, "ALARM", "OK")),
    ("X----", ("ALARM", RETAIN, "ALARM", "OK")),
]
TWO_OF_THREE = [
    ("0-X-X", ("ALARM", "ALARM", "ALARM", "ALARM")),
    ("00X0X", ("ALARM", "ALARM", "ALARM", "ALARM")),
    ("0-X--", ("OK", "OK", "ALARM", "OK")),
    ("----0", ("OK", "OK", "ALARM", "OK")),
    ("----X", ("INSUFFICIENT_DATA", RETAIN, "ALARM", "OK")),
]


def _slots(pattern):
    values = {"0": 10.0, "X": 95.0, "-": None}
    return [Slot(T0 + timedelta(minutes=5 * i), values[c], 1.0 if c != "-" else 0.0) for i, c in enumerate(pattern)]


def _cases(table, m):
    for pattern, expected in table:
        for column, state in zip(COLUMNS, expected):
            for current in ("OK", "ALARM", "INSUFFICIENT_DATA"):
                yield pytest.param(pattern, m, column, current, state, id=f"{m}of3-{pattern}-{column}-{current}")


@pytest.mark.parametrize("pattern,m,treat,current,expected",
                         list(_cases(THREE_OF_THREE, 3)) + list(_cases(TWO_OF_THREE, 2)))
def test_aws_missing_data_tables(pattern, m, treat, current, expected):
    assert len(pattern) == evaluation_range(3)
    rule = AlarmRule(80.0, "GreaterThanThreshold", 3, m, treat, "Average", 300)
    outcome = evaluate(rule, _slots(pattern), current, T0 + timedelta(minutes=26))
    if expected == RETAIN:
        assert outcome.retained and outcome.state == current
    else:
        assert not outcome.retained and outcome.state == expected
        assert outcome.reason


def test_reason_text_like_aws_for_one_datapoint():
    rule = AlarmRule(80.0, "GreaterThanThreshold", 1, 1, "missing", "Average", 60)
    slots = [Slot(T0, None), Slot(T0 + timedelta(minutes=1), None), Slot(T0 + timedelta(minutes=2), 95.0, 3.0)]
    outcome = evaluate(rule, slots, "OK", T0 + timedelta(minutes=3))
    assert outcome.state == "ALARM"
    assert outcome.reason == (
        "Threshold Crossed: 1 datapoint [95.0 (22/11/26 10:02:00)] was greater than the threshold (80.0)."
    )
    data = outcome.reason_data
    assert data["threshold"] == 80.0 and data["statistic"] == "Average" and data["period"] == 60
    assert data["evaluatedDatapoints"] == [
        {"timestamp": "2026-11-22T10:02:00.000+0000", "sampleCount": 3.0, "value": 95.0}
    ]
    assert data["recentDatapoints"] == [95.0]


def test_m_of_n_reason_mentions_minimum_for_transition():
    rule = AlarmRule(50.0, "GreaterThanOrEqualToThreshold", 3, 2, "missing", "Maximum", 60)
    outcome = evaluate(rule, _slots("00X0X"), "OK", T0)
    assert outcome.reason.startswith("Threshold Crossed: 2 out of the last 3 datapoints [95.0 (22/11/26 10:20:00), ")
    assert outcome.reason.endswith("were greater than or equal to the threshold (50.0) "
                                   "(minimum 2 datapoints for OK -> ALARM transition).")


def test_filled_datapoints_are_reported_in_reason():
    rule = AlarmRule(80.0, "GreaterThanThreshold", 3, 2, "breaching", "Average", 300)
    outcome = evaluate(rule, _slots("----0"), "OK", T0)
    assert outcome.state == "ALARM"
    assert "2 missing datapoints were treated as [Breaching]" in outcome.reason


def test_less_than_comparisons():
    rule = AlarmRule(10.0, "LessThanOrEqualToThreshold", 1, 1, "missing")
    assert evaluate(rule, [Slot(T0, 10.0, 1)], "OK", T0).state == "ALARM"
    rule = AlarmRule(10.0, "LessThanThreshold", 1, 1, "missing")
    assert evaluate(rule, [Slot(T0, 10.0, 1)], "ALARM", T0).state == "OK"
