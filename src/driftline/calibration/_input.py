"""Checking what calibration is given: a probability matrix, labels, the class order."""

from __future__ import annotations

from typing import Any, NoReturn

import numpy as np

from driftline.errors import InputError

__all__ = ["EPS", "as_proba", "clip_log", "label_index", "plain_classes"]

# Probabilities are clipped this far from 0 and 1 before a logarithm.
EPS = 1e-12

# How far a row of probabilities may sum from 1 before it is refused, not renormalized.
_SUM_TOLERANCE = 0.01


def as_proba(y_proba: Any) -> np.ndarray:
    """An n×k float matrix whose rows sum to 1; a 1-D array is P(positive class) of a binary task."""
    p = np.asarray(y_proba, dtype=float) if not isinstance(y_proba, np.ndarray) else y_proba
    if p.dtype.kind not in "fiub":
        raise InputError(f"probabilities must be numbers, got values of type {p.dtype}")
    p = p.astype(float, copy=False)
    if p.ndim == 1:
        p = np.column_stack([1.0 - p, p])
    if p.ndim != 2 or p.shape[1] < 2:
        raise InputError(
            f"probabilities must be an n×k matrix (one column per class, k ≥ 2) or one column "
            f"of P(positive class), got shape {p.shape}"
        )
    if p.shape[0] == 0:
        raise InputError("no rows: calibration needs predictions with their labels")
    bad = ~np.isfinite(p) | (p < 0) | (p > 1)
    if bad.any():
        row = int(np.nonzero(bad.any(axis=1))[0][0])
        raise InputError(
            f"probabilities must be numbers from 0 to 1, got {p[row].tolist()} in row {row}"
        )
    sums = p.sum(axis=1)
    off = np.abs(sums - 1.0) > _SUM_TOLERANCE
    if off.any():
        row = int(np.nonzero(off)[0][0])
        raise InputError(
            f"each row of probabilities must sum to 1, row {row} sums to {sums[row]:.4g}; "
            "pass predict_proba's output, one column per class"
        )
    return p / sums[:, None]


def plain_classes(classes: Any) -> list[Any]:
    """Classes as plain Python values (JSON-able, and stored without NumPy scalar types)."""
    return [c.item() if isinstance(c, np.generic) else c for c in np.asarray(classes).tolist()]


def label_index(y_true: Any, classes: Any, k: int) -> tuple[np.ndarray, list[Any]]:
    """Column index of each label, and the classes in column order.

    Without ``classes`` they are the sorted distinct labels, which is
    scikit-learn's ``classes_`` order, when there are ``k`` of them; labels
    that are whole numbers below ``k`` stand for the columns themselves.
    """
    import pandas as pd

    y = np.asarray(y_true)
    if y.ndim != 1:
        raise InputError(f"labels must be one column, got shape {y.shape}")
    if classes is not None and y.dtype.kind in "iu" and plain_classes(classes) == list(range(k)):
        # Labels that are already column positions: no lookup needed.
        outside = (y < 0) | (y >= k)
        if outside.any():
            _unknown(y[outside], list(range(k)))
        return y.astype(np.intp), list(range(k))
    if pd.isna(pd.Series(y, dtype=object)).any():
        raise InputError("labels have missing values; calibration needs a known label in every row")
    if classes is None:
        seen = np.unique(y)
        if len(seen) == k:
            classes = seen
        elif np.issubdtype(y.dtype, np.integer) and y.size and y.min() >= 0 and y.max() < k:
            classes = np.arange(k)
        else:
            raise InputError(
                f"cannot tell which class each of the {k} probability columns is: the labels "
                f"hold {len(seen)} distinct values; pass classes= (the model's classes_)"
            )
    order = plain_classes(classes)
    if len(order) != k:
        raise InputError(
            f"got {len(order)} classes but {k} probability columns; classes must name "
            "the columns in order"
        )
    if len(set(map(repr, order))) != len(order):
        raise InputError(f"classes must be distinct, got {order}")
    idx = pd.Index(order, dtype=object).get_indexer(pd.Index(y.tolist(), dtype=object))
    if (idx < 0).any():
        _unknown(y[idx < 0], order)
    return idx.astype(np.intp), order


def _unknown(labels: np.ndarray, order: list[Any]) -> NoReturn:
    unknown = sorted({repr(v) for v in labels.tolist()})
    raise InputError(
        f"labels {', '.join(unknown[:5])} are not among the classes {order}; the model "
        "cannot have given them a probability"
    )


def clip_log(p: np.ndarray) -> np.ndarray:
    return np.log(np.clip(p, EPS, 1.0))
