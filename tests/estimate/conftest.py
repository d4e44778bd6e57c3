"""Worlds whose labelling function is known, so realized performance can be drawn at will.

Every world is shifted in its inputs only (covariate shift): the link from
inputs to labels stays, which is what performance estimation assumes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-z))


def binary(n: int, spread: float, seed: int, *, temperature: float = 1.0) -> pd.DataFrame:
    """y ~ Bernoulli(sigmoid(1.5 x1 - x2 + 0.5)); inputs spread around the decision boundary.

    ``spread`` < 1 packs the rows near the boundary, where the model is
    unsure, so accuracy truly falls. ``score`` is a well-specified model's
    probability, sharpened by ``temperature`` (> 1: overconfident).
    """
    rng = np.random.default_rng(seed)
    x1 = rng.normal(-1 / 3, spread, n)
    x2 = rng.normal(0.0, spread, n)
    z = 1.5 * x1 - x2 + 0.5
    y = (rng.random(n) < sigmoid(z)).astype(int)
    return pd.DataFrame({"x1": x1, "x2": x2, "score": sigmoid(temperature * z), "y": y})


def multiclass(n: int, shift: float, seed: int) -> pd.DataFrame:
    """Three classes drawn from a softmax of the inputs; ``shift`` moves x1."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    X[:, 0] += shift
    logits = X @ np.array([[2.0, 0.0], [-1.0, 1.5], [-1.0, -1.5]]).T
    P = np.exp(logits)
    P /= P.sum(axis=1, keepdims=True)
    y = np.array(["ant", "bee", "cat"])[(rng.random(n)[:, None] > P.cumsum(axis=1)[:, :-1]).sum(1)]
    return pd.DataFrame(
        {"x1": X[:, 0], "x2": X[:, 1], "p_ant": P[:, 0], "p_bee": P[:, 1], "p_cat": P[:, 2], "y": y}
    )


def regression(n: int, shift: float, seed: int) -> pd.DataFrame:
    """y = 2 x1 - x2 + noise whose scale grows with |x1| (heteroscedastic); ``shift`` moves x1.

    ``pred`` is the true mean, the best a model can do: its errors are the
    noise, so MAE truly rises as rows move to large |x1|.
    """
    rng = np.random.default_rng(seed)
    x1 = rng.normal(shift, 1.0, n)
    x2 = rng.normal(0.0, 1.0, n)
    mean = 2 * x1 - x2
    y = mean + (0.3 + 0.7 * np.abs(x1)) * rng.normal(size=n)
    return pd.DataFrame({"x1": x1, "x2": x2, "pred": mean, "y": y})


def stacked(frames: list[pd.DataFrame]) -> pd.DataFrame:
    return pd.concat(frames, ignore_index=True)


class Worlds:
    sigmoid = staticmethod(sigmoid)
    binary = staticmethod(binary)
    multiclass = staticmethod(multiclass)
    regression = staticmethod(regression)
    stacked = staticmethod(stacked)


@pytest.fixture(scope="session")
def worlds() -> type[Worlds]:
    return Worlds
