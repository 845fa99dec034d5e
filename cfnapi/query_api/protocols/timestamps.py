"""Timestamps on the wire: the three formats botocore's models name.

A shape's ``timestampFormat`` trait (``iso8601``, ``unixTimestamp``,
``rfc822``) overrides the protocol's default: ISO-8601 for the query
protocol's XML, epoch seconds for JSON and CBOR. Results are written with
millisecond precision, as AWS does.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime

ISO8601 = "iso8601"
UNIX = "unixtimestamp"
RFC822 = "rfc822"


class BadTimestamp(ValueError):
    """The text or number is no timestamp in any format we accept."""


def as_aware(value: datetime) -> datetime:
    """Handlers may hand back naive datetimes; they mean UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def parse_timestamp(value: object) -> datetime:
    """Read a timestamp a client sent, whatever format it chose.

    Clients are lenient in what they send (the AWS CLI accepts epoch seconds
    where the model says ISO-8601), so every format is accepted everywhere.
    """
    if isinstance(value, datetime):
        return as_aware(value)
    if isinstance(value, bool):
        raise BadTimestamp(value)
    if isinstance(value, (int, float)):
        return _from_epoch(value)
    if not isinstance(value, str) or not value.strip():
        raise BadTimestamp(value)
    text = value.strip()
    try:
        return _from_epoch(float(text))
    except ValueError:
        pass
    try:
        return as_aware(datetime.fromisoformat(text))
    except ValueError:
        pass
    try:
        return as_aware(parsedate_to_datetime(text))
    except (TypeError, ValueError, IndexError):
        raise BadTimestamp(value) from None


def _from_epoch(seconds: float) -> datetime:
    if not math.isfinite(seconds):
        raise BadTimestamp(seconds)
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        raise BadTimestamp(seconds) from None


def to_epoch(value: datetime) -> int | float:
    """Epoch seconds, an integer when there is no fraction of a second."""
    millis = round(as_aware(value).timestamp() * 1000)
    return millis // 1000 if millis % 1000 == 0 else millis / 1000


def to_iso8601(value: datetime) -> str:
    utc = as_aware(value).astimezone(UTC)
    text = utc.strftime("%Y-%m-%dT%H:%M:%S")
    millis = utc.microsecond // 1000
    if millis:
        text += f".{millis:03d}"
    return text + "Z"


def to_rfc822(value: datetime) -> str:
    return format_datetime(as_aware(value).astimezone(UTC), usegmt=True)


def format_timestamp(value: datetime, fmt: str) -> str | int | float:
    """Write a result timestamp in ``fmt`` (one of the three trait values)."""
    return timestamp_writer(fmt)(value)


def timestamp_writer(fmt: str) -> Callable[[datetime], str | int | float]:
    """The function writing timestamps in ``fmt``: chosen once per shape, not per value."""
    fmt = fmt.lower()
    if fmt == UNIX:
        return to_epoch
    if fmt == RFC822:
        return to_rfc822
    return to_iso8601


def shape_format(shape, default: str) -> str:
    """The shape's ``timestampFormat`` trait, or the protocol's default."""
    return (shape.serialization.get("timestampFormat") or default).lower()
