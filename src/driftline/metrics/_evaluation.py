"""Evaluation: every metric with a bootstrap confidence interval, overall and per class."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from driftline.errors import InputError
from driftline.metrics._bootstrap import percentiles, resample_blocks
from driftline.metrics._encode import encode_labels, metric_names
from driftline.metrics._interval import Interval
from driftline.metrics._predict import Task
from driftline.metrics._scores import (
    scorer,
)

__all__ = ["Evaluation", "evaluate_predictions", "metric_value"]

FORMAT = 1


@dataclass
class Evaluation:
    """How good a model's predictions are, with the uncertainty of a finite sample.

    ``metrics`` maps a metric name to its :class:`Interval`; ``per_class``
    maps a class (as text) to its own metrics, for classifiers.
    """

    task: Task
    n: int
    metrics: dict[str, Interval]
    classes: list[Any] | None = None
    per_class: dict[str, dict[str, Interval]] = field(default_factory=dict)
    support: dict[str, int] = field(default_factory=dict)
    confidence: float = 0.95
    n_resamples: int = 0

    def __getitem__(self, name: str) -> Interval:
        return self.metrics[name]

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "task": self.task,
            "n": self.n,
            "classes": self.classes,
            "confidence": self.confidence,
            "n_resamples": self.n_resamples,
            "metrics": {k: v.to_dict() for k, v in self.metrics.items()},
            "per_class": {
                c: {k: v.to_dict() for k, v in m.items()} for c, m in self.per_class.items()
            },
            "support": dict(self.support),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Evaluation:
        if data.get("format") != FORMAT:
            raise InputError(
                f"evaluation format {data.get('format')!r} is not readable by this "
                f"driftline (reads format {FORMAT}); upgrade driftline"
            )
        return cls(
            task=data["task"],
            n=int(data["n"]),
            classes=data.get("classes"),
            confidence=float(data["confidence"]),
            n_resamples=int(data["n_resamples"]),
            metrics={k: Interval.from_dict(v) for k, v in data["metrics"].items()},
            per_class={
                c: {k: Interval.from_dict(v) for k, v in m.items()}
                for c, m in data.get("per_class", {}).items()
            },
            support={str(k): int(v) for k, v in data.get("support", {}).items()},
        )

    def summary(self) -> str:
        """The headline in one sentence: the first metric with its interval."""
        name, iv = next(iter(self.metrics.items()))
        pct = round(100 * self.confidence)
        if math.isfinite(iv.low):
            return (
                f"{name} {iv.value:.3f} ({pct}% interval {iv.low:.3f} to {iv.high:.3f}) "
                f"on {self.n:,} rows"
            )
        return f"{name} {iv.value:.3f} on {self.n:,} rows"

    def __rich_console__(self, console: Any, options: Any) -> Iterator[Any]:
        from rich.table import Table

        pct = round(100 * self.confidence)
        table = Table(title=f"{self.task} model on {self.n:,} rows", title_justify="left")
        table.add_column("metric")
        table.add_column("value", justify="right")
        table.add_column(f"{pct}% interval", justify="right")
        for name, iv in self.metrics.items():
            band = f"{iv.low:.3f} to {iv.high:.3f}" if math.isfinite(iv.low) else ""
            table.add_row(name, f"{iv.value:.3f}" if math.isfinite(iv.value) else "n/a", band)
        yield table
        if self.per_class:
            names = list(next(iter(self.per_class.values())))
            per = Table(title="per class", title_justify="left")
            per.add_column("class")
            per.add_column("rows", justify="right")
            for name in names:
                per.add_column(name, justify="right")
            for c, m in self.per_class.items():
                per.add_row(
                    c, f"{self.support.get(c, 0):,}", *(f"{m[name].value:.3f}" for name in names)
                )
            yield per


def evaluate_predictions(
    y_true: Any,
    *,
    y_pred: Any = None,
    y_proba: Any = None,
    classes: Any = None,
    task: Task | None = None,
    metrics: Sequence[str] | None = None,
    confidence: float = 0.95,
    n_resamples: int = 1000,
    seed: int = 0,
) -> Evaluation:
    """Every metric of some predictions, each with a percentile bootstrap interval.

    Parameters
    ----------
    y_true:
        The true labels (classification) or values (regression).
    y_pred, y_proba:
        Predicted labels and/or class probabilities (columns in ``classes``
        order; a 1-D array is the positive class of a binary model).
    classes:
        The model's classes. Binary precision, recall and F1 are those of
        ``classes[1]``; multiclass ones are macro averages, and every class
        has its own in ``per_class``.
    n_resamples:
        Bootstrap resamples over rows; 0 gives point values only.

    >>> ev = evaluate_predictions([0, 1, 1, 0, 1], y_pred=[0, 1, 0, 0, 1], n_resamples=0)
    >>> round(ev["accuracy"].value, 2), round(ev["recall"].value, 3)
    (0.8, 0.667)
    """
    if not 0 < confidence < 1:
        raise InputError(f"confidence must be between 0 and 1, got {confidence}")
    if n_resamples < 0:
        raise InputError(f"n_resamples must be 0 or more, got {n_resamples}")
    enc, labels = encode_labels(y_true, y_pred, y_proba, classes, task)
    names = metric_names(enc, metrics)
    n = len(enc.y_true)
    score = scorer(enc, names)
    point, per_point = score(np.ones((1, n)))

    lows: dict[str, float] = {}
    highs: dict[str, float] = {}
    class_bounds: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    if n_resamples:
        draws: dict[str, list[np.ndarray]] = {m: [] for m in point}
        class_draws: dict[str, list[np.ndarray]] = {m: [] for m in per_point}
        for W in resample_blocks(n, n_resamples, seed):
            overall, per = score(W)
            for m, v in overall.items():
                draws[m].append(v)
            for m, v in per.items():
                class_draws[m].append(v)
        q = [50 * (1 - confidence), 50 * (1 + confidence)]
        for m, parts in draws.items():
            lows[m], highs[m] = percentiles(np.concatenate(parts), q)
        for m, parts in class_draws.items():
            values = np.concatenate(parts)
            bounds = [percentiles(values[:, i], q) for i in range(values.shape[1])]
            class_bounds[m] = (
                np.array([b[0] for b in bounds]),
                np.array([b[1] for b in bounds]),
            )

    result = {
        m: Interval(float(v[0]), lows.get(m, math.nan), highs.get(m, math.nan))
        for m, v in point.items()
    }
    per_class: dict[str, dict[str, Interval]] = {}
    support: dict[str, int] = {}
    if labels is not None:
        counts = np.bincount(enc.y_true, minlength=len(labels))
        for i, c in enumerate(labels):
            key = str(c)
            support[key] = int(counts[i])
            per_class[key] = {
                m: Interval(
                    float(v[0, i]),
                    float(class_bounds[m][0][i]) if m in class_bounds else math.nan,
                    float(class_bounds[m][1][i]) if m in class_bounds else math.nan,
                )
                for m, v in per_point.items()
            }
    return Evaluation(
        task=enc.task,  # type: ignore[arg-type]
        n=n,
        metrics=result,
        classes=labels,
        per_class=per_class,
        support=support,
        confidence=confidence,
        n_resamples=n_resamples,
    )


def metric_value(
    name: str,
    y_true: Any,
    *,
    y_pred: Any = None,
    y_proba: Any = None,
    classes: Any = None,
    task: Task | None = None,
) -> float:
    """One metric's value on all rows, without an interval (fast).

    >>> metric_value("mae", [1.0, 2.0, 4.0], y_pred=[1.5, 2.0, 3.0])
    0.5
    """
    enc, _ = encode_labels(y_true, y_pred, y_proba, classes, task)
    names = metric_names(enc, [name])
    return float(scorer(enc, names)(np.ones((1, len(enc.y_true))))[0][name][0])
