"""Customers with a model fitted on clean labels, and ways to plant a weak slice."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression, LogisticRegression

from driftline.metrics import Predictions, predict

FEATURES = ["x1", "x2", "age"]


def customers(n: int, rng: np.random.Generator) -> pd.DataFrame:
    """Age uniform on [20, 73.3), so its upper quartile starts at 60."""
    return pd.DataFrame(
        {
            "age": rng.uniform(20, 20 + 160 / 3, n),
            "region": rng.choice(["North", "South", "East", "West"], n),
            "income": rng.lognormal(10, 0.5, n),
            "plan": rng.choice(["basic", "plus", "pro"], n, p=[0.5, 0.3, 0.2]),
            "x1": rng.normal(size=n),
            "x2": rng.normal(size=n),
        }
    )


def weak(frame: pd.DataFrame) -> np.ndarray:
    """The planted weak slice: region North and age 60 or more."""
    return np.asarray((frame["region"] == "North") & (frame["age"] >= 60))


def classification(
    n: int, seed: int, *, flip: float = 0.3
) -> tuple[pd.DataFrame, np.ndarray, Predictions]:
    """A logistic model fitted on clean labels, scored on labels flipped in the weak slice."""
    rng = np.random.default_rng(seed)
    train, test = customers(4000, rng), customers(n, rng)

    def labels(frame: pd.DataFrame) -> np.ndarray:
        # A clean boundary and 5% label noise on every row alike: the model's own errors
        # do not gather in any slice (probabilistic labels would gather them at the boundary).
        score = 4 * frame["x1"] - 3 * frame["x2"] + 0.02 * (frame["age"] - 45)
        return np.asarray((score > 0) ^ (rng.uniform(size=len(frame)) < 0.05), dtype=int)

    model = LogisticRegression().fit(train[FEATURES], labels(train))
    y = labels(test)
    flipped = weak(test) & (rng.uniform(size=n) < flip)
    y[flipped] = 1 - y[flipped]
    return test, y, predict(model, test[FEATURES])


def regression(
    n: int, seed: int, *, noise: float = 3.0
) -> tuple[pd.DataFrame, np.ndarray, Predictions]:
    """A linear model fitted on clean data, scored where the weak slice is ``noise`` times noisier."""
    rng = np.random.default_rng(seed)
    train, test = customers(4000, rng), customers(n, rng)

    def target(frame: pd.DataFrame, scale: np.ndarray | float) -> np.ndarray:
        signal = 2 * frame["x1"] - frame["x2"] + 0.05 * frame["age"]
        return np.asarray(signal + scale * rng.normal(size=len(frame)))

    model = LinearRegression().fit(train[FEATURES], target(train, 1.0))
    y = target(test, np.where(weak(test), noise, 1.0))
    return test, y, predict(model, test[FEATURES])


def iid_errors(
    n: int, seed: int, *, rate: float = 0.15
) -> tuple[pd.DataFrame, np.ndarray, Predictions]:
    """Predictions wrong with the same chance on every row, whatever its columns."""
    rng = np.random.default_rng(seed)
    frame = customers(n, rng)
    frame.loc[rng.uniform(size=n) < 0.05, "income"] = np.nan
    y = rng.integers(0, 2, n)
    y_pred = np.where(rng.uniform(size=n) < rate, 1 - y, y)
    return frame, y, Predictions(y_pred, None, np.array([0, 1]), "binary")


@pytest.fixture
def make() -> SimpleNamespace:
    """The data generators of this module, for tests (test folders are not packages)."""
    return SimpleNamespace(
        classification=classification, regression=regression, iid_errors=iid_errors, weak=weak
    )
