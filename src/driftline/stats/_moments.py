"""Mergeable central moments (count, mean, M2, M3, M4, min, max).

Partitions combine with the pairwise update of Chan, Golub and LeVeque
(1979), extended to the third and fourth moments by Pébay (2008), so a merged
summary matches the one-pass summary of the union up to rounding, without ever
subtracting two large sums (the naive sum-of-squares formula loses all digits
on data such as epoch seconds).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["Moments"]


@dataclass(frozen=True)
class Moments:
    """Count, mean and central moment sums of the non-missing values of a column."""

    count: int = 0
    mean: float = 0.0
    m2: float = 0.0
    m3: float = 0.0
    m4: float = 0.0
    min: float | None = None
    max: float | None = None

    @classmethod
    def of(cls, values: np.ndarray) -> Moments:
        """Moments of a float array whose missing values were already removed."""
        n = int(values.size)
        if n == 0:
            return cls()
        mean = float(values.mean())
        d = values - mean
        d2 = d * d
        m2 = float(d2.sum())
        # The same products and sums as (d2 * d).sum() and (d2 * d2).sum(), written over
        # d and d2 once they are spent: two arrays the size of the chunk instead of four.
        m3 = float(np.multiply(d2, d, out=d).sum())
        m4 = float(np.multiply(d2, d2, out=d2).sum())
        return cls(
            count=n,
            mean=mean,
            m2=m2,
            m3=m3,
            m4=m4,
            min=float(values.min()),
            max=float(values.max()),
        )

    def merge(self, other: Moments) -> Moments:
        """Moments of the union of the two partitions."""
        if other.count == 0:
            return self
        if self.count == 0:
            return other
        na, nb = float(self.count), float(other.count)
        n = na + nb
        delta = other.mean - self.mean
        d_n = delta / n
        mean = self.mean + d_n * nb
        m2 = self.m2 + other.m2 + delta * d_n * na * nb
        m3 = (
            self.m3
            + other.m3
            + delta * d_n * d_n * na * nb * (na - nb)
            + 3.0 * d_n * (na * other.m2 - nb * self.m2)
        )
        m4 = (
            self.m4
            + other.m4
            + delta * d_n**3 * na * nb * (na * na - na * nb + nb * nb)
            + 6.0 * d_n * d_n * (na * na * other.m2 + nb * nb * self.m2)
            + 4.0 * d_n * (na * other.m3 - nb * self.m3)
        )
        return Moments(
            count=self.count + other.count,
            mean=mean,
            m2=max(m2, 0.0),
            m3=m3,
            m4=max(m4, 0.0),
            min=_pick(min, self.min, other.min),
            max=_pick(max, self.max, other.max),
        )

    @property
    def variance(self) -> float:
        """Sample variance (n - 1 denominator); NaN below two values."""
        return self.m2 / (self.count - 1) if self.count > 1 else math.nan

    @property
    def std(self) -> float:
        """Sample standard deviation; NaN below two values."""
        return math.sqrt(self.variance) if self.count > 1 else math.nan

    @property
    def skewness(self) -> float:
        """Population skewness g1; NaN when the values are constant."""
        if self.count < 2 or self.m2 <= 0.0:
            return math.nan
        return math.sqrt(self.count) * self.m3 / self.m2**1.5

    @property
    def kurtosis(self) -> float:
        """Population excess kurtosis g2; NaN when the values are constant."""
        if self.count < 2 or self.m2 <= 0.0:
            return math.nan
        return self.count * self.m4 / (self.m2 * self.m2) - 3.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "mean": self.mean,
            "m2": self.m2,
            "m3": self.m3,
            "m4": self.m4,
            "min": self.min,
            "max": self.max,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Moments:
        return cls(
            count=int(d["count"]),
            mean=float(d["mean"]),
            m2=float(d["m2"]),
            m3=float(d["m3"]),
            m4=float(d["m4"]),
            min=None if d["min"] is None else float(d["min"]),
            max=None if d["max"] is None else float(d["max"]),
        )


def _pick(f: Any, a: float | None, b: float | None) -> float | None:
    if a is None:
        return b
    if b is None:
        return a
    return float(f(a, b))
