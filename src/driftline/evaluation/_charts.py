"""What the evaluation's pictures need, computed once and stored with the report.

Not metrics (those come from :mod:`driftline.metrics`): the points of the
ROC and precision-recall curves, the confusion matrix, and for a regressor a
sample of predicted-vs-actual pairs and a histogram of the residuals. Each is
kept small (at most a few hundred points) so a stored report stays small.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Charts", "chart_data"]

CURVE_POINTS = 101
SCATTER_POINTS = 400
RESIDUAL_BINS = 30


@dataclass(frozen=True)
class Charts:
    """Chart data of one evaluation; every field is plain lists of numbers or labels."""

    labels: list[str] = field(default_factory=list)  # class names, confusion order
    confusion: list[list[int]] = field(default_factory=list)  # rows: true, columns: predicted
    roc: dict[str, list[float]] | None = None  # {"fpr": [...], "tpr": [...]} (binary)
    pr: dict[str, list[float]] | None = None  # {"recall": [...], "precision": [...]}
    positive_rate: float | None = None  # the PR curve's no-skill line
    scatter: dict[str, list[float]] | None = None  # {"actual": [...], "predicted": [...]}
    residuals: dict[str, list[float]] | None = None  # {"edges": [...], "counts": [...]}

    def to_dict(self) -> dict[str, Any]:
        return {
            "labels": list(self.labels),
            "confusion": [list(r) for r in self.confusion],
            "roc": self.roc,
            "pr": self.pr,
            "positive_rate": self.positive_rate,
            "scatter": self.scatter,
            "residuals": self.residuals,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Charts:
        return cls(
            labels=[str(v) for v in d.get("labels", [])],
            confusion=[[int(v) for v in r] for r in d.get("confusion", [])],
            roc=d.get("roc"),
            pr=d.get("pr"),
            positive_rate=d.get("positive_rate"),
            scatter=d.get("scatter"),
            residuals=d.get("residuals"),
        )


def chart_data(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    y_proba: np.ndarray | None,
    classes: np.ndarray | None,
    *,
    task: str,
    seed: int = 0,
) -> Charts:
    """The chart data for one task: confusion and curves, or scatter and residuals."""
    if task == "regression":
        return _regression(
            np.asarray(y_true, dtype=float), np.asarray(y_pred, dtype=float), seed=seed
        )
    labels, confusion = _confusion(y_true, y_pred, classes)
    roc = pr = None
    positive_rate = None
    if task == "binary" and y_proba is not None and classes is not None and len(classes) == 2:
        positive = np.asarray(y_true) == classes[1]
        if 0 < positive.sum() < positive.size:
            score = np.asarray(y_proba, dtype=float)[:, 1]
            roc, pr = _curves(positive, score)
            positive_rate = round(float(positive.mean()), 6)
    return Charts(labels=labels, confusion=confusion, roc=roc, pr=pr, positive_rate=positive_rate)


def _confusion(
    y_true: np.ndarray, y_pred: np.ndarray, classes: np.ndarray | None
) -> tuple[list[str], list[list[int]]]:
    known = list(classes) if classes is not None else []
    # Labels the model never learned still belong in the matrix: they are all errors.
    extra = sorted(
        {v for v in np.unique(np.concatenate([y_true, y_pred])) if v not in known}, key=str
    )
    order = known + extra
    index = {v: i for i, v in enumerate(order)}
    k = len(order)
    matrix = np.zeros((k, k), dtype=np.int64)
    np.add.at(matrix, ([index[v] for v in y_true], [index[v] for v in y_pred]), 1)
    return [str(v) for v in order], matrix.tolist()


def _thin(x: np.ndarray, y: np.ndarray) -> tuple[list[float], list[float]]:
    """At most CURVE_POINTS points, the first and last kept, evenly spread along the curve."""
    if x.size > CURVE_POINTS:
        keep = np.unique(np.linspace(0, x.size - 1, CURVE_POINTS).round().astype(int))
        x, y = x[keep], y[keep]
    return [round(float(v), 5) for v in x], [round(float(v), 5) for v in y]


def _curves(
    positive: np.ndarray, score: np.ndarray
) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """ROC and precision-recall curves, one point per distinct score threshold."""
    order = np.argsort(-score, kind="mergesort")
    hits = positive[order].astype(float)
    s = score[order]
    # The curve changes only where the score does: keep the last row of each tie.
    last = np.r_[np.flatnonzero(np.diff(s)), s.size - 1]
    tp = np.cumsum(hits)[last]
    fp = (last + 1) - tp
    n_pos, n_neg = hits.sum(), hits.size - hits.sum()
    tpr = np.r_[0.0, tp / n_pos]
    fpr = np.r_[0.0, fp / n_neg]
    precision = np.r_[1.0, tp / (tp + fp)]
    recall = np.r_[0.0, tp / n_pos]
    fx, fy = _thin(fpr, tpr)
    rx, ry = _thin(recall, precision)
    return {"fpr": fx, "tpr": fy}, {"recall": rx, "precision": ry}


def _regression(y_true: np.ndarray, y_pred: np.ndarray, *, seed: int) -> Charts:
    n = y_true.size
    if n > SCATTER_POINTS:
        pick = np.sort(np.random.default_rng(seed).choice(n, SCATTER_POINTS, replace=False))
    else:
        pick = np.arange(n)
    residual = y_pred - y_true
    finite = residual[np.isfinite(residual)]
    counts, edges = (
        np.histogram(finite, bins=RESIDUAL_BINS) if finite.size else (np.zeros(0), np.zeros(0))
    )
    return Charts(
        scatter={
            "actual": [round(float(v), 6) for v in y_true[pick]],
            "predicted": [round(float(v), 6) for v in y_pred[pick]],
        },
        residuals={
            "edges": [round(float(v), 6) for v in edges],
            "counts": [int(v) for v in counts],
        },
    )
