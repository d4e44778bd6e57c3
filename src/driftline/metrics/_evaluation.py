"""Evaluation: every metric with a bootstrap confidence interval, overall and per class."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from driftline.errors import InputError
from driftline.metrics._predict import Predictions, Task
from driftline.metrics._scores import (
    CLASSIFICATION_METRICS,
    PROBABILITY_METRICS,
    REGRESSION_METRICS,
    Encoded,
    scorer,
)

__all__ = [
    "Evaluation",
    "Interval",
    "compare_predictions",
    "encode_labels",
    "evaluate_predictions",
    "metric_value",
]

FORMAT = 1
# Resample weights are built in blocks of about this many cells, so memory
# stays near 30 MB whatever the row count.
_BLOCK_CELLS = 4_000_000


def _num(value: float) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


@dataclass(frozen=True)
class Interval:
    """A metric's value on all rows and its confidence interval."""

    value: float
    low: float
    high: float

    def to_dict(self) -> dict[str, float | None]:
        return {"value": _num(self.value), "low": _num(self.low), "high": _num(self.high)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Interval:
        def get(key: str) -> float:
            v = data.get(key)
            return math.nan if v is None else float(v)

        return cls(get("value"), get("low"), get("high"))

    def __str__(self) -> str:
        if not math.isfinite(self.value):
            return "n/a"
        if not math.isfinite(self.low):
            return f"{self.value:.3f}"
        return f"{self.value:.3f} ({self.low:.3f} to {self.high:.3f})"


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
                f"{name} {iv.value:.3f} ({pct}% CI {iv.low:.3f} to {iv.high:.3f}) "
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


def _names(enc: Encoded, metrics: Sequence[str] | None) -> tuple[str, ...]:
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


def _percentiles(values: np.ndarray, q: list[float]) -> tuple[float, float]:
    finite = values[np.isfinite(values)]
    if len(finite) == 0:
        return math.nan, math.nan
    low, high = np.percentile(finite, q)
    return float(low), float(high)


def _resample_blocks(n: int, n_resamples: int, seed: int) -> Iterator[np.ndarray]:
    """Bootstrap weights: how often each row is drawn, in blocks of resamples."""
    rng = np.random.default_rng(seed)
    per_block = max(1, _BLOCK_CELLS // n)
    done = 0
    while done < n_resamples:
        b = min(per_block, n_resamples - done)
        draws = rng.integers(0, n, size=(b, n)) + (np.arange(b) * n)[:, None]
        yield np.bincount(draws.ravel(), minlength=b * n).reshape(b, n).astype(float)
        done += b


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
    names = _names(enc, metrics)
    n = len(enc.y_true)
    score = scorer(enc, names)
    point, per_point = score(np.ones((1, n)))

    lows: dict[str, float] = {}
    highs: dict[str, float] = {}
    class_bounds: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    if n_resamples:
        draws: dict[str, list[np.ndarray]] = {m: [] for m in point}
        class_draws: dict[str, list[np.ndarray]] = {m: [] for m in per_point}
        for W in _resample_blocks(n, n_resamples, seed):
            overall, per = score(W)
            for m, v in overall.items():
                draws[m].append(v)
            for m, v in per.items():
                class_draws[m].append(v)
        q = [50 * (1 - confidence), 50 * (1 + confidence)]
        for m, parts in draws.items():
            lows[m], highs[m] = _percentiles(np.concatenate(parts), q)
        for m, parts in class_draws.items():
            values = np.concatenate(parts)
            bounds = [_percentiles(values[:, i], q) for i in range(values.shape[1])]
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
    names = _names(enc, [name])
    return float(scorer(enc, names)(np.ones((1, len(enc.y_true))))[0][name][0])


def compare_predictions(
    y_true: Any,
    *,
    candidate: Predictions,
    baseline: Predictions,
    metrics: Sequence[str] | None = None,
    confidence: float = 0.95,
    n_resamples: int = 1000,
    seed: int = 0,
) -> dict[str, Interval]:
    """Candidate minus baseline for each metric, with a paired bootstrap interval.

    Both models are judged on the same resamples of the same rows, so the
    interval is of the difference itself: far narrower than two separate
    intervals when the models agree on most rows.

    >>> y = [0, 1, 1, 0, 1, 0]
    >>> a = Predictions(np.array([0, 1, 1, 0, 1, 1]), None, np.array([0, 1]), "binary")
    >>> b = Predictions(np.array([0, 1, 0, 0, 0, 1]), None, np.array([0, 1]), "binary")
    >>> round(compare_predictions(y, candidate=a, baseline=b, n_resamples=0)["accuracy"].value, 3)
    0.333
    """
    from driftline.metrics._paired import paired_bootstrap

    if not 0 < confidence < 1:
        raise InputError(f"confidence must be between 0 and 1, got {confidence}")
    y = np.asarray(y_true)
    encoded = [
        encode_labels(y, p.y_pred, p.y_proba, p.classes, p.task)[0] for p in (candidate, baseline)
    ]
    if encoded[0].task != encoded[1].task:
        raise InputError(f"cannot compare a {encoded[0].task} model with a {encoded[1].task} model")
    names = _names(encoded[0], metrics)
    if metrics is None:  # the metrics both models support
        names = tuple(m for m in names if m in _names(encoded[1], None))
    else:
        _names(encoded[1], metrics)
    figures = paired_bootstrap(
        y, candidate, baseline, names, confidence=confidence, n_resamples=n_resamples, seed=seed
    )
    return {m: f.difference for m, f in figures.items() if f.difference is not None}
