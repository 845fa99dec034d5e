"""Per-period aggregates and the statistics CloudWatch computes from them.

An ``Aggregate`` is what one stored row holds (SampleCount, Sum, Minimum,
Maximum and a quantile sketch); aggregates merge associatively, so any query
period is answered by merging the rows that fall into it. An aggregate read
without its sketch (``sketch`` None: the query asked for no percentile) answers
the five plain statistics only.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from cfnapi.cloudwatch.sketch import QuantileSketch
from cfnapi.errors import ServiceError

STATISTICS = ("SampleCount", "Average", "Sum", "Minimum", "Maximum")
_PERCENTILE = re.compile(r"^p(\d{1,2}(?:\.\d{1,10})?|100(?:\.0{1,10})?)$")


@dataclass
class Aggregate:
    sample_count: float = 0.0
    sum: float = 0.0
    minimum: float = float("inf")
    maximum: float = float("-inf")
    sketch: QuantileSketch | None = field(default_factory=QuantileSketch)

    @classmethod
    def of_values(cls, values: list[float], counts: list[float] | None = None) -> "Aggregate":
        agg = cls()
        if counts is None or all(c == 1.0 for c in counts):
            if values:  # unweighted: builtins instead of a per-value Python loop
                agg.sample_count, agg.sum = float(len(values)), math.fsum(values)
                agg.minimum, agg.maximum = min(values), max(values)
                agg.sketch.add_many(values)
            return agg
        for value, count in zip(values, counts):
            agg.add(value, count)
        return agg

    @classmethod
    def of_statistic_set(cls, sample_count: float, total: float, minimum: float, maximum: float) -> "Aggregate":
        agg = cls(sample_count, total, minimum, maximum)
        # A statistic set only says where its samples lie when they are all equal;
        # otherwise it cannot contribute to percentiles (AWS behaves the same way).
        if minimum == maximum:
            agg.sketch.add(minimum, sample_count)
        return agg

    def add(self, value: float, count: float = 1.0) -> None:
        self.sample_count += count
        self.sum += value * count
        self.minimum = min(self.minimum, value)
        self.maximum = max(self.maximum, value)
        self.sketch.add(value, count)

    def copy(self) -> "Aggregate":
        sketch = self.sketch.copy() if self.sketch is not None else None
        return Aggregate(self.sample_count, self.sum, self.minimum, self.maximum, sketch)

    def merge(self, other: "Aggregate") -> None:
        self.sample_count += other.sample_count
        self.sum += other.sum
        self.minimum = min(self.minimum, other.minimum)
        self.maximum = max(self.maximum, other.maximum)
        if self.sketch is not None and other.sketch is not None:
            self.sketch.merge(other.sketch)
        else:
            self.sketch = None  # one side's percentiles are unknown, so the merged ones are too

    def statistic(self, name: str) -> float | None:
        if name == "SampleCount":
            return self.sample_count
        if name == "Sum":
            return self.sum
        if name == "Minimum":
            return self.minimum
        if name == "Maximum":
            return self.maximum
        if name == "Average":
            return self.sum / self.sample_count if self.sample_count else None
        quantile = percentile_of(name) / 100.0
        if self.sketch is None:
            raise ValueError(f"{name} asked of an aggregate read without its sketch")
        return self.sketch.quantile(quantile)


def is_percentile(name: str) -> bool:
    return bool(_PERCENTILE.match(name))


def percentile_of(name: str) -> float:
    """``"p99.9"`` → 99.9; raises InvalidParameterValue for anything else."""
    match = _PERCENTILE.match(name)
    if not match:
        raise ServiceError(
            "InvalidParameterValue",
            f"The value {name} for parameter ExtendedStatistics is not supported.",
        )
    return float(match.group(1))


def validate_statistic(name: str, parameter: str = "Statistics") -> None:
    if name not in STATISTICS:
        raise ServiceError(
            "InvalidParameterValue",
            f"The parameter {parameter} must be a value in the set {list(STATISTICS)}.",
        )
