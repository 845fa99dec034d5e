"""A mergeable quantile sketch (DDSketch-style logarithmic buckets).

Every value v != 0 falls into bucket ``ceil(log_gamma(|v|))`` with
``gamma = (1 + alpha) / (1 - alpha)``; a bucket is represented by the value
``2 * gamma**i / (gamma + 1)``, which is within relative error ``alpha`` of
every value in the bucket. Hence the documented bound: for any quantile q the
returned value is within ``alpha`` *relative* error of the exact sample at
rank ``floor(q * (n - 1))`` (NumPy's ``method="lower"``). Sketches with the
same alpha merge by adding bucket counts, which is what lets per-minute rows
be rolled into 5-minute and 1-hour rows and merged into any query period.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Iterable

import cbor2

DEFAULT_RELATIVE_ACCURACY = 0.01  # 1 % relative error on every percentile
_MIN_MAGNITUDE = 1e-9  # |v| below this counts as zero (CloudWatch rejects < 8.5e-109 anyway)
# Stored form, version 1: this header (version, alpha, zero count, number of positive and
# of negative buckets), then the positive indexes (int32), their counts (float64), and the
# same for the negative buckets, all little-endian. Packing flat arrays is several times
# cheaper than CBOR, and the ingest path writes one sketch per row it touches. The first
# stored form, a CBOR array (first byte 0x84), is still read.
_HEADER = struct.Struct("<BddII")
_VERSION = 1


class QuantileSketch:
    __slots__ = ("alpha", "_gamma_log", "positive", "negative", "zero_count", "count")

    def __init__(self, alpha: float = DEFAULT_RELATIVE_ACCURACY):
        self.alpha = alpha
        self._gamma_log = math.log((1 + alpha) / (1 - alpha))
        self.positive: dict[int, float] = {}
        self.negative: dict[int, float] = {}
        self.zero_count = 0.0
        self.count = 0.0

    def _index(self, magnitude: float) -> int:
        return math.ceil(math.log(magnitude) / self._gamma_log)

    def _value(self, index: int) -> float:
        gamma = math.exp(self._gamma_log)
        return 2 * math.exp(index * self._gamma_log) / (gamma + 1)

    def add(self, value: float, weight: float = 1.0) -> None:
        if abs(value) < _MIN_MAGNITUDE:
            self.zero_count += weight
        elif value > 0:
            i = self._index(value)
            self.positive[i] = self.positive.get(i, 0.0) + weight
        else:
            i = self._index(-value)
            self.negative[i] = self.negative.get(i, 0.0) + weight
        self.count += weight

    def add_many(self, values: Iterable[float], weights: Iterable[float] | None = None) -> None:
        if weights is not None:
            for v, w in zip(values, weights):
                self.add(v, w)
            return
        # The ingest hot path: the same as add() with the lookups hoisted out of the loop.
        log, ceil, g = math.log, math.ceil, self._gamma_log
        positive, negative = self.positive, self.negative
        added = 0
        for v in values:
            added += 1
            if v >= _MIN_MAGNITUDE:
                i = ceil(log(v) / g)
                positive[i] = positive.get(i, 0.0) + 1.0
            elif v <= -_MIN_MAGNITUDE:
                i = ceil(log(-v) / g)
                negative[i] = negative.get(i, 0.0) + 1.0
            else:
                self.zero_count += 1.0
        self.count += added

    def copy(self) -> "QuantileSketch":
        twin = QuantileSketch.__new__(QuantileSketch)
        twin.alpha, twin._gamma_log = self.alpha, self._gamma_log
        twin.positive, twin.negative = dict(self.positive), dict(self.negative)
        twin.zero_count, twin.count = self.zero_count, self.count
        return twin

    def merge(self, other: "QuantileSketch") -> None:
        if other.alpha != self.alpha:
            raise ValueError("cannot merge sketches with different relative accuracy")
        for mine, theirs in ((self.positive, other.positive), (self.negative, other.negative)):
            get = mine.get
            for i, c in theirs.items():
                mine[i] = get(i, 0.0) + c
        self.zero_count += other.zero_count
        self.count += other.count

    def quantile(self, q: float) -> float | None:
        """Value at quantile ``q`` in [0, 1]; None for an empty sketch."""
        if self.count <= 0:
            return None
        rank = q * (self.count - 1)
        seen = 0.0
        # Ascending order: most negative first (largest |v| index), then zero, then positives.
        for i in sorted(self.negative, reverse=True):
            seen += self.negative[i]
            if seen > rank:
                return -self._value(i)
        seen += self.zero_count
        if seen > rank:
            return 0.0
        for i in sorted(self.positive):
            seen += self.positive[i]
            if seen > rank:
                return self._value(i)
        return self._value(max(self.positive)) if self.positive else 0.0

    # -- storage -----------------------------------------------------------
    def to_bytes(self) -> bytes:
        pos, neg = self.positive, self.negative
        np_, nn = len(pos), len(neg)
        return b"".join((
            _HEADER.pack(_VERSION, self.alpha, self.zero_count, np_, nn),
            struct.pack(f"<{np_}i{np_}d{nn}i{nn}d", *pos.keys(), *pos.values(), *neg.keys(), *neg.values()),
        ))

    @classmethod
    def from_bytes(cls, data: bytes) -> "QuantileSketch":
        if data[0] == _VERSION:
            _, alpha, zero, np_, nn = _HEADER.unpack_from(data)
            flat = struct.unpack_from(f"<{np_}i{np_}d{nn}i{nn}d", data, _HEADER.size)
            positive = dict(zip(flat[:np_], flat[np_:2 * np_]))
            negative = dict(zip(flat[2 * np_:2 * np_ + nn], flat[2 * np_ + nn:]))
        else:
            alpha, zero, positive, negative = cbor2.loads(data)
        sketch = cls(alpha)
        sketch.zero_count = zero
        sketch.positive = positive  # CBOR keeps the integer keys as integers
        sketch.negative = negative
        sketch.count = zero + sum(sketch.positive.values()) + sum(sketch.negative.values())
        return sketch
