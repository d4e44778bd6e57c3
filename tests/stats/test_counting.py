"""The shortcuts of counting: no copy where none is needed, the same numbers as before."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from driftline.stats import Profile
from driftline.stats._bins import count_values
from driftline.stats._kinds import arrow_numpy, finite_floats
from driftline.stats._moments import Moments


@pytest.mark.parametrize(
    ("dtype", "low", "high"),
    [
        (np.int8, 0, 9),  # codes of categories: counted as they are
        (np.int8, -100, 100),  # would wrap around if shifted as int8
        (np.int32, 18, 90),  # ages: from 0, the counts below 18 dropped
        (np.int64, 1_000_000, 1_000_500),  # far from 0: shifted first
        (np.int64, -5, 60_000),
    ],
)
def test_count_values_counts_each_value(dtype: type, low: int, high: int) -> None:
    values = np.random.default_rng(0).integers(low, high + 1, 20_000).astype(dtype)
    span = high - low + 1
    expected = np.bincount(values.astype(np.int64) - low, minlength=span)
    got = count_values(values, low, span)
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got, expected)


def test_moments_are_the_sums_they_were() -> None:
    values = np.random.default_rng(1).lognormal(3.0, 1.2, 100_001)
    mean = float(values.mean())
    d = values - mean
    d2 = d * d
    got = Moments.of(values)
    # Bit for bit: the same products summed in the same order.
    assert (got.m2, got.m3, got.m4) == (
        float(d2.sum()),
        float((d2 * d).sum()),
        float((d2 * d2).sum()),
    )
    np.testing.assert_array_equal(values, np.random.default_rng(1).lognormal(3.0, 1.2, 100_001))


def test_finite_floats_is_a_view_only_of_clean_floats() -> None:
    clean = pa.array(np.linspace(0.0, 1.0, 1000))
    view = finite_floats(clean)
    assert view is not None and np.shares_memory(view, arrow_numpy(clean))
    assert finite_floats(pa.array([1.0, None, 2.0])) is None
    assert finite_floats(pa.array([1.0, np.inf])) is None
    assert finite_floats(pa.array([1.0, np.nan])) is None
    assert finite_floats(pa.array([1, 2, 3])) is None


def test_integers_of_any_width_profile_as_their_floats() -> None:
    rng = np.random.default_rng(2)
    codes = rng.integers(-3, 40, 250_000)
    floats = Profile.build(pa.table({"c": codes.astype(np.float64)}), bins=7)
    wide = Profile.build(pa.table({"c": codes}), bins=7)
    for dtype in (np.int8, np.int16, np.int32, np.int64):
        ints = Profile.build(pa.table({"c": codes.astype(dtype)}), bins=7)
        a, b = ints.columns["c"], floats.columns["c"]
        assert a.edges == b.edges, dtype
        np.testing.assert_array_equal(a.histogram, b.histogram)
        assert a.moments.count == b.moments.count and a.moments.mean == pytest.approx(
            b.moments.mean
        )
        # The sample's keys digest the values as int64 whatever their width: the same rows.
        np.testing.assert_array_equal(ints.reservoir.keys, wide.reservoir.keys)
        np.testing.assert_array_equal(ints.reservoir.values["c"], wide.reservoir.values["c"])


def test_a_column_of_one_chunk_is_read_where_it_lies() -> None:
    from driftline.stats._kinds import one_array

    a = pa.array(np.arange(1000.0))
    assert one_array(pa.chunked_array([a])).buffers()[1].address == a.buffers()[1].address
    two = one_array(pa.chunked_array([a, a]))
    assert two.to_pylist() == a.to_pylist() * 2
    assert len(one_array(pa.chunked_array([], type=pa.float64()))) == 0
