"""Shared helpers for profile tests: comparing profiles up to rounding."""

from __future__ import annotations

import math
import sys
from collections.abc import Callable

import numpy as np
import pytest

from driftline.stats import ColumnProfile, Profile


def _close(a: float, b: float, scale: float = 1.0, tol: float = 1e-9, floor: float = 0.0) -> bool:
    if math.isnan(a) and math.isnan(b):
        return True
    return math.isclose(a, b, rel_tol=tol, abs_tol=tol * scale + floor)


def assert_columns_close(a: ColumnProfile, b: ColumnProfile) -> None:
    assert (a.name, a.kind) == (b.name, b.kind)
    assert a.missing == b.missing, a.name
    assert a.edges == b.edges, a.name
    assert a.categories == b.categories, a.name
    np.testing.assert_array_equal(a.histogram, b.histogram, err_msg=a.name)
    np.testing.assert_array_equal(a.category_counts, b.category_counts, err_msg=a.name)
    assert a.unseen == b.unseen, a.name
    assert (a.known is None) == (b.known is None), a.name
    assert a.known is None or a.known.same_as(b.known), a.name
    ma, mb = a.moments, b.moments
    assert ma.count == mb.count, a.name
    assert (ma.min, ma.max) == (mb.min, mb.max), a.name
    spread = math.sqrt(max(ma.m2, mb.m2) / max(ma.count, 1)) + 1e-300
    assert _close(ma.mean, mb.mean, scale=spread + abs(ma.mean)), (a.name, ma.mean, mb.mean)
    # Below the float grain of the mean, deviations are rounding: a constant column of
    # 8e-47 merged from parts had m2 0 one way and 3e-124 the other.
    grain = 4 * sys.float_info.epsilon * abs(ma.mean)
    for k, tol in ((2, 1e-9), (3, 1e-7), (4, 1e-7)):
        got, want = getattr(ma, f"m{k}"), getattr(mb, f"m{k}")
        scale, floor = ma.count * spread**k + 1e-300, ma.count * grain**k
        assert _close(got, want, scale=scale, tol=tol, floor=floor), (a.name, k, got, want)


def assert_profiles_close(a: Profile, b: Profile, *, reservoir: bool = True) -> None:
    """Equal up to float rounding; the sampled rows too unless ``reservoir=False``."""
    assert a.n_rows == b.n_rows
    assert list(a.columns) == list(b.columns)
    for name in a.columns:
        assert_columns_close(a.columns[name], b.columns[name])
    assert len(a.reservoir) == len(b.reservoir)
    if reservoir:
        np.testing.assert_array_equal(a.reservoir.keys, b.reservoir.keys)
        for name in a.columns:
            va, vb = a.reservoir.values[name], b.reservoir.values[name]
            assert va.tolist() == vb.tolist() or np.array_equal(va, vb, equal_nan=True), name


@pytest.fixture(scope="session")
def profiles_close() -> Callable[..., None]:
    return assert_profiles_close
