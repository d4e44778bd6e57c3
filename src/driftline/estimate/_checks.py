"""Checks and realized values shared by CBPE and DLE."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from driftline.errors import InputError

__all__ = ["check_confidence", "check_metrics", "labelled", "realized"]


def check_confidence(confidence: float) -> None:
    if isinstance(confidence, bool) or not isinstance(confidence, int | float):
        raise InputError(f"confidence must be a number between 0 and 1, got {confidence!r}")
    if not 0 < confidence < 1:
        raise InputError(f"confidence must be between 0 and 1, got {confidence!r}")


def check_metrics(metrics: Sequence[str], known: Sequence[str], what: str) -> None:
    if isinstance(metrics, str) or not len(metrics):
        raise InputError(f"metrics must be a list of metric names, got {metrics!r}")
    unknown = [m for m in metrics if m not in known]
    if unknown:
        raise InputError(
            f"cannot estimate {', '.join(map(repr, unknown))} for {what}; "
            f"estimable: {', '.join(known)}"
        )


def realized(
    metrics: Sequence[str],
    y_true: np.ndarray,
    y_pred: np.ndarray,
    y_proba: np.ndarray,
    classes: np.ndarray,
) -> dict[str, float]:
    """Each metric on labelled rows, by :func:`driftline.metrics.metric_value`."""
    from driftline.metrics import metric_value

    if len(y_true) == 0:
        return {name: float("nan") for name in metrics}
    out = {}
    for name in metrics:
        try:
            out[name] = float(
                metric_value(name, y_true, y_pred=y_pred, y_proba=y_proba, classes=classes)
            )
        except InputError:
            out[name] = float("nan")  # e.g. ROC AUC of rows that are all one class
    return out


def labelled(y_true: Any, n: int) -> np.ndarray:
    """Which of ``n`` labels are known (not None, NaN or NA)."""
    import pandas as pd

    truth = np.asarray(y_true, dtype=object)
    if truth.ndim != 1 or len(truth) != n:
        raise InputError(f"the window has {n} rows but {len(truth)} labels")
    return np.asarray(~pd.isna(pd.Series(truth, dtype=object)).to_numpy(), dtype=bool)
