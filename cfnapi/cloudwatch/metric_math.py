"""Metric math: a small parser and evaluator for GetMetricData / alarm expressions.

Values are scalars (float), time series (``Series``: epoch seconds → value)
or lists of series (from ``METRICS()`` or ``[a, b]``). Arithmetic between two
series keeps the timestamps both have, as AWS does; a scalar broadcasts.
Supported: + - * / ^, comparisons (== != < <= > >=, giving 1/0), AND, OR,
NOT, SUM/AVG/MIN/MAX/STDDEV (a series → scalar, a list → series),
METRICS([filter]), RATE, DIFF, FILL(x, value|REPEAT|LINEAR), IF(c, a[, b]),
ABS, CEIL, FLOOR.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass

from cfnapi.errors import ServiceError

Series = dict[int, float]
_TOKEN = re.compile(
    r"\s*(?:(?P<num>\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+)|(?P<str>\"[^\"]*\"|'[^']*')"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<op>==|!=|<=|>=|&&|\|\||[-+*/^(),\[\]<>!]))"
)


def _error(message: str) -> ServiceError:
    return ServiceError("ValidationError", message)


@dataclass
class Context:
    grid: list[int]  # every period start in the requested range
    series: dict[str, Series]  # results of the queries referenced by id
    metric_ids: list[str]  # ids of MetricStat queries, for METRICS()


def evaluate_expression(expression: str, context: Context):
    parser = _Parser(expression)
    node = parser.parse()
    return node(context)


# -- parsing -----------------------------------------------------------------
class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.tokens = self._tokenise(text)
        self.pos = 0

    def _tokenise(self, text):
        tokens, pos = [], 0
        while pos < len(text):
            if not text[pos:].strip():
                break
            m = _TOKEN.match(text, pos)
            if not m:
                raise _error(f"Error in expression {text}: unexpected character at {pos}")
            pos = m.end()
            kind = m.lastgroup
            tokens.append((kind, m.group(kind)))
        return tokens

    def peek(self, value=None):
        tok = self.tokens[self.pos] if self.pos < len(self.tokens) else (None, None)
        if value is None:
            return tok
        return tok[1] is not None and (tok[1] == value or (tok[0] == "name" and tok[1].upper() == value))

    def take(self, value=None):
        tok = self.peek()
        if tok[0] is None or (value is not None and not self.peek(value)):
            raise _error(f"Syntax error in expression {self.text}")
        self.pos += 1
        return tok

    def parse(self):
        node = self.or_()
        if self.pos != len(self.tokens):
            raise _error(f"Syntax error in expression {self.text}")
        return node

    def _binary(self, sub, ops):
        node = sub()
        while any(self.peek(o) for o in ops):
            op = self.take()[1].upper()
            right = sub()
            node = _binop(_OPERATORS[op], node, right)
        return node

    def or_(self):
        return self._binary(self.and_, ("OR", "||"))

    def and_(self):
        return self._binary(self.cmp, ("AND", "&&"))

    def cmp(self):
        return self._binary(self.add, ("==", "!=", "<=", ">=", "<", ">"))

    def add(self):
        return self._binary(self.mul, ("+", "-"))

    def mul(self):
        return self._binary(self.unary, ("*", "/"))

    def unary(self):
        if self.peek("-"):
            self.take()
            inner = self.unary()
            return lambda ctx: _apply(operator.neg, inner(ctx))
        if self.peek("NOT") or self.peek("!"):
            self.take()
            inner = self.unary()
            return lambda ctx: _apply(lambda v: float(not v), inner(ctx))
        base = self.atom()
        if self.peek("^"):
            self.take()
            return _binop(_OPERATORS["^"], base, self.unary())
        return base

    def atom(self):
        kind, value = self.take()
        if kind == "num":
            number = float(value)
            return lambda ctx: number
        if kind == "str":
            text = value[1:-1]
            return lambda ctx: text
        if value == "(":
            node = self.or_()
            self.take(")")
            return node
        if value == "[":
            items = [self.or_()]
            while self.peek(","):
                self.take()
                items.append(self.or_())
            self.take("]")
            return lambda ctx: [s for item in items for s in _as_list(item(ctx))]
        if kind == "name" and self.peek("("):
            self.take("(")
            args = []
            if not self.peek(")"):
                args.append(self.or_())
                while self.peek(","):
                    self.take()
                    args.append(self.or_())
            self.take(")")
            return _function(value.upper(), args, self.text)
        if kind == "name":
            ident = value
            if ident.upper() in ("REPEAT", "LINEAR"):
                return lambda ctx: ident.upper()

            def reference(ctx):
                if ident not in ctx.series:
                    raise _error(f"Unknown identifier {ident} in expression")
                return ctx.series[ident]
            return reference
        raise _error(f"Syntax error in expression {self.text}")


_OPERATORS: dict[str, Callable[[float, float], float]] = {
    "+": operator.add, "-": operator.sub, "*": operator.mul,
    "/": lambda a, b: a / b if b != 0 else math.nan,
    "^": lambda a, b: a ** b,
    "==": lambda a, b: float(a == b), "!=": lambda a, b: float(a != b),
    "<": lambda a, b: float(a < b), "<=": lambda a, b: float(a <= b),
    ">": lambda a, b: float(a > b), ">=": lambda a, b: float(a >= b),
    "AND": lambda a, b: float(bool(a) and bool(b)), "&&": lambda a, b: float(bool(a) and bool(b)),
    "OR": lambda a, b: float(bool(a) or bool(b)), "||": lambda a, b: float(bool(a) or bool(b)),
}


# -- values ------------------------------------------------------------------
def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def _apply(fn, value):
    if isinstance(value, list):
        return [_apply(fn, v) for v in value]
    if isinstance(value, dict):
        return {t: fn(v) for t, v in value.items()}
    return fn(value)


def _combine(fn, left, right):
    if isinstance(left, list) or isinstance(right, list):
        if isinstance(left, list) and isinstance(right, list):
            return [_combine(fn, a, b) for a, b in zip(left, right)]
        if isinstance(left, list):
            return [_combine(fn, a, right) for a in left]
        return [_combine(fn, left, b) for b in right]
    if isinstance(left, dict) and isinstance(right, dict):
        return {t: fn(left[t], right[t]) for t in sorted(left.keys() & right.keys())}
    if isinstance(left, dict):
        return {t: fn(v, right) for t, v in left.items()}
    if isinstance(right, dict):
        return {t: fn(left, v) for t, v in right.items()}
    return fn(left, right)


def _binop(fn, left, right):
    return lambda ctx: _combine(fn, left(ctx), right(ctx))


def _reduce(name: str, values: list[float]) -> float:
    if not values:
        return math.nan
    if name == "SUM":
        return math.fsum(values)
    if name == "AVG":
        return math.fsum(values) / len(values)
    if name == "MIN":
        return min(values)
    if name == "MAX":
        return max(values)
    mean = math.fsum(values) / len(values)  # STDDEV (population, as CloudWatch)
    return math.sqrt(math.fsum((v - mean) ** 2 for v in values) / len(values))


def _aggregate(name: str, value):
    if isinstance(value, dict):  # one series → one number
        return _reduce(name, list(value.values()))
    if isinstance(value, list):  # several series → one series, per timestamp
        stamps = sorted(set().union(*(s.keys() for s in value))) if value else []
        return {t: _reduce(name, [s[t] for s in value if t in s]) for t in stamps}
    return value


def _rate(series: Series, diff_only: bool) -> Series:
    stamps = sorted(series)
    out = {}
    for prev, cur in zip(stamps, stamps[1:]):
        delta = series[cur] - series[prev]
        out[cur] = delta if diff_only else delta / (cur - prev)
    return out


def _fill(series: Series, how, grid: list[int]) -> Series:
    out = dict(series)
    known = sorted(series)
    for t in grid:
        if t in out:
            continue
        if how == "REPEAT":
            before = [k for k in known if k < t]
            if before:
                out[t] = series[before[-1]]
            elif known:
                out[t] = series[known[0]]
        elif how == "LINEAR":
            before = [k for k in known if k < t]
            after = [k for k in known if k > t]
            if before and after:
                a, b = before[-1], after[0]
                out[t] = series[a] + (series[b] - series[a]) * (t - a) / (b - a)
            elif before or after:
                out[t] = series[(before or after)[-1 if before else 0]]
        else:
            out[t] = float(how)
    return dict(sorted(out.items()))


def _function(name: str, args: list, text: str):
    def need(count_ok: bool):
        if not count_ok:
            raise _error(f"Invalid number of arguments for {name} in expression {text}")

    if name == "METRICS":
        need(len(args) <= 1)

        def metrics(ctx):
            pattern = args[0](ctx) if args else ""
            return [ctx.series[i] for i in ctx.metric_ids if pattern in i and i in ctx.series]
        return metrics
    if name in ("SUM", "AVG", "MIN", "MAX", "STDDEV"):
        need(len(args) == 1)
        return lambda ctx: _aggregate(name, args[0](ctx))
    if name in ("RATE", "DIFF"):
        need(len(args) == 1)
        return lambda ctx: _apply_series(lambda s: _rate(s, name == "DIFF"), args[0](ctx))
    if name == "FILL":
        need(len(args) == 2)
        return lambda ctx: _apply_series(lambda s: _fill(s, args[1](ctx), ctx.grid), args[0](ctx))
    if name in ("ABS", "CEIL", "FLOOR"):
        need(len(args) == 1)
        fn = {"ABS": abs, "CEIL": math.ceil, "FLOOR": math.floor}[name]
        return lambda ctx: _apply(lambda v: float(fn(v)), args[0](ctx))
    if name == "IF":
        need(len(args) in (2, 3))
        return lambda ctx: _if(ctx, *[a(ctx) for a in args])
    raise _error(f"Unsupported function {name} in expression {text}")


def _apply_series(fn, value):
    if isinstance(value, list):
        return [fn(s) for s in value]
    if isinstance(value, dict):
        return fn(value)
    raise _error("This function needs a time series argument")


def _if(ctx: Context, condition, when_true, when_false=None):
    def pick(value, t):
        return value.get(t) if isinstance(value, dict) else value

    stamps = condition.keys() if isinstance(condition, dict) else ctx.grid
    out = {}
    for t in sorted(stamps):
        chosen = when_true if pick(condition, t) else when_false
        value = pick(chosen, t) if chosen is not None else None
        if value is not None:  # IF without a false branch drops the point, as AWS does
            out[t] = value
    return out
