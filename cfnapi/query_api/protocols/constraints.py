"""The constraints botocore's models declare on input members, checked on the server.

botocore validates min/max, enum and pattern on the client only when asked
(and never pattern or enum); other SDKs, curl and boto 2 validate nothing. So
the server checks every parsed request against its input shape, as AWS's
front end does, and reports each violation in AWS's words:

    Value 'x' at 'stackName' failed to satisfy constraint:
    Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*

A list of scalars that breaks an item constraint is reported once, at the
list, as AWS does: ``Member must satisfy constraint: [Member must satisfy
enum value set: [...]]``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from .validation import Path, index, key, member, validation_style

_SCALAR_TYPES = frozenset({"string", "integer", "long", "float", "double", "blob", "boolean", "timestamp"})


@dataclass(frozen=True)
class Violation:
    path: Path
    value: Any
    constraint: str  # "Member must ..."


def check_constraints(operation_model, params: dict) -> None:
    """Raise the service's error for the first violations, if the service's style checks them.

    Run on params as any protocol parsed them (so after ``Protocol.parse``,
    which stays a faithful inverse of botocore's serializer)."""
    style = validation_style(operation_model.service_model)
    if not style.checks_constraints:
        return
    error = style.constraint_error(violations(operation_model.input_shape, params))
    if error is not None:
        raise error


def violations(shape, params: dict) -> list[Violation]:
    """Every constraint the request's values break, in member order."""
    found: list[Violation] = []
    if shape is not None:
        _check(shape, params, (), found)
    return found


def _check(shape, value: Any, path: Path, found: list[Violation]) -> None:
    type_name = shape.type_name
    if type_name == "structure":
        if shape.is_document_type or not isinstance(value, dict):
            return
        for name, member_shape in shape.members.items():
            if value.get(name) is not None:
                _check(member_shape, value[name], member(path, name), found)
    elif type_name == "list":
        _check_size(shape, value, path, found)
        if shape.member.type_name in _SCALAR_TYPES:
            if not _constrained(shape.member):  # e.g. PutMetricData's Values: 1,000s of plain doubles
                return
            problems = [p for item in value if (p := _scalar_problem(shape.member, item)) is not None]
            if problems:
                found.append(Violation(path, value, f"Member must satisfy constraint: [{problems[0]}]"))
            return
        for position, item in enumerate(value, 1):
            _check(shape.member, item, index(path, position), found)
    elif type_name == "map":
        _check_size(shape, value, path, found)
        for map_key, item in value.items():
            _check(shape.value, item, key(path, map_key), found)
    else:
        problem = _scalar_problem(shape, value)
        if problem is not None:
            found.append(Violation(path, value, problem))


def _check_size(shape, value, path: Path, found: list[Violation]) -> None:
    problem = _bounds(shape, len(value), "length")
    if problem is not None:
        found.append(Violation(path, value, problem))


def _scalar_problem(shape, value: Any) -> str | None:
    type_name = shape.type_name
    if type_name in ("string", "blob"):
        problem = _bounds(shape, len(value), "length")
        if problem is not None:
            return problem
    if type_name in ("integer", "long", "float", "double"):
        problem = _bounds(shape, value, "value")
        if problem is not None:
            return problem
    if type_name == "string":
        if shape.enum and value not in shape.enum:
            return f"Member must satisfy enum value set: [{', '.join(shape.enum)}]"
        pattern = _compiled(shape.metadata.get("pattern"))
        if pattern is not None and pattern.fullmatch(value) is None:
            return f"Member must satisfy regular expression pattern: {pattern.pattern}"
    return None


@lru_cache(maxsize=1024)
def _constrained(shape) -> bool:
    """Whether a scalar shape declares anything ``_scalar_problem`` checks."""
    metadata = shape.metadata
    if metadata.get("min") is not None or metadata.get("max") is not None:
        return True
    return shape.type_name == "string" and bool(shape.enum or metadata.get("pattern"))


def _bounds(shape, measured, what: str) -> str | None:
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if low is not None and measured < low:
        return f"Member must have {what} greater than or equal to {_number(low)}"
    if high is not None and measured > high:
        return f"Member must have {what} less than or equal to {_number(high)}"
    return None


def _number(bound) -> str:
    return str(int(bound)) if float(bound).is_integer() else str(bound)


@lru_cache(maxsize=512)
def _compiled(pattern: str | None) -> re.Pattern | None:
    """The model's (Java) pattern for Python's ``re``; None when there is none,
    or when it uses what ``re`` lacks (``\\p{L}``) — then it is not checked."""
    if not pattern:
        return None
    try:
        return re.compile(pattern)
    except re.error:
        return None
