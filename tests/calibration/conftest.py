"""Synthetic probabilities whose calibration is known by construction."""

from __future__ import annotations

import numpy as np
import pytest


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-z))


def logit(p: np.ndarray) -> np.ndarray:
    return np.log(p / (1 - p))


def calibrated_binary(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """True probabilities ``p`` and labels drawn as Bernoulli(p): calibrated by construction."""
    rng = np.random.default_rng(seed)
    p = rng.beta(2, 2, size=n)
    return p, (rng.random(n) < p).astype(int)


def pushed(p: np.ndarray, factor: float = 3.0) -> np.ndarray:
    """Probabilities pushed to the extremes: sigmoid(factor · logit(p)); overconfident if factor > 1."""
    return sigmoid(factor * logit(p))


def softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def calibrated_multiclass(n: int, k: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Logits ``z`` (n×k) and labels drawn from softmax(z): softmax(z) is calibrated."""
    rng = np.random.default_rng(seed)
    z = rng.normal(scale=1.5, size=(n, k))
    p = softmax(z)
    u = rng.random(n)[:, None]
    y = (u > np.cumsum(p, axis=1)).sum(axis=1)
    return z, np.minimum(y, k - 1)


class Synthetic:
    """The helpers above, handed to tests as one fixture."""

    sigmoid = staticmethod(sigmoid)
    logit = staticmethod(logit)
    calibrated_binary = staticmethod(calibrated_binary)
    pushed = staticmethod(pushed)
    softmax = staticmethod(softmax)
    calibrated_multiclass = staticmethod(calibrated_multiclass)


@pytest.fixture(scope="session")
def synth() -> type[Synthetic]:
    return Synthetic
