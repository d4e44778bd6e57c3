"""The kernel test of whole rows on the profiles' row samples: what column tests miss.

A column test sees one marginal at a time, so a rotation, a changed
correlation or a mixture that loses a component while every column keeps its
range goes unseen. :func:`kernel_test` compares whole rows: a maximum mean
discrepancy (MMD) test on the standardized, one-hot encoded rows of the
profiles' reservoirs (uniform row samples whose columns come from the same
rows), so it works the same on DataFrames, files and stored profiles, and its
cost is bounded by the reservoir size whatever the size of the tables.

Everything the test learns (medians, means, scales, categories, the kernel's
width) is a function of the *pooled* rows that ignores which side each row
came from, so the permutation p-value stays exact without holding reference
rows apart for fitting.

The Gaussian kernel is approximated by random Fourier features (Rahimi and
Recht 2007): each row becomes ``FEATURES`` cosines, and the MMD is the
squared distance between the two sides' mean features. A relabeling then
costs one product of a permutation with the feature matrix, ``O(rows x
FEATURES)``, where the exact kernel's costs ``O(rows²)``: at 1000 rows a side
the test takes about 15 ms instead of 150 ms, for the same power within the
noise of ``benchmarks/power_bench.py``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from driftline.drift._result import DriftResult
from driftline.stats import Profile

__all__ = ["MAX_ROWS", "MIN_ROWS", "Rows", "kernel_test", "sample_rows"]

Rows = Mapping[str, np.ndarray]

# Rows a side: enough for the test's power to level off on the power benchmark.
MAX_ROWS = 1000
# Below this a two-sample test of whole rows has (almost) no power to offer.
MIN_ROWS = 5
# The permutation p-value is valid at any count; 200 relabelings resolve it to
# 1/201, a fifth of the alpha / 2 it may be judged at, for a bounded cost.
N_PERMUTATIONS = 200
# Random Fourier features of the Gaussian kernel: the approximation's own noise
# falls as 1/sqrt(FEATURES); past 256 the power benchmark moved by less than its noise.
FEATURES = 256
# Most frequent categories one-hot encoded per column, as in the column profiles.
MAX_CATEGORIES = 50


def sample_rows(profile: Profile, columns: list[str], *, seed: int) -> dict[str, np.ndarray]:
    """The profile's reservoir rows by column, at most ``MAX_ROWS`` of them (seeded).

    Numbers are floats and categories Python strings (None when missing), as
    the profile holds them; booleans come back as 0/1 and datetimes as
    seconds since the epoch.
    """
    values = profile.reservoir.values
    rows = {name: values[name] for name in columns if name in values}
    size = len(next(iter(rows.values()))) if rows else 0
    if size > MAX_ROWS:
        keep = np.sort(np.random.default_rng(seed).choice(size, MAX_ROWS, replace=False))
        rows = {name: column[keep] for name, column in rows.items()}
    return rows


def _encode_pooled(reference: Rows, current: Rows) -> tuple[np.ndarray, int]:
    """Standardized numbers (plus missing flags) and one-hot categories of both sides."""
    n = len(next(iter(reference.values()))) if reference else 0
    m = len(next(iter(current.values()))) if current else 0
    blocks: list[np.ndarray] = []
    for name, left in reference.items():
        values = np.concatenate([left, current[name]])
        if values.dtype.kind in "biuf":
            values = values.astype(np.float64)
            missing = np.isnan(values)
            if missing.all():
                continue
            if missing.any():
                values = np.where(missing, _median(values[~missing]), values)
                blocks.append(missing[:, None].astype(np.float64))
            spread = values.std()
            # A constant column carries no information; dividing would amplify rounding.
            scale = spread if spread > 1e-12 * max(1.0, float(np.abs(values).max())) else np.inf
            blocks.append(((values - values.mean()) / scale)[:, None])
        else:
            codes, counts = _label_codes(values)
            keep = np.argsort(-counts, kind="stable")[:MAX_CATEGORIES]
            if len(counts) < 2:
                continue
            blocks.append((codes[:, None] == keep[None, :]).astype(np.float64))
    if not blocks:
        return np.zeros((n + m, 1)), n
    return np.hstack(blocks), n


def _median(values: np.ndarray) -> float:
    """``np.median`` of values without NaN; its NaN check imports numpy.ma (20 ms) first time."""
    half = values.size // 2
    if values.size % 2:
        return float(np.partition(values, half)[half])
    part = np.partition(values, (half - 1, half))
    return float((part[half - 1] + part[half]) / 2.0)


def _label_codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each value's rank among the distinct labels (sorted), and each label's count.

    What ``np.unique(labels, return_inverse=True, return_counts=True)`` gives,
    with a dict instead of sorting every row's Python string: the sort is of
    the few distinct labels only.
    """
    labels = ["\0missing" if v is None else str(v) for v in values.tolist()]
    seen = {label: i for i, label in enumerate(dict.fromkeys(labels))}
    first = np.array([seen[label] for label in labels], dtype=np.intp)
    names = list(seen)
    order = sorted(range(len(names)), key=names.__getitem__)
    rank = np.empty(len(names), dtype=np.intp)
    rank[order] = np.arange(len(names))
    return rank[first], np.bincount(first, minlength=len(names))[order]


def _mmd_permutation(
    z: np.ndarray, n: int, *, n_permutations: int, seed: int
) -> tuple[float, float, float]:
    """MMD² of rows ``z[:n]`` against ``z[n:]``, its permutation p-value, the kernel width.

    The width is the classic median heuristic, taken over the distances of the
    pooled rows to their mean (twice their median square is the median squared
    distance between two rows, for roughly normal data), which is invariant to
    relabeling and costs ``O(rows)`` rather than ``O(rows²)``. The random
    frequencies are drawn from ``seed`` alone, before any relabeling, so every
    relabeling sees the same kernel and the p-value is exact.
    """
    total, width = z.shape
    m = total - n
    centered = z - z.mean(axis=0)
    median = _median(np.einsum("ij,ij->i", centered, centered))
    h2 = 2.0 * median if median > 0 else 1.0
    rng = np.random.default_rng(seed)
    frequencies = rng.normal(size=(width, FEATURES)) / np.sqrt(h2)
    phases = rng.uniform(0.0, 2.0 * np.pi, FEATURES)
    # float32: the permutation products dominate and halve, and the cosines cost a tenth of
    # float64's; the statistic needs far less precision.
    angles = (z @ frequencies + phases).astype(np.float32)
    features = np.float32(np.sqrt(2.0 / FEATURES)) * np.cos(angles)
    w = np.concatenate([np.full(n, 1.0 / n), np.full(m, -1.0 / m)]).astype(np.float32)
    gap = w @ features
    observed = float(gap @ gap)
    # A relabeling gives the reference's label to a uniformly random n of the rows: those
    # with the n smallest of iid keys. A partition per relabeling costs half of shuffling
    # every label (rng.permuted), for the same distribution of relabelings.
    chosen = np.argpartition(rng.random((n_permutations, total)), n - 1, axis=1)[:, :n]
    relabeled = np.full((n_permutations, total), np.float32(-1.0 / m), dtype=np.float32)
    np.put_along_axis(relabeled, chosen, np.float32(1.0 / n), axis=1)
    gaps = relabeled @ features
    permuted = np.einsum("pf,pf->p", gaps, gaps)
    # Ties (identical samples) must count despite float32 rounding of the sums.
    exceed = int(np.sum(permuted >= observed - 1e-5 * max(abs(observed), 1e-12)))
    return observed, (1 + exceed) / (1 + n_permutations), float(np.sqrt(h2))


def kernel_test(reference: Rows, current: Rows, *, alpha: float, seed: int) -> DriftResult:
    """MMD permutation test on standardized rows (encoding learned from the pooled sample)."""
    encoded, n = _encode_pooled(reference, current)
    statistic, p_value, _ = _mmd_permutation(encoded, n, n_permutations=N_PERMUTATIONS, seed=seed)
    return DriftResult(
        method="mmd",
        drift_detected=p_value <= alpha,
        p_value=p_value,
        score=statistic,
        alpha=alpha,
        correction="none",
        n_reference=n,
        n_current=len(encoded) - n,
    )
