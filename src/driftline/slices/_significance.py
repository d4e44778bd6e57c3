"""Is a slice served worse than the rest, beyond chance? One-sided tests, many at once.

For 0/1 losses (misclassification) the test is exact under the null that
errors fall on rows regardless of the slice: the slice's error count is then
hypergeometric (Fisher's exact test). The hypergeometric tail is slow to
compute, so every slice first gets the binomial tail at the pooled error
rate, which is never smaller (sampling without replacement is more
concentrated than with), and the small ones are recomputed exactly. For
continuous losses it is Welch's t-test, whose upper tail is conservative
for the right-skewed losses of models (the slice's mean and spread rise
together).
"""

from __future__ import annotations

import numpy as np
from scipy import special, stats

from driftline.errors import InputError

__all__ = ["CORRECTIONS", "Sums", "adjust", "worse_p_values"]

CORRECTIONS = ("bh", "holm")
# Binomial p-values at or below this are recomputed with the exact hypergeometric tail.
_REFINE_BELOW = 0.05
_REFINE_AT_MOST = 4000


class Sums:
    """Row count, loss sum and sum of squared losses of groups of rows (arrays)."""

    def __init__(self, n: np.ndarray, total: np.ndarray, squares: np.ndarray) -> None:
        self.n = np.asarray(n, dtype=float)
        self.total = np.asarray(total, dtype=float)
        self.squares = np.asarray(squares, dtype=float)

    @classmethod
    def of(cls, losses: np.ndarray, mask: np.ndarray) -> Sums:
        part = losses[mask]
        return cls(np.array([part.size]), np.array([part.sum()]), np.array([(part**2).sum()]))

    def __sub__(self, other: Sums) -> Sums:
        return Sums(self.n - other.n, self.total - other.total, self.squares - other.squares)


def worse_p_values(group: Sums, rest: Sums, *, binary: bool) -> np.ndarray:
    """One-sided p-values that each group's mean loss is above its rest's."""
    if binary:
        return _fisher(group, rest)
    return _welch(group, rest)


def _fisher(group: Sums, rest: Sums) -> np.ndarray:
    n, k = group.n, np.rint(group.total)
    size = n + rest.n
    errors = k + np.rint(rest.total)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(size > 0, errors / np.maximum(size, 1), 0.0)
    counts = np.maximum(n, 0).astype(np.int64)
    p = np.where(k <= 0, 1.0, special.bdtrc(np.maximum(k - 1, 0), counts, rate))
    p = np.where((n <= 0) | (rest.n <= 0), 1.0, p)
    refine = np.flatnonzero(p <= _REFINE_BELOW)
    if refine.size > _REFINE_AT_MOST:
        refine = refine[np.argsort(p[refine], kind="stable")[:_REFINE_AT_MOST]]
    if refine.size:
        exact = stats.hypergeom.sf(k[refine] - 1, size[refine], errors[refine], n[refine])
        p[refine] = np.minimum(p[refine], exact)
    return np.clip(p, 0.0, 1.0)


def _welch(group: Sums, rest: Sums) -> np.ndarray:
    n1, n2 = group.n, rest.n
    ok = (n1 >= 2) & (n2 >= 2)
    n1s, n2s = np.where(ok, n1, 2.0), np.where(ok, n2, 2.0)
    m1, m2 = group.total / n1s, rest.total / n2s
    v1 = np.maximum(group.squares - n1s * m1**2, 0.0) / (n1s - 1)
    v2 = np.maximum(rest.squares - n2s * m2**2, 0.0) / (n2s - 1)
    a, b = v1 / n1s, v2 / n2s
    se = np.sqrt(a + b)
    diff = m1 - m2
    positive = se > 0
    se_safe = np.where(positive, se, 1.0)
    t = diff / se_safe
    df_den = np.where(positive, a**2 / (n1s - 1) + b**2 / (n2s - 1), 1.0)
    df = np.where(positive & (df_den > 0), (a + b) ** 2 / np.where(df_den > 0, df_den, 1.0), 1.0)
    p = special.stdtr(df, -t)
    p = np.where(positive, p, np.where(diff > 0, 0.0, 1.0))
    return np.where(ok, np.clip(p, 0.0, 1.0), 1.0)


def adjust(p_values: np.ndarray, correction: str) -> np.ndarray:
    """Adjusted p-values over every slice tested: reject where ``adjusted <= alpha``.

    ``"bh"`` (Benjamini-Hochberg) keeps the expected share of false slices
    among those reported at ``alpha``; ``"holm"`` keeps the chance of any
    false slice at ``alpha``. With no slice served worse at all, both keep
    the chance of reporting anything at ``alpha``.
    """
    p = np.asarray(p_values, dtype=float)
    m = p.size
    if correction not in CORRECTIONS:
        raise InputError(f"correction must be one of {CORRECTIONS}, got {correction!r}")
    if m == 0:
        return p.copy()
    order = np.argsort(p, kind="stable")
    ranked = p[order]
    if correction == "holm":
        stepped = np.maximum.accumulate(ranked * (m - np.arange(m)))
    else:
        stepped = np.minimum.accumulate((ranked * m / np.arange(1, m + 1))[::-1])[::-1]
    adjusted = np.empty(m)
    adjusted[order] = np.minimum(stepped, 1.0)
    return adjusted
