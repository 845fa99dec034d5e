"""When a ScheduledAction runs next: a one-off StartTime, or a Recurrence in
the five-field Unix cron format AWS uses ("minute hour day month weekday", UTC)."""

from __future__ import annotations

import datetime as dt

_FIELDS = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 6))


class CronError(ValueError):
    pass


def _values(field: str, low: int, high: int) -> frozenset[int]:
    out: set[int] = set()
    for part in field.split(","):
        step = 1
        if "/" in part:
            part, step_text = part.split("/", 1)
            step = int(step_text)
        if part == "*":
            start, end = low, high
        elif "-" in part:
            start, end = (int(x) for x in part.split("-", 1))
        else:
            start = end = int(part)
            if step != 1:
                end = high
        if not (low <= start <= high and low <= end <= high + (1 if high == 6 else 0)) or step < 1:
            raise CronError(f"cron field {field!r} is out of range")
        out.update(v % 7 if high == 6 else v for v in range(start, end + 1, step))
    return frozenset(out)


def parse_cron(expression: str) -> tuple[frozenset[int], ...]:
    fields = expression.split()
    if len(fields) != 5:
        raise CronError(f"Recurrence {expression!r} must have five fields")
    try:
        return tuple(_values(f, lo, hi) for f, (lo, hi) in zip(fields, _FIELDS))
    except ValueError as error:
        raise CronError(f"Recurrence {expression!r} is not a valid cron expression") from error


def next_cron_time(expression: str, after: dt.datetime) -> dt.datetime:
    """The first minute strictly after ``after`` that the expression matches."""
    minutes, hours, days, months, weekdays = parse_cron(expression)
    t = after.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
    for _ in range(366 * 24 * 60):  # a year of minutes bounds any valid expression
        if (t.month in months and t.day in days and (t.isoweekday() % 7) in weekdays
                and t.hour in hours and t.minute in minutes):
            return t
        t += dt.timedelta(minutes=1)
    raise CronError(f"Recurrence {expression!r} never matches")


def parse_time(value: str) -> dt.datetime:
    text = str(value).strip().replace("Z", "+00:00")
    when = dt.datetime.fromisoformat(text)
    return when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)


def first_run(definition: dict, now: dt.datetime) -> dt.datetime | None:
    start = parse_time(definition["StartTime"]) if definition.get("StartTime") else None
    if definition.get("Recurrence"):
        return next_cron_time(definition["Recurrence"], max(now, start) - dt.timedelta(minutes=1)
                              if start else now)
    return start or now


def next_run(definition: dict, ran_at: dt.datetime) -> dt.datetime | None:
    if not definition.get("Recurrence"):
        return None
    following = next_cron_time(definition["Recurrence"], ran_at)
    end = parse_time(definition["EndTime"]) if definition.get("EndTime") else None
    return None if end is not None and following > end else following
