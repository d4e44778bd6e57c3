"""The reservoir is a uniform sample, before and after merging (chi-square, fixed seeds)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from scipy import stats as sps

from driftline.stats import Profile

N_ROWS, SIZE, TRIALS = 120, 12, 400


def _inclusions(tables: list[pa.Table], seeds: range) -> np.ndarray:
    """How often each row id lands in the (merged) reservoir over ``seeds``."""
    ref = Profile.build(tables[0], bins=2, reservoir_size=SIZE)
    counts = np.zeros(N_ROWS, dtype=np.int64)
    for seed in seeds:
        parts = [
            Profile.build(t, reference=ref, reservoir_size=SIZE, chunk_size=25, seed=seed)
            for t in tables
        ]
        merged = parts[0]
        for part in parts[1:]:
            merged = merged.merge(part)
        ids = merged.reservoir.values["id"].astype(int)
        assert len(set(ids)) == len(ids) == SIZE  # without replacement
        counts += np.bincount(ids, minlength=N_ROWS)
    return counts


def _uniform_p_value(counts: np.ndarray) -> float:
    return float(sps.chisquare(counts).pvalue)


def test_reservoir_of_one_build_is_uniform() -> None:
    table = pa.table({"id": np.arange(N_ROWS)})
    counts = _inclusions([table], range(TRIALS))
    assert counts.sum() == TRIALS * SIZE
    assert _uniform_p_value(counts) > 1e-3


def test_merged_reservoir_is_uniform_over_the_union() -> None:
    # Unequal parts, all built with the same seed: a naive merge would over-sample the small one.
    ids = np.arange(N_ROWS)
    tables = [
        pa.table({"id": ids[:90]}),
        pa.table({"id": ids[90:110]}),
        pa.table({"id": ids[110:]}),
    ]
    counts = _inclusions(tables, range(TRIALS))
    assert _uniform_p_value(counts) > 1e-3
    share_small = counts[90:110].sum() / counts.sum()
    assert abs(share_small - 20 / N_ROWS) < 0.03


def test_reservoir_is_deterministic_under_a_seed() -> None:
    table = pa.table({"id": np.arange(N_ROWS)})
    a = Profile.build(table, reservoir_size=SIZE, seed=7).reservoir.values["id"]
    b = Profile.build(table, reservoir_size=SIZE, seed=7).reservoir.values["id"]
    c = Profile.build(table, reservoir_size=SIZE, seed=8).reservoir.values["id"]
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_merged_reservoir_of_text_only_partitions_is_uniform() -> None:
    # No numeric column to tell chunks apart: the category codes must keep keys independent.
    labels = np.array([f"r{i:03d}" for i in range(N_ROWS)])
    ref = Profile.build(pa.table({"label": labels}), max_categories=N_ROWS, reservoir_size=SIZE)
    counts = np.zeros(N_ROWS, dtype=np.int64)
    for seed in range(TRIALS):
        parts = [
            Profile.build(pa.table({"label": part}), reference=ref, reservoir_size=SIZE, seed=seed)
            for part in (labels[:60], labels[60:])
        ]
        sampled = parts[0].merge(parts[1]).reservoir.values["label"]
        counts += np.isin(labels, sampled.astype(str))
    assert _uniform_p_value(counts) > 1e-3


def test_a_stored_sample_writes_missing_and_infinite_numbers_as_null() -> None:
    values = [0.1, np.nan, np.inf, -np.inf, 2.5e30, -0.0, 7.0]
    table = pa.table({"x": values, "id": np.arange(len(values))})
    profile = Profile.build(table, reservoir_size=len(values))
    stored = profile.to_dict()["reservoir"]["values"]
    by_id = dict(zip(stored["id"], stored["x"], strict=True))
    assert [by_id[float(i)] for i in range(len(values))] == [
        0.1,
        None,
        None,
        None,
        2.5e30,
        -0.0,
        7.0,
    ]
    assert all(type(v) is float for v in stored["x"] if v is not None)
