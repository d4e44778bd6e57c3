"""Row checks: exact and near duplicates, the same rows in train and eval, outliers."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["cross_matches", "duplicate_groups", "near_duplicates", "outlier_rows", "row_hashes"]

# Two rows are near duplicates when they are closer than this share of the typical
# distance between a row and its nearest neighbour: rare by chance in any dimension.
NEAR_SHARE = 0.02


def row_hashes(frame: pd.DataFrame) -> np.ndarray:
    """One 64-bit hash per row of values (the index is left out)."""
    return pd.util.hash_pandas_object(frame, index=False).to_numpy()


def duplicate_groups(hashes: np.ndarray) -> list[np.ndarray]:
    """Positions of rows that repeat one another, one array per group of equal rows."""
    order = np.argsort(hashes, kind="stable")
    sorted_h = hashes[order]
    starts = np.flatnonzero(np.r_[True, sorted_h[1:] != sorted_h[:-1]])
    sizes = np.diff(np.r_[starts, len(sorted_h)])
    return [np.sort(order[s : s + k]) for s, k in zip(starts, sizes, strict=True) if k > 1]


def _encode(train: pd.DataFrame, other: pd.DataFrame | None = None) -> tuple[Any, Any]:
    from driftline.represent import TabularPreprocessor

    prep = TabularPreprocessor().fit(train)
    return prep.transform(train), None if other is None else prep.transform(other)


def near_duplicates(features: pd.DataFrame, exact: np.ndarray) -> list[tuple[int, int, float]]:
    """Pairs (row, nearest row, distance) closer than ``NEAR_SHARE`` of the typical gap.

    Rows with an exact twin (``exact`` True) are left to the exact check.
    """
    from sklearn.neighbors import NearestNeighbors

    if len(features) < 3 or features.shape[1] == 0:
        return []
    X, _ = _encode(features)
    dist, idx = NearestNeighbors(n_neighbors=2).fit(X).kneighbors(X)
    gap, near = dist[:, 1], idx[:, 1]
    positive = gap[gap > 0]
    if len(positive) == 0:
        return []
    line = NEAR_SHARE * float(np.median(positive))
    pairs = []
    for i in np.flatnonzero((gap > 0) & (gap <= line) & ~exact):
        j = int(near[i])
        if i < j or gap[j] > line or int(near[j]) != i:  # each pair once
            pairs.append((int(i), j, float(gap[i])))
    return pairs


def cross_matches(train: pd.DataFrame, other: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Rows of ``other`` equal to a training row, and those nearly equal (positions)."""
    from sklearn.neighbors import NearestNeighbors

    exact = np.isin(row_hashes(other), row_hashes(train))
    if len(train) < 2 or train.shape[1] == 0 or len(other) == 0:
        return np.flatnonzero(exact), np.array([], dtype=int)
    X, Y = _encode(train, other)
    nn = NearestNeighbors(n_neighbors=2).fit(X)
    gaps = nn.kneighbors(X)[0][:, 1]
    positive = gaps[gaps > 0]
    line = NEAR_SHARE * float(np.median(positive)) if len(positive) else 0.0
    d = nn.kneighbors(Y, n_neighbors=1)[0][:, 0]
    near = (d > 0) & (d <= line) & ~exact
    return np.flatnonzero(exact), np.flatnonzero(near)


def outlier_rows(features: pd.DataFrame, *, fpr: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows unlike the rest (positions) and every row's score over its threshold.

    Cross-fitted with monitoring's input-guard scorer: each half of the rows
    is scored by a scorer fitted on the other half, so no row is judged by
    its distance to itself.
    """
    from driftline.represent import OutlierScorer

    n = len(features)
    rng = np.random.default_rng(seed)
    half = rng.permutation(n) < n // 2
    ratio = np.full(n, np.nan)
    for part in (half, ~half):
        scorer = OutlierScorer(fpr=fpr, random_state=seed).fit(features.loc[~part])
        ratio[part] = scorer.score(features.loc[part]) / max(scorer.threshold_, 1e-12)
    return np.flatnonzero(ratio > 1.0), ratio
