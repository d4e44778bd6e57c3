"""Training-like data with every kind of column, and a way to draw more of it."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest


def draw(n: int, rng: np.random.Generator) -> pd.DataFrame:
    """Rows of a small credit-like table: whole numbers, amounts, a category, a flag, gaps."""
    age = rng.integers(18, 82, n)
    income = rng.lognormal(10, 0.5, n)
    region = rng.choice(["north", "south", "east", "west"], n, p=[0.4, 0.3, 0.2, 0.1])
    member = rng.random(n) < 0.3
    score = np.where(rng.random(n) < 0.1, np.nan, rng.normal(size=n))
    label = (0.03 * (age - 50) + rng.normal(size=n) > 0).astype(int)
    return pd.DataFrame(
        {
            "age": age,
            "income": income,
            "region": region,
            "member": member,
            "score": score,
            "y": label,
        }
    )


@pytest.fixture
def make() -> Callable[[int, int], pd.DataFrame]:
    return lambda n, seed: draw(n, np.random.default_rng(seed))


@pytest.fixture
def pair() -> tuple[pd.DataFrame, pd.DataFrame]:
    """A reference of 1,000 rows and a clean batch of 500 from the same distribution."""
    rng = np.random.default_rng(7)
    return draw(1000, rng), draw(500, rng)
