"""The one reading of labels, predictions and probabilities that every metric shares."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from driftline.errors import InputError
from driftline.metrics._predict import Task
from driftline.metrics._scores import (
    CLASSIFICATION_METRICS,
    PROBABILITY_METRICS,
    REGRESSION_METRICS,
    Encoded,
)

__all__ = ["encode_labels", "metric_names"]


def encode_labels(
    y_true: Any,
    y_pred: Any,
    y_proba: Any,
    classes: Any,
    task: Task | None,
) -> tuple[Encoded, list[Any] | None]:
    """Labels as class positions (or floats for regression), checked, and the class labels.

    The one reading of labels and predictions that every metric, slice loss
    and paired comparison shares; a label the model does not know is refused.
    """
    y_true = np.asarray(y_true)
    if y_true.ndim != 1:
        raise InputError(f"y_true must be one label per row, got shape {y_true.shape}")
    n = len(y_true)
    if n == 0:
        raise InputError("no rows to evaluate")
    proba = None if y_proba is None else np.asarray(y_proba, dtype=float)
    if proba is not None and proba.ndim == 1:  # binary, the positive class's probability
        proba = np.column_stack([1.0 - proba, proba])
    if y_pred is None and proba is None:
        raise InputError("pass y_pred, y_proba or both")
    if task is None:
        if proba is not None or classes is not None:
            task = "binary" if (classes is not None and len(classes) == 2) else None
            if task is None:
                task = "binary" if proba is None or proba.shape[1] == 2 else "multiclass"
        elif y_true.dtype.kind == "f":
            task = "regression"
        else:
            task = (
                "binary"
                if len(np.unique(np.r_[y_true, np.asarray(y_pred)])) <= 2
                else ("multiclass")
            )
    if task == "regression":
        if y_pred is None:
            raise InputError("a regression evaluation needs y_pred")
        pred = np.asarray(y_pred, dtype=float)
        if pred.shape != (n,):
            raise InputError(f"y_pred has shape {pred.shape}, expected ({n},)")
        truth = y_true.astype(float)
        if not (np.isfinite(truth).all() and np.isfinite(pred).all()):
            raise InputError("regression targets and predictions must be finite numbers")
        return Encoded("regression", truth, pred), None

    if classes is None:
        seen = [y_true] + ([np.asarray(y_pred)] if y_pred is not None else [])
        classes = np.unique(np.concatenate(seen))
        if proba is not None and proba.shape[1] != len(classes):
            classes = np.arange(proba.shape[1]) if proba.shape[1] > len(classes) else classes
    classes = np.asarray(classes)
    k = len(classes)
    if k < 2:
        raise InputError(f"a classifier needs at least 2 classes, got {classes.tolist()}")
    lookup = {c.item() if isinstance(c, np.generic) else c: i for i, c in enumerate(classes)}

    def positions(labels: np.ndarray, what: str) -> np.ndarray:
        try:
            return np.fromiter((lookup[v] for v in labels.tolist()), dtype=np.intp, count=n)
        except KeyError as exc:
            raise InputError(
                f"{what} has class {exc.args[0]!r}, which the model does not know; "
                f"model classes: {classes.tolist()}"
            ) from None

    truth = positions(y_true, "y_true")
    if proba is not None:
        if proba.shape != (n, k):
            raise InputError(f"y_proba has shape {proba.shape}, expected ({n}, {k})")
        if not np.isfinite(proba).all():
            raise InputError("y_proba holds NaN or infinite values")
    pred = positions(np.asarray(y_pred), "y_pred") if y_pred is not None else proba.argmax(1)  # type: ignore[union-attr]
    task = "binary" if k == 2 else "multiclass"
    labels = [c.item() if isinstance(c, np.generic) else c for c in classes]
    return Encoded(task, truth, pred, proba, k), labels


def metric_names(enc: Encoded, metrics: Sequence[str] | None) -> tuple[str, ...]:
    known: tuple[str, ...] = (
        REGRESSION_METRICS if enc.task == "regression" else CLASSIFICATION_METRICS
    )
    if metrics is None:
        names = known
        if enc.y_proba is None:
            names = tuple(m for m in names if m not in PROBABILITY_METRICS)
        return names
    for m in metrics:
        if m not in known:
            raise InputError(
                f"unknown metric {m!r} for a {enc.task} model; choose from {', '.join(known)}"
            )
        if m in PROBABILITY_METRICS and enc.y_proba is None:
            raise InputError(f"metric {m!r} needs probabilities; pass y_proba")
    return tuple(metrics)
