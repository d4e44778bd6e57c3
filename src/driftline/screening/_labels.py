"""Likely label errors by confident learning over out-of-fold probabilities.

The method is cleanlab's ``find_label_issues`` default (``filter_by=
"prune_by_noise_rate"``; Northcutt, Jiang and Chuang, JAIR 2021), written
again over numpy so the audit needs no extra package:

1. a class's threshold is the mean probability of that class over the rows
   labelled with it;
2. a row is counted in the confident joint at (given label, likely true
   label), the likely true label being the class over its threshold (the most
   probable of them when several are), then the joint is calibrated so its
   rows sum to the label counts;
3. for each off-diagonal cell (i, j), the rows labelled i whose margin
   ``p_j - p_i`` is largest, as many as the cell counts, are flagged;
4. a row whose own label is the most probable is never flagged.

``tests/screening`` holds the result equal to cleanlab's on the same inputs.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["confident_joint", "label_issues", "out_of_fold_probabilities", "self_confidence"]

_EPS = 1e-6  # cleanlab's tolerance when comparing probabilities with thresholds


def _round_rows(matrix: np.ndarray) -> np.ndarray:
    """Round each row to integers whose sum is the rounded row sum (largest remainders)."""
    out = np.empty(matrix.shape, dtype=int)
    for r, row in enumerate(matrix):
        ints = row.round()
        gap = int(round(row.sum()) - ints.sum())
        if gap:
            step = 1 if gap > 0 else -1
            order = np.argsort(row - ints)[::-step][: min(abs(gap), len(row))]
            ints[order] += step
        out[r] = ints.astype(int)
    return out


def confident_joint(labels: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """Counts of (given label, likely true label), calibrated to the label counts."""
    k = probs.shape[1]
    present = np.isin(np.arange(k), labels)
    thresholds = np.array(
        [probs[labels == c, c].mean() if present[c] else 2.0 for c in range(k)]
    ).clip(min=2 * _EPS)
    confident = probs >= thresholds - _EPS
    n_confident = confident.sum(axis=1)
    guess = np.where(n_confident > 1, probs.argmax(axis=1), confident.argmax(axis=1))
    some = n_confident > 0
    joint = np.zeros((k, k), dtype=float)
    np.add.at(joint, (labels[some], guess[some]), 1)
    np.fill_diagonal(joint, joint.diagonal().clip(min=1))
    counts = np.bincount(labels, minlength=k)
    calibrated = joint / joint.sum(axis=1, keepdims=True).clip(min=1e-100) * counts[:, None]
    calibrated = calibrated / max(calibrated.sum(), 1e-100) * counts.sum()
    return _round_rows(calibrated)


def _prune_counts(joint: np.ndarray) -> np.ndarray:
    """How many rows of each given label (column) to flag for each other class (row).

    At least one row of each class is kept: the diagonal is raised to 1 and the
    rise taken evenly from the class's other cells.
    """
    counts = joint.T.astype(float)
    diagonal = counts.diagonal()
    raised = np.maximum(diagonal, 1)
    others = np.maximum(np.count_nonzero(counts, axis=0) - 1.0, 1.0)
    out = counts - (raised - diagonal) / others
    out[out < 0] = 0
    np.fill_diagonal(out, raised)
    return _round_rows(out.astype(int).astype(float))


def label_issues(labels: Any, probs: Any) -> np.ndarray:
    """A boolean mask of rows whose label is likely wrong.

    ``labels`` are class positions 0..K-1; ``probs`` out-of-fold probabilities
    with one column per class.

    >>> probs = np.array([[0.9, 0.1]] * 5 + [[0.1, 0.9]] * 4 + [[0.95, 0.05]])
    >>> label_issues(np.array([0] * 5 + [1] * 5), probs).nonzero()[0].tolist()
    [9]
    """
    y = np.asarray(labels, dtype=int)
    p = np.asarray(probs, dtype=float)
    prune = _prune_counts(confident_joint(y, p))
    mask = np.zeros(len(y), dtype=bool)
    for given in range(p.shape[1]):
        rows = np.flatnonzero(y == given)
        if len(rows) <= 1:
            continue
        for other in range(p.shape[1]):
            take = int(prune[other, given])
            if other == given or take <= 0:
                continue
            margin = p[rows, other] - p[rows, given]
            mask[rows[np.argsort(-margin)[:take]]] = True
    own = p.copy()
    own[np.arange(len(y)), y] += _EPS
    mask[own.argmax(axis=1) == y] = False
    return mask


def self_confidence(labels: Any, probs: Any) -> np.ndarray:
    """The probability each row's own label gets: lower is more suspect."""
    y = np.asarray(labels, dtype=int)
    return np.asarray(probs, dtype=float)[np.arange(len(y)), y]


def out_of_fold_probabilities(
    X: Any, y: np.ndarray, *, kind: str = "logistic", folds: int = 5, seed: int = 0
) -> np.ndarray:
    """Each row's class probabilities from a model that never saw it (stratified folds)."""
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    from driftline.screening._model import make_model

    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    return np.asarray(
        cross_val_predict(make_model(kind, X, seed), X, y, cv=splitter, method="predict_proba"),
        dtype=float,
    )
