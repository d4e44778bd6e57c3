"""Fixtures of the representation tests: extras that may be absent, binomial bands, data."""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Iterator
from types import ModuleType

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from threadpoolctl import threadpool_limits


@pytest.fixture(autouse=True)
def _one_thread() -> Iterator[None]:
    # The machine is shared: OpenMP thread pools (gradient boosting, BLAS)
    # spinning on busy cores made small fits 10x slower than one thread.
    with threadpool_limits(1):
        yield


def _require(module: str, extra: str) -> ModuleType:
    try:
        return importlib.import_module(module)
    except ImportError:
        # CI installs every extra and sets this, so a missing one fails there.
        if os.environ.get("DRIFTLINE_REQUIRE_SERVICES") == "1":
            pytest.fail(f"{module} is required (DRIFTLINE_REQUIRE_SERVICES=1) but not installed")
        pytest.skip(f"needs {module}: pip install 'driftline[{extra}]'")


@pytest.fixture(scope="session")
def require_extra() -> Callable[[str, str], ModuleType]:
    """Import a module of an optional extra, or skip (fail under DRIFTLINE_REQUIRE_SERVICES=1)."""
    return _require


def band(trials: int, p: float, level: float = 0.999) -> tuple[float, float]:
    """Central binomial interval of a rate: where ``hits / trials`` falls with prob. ``level``."""
    tail = (1.0 - level) / 2.0
    lo = stats.binom.ppf(tail, trials, p)
    hi = stats.binom.ppf(1.0 - tail, trials, p)
    return float(lo) / trials, float(hi) / trials


@pytest.fixture(scope="session")
def binomial_band() -> Callable[..., tuple[float, float]]:
    return band


@pytest.fixture
def mixed_frame() -> pd.DataFrame:
    """300 rows of numbers, integers, a category and a column with gaps."""
    rng = np.random.default_rng(7)
    n = 300
    a = rng.normal(size=n)
    return pd.DataFrame(
        {
            "a": a,
            "b": 2.0 * a + rng.normal(scale=0.5, size=n),
            "count": rng.integers(0, 5, n),
            "colour": rng.choice(["red", "green", "blue"], n, p=[0.5, 0.3, 0.2]),
            "gappy": np.where(rng.random(n) < 0.1, np.nan, rng.normal(10, 2, n)),
        }
    )


class Shifts:
    """Reference-like samples and three kinds of shift, each with a size knob (0 = none)."""

    @staticmethod
    def noise(rng: np.random.Generator, n: int, scale: float, d: int = 5) -> np.ndarray:
        """Standard normal rows; half of them get extra Gaussian noise of sd ``scale``."""
        x = rng.normal(size=(n, d))
        x[: n // 2] += rng.normal(scale=scale, size=(n // 2, d)) if scale > 0 else 0.0
        return x

    @staticmethod
    def rotation(rng: np.random.Generator, n: int, angle: float, d: int = 4) -> np.ndarray:
        """Correlated normal rows rotated by ``angle`` in the first two dimensions.

        At 90 degrees every marginal is unchanged; only the correlation flips.
        """
        cov = np.eye(d)
        cov[0, 1] = cov[1, 0] = 0.9
        x = rng.multivariate_normal(np.zeros(d), cov, size=n)
        c, s = np.cos(angle), np.sin(angle)
        rot = np.eye(d)
        rot[:2, :2] = [[c, -s], [s, c]]
        return x @ rot.T

    CENTRES = np.array([[0.0, 0.0, 0.0], [2.5, 0.0, 1.0], [0.0, 2.5, -1.0]])

    @classmethod
    def mixture(
        cls, rng: np.random.Generator, n: int, knockout: float
    ) -> tuple[np.ndarray, np.ndarray]:
        """Three overlapping clusters; ``knockout`` removes that share of cluster 0."""
        weights = np.array([1.0 - knockout, 1.0, 1.0])
        y = rng.choice(3, size=n, p=weights / weights.sum())
        return cls.CENTRES[y] + rng.normal(size=(n, 3)), y


@pytest.fixture(scope="session")
def shifts() -> type[Shifts]:
    return Shifts


def rejection_rate(test: Callable[..., object], make: Callable[..., object], seeds: int) -> float:
    """Share of ``seeds`` on which ``test(*make(rng), random_state=seed)`` says drifted."""
    hits = 0
    for seed in range(seeds):
        rng = np.random.default_rng(1000 + seed)
        hits += bool(test(*make(rng), random_state=seed).drifted)  # type: ignore[attr-defined]
    return hits / seeds


@pytest.fixture(scope="session")
def rate() -> Callable[..., float]:
    return rejection_rate
