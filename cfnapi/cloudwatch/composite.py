"""Composite alarm rules: ALARM(x) / OK(x) / INSUFFICIENT_DATA(x), TRUE, FALSE, AND, OR, NOT, parentheses.

Parsed once into a small tree (nested tuples) so the evaluator only walks it.
Precedence follows AWS: NOT binds tighter than AND, AND tighter than OR.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from cfnapi.errors import ServiceError

_TOKEN = re.compile(r'\s*(?:(\()|(\))|"((?:[^"\\]|\\.)*)"|([A-Za-z_]+)(?=\s*\()|([^\s()]+))')
_STATE_FUNCTIONS = {"ALARM", "OK", "INSUFFICIENT_DATA"}
_KEYWORDS = {"AND", "OR", "NOT", "TRUE", "FALSE"}  # words, even when "(" follows


def _error(rule: str) -> ServiceError:
    return ServiceError("ValidationError", f"Invalid AlarmRule: {rule}")


def _tokens(rule: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    while pos < len(rule):
        if rule[pos:].strip() == "":
            break
        m = _TOKEN.match(rule, pos)
        if not m:
            raise _error(rule)
        pos = m.end()
        if m.group(1):
            out.append(("(", "("))
        elif m.group(2):
            out.append((")", ")"))
        elif m.group(3) is not None:
            out.append(("name", m.group(3).replace('\\"', '"')))
        elif m.group(4) and m.group(4).upper() not in _KEYWORDS:
            out.append(("func", m.group(4)))
        elif m.group(4):
            out.append(("word", m.group(4)))
        else:
            out.append(("word", m.group(5)))
    return out


def parse_rule(rule: str):
    tokens = _tokens(rule)
    pos = 0

    def peek():
        return tokens[pos] if pos < len(tokens) else (None, None)

    def take(kind=None, value=None):
        nonlocal pos
        tok = peek()
        if tok[0] is None or (kind and tok[0] != kind) or (value and tok[1].upper() != value):
            raise _error(rule)
        pos += 1
        return tok

    def or_expr():
        node = and_expr()
        while peek()[0] == "word" and peek()[1].upper() == "OR":
            take()
            node = ("or", node, and_expr())
        return node

    def and_expr():
        node = not_expr()
        while peek()[0] == "word" and peek()[1].upper() == "AND":
            take()
            node = ("and", node, not_expr())
        return node

    def not_expr():
        if peek()[0] == "word" and peek()[1].upper() == "NOT":
            take()
            return ("not", not_expr())
        return atom()

    def atom():
        kind, value = peek()
        if kind == "(":
            take()
            node = or_expr()
            take(")")
            return node
        if kind == "func" and value.upper() in _STATE_FUNCTIONS:
            take()
            take("(")
            name_kind, name = take()
            if name_kind not in ("name", "word"):
                raise _error(rule)
            take(")")
            return ("state", value.upper(), name.rsplit(":alarm:", 1)[-1])
        if kind == "word" and value.upper() in ("TRUE", "FALSE"):
            take()
            return ("const", value.upper() == "TRUE")
        raise _error(rule)

    tree = or_expr()
    if pos != len(tokens):
        raise _error(rule)
    return tree


def referenced_alarms(tree) -> set[str]:
    if tree[0] == "state":
        return {tree[2]}
    if tree[0] == "const":
        return set()
    return set().union(*(referenced_alarms(child) for child in tree[1:]))


def evaluate_rule(tree, state_of: Callable[[str], str | None]) -> bool:
    kind = tree[0]
    if kind == "const":
        return tree[1]
    if kind == "state":
        return state_of(tree[2]) == tree[1]
    if kind == "not":
        return not evaluate_rule(tree[1], state_of)
    if kind == "and":
        return evaluate_rule(tree[1], state_of) and evaluate_rule(tree[2], state_of)
    return evaluate_rule(tree[1], state_of) or evaluate_rule(tree[2], state_of)
