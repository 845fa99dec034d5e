import math

import pytest

from cfnapi.cloudwatch import composite
from cfnapi.cloudwatch.metric_math import Context, evaluate_expression
from cfnapi.errors import ServiceError

GRID = [0, 60, 120, 180]
CTX = Context(GRID, {"a": {0: 1.0, 60: 2.0, 180: 4.0}, "b": {0: 10.0, 60: 20.0, 120: 30.0}}, ["a", "b"])


@pytest.mark.parametrize("expression,expected", [
    ("a + b", {0: 11.0, 60: 22.0}),
    ("a * 2 + 1", {0: 3.0, 60: 5.0, 180: 9.0}),
    ("-a ^ 2", {0: -1.0, 60: -4.0, 180: -16.0}),
    ("(b - a) / a", {0: 9.0, 60: 9.0}),
    ("SUM(METRICS())", {0: 11.0, 60: 22.0, 120: 30.0, 180: 4.0}),
    ("MAX([a, b])", {0: 10.0, 60: 20.0, 120: 30.0, 180: 4.0}),
    ("AVG(METRICS(\"b\"))", {0: 10.0, 60: 20.0, 120: 30.0}),
    ("SUM(a)", 7.0),
    ("MIN(b)", 10.0),
    ("RATE(a)", {60: 1 / 60, 180: 2 / 120}),
    ("DIFF(b)", {60: 10.0, 120: 10.0}),
    ("FILL(a, 0)", {0: 1.0, 60: 2.0, 120: 0.0, 180: 4.0}),
    ("FILL(a, REPEAT)", {0: 1.0, 60: 2.0, 120: 2.0, 180: 4.0}),
    ("FILL(a, LINEAR)", {0: 1.0, 60: 2.0, 120: 3.0, 180: 4.0}),
    ("IF(a > 1, a, 0)", {0: 0.0, 60: 2.0, 180: 4.0}),
    ("IF(b >= 20, 1)", {60: 1.0, 120: 1.0}),
    ("IF(a > 1 AND a < 4, a, -1)", {0: -1.0, 60: 2.0, 180: -1.0}),
    ("ABS(a - 3)", {0: 2.0, 60: 1.0, 180: 1.0}),
    ("2 * 3 + 4", 10.0),
])
def test_expressions(expression, expected):
    result = evaluate_expression(expression, CTX)
    if isinstance(expected, dict):
        assert result == pytest.approx(expected)
    else:
        assert result == pytest.approx(expected)


def test_division_by_zero_gives_nan_not_an_error():
    assert math.isnan(evaluate_expression("a / 0", CTX)[0])


@pytest.mark.parametrize("expression", ["a +", "UNKNOWN(a)", "zz * 2", "(a", "FILL(a)"])
def test_bad_expressions(expression):
    with pytest.raises(ServiceError) as err:
        evaluate_expression(expression, CTX)
    assert err.value.code == "ValidationError"


@pytest.mark.parametrize("rule,states,expected", [
    ('ALARM("x") AND OK(y)', {"x": "ALARM", "y": "OK"}, True),
    ("ALARM(x) AND OK(y)", {"x": "ALARM", "y": "ALARM"}, False),
    ("ALARM(x) OR ALARM(y) AND OK(z)", {"x": "ALARM", "y": "OK", "z": "ALARM"}, True),
    ("NOT (ALARM(x) OR INSUFFICIENT_DATA(x))", {"x": "OK"}, True),
    ("ALARM(arn:aws:cloudwatch:us-east-1:1:alarm:x) AND TRUE", {"x": "ALARM"}, True),
    ("FALSE OR ALARM(missing)", {}, False),
])
def test_composite_rules(rule, states, expected):
    tree = composite.parse_rule(rule)
    assert composite.evaluate_rule(tree, states.get) is expected


@pytest.mark.parametrize("rule", ["ALARM(x) AND", "ALARM()", "FOO(x)", "ALARM(x))", "x"])
def test_bad_composite_rules(rule):
    with pytest.raises(ServiceError):
        composite.parse_rule(rule)
