"""Shared input handling of the two-sample tests: shapes, alpha, subsampling."""

from __future__ import annotations

from typing import Any

import numpy as np

from driftline.errors import InputError
from driftline.represent._base import as_matrix

__all__ = ["check_alpha", "paired_samples"]


def check_alpha(alpha: float) -> float:
    """``alpha`` as a float in (0, 1), or an error saying so."""
    if isinstance(alpha, bool) or not isinstance(alpha, int | float) or not 0.0 < alpha < 1.0:
        raise InputError(f"alpha must be a number strictly between 0 and 1, got {alpha!r}")
    return float(alpha)


def paired_samples(
    reference: Any,
    current: Any,
    *,
    max_samples: int | None,
    rng: np.random.Generator,
    min_rows: int = 2,
) -> tuple[np.ndarray, np.ndarray]:
    """Both samples as 2-D float arrays of equal width, each cut to ``max_samples`` rows.

    Subsampling is uniform without replacement and seeded by ``rng``; it bounds
    the quadratic cost of kernel and classifier tests on large batches.
    """
    x = as_matrix(reference, name="reference")
    y = as_matrix(current, name="current")
    if x.shape[1] != y.shape[1]:
        raise InputError(
            f"reference and current must have the same number of columns, got "
            f"{x.shape[1]} and {y.shape[1]}; encode both with the same fitted encoder"
        )
    for name, arr in (("reference", x), ("current", y)):
        if arr.shape[0] < min_rows:
            raise InputError(f"{name} needs at least {min_rows} rows, got {arr.shape[0]}")
    if max_samples is not None:
        if max_samples < min_rows:
            raise InputError(f"max_samples must be at least {min_rows}, got {max_samples}")
        if x.shape[0] > max_samples:
            x = x[np.sort(rng.choice(x.shape[0], max_samples, replace=False))]
        if y.shape[0] > max_samples:
            y = y[np.sort(rng.choice(y.shape[0], max_samples, replace=False))]
    return x, y
