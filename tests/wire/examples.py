"""Example values for any botocore shape: every member filled, lists of two.

Used as the oracle's input: botocore serializes these params (or parses our
serialization of these results) and the round trip must give them back.
Values respect the model's enums and min/max so botocore's own parameter
validation accepts them, and strings carry characters that need escaping in
every format (``&<>"``, ``+``, ``%``, ``=`` and non-ASCII).
"""

from __future__ import annotations

from datetime import UTC, datetime

TRICKY_SUFFIX = ' <&>"+%= é'
EXAMPLE_TIME = datetime(2024, 2, 29, 13, 45, 30, 250000, tzinfo=UTC)


def _clamp(value, shape):
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if low is not None and value < low:
        value = low
    if high is not None and value > high:
        value = high
    return value


def _string(shape, hint: str, variant: int) -> str:
    enum = shape.enum
    if enum:
        return enum[variant % len(enum)]
    text = f"{hint}{variant}{TRICKY_SUFFIX}"
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if low is not None and len(text) < low:
        text = text + "x" * (low - len(text))
    if high is not None and len(text) > high:
        text = text[:high]
    return text


def _count(shape, wanted: int = 2) -> int:
    return _clamp(wanted, shape)


def example(shape, hint: str = "v", variant: int = 1, stack: tuple = ()):
    """An example value for ``shape``; ``variant`` makes list items differ."""
    type_name = shape.type_name
    if type_name == "structure":
        if shape.is_document_type:
            return {"doc": [1, "two"]}
        return _structure(shape, variant, stack)
    if type_name == "list":
        return [example(shape.member, hint, variant + i, stack) for i in range(_count(shape))]
    if type_name == "map":
        count = _count(shape)
        return {
            _string(shape.key, "key", variant + i): example(shape.value, hint, variant + i, stack)
            for i in range(count)
        }
    if type_name == "string":
        return _string(shape, hint, variant)
    if type_name in ("integer", "long"):
        return _clamp(40 + variant, shape)
    if type_name in ("float", "double"):
        return float(_clamp(2.5 + variant, shape))
    if type_name == "boolean":
        return variant % 2 == 1
    if type_name == "timestamp":
        return EXAMPLE_TIME.replace(minute=variant % 60)
    if type_name == "blob":
        return b"\x00\x01\xffblob" + bytes([variant % 256])
    raise AssertionError(f"no example for type {type_name}")


def _structure(shape, variant: int, stack: tuple) -> dict:
    members = shape.members
    names = list(members)
    if shape.is_tagged_union:
        names = names[variant % len(names) : variant % len(names) + 1]
    elif shape.name in stack:
        names = list(shape.required_members)  # a recursive shape: stop one level down
    stack = (*stack, shape.name)
    return {name: example(members[name], name, variant, stack) for name in names}


def without_empty_structures(shape, value):
    """``value`` minus structures with no members set, recursively.

    The query protocol cannot say "an empty structure" (botocore sends no
    key at all, e.g. PutMetricAlarm's ``EvaluationWindow.SlidingWindow``), so
    no query server can hand one back.
    """
    if shape is None:
        return value
    if shape.type_name == "structure" and not shape.is_document_type:
        pruned = {}
        for name, member_value in value.items():
            member_value = without_empty_structures(shape.members[name], member_value)
            if not (shape.members[name].type_name == "structure" and member_value == {}):
                pruned[name] = member_value
        return pruned
    if shape.type_name == "list":
        return [without_empty_structures(shape.member, item) for item in value]
    if shape.type_name == "map":
        return {k: without_empty_structures(shape.value, v) for k, v in value.items()}
    return value
