"""The band: the window's labels drawn from its calibrated probabilities, each draw's metrics."""

from __future__ import annotations

import numpy as np

from driftline.estimate._confusion import from_confusion, simulated_auc, simulated_confusion
from driftline.metrics import macro_average

__all__ = ["simulate"]

# Draws x rows held in memory at once by the simulation.
_CELLS = 4_000_000


def simulate(
    raw: np.ndarray,
    proba: np.ndarray,
    predicted: np.ndarray,
    names: list[str],
    n_simulations: int,
    seed: int,
) -> dict[str, np.ndarray]:
    """Each metric over ``n_simulations`` draws of the labels from ``proba``."""
    rng = np.random.default_rng(seed)
    n, k = proba.shape
    batch = max(1, min(n_simulations, _CELLS // max(n * k, 1)))
    parts: dict[str, list[np.ndarray]] = {name: [] for name in names}
    cumulative = np.cumsum(proba, axis=1)[:, :-1]
    done = 0
    while done < n_simulations:
        s = min(batch, n_simulations - done)
        u = rng.random((s, n))
        if k == 2:
            draws = (u < proba[:, 1]).astype(np.intp)
        else:
            draws = (u[:, :, None] > cumulative[None, :, :]).sum(axis=2)
        confusion = simulated_confusion(draws, predicted, k)
        for name, values in from_confusion(confusion, names).items():
            parts[name].append(values)
        if "roc_auc" in names:
            if k == 2:
                auc = simulated_auc(raw[:, 1], draws.astype(float))
            else:
                auc = macro_average(
                    [simulated_auc(raw[:, j], (draws == j).astype(float)) for j in range(k)]
                )
            parts["roc_auc"].append(auc)
        done += s
    return {name: np.concatenate(p) for name, p in parts.items()}
