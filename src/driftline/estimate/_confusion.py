"""Classification metrics from (expected or simulated) confusion matrices, vectorized.

CBPE needs each metric many times per window: once from the expected
confusion matrix, and once per Monte-Carlo draw of the labels. These
functions compute them for a whole stack of confusion matrices at once; the
point values on real labels come from :func:`driftline.metrics.metric_value`,
and a test checks that both agree on one-hot labels.

Conventions (those of :mod:`driftline.metrics`): binary precision, recall and
F1 are of the positive class ``classes[1]``; multiclass ones are macro
averages over all classes; a ratio with a zero denominator is 0; ROC AUC is
one-vs-rest, macro averaged for multiclass, with ties counted as one half.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = [
    "CONFUSION_METRICS",
    "expected_auc",
    "from_confusion",
    "simulated_auc",
    "simulated_confusion",
]

CONFUSION_METRICS = ("accuracy", "precision", "recall", "f1")


def from_confusion(confusion: np.ndarray, names: Sequence[str]) -> dict[str, np.ndarray]:
    """Metrics of a stack of confusion matrices ``(..., k, k)``, rows true, columns predicted."""
    k = confusion.shape[-1]
    total = confusion.sum(axis=(-2, -1))
    hits = np.diagonal(confusion, axis1=-2, axis2=-1)
    predicted = confusion.sum(axis=-2)
    actual = confusion.sum(axis=-1)
    out: dict[str, np.ndarray] = {}
    with np.errstate(divide="ignore", invalid="ignore"):
        per_class = {
            "precision": np.where(predicted > 0, hits / predicted, 0.0),
            "recall": np.where(actual > 0, hits / actual, 0.0),
            "f1": np.where(predicted + actual > 0, 2 * hits / (predicted + actual), 0.0),
        }
        for name in names:
            if name == "accuracy":
                out[name] = np.where(total > 0, hits.sum(axis=-1) / total, np.nan)
            elif name in per_class:
                values = per_class[name]
                out[name] = values[..., 1] if k == 2 else values.mean(axis=-1)
    return out


def simulated_confusion(draws: np.ndarray, predicted: np.ndarray, k: int) -> np.ndarray:
    """Confusion matrices ``(s, k, k)`` of ``s`` label draws ``(s, n)`` against ``predicted``."""
    s = draws.shape[0]
    cell = draws * k + predicted[None, :] + (np.arange(s) * k * k)[:, None]
    return np.bincount(cell.ravel(), minlength=s * k * k).reshape(s, k, k).astype(float)


def expected_auc(
    scores: np.ndarray, positive: np.ndarray, negative: np.ndarray | None = None
) -> float:
    """ROC AUC expected when row ``i`` is positive with probability ``positive[i]``.

    AUC is the share of (positive, negative) pairs ranked in order. Labels
    drawn independently make pair ``(i, j)`` such a pair with probability
    ``p_i (1 - p_j)``, so the expected count of ordered pairs over the
    expected count of pairs,

        sum_{i != j} p_i (1 - p_j) [s_i > s_j] (ties 1/2)  /  sum_{i != j} p_i (1 - p_j),

    is computed exactly in O(n log n) by sorting the scores. (It is a ratio of
    expectations, as the precision and F1 estimates are; for the windows of a
    few hundred rows it is used on, it differs from the expected ratio by far
    less than the sampling band.)

    ``negative`` gives each row's negative mass when it is not ``1 - positive``: the
    doubly robust estimate adds reference rows whose masses are signed residuals.
    """
    order = np.argsort(scores, kind="mergesort")
    s, p = scores[order], positive[order]
    q = 1.0 - p if negative is None else negative[order]
    _, first, counts = np.unique(s, return_index=True, return_counts=True)
    tied_q = np.add.reduceat(q, first)
    below = np.cumsum(tied_q) - tied_q
    group = np.repeat(np.arange(len(first)), counts)
    beaten = below[group] + 0.5 * (tied_q[group] - q)
    pairs = p.sum() * q.sum() - float((p * q).sum())
    if pairs <= 1e-12:
        return float("nan")
    return float(np.clip((p * beaten).sum() / pairs, 0.0, 1.0))


def simulated_auc(scores: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """ROC AUC of each row of a 0/1 label matrix ``(s, n)`` against fixed ``scores``.

    The Mann-Whitney form: with average ranks, ties count one half.
    """
    from scipy.stats import rankdata

    ranks = rankdata(scores)
    positives = labels.sum(axis=1).astype(float)
    negatives = labels.shape[1] - positives
    # einsum's own loop, not a BLAS product: OpenBLAS threads woken per window spun on
    # the other cores for as long again as the work (CPU time twice the wall time).
    rank_sum = np.einsum("ij,j->i", labels, ranks)
    with np.errstate(divide="ignore", invalid="ignore"):
        auc = (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)
    return np.where((positives > 0) & (negatives > 0), auc, np.nan)
