"""Which stored aggregate rows answer a time range for a period, each sample once.

Below a minute: per-second rows. A whole number of hours: hour rows for the
whole hours inside the range, and minute (or 5-minute) rows for the ragged
ends. Otherwise minute and 5-minute rows (never both for one time: compaction
replaces the one by the other). Each branch names the metric, one resolution
and a range, so SQLite searches the primary key once per branch instead of
scanning every row of the metric.

``RangeStatements`` holds the one-metric statements of the query path, built
once: every range fits one fixed shape of five branches (one coarse — per-second
or per-hour rows — and minute and 5-minute rows for up to two ragged ends), a
branch that is not needed gets an empty range. Building the statement anew for
each GetMetricStatistics cost several times what SQLite takes to run it.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, and_, bindparam, func, or_, select

HIGH_RESOLUTION, MINUTE, FIVE_MINUTES, HOUR = 1, 60, 300, 3600
FINE_RESOLUTIONS = (MINUTE, FIVE_MINUTES)

Span = tuple[int, int]  # [lo, hi) in epoch seconds

# How far back a StartTime lies decides how AWS rounds it down (GetMetricStatistics and
# GetMetricData docs): under 15 days to the minute, under 63 days to 5 minutes, else to the hour.
_ROUNDING_BY_AGE = ((15 * 86400, MINUTE), (63 * 86400, FIVE_MINUTES))


def rounded_start(start: int, period: int, now: int) -> int:
    """StartTime as CloudWatch rounds it; datapoints are then stamped start + k * period.

    Periods under a minute round to their own division of the minute (01:05:23 at 10 s is
    01:05:20). Buckets are aligned to this rounded start, not to the epoch: a query from
    12:07 with a one-hour period answers 12:07, 13:07, … as AWS does.
    """
    if period < MINUTE:
        return start - start % period
    unit = next((u for age, u in _ROUNDING_BY_AGE if now - start < age), HOUR)
    return start - start % unit


def bucket_of(timestamp: int, origin: int, period: int) -> int:
    """The start of the period holding ``timestamp`` when periods begin at ``origin``."""
    return timestamp - (timestamp - origin) % period


def split_range(lo: int, hi: int, period: int) -> tuple[tuple[int, int, int] | None, list[Span]]:
    """(coarse resolution and range or None, fine ranges read from minute and 5-minute rows).

    ``lo`` is the rounded start, the origin of the periods. Hour rows answer only when every
    period boundary is a whole hour (period and start both on the hour); otherwise an hour row
    would straddle two periods, and minute rows are read instead.
    """
    if period < MINUTE:
        return (HIGH_RESOLUTION, lo, hi), []
    lo -= lo % MINUTE
    inner_lo, inner_hi = -(-lo // HOUR) * HOUR, hi - hi % HOUR
    if period % HOUR or lo % HOUR or inner_lo >= inner_hi:
        return None, [(lo, hi)]
    return (HOUR, inner_lo, inner_hi), [(lo, inner_lo), (inner_hi, hi)]


def rows_for_range(table, metric_condition, lo: int, hi: int, period: int):
    """The WHERE clause for ``[lo, hi)`` with ``metric_condition`` in every branch (many metrics)."""
    coarse, fine = split_range(lo, hi, period)
    ranges = [coarse] if coarse else []
    ranges += [(resolution, a, b) for resolution in FINE_RESOLUTIONS for a, b in fine if a < b]
    resolution, start = table.c.resolution, table.c.period_start
    return or_(*(and_(metric_condition, resolution == r, start >= a, start < b) for r, a, b in ranges))


def range_parameters(metric_id: int, lo: int, hi: int, period: int) -> dict:
    """Bind values of ``RangeStatements``' fixed five branches for ``[lo, hi)``."""
    coarse, fine = split_range(lo, hi, period)
    resolution, coarse_lo, coarse_hi = coarse or (HOUR, 0, 0)
    fine = (fine + [(0, 0), (0, 0)])[:2]
    return {"metric_id": metric_id, "period": period, "origin": lo, "coarse": resolution, "coarse_lo": coarse_lo,
            "coarse_hi": coarse_hi, "fine1_lo": fine[0][0], "fine1_hi": fine[0][1],
            "fine2_lo": fine[1][0], "fine2_hi": fine[1][1]}


def period_bucket(period_start, period, origin):
    """SQL for ``bucket_of``: rows at or after ``origin`` only, so integer division floors."""
    return ((period_start - origin) // period) * period + origin


class RangeStatements:
    """One metric's rows over a range: grouped per period in SQL, or row by row with sketches."""

    def __init__(self, table):
        self.table = table
        self._built: dict[tuple[bool, bool], object] = {}

    def statement(self, with_sketches: bool, by_unit: bool):
        key = (with_sketches, by_unit)
        if key not in self._built:
            self._built[key] = self._build(with_sketches, by_unit)
        return self._built[key]

    def _build(self, with_sketches: bool, by_unit: bool):
        t = self.table
        metric, resolution, start = t.c.metric_id == bindparam("metric_id"), t.c.resolution, t.c.period_start

        def branch(resolution_value, lo_name: str, hi_name: str):
            return and_(metric, resolution == resolution_value,
                        start >= bindparam(lo_name), start < bindparam(hi_name))

        where = or_(branch(bindparam("coarse"), "coarse_lo", "coarse_hi"),
                    *(branch(r, f"fine{i}_lo", f"fine{i}_hi") for i in (1, 2) for r in FINE_RESOLUTIONS))
        if by_unit:
            where = and_(where, t.c.unit == bindparam("unit"))
        if with_sketches:
            return select(start, t.c.unit, t.c.sample_count, t.c.sum, t.c.minimum, t.c.maximum,
                          t.c.sketch).where(where)
        bucket = period_bucket(start, bindparam("period", type_=BigInteger), bindparam("origin", type_=BigInteger))
        return (select(bucket, t.c.unit, func.sum(t.c.sample_count), func.sum(t.c.sum), func.min(t.c.minimum),
                       func.max(t.c.maximum)).where(where).group_by(bucket, t.c.unit))
