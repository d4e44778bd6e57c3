"""Adjusted p-values for testing many columns at once."""

from __future__ import annotations

import numpy as np

from driftline.errors import InputError

__all__ = ["CORRECTIONS", "adjust"]

CORRECTIONS = ("bh", "bonferroni", "none")


def adjust(p_values: np.ndarray, correction: str) -> np.ndarray:
    """Adjusted p-values: reject column i when ``adjusted[i] <= alpha``.

    ``"bh"`` controls the false discovery rate (Benjamini-Hochberg, valid for
    independent or positively dependent columns), ``"bonferroni"`` the
    family-wise error rate under any dependence, ``"none"`` nothing.
    """
    p = np.asarray(p_values, dtype=float)
    m = p.size
    if m == 0 or correction == "none":
        return p.copy()
    if correction == "bonferroni":
        return np.minimum(p * m, 1.0)
    if correction == "bh":
        order = np.argsort(p)
        ranked = p[order] * m / np.arange(1, m + 1)
        # Step-up: each adjusted value is the smallest over the ranks at or above it.
        ranked = np.minimum.accumulate(ranked[::-1])[::-1]
        adjusted = np.empty(m)
        adjusted[order] = np.minimum(ranked, 1.0)
        return adjusted
    raise InputError(f"correction must be one of {CORRECTIONS}, got {correction!r}")
