"""Bootstrap resampling as row weights, in blocks of bounded memory."""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

__all__ = ["percentiles", "resample_blocks"]

# Resample weights are built in blocks of about this many cells, so memory
# stays near 30 MB whatever the row count.
_BLOCK_CELLS = 4_000_000


def percentiles(values: np.ndarray, q: list[float]) -> tuple[float, float]:
    finite = values[np.isfinite(values)]
    if len(finite) == 0:
        return math.nan, math.nan
    low, high = np.percentile(finite, q)
    return float(low), float(high)


def resample_blocks(n: int, n_resamples: int, seed: int) -> Iterator[np.ndarray]:
    """Bootstrap weights: how often each row is drawn, in blocks of resamples."""
    rng = np.random.default_rng(seed)
    per_block = max(1, _BLOCK_CELLS // n)
    done = 0
    while done < n_resamples:
        b = min(per_block, n_resamples - done)
        draws = rng.integers(0, n, size=(b, n)) + (np.arange(b) * n)[:, None]
        yield np.bincount(draws.ravel(), minlength=b * n).reshape(b, n).astype(float)
        done += b
