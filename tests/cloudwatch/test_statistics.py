import numpy as np
import pytest

from cfnapi.cloudwatch.sketch import DEFAULT_RELATIVE_ACCURACY, QuantileSketch
from cfnapi.cloudwatch.statistics import Aggregate, percentile_of
from cfnapi.cloudwatch.units import normalise_unit
from cfnapi.errors import ServiceError

BOUND = DEFAULT_RELATIVE_ACCURACY * 1.000001


def _assert_within_bound(estimate, exact):
    assert abs(estimate - exact) <= BOUND * abs(exact) + 1e-12, (estimate, exact)


@pytest.mark.parametrize("seed", range(5))
def test_sketch_percentiles_match_numpy_within_relative_bound(seed):
    rng = np.random.default_rng(seed)
    values = np.concatenate([rng.lognormal(3, 1.5, 4000), -rng.exponential(5, 500), np.zeros(20)])
    sketch = QuantileSketch()
    sketch.add_many(values.tolist())
    for q in (0.0, 0.01, 0.1, 0.5, 0.9, 0.99, 0.999, 1.0):
        _assert_within_bound(sketch.quantile(q), np.quantile(values, q, method="lower"))


def test_sketches_merge_like_one_sketch_and_survive_serialisation():
    rng = np.random.default_rng(7)
    parts = [rng.gamma(2, 10, 700) for _ in range(6)]
    merged = QuantileSketch()
    for part in parts:
        s = QuantileSketch()
        s.add_many(part.tolist())
        merged.merge(QuantileSketch.from_bytes(s.to_bytes()))
    everything = np.concatenate(parts)
    for q in (0.5, 0.9, 0.999):
        _assert_within_bound(merged.quantile(q), np.quantile(everything, q, method="lower"))


def test_weighted_values_count_as_repeated_samples():
    agg = Aggregate.of_values([1.0, 100.0], [99.0, 1.0])
    assert agg.sample_count == 100 and agg.sum == 199.0
    assert agg.statistic("Average") == pytest.approx(1.99)
    assert agg.statistic("p50") == pytest.approx(1.0, rel=BOUND)
    assert agg.statistic("p100") == pytest.approx(100.0, rel=BOUND)


def test_aggregate_merge_matches_numpy_statistics():
    rng = np.random.default_rng(3)
    chunks = [rng.normal(50, 10, 300) for _ in range(4)]
    total = Aggregate()
    for chunk in chunks:
        total.merge(Aggregate.of_values(chunk.tolist()))
    allv = np.concatenate(chunks)
    assert total.statistic("SampleCount") == len(allv)
    assert total.statistic("Sum") == pytest.approx(allv.sum())
    assert total.statistic("Average") == pytest.approx(allv.mean())
    assert total.statistic("Minimum") == allv.min()
    assert total.statistic("Maximum") == allv.max()
    _assert_within_bound(total.statistic("p90"), np.quantile(allv, 0.9, method="lower"))


def test_statistic_set_contributes_to_percentiles_only_when_all_samples_are_equal():
    assert Aggregate.of_statistic_set(5, 50, 10, 10).statistic("p50") == pytest.approx(10, rel=BOUND)
    assert Aggregate.of_statistic_set(5, 50, 1, 20).statistic("p50") is None


@pytest.mark.parametrize("name,value", [("p50", 50.0), ("p99.9", 99.9), ("p0", 0.0), ("p100", 100.0)])
def test_percentile_names(name, value):
    assert percentile_of(name) == value


@pytest.mark.parametrize("name", ["p101", "P50", "p", "tm99", "p-1"])
def test_bad_percentile_names_are_rejected(name):
    with pytest.raises(ServiceError) as err:
        percentile_of(name)
    assert err.value.code == "InvalidParameterValue"


@pytest.mark.parametrize(
    "given,expected",
    [("Counter", "Count"), ("megabytes", "Megabytes"), ("Bytes/Second", "Bytes/Second"),
     ("count/second", "Count/Second"), ("None", "None"), (None, None), ("Percent", "Percent")],
)
def test_units_are_normalised(given, expected):
    assert normalise_unit(given) == expected


def test_unknown_unit_is_invalid_parameter_value():
    with pytest.raises(ServiceError) as err:
        normalise_unit("Furlongs")
    assert err.value.code == "InvalidParameterValue"
