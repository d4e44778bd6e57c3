"""The tails of the few distributions the drift tests need, in plain numpy and ``math``.

``scipy.stats`` takes about 0.7 s to import (most of it parsing docstrings),
more than a warm ``drift()`` on 300,000 rows; these tails are all it was
used for. Each is checked against scipy in ``tests/drift/test_tails.py``.

* :func:`chi2_sf`: the chi-square survival function, as the regularized upper
  incomplete gamma function (series below ``a + 1``, continued fraction
  above; Numerical Recipes, section 6.2), relative error about 1e-13.
* :func:`norm_sf`: the standard normal survival function, from ``erfc``.
* :func:`ks_2samp_p`: the two-sided two-sample Kolmogorov-Smirnov p-value.
  Exact (Hodges 1958, as scipy computes it) for two samples of one size
  without ties, which is what two full row samples of a profile are; else
  scipy's asymptotic method in another form: twice the exact one-sided tail
  of Smirnov's one-sample statistic at the effective size ``n m / (n + m)``
  (Birnbaum and Tingey 1951). Twice the one-sided tail bounds the two-sided
  one from above, by at most the chance that both one-sided statistics pass
  ``d`` (below 1e-6 where ``p`` is near 0.05).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["chi2_sf", "ks_2samp_p", "ks_statistic", "norm_sf"]

_EPS = 1e-15
_TINY = 1e-300
_MAX_STEPS = 10_000


def norm_sf(z: float) -> float:
    """P(Z > z) for a standard normal Z."""
    return 0.5 * math.erfc(z / math.sqrt(2.0))


def chi2_sf(x: float, dof: float) -> float:
    """P(X > x) for X chi-square with ``dof`` degrees of freedom."""
    if math.isnan(x) or dof <= 0:
        return math.nan
    if x <= 0:
        return 1.0
    return _gamma_q(dof / 2.0, x / 2.0)


def _gamma_q(a: float, x: float) -> float:
    """The regularized upper incomplete gamma function Q(a, x), x > 0."""
    log_front = a * math.log(x) - x - math.lgamma(a)
    if x < a + 1.0:
        # Series for P(a, x); Q = 1 - P loses nothing here, Q being at least ~0.3.
        term = total = 1.0 / a
        ap = a
        for _ in range(_MAX_STEPS):
            ap += 1.0
            term *= x / ap
            total += term
            if abs(term) < abs(total) * _EPS:
                break
        return max(0.0, 1.0 - total * math.exp(log_front))
    # Continued fraction for Q (modified Lentz): accurate far into the tail.
    b = x + 1.0 - a
    c = 1.0 / _TINY
    d = 1.0 / b
    h = d
    for i in range(1, _MAX_STEPS):
        an = -i * (i - a)
        b += 2.0
        d = an * d + b
        d = _TINY if abs(d) < _TINY else d
        c = b + an / c
        c = _TINY if abs(c) < _TINY else c
        d = 1.0 / d
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < _EPS:
            break
    return min(1.0, math.exp(log_front) * h)


def ks_statistic(reference: np.ndarray, current: np.ndarray) -> float:
    """The largest gap between the two empirical CDFs (both samples sorted)."""
    both = np.concatenate([reference, current])
    left = np.searchsorted(reference, both, side="right") / reference.size
    right = np.searchsorted(current, both, side="right") / current.size
    return float(np.max(np.abs(left - right)))


def ks_2samp_p(d: float, n: int, m: int, *, ties: bool) -> float:
    """Two-sided p-value of a two-sample KS statistic ``d`` of samples of ``n`` and ``m``."""
    if not d > 0:
        return 1.0
    if n == m and not ties:
        # D is a multiple of 1/n; round away the float error of its computation.
        return _outside_square(n, round(d * n))
    size = max(1, round(n * m / (n + m)))
    return min(1.0, 2.0 * _smirnov(size, d))


def _outside_square(n: int, h: int) -> float:
    """P(D >= h / n) for two samples of ``n`` (Hodges' alternating sum, as in scipy)."""
    if h <= 0:
        return 1.0
    p = 0.0
    k = n // h
    while k >= 0:
        term = 1.0
        for j in range(h):
            term = (n - k * h - j) * term / (n + k * h + j + 1)
        p = term * (1.0 - p)
        k -= 1
    return min(1.0, max(0.0, 2.0 * p))


def _smirnov(n: int, d: float) -> float:
    """P(D+ >= d) for the one-sided one-sample statistic of ``n`` values (exact)."""
    if d >= 1.0:
        return 0.0
    j = np.arange(0, math.floor(n * (1.0 - d)) + 1, dtype=np.float64)
    # log C(n, j) by a running sum, vectorized: lgamma has no numpy form without scipy.
    steps = np.log((n - j[1:] + 1.0) / j[1:])
    log_choose = np.concatenate([[0.0], np.cumsum(steps)])
    with np.errstate(divide="ignore"):
        logs = (
            log_choose
            + (n - j) * np.log(np.maximum(1.0 - d - j / n, 0.0))
            + (j - 1.0) * np.log(d + j / n)
        )
    return float(min(1.0, d * np.sum(np.exp(logs))))
