"""Merge is associative and commutative, and merging partitions equals profiling the union."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from driftline.errors import InputError
from driftline.stats import Profile

REFERENCE = pd.DataFrame(
    {
        "x": np.linspace(-3.0, 3.0, 40),
        "n": np.arange(40) % 7,
        "c": list("aabbbccccd") * 4,
        "b": [True, False] * 20,
        "t": pd.date_range("2024-01-01", periods=40, freq="D"),
    }
)
REF = Profile.build(REFERENCE, bins=5, max_categories=3, reservoir_size=8)

floats = st.one_of(
    st.floats(-1e6, 1e6, allow_nan=False), st.just(float("nan")), st.integers(-5, 5).map(float)
)
rows = st.tuples(
    floats,
    st.integers(-3, 10),
    st.sampled_from(["a", "b", "c", "d", "e", "zz", None]),
    st.booleans(),
    st.integers(0, 10**9),
)


def frames(max_size: int = 30) -> st.SearchStrategy[pd.DataFrame]:
    return st.lists(rows, min_size=0, max_size=max_size).map(_frame)


def _frame(items: list[tuple]) -> pd.DataFrame:
    x, n, c, b, t = zip(*items, strict=True) if items else ([], [], [], [], [])
    return pd.DataFrame(
        {
            "x": pd.array(x, dtype="float64"),
            "n": pd.array(n, dtype="int64"),
            "c": pd.array(c, dtype=object),
            "b": pd.array(b, dtype="bool"),
            "t": pd.to_datetime(pd.array(t, dtype="int64"), unit="s"),
        }
    )


def profile(frame: pd.DataFrame, chunk_size: int = 7) -> Profile:
    return Profile.build(frame, reference=REF, chunk_size=chunk_size, reservoir_size=8)


FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(frames(), frames())
def test_merge_is_commutative(
    profiles_close: Callable[..., None], a: pd.DataFrame, b: pd.DataFrame
) -> None:
    pa_, pb = profile(a), profile(b)
    # Bottom-k reservoirs make even the sampled rows identical.
    profiles_close(pa_.merge(pb), pb.merge(pa_), reservoir=True)


@FAST
@given(frames(), frames(), frames())
def test_merge_is_associative(
    profiles_close: Callable[..., None], a: pd.DataFrame, b: pd.DataFrame, c: pd.DataFrame
) -> None:
    pa_, pb, pc_ = profile(a), profile(b), profile(c)
    profiles_close(pa_.merge(pb).merge(pc_), pa_.merge(pb.merge(pc_)), reservoir=True)


@FAST
@given(frames(), frames(), st.integers(1, 40))
def test_merge_equals_profile_of_union(
    profiles_close: Callable[..., None], a: pd.DataFrame, b: pd.DataFrame, chunk_size: int
) -> None:
    union = pd.concat([a, b], ignore_index=True)
    merged = profile(a, chunk_size).merge(profile(b, chunk_size))
    whole = profile(union, chunk_size)
    profiles_close(merged, whole, reservoir=False)
    # The sampled rows differ (other keys) but are rows of the union, as many as fit.
    assert len(merged.reservoir) == min(8, len(union))
    sampled = Counter(merged.reservoir.values["c"].tolist())
    available = Counter(v if isinstance(v, str) else None for v in union["c"])
    assert all(sampled[v] <= available[v] for v in sampled)


def test_merge_orders_rows_with_equal_sampling_keys_by_value(
    profiles_close: Callable[..., None],
) -> None:
    # Same offset, same category codes ("e" and "zz" are both other): equal keys.
    a = profile(_frame([(0.0, 0, "e", False, 0)]))
    b = profile(_frame([(0.0, 0, "zz", False, 0)]))
    assert a.reservoir.keys.tolist() == b.reservoir.keys.tolist()
    profiles_close(a.merge(b), b.merge(a), reservoir=True)


def test_merge_with_empty_profile_is_identity(profiles_close: Callable[..., None]) -> None:
    full = profile(REFERENCE)
    empty = profile(REFERENCE.iloc[:0])
    profiles_close(full.merge(empty), full)
    profiles_close(empty.merge(full), full)


def test_merge_refuses_profiles_with_different_bins() -> None:
    a = Profile.build(REFERENCE)
    b = Profile.build(REFERENCE.assign(x=REFERENCE["x"] + 1))
    with pytest.raises(InputError, match="reference"):
        a.merge(b)


def test_merge_refuses_profiles_with_different_columns() -> None:
    a = profile(REFERENCE)
    b = Profile.build(REFERENCE, reference=REF, columns=["x", "c"])
    with pytest.raises(InputError, match="different columns"):
        a.merge(b)
    with pytest.raises(InputError, match="Profile"):
        a.merge(REFERENCE)  # type: ignore[arg-type]


@FAST
@given(frames())
def test_to_dict_round_trips_any_profile(
    profiles_close: Callable[..., None], a: pd.DataFrame
) -> None:
    import json

    built = profile(a)
    again = Profile.from_dict(json.loads(json.dumps(built.to_dict(), allow_nan=False)))
    profiles_close(again, built)
