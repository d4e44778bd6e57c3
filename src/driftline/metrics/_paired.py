"""Candidate and baseline on the same rows: a paired bootstrap of their difference.

Both models are scored on the *same* resampled rows in every resample, so
the interval of the difference is as narrow as their agreement allows: two
models that err on the same hard rows differ little, however noisy each
one's own accuracy is. Scoring uses the weight-matrix metrics of
:mod:`driftline.metrics` (one matrix product per metric for all resamples).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from driftline.errors import InputError
from driftline.metrics._bootstrap import percentiles, resample_blocks
from driftline.metrics._encode import encode_labels, metric_names
from driftline.metrics._interval import Interval
from driftline.metrics._predict import Predictions
from driftline.metrics._scores import HIGHER_IS_BETTER, Encoded, scorer

__all__ = ["Paired", "compare_predictions", "metric_applicable", "paired_bootstrap"]


@dataclass(frozen=True)
class Paired:
    """One metric: the candidate's and baseline's intervals and that of their difference."""

    metric: str
    candidate: Interval
    baseline: Interval | None
    difference: Interval | None
    # The resampled values behind the intervals, to read them at another confidence.
    draws: tuple[np.ndarray, np.ndarray | None] = field(default=(np.zeros(0), None), repr=False)

    def at(self, confidence: float) -> Paired:
        """The same figures with intervals at another confidence, from the same resamples."""
        return _summary(
            self.metric,
            self.candidate.value,
            self.baseline.value if self.baseline else None,
            *self.draws,
            confidence,
        )

    @property
    def higher_is_better(self) -> bool:
        return HIGHER_IS_BETTER[self.metric]

    def gain(self) -> Interval | None:
        """How much better the candidate is (negative: worse), in the metric's units."""
        d = self.difference
        if d is None:
            return None
        if self.higher_is_better:
            return d
        return Interval(-d.value, -d.high, -d.low)


def _overall(enc: Encoded, names: tuple[str, ...]) -> Callable[[np.ndarray], dict[str, np.ndarray]]:
    """Weights (b, n) -> each metric's b values, overall (the per-class values are not needed)."""
    score = scorer(enc, names)
    return lambda W: score(W)[0]


def _encoded(y_true: np.ndarray, p: Predictions) -> Encoded:
    enc, _ = encode_labels(y_true, p.y_pred, p.y_proba, p.classes, p.task)
    return enc


def metric_applicable(metric: str, p: Predictions) -> str | None:
    """Why ``metric`` cannot be computed for these predictions; None when it can."""
    try:
        metric_names(_stub(p), [metric])
    except InputError as exc:
        return str(exc)
    return None


def _stub(p: Predictions) -> Encoded:
    # metric_names only looks at the task and whether there are probabilities.
    proba = None if p.y_proba is None else np.zeros((0, p.y_proba.shape[1]))
    return Encoded(p.task, np.zeros(0), np.zeros(0), proba)


def paired_bootstrap(
    y_true: np.ndarray,
    candidate: Predictions,
    baseline: Predictions | None,
    metrics: Sequence[str],
    *,
    confidence: float,
    n_resamples: int,
    seed: int,
) -> dict[str, Paired]:
    """Each metric for the candidate (and baseline), with intervals from shared resamples.

    Every metric in ``metrics`` must be applicable (see :func:`metric_applicable`).
    """
    y_true = np.asarray(y_true)
    n = len(y_true)
    names = tuple(metrics)
    if not names:
        return {}
    score_c = _overall(_encoded(y_true, candidate), names)
    score_b = _overall(_encoded(y_true, baseline), names) if baseline else None
    ones = np.ones((1, n))
    point_c = {m: float(v[0]) for m, v in score_c(ones).items()}
    point_b = {m: float(v[0]) for m, v in score_b(ones).items()} if score_b else {}
    draws_c: dict[str, list[np.ndarray]] = {m: [] for m in names}
    draws_b: dict[str, list[np.ndarray]] = {m: [] for m in names}
    for W in resample_blocks(n, n_resamples, seed):
        for m, v in score_c(W).items():
            draws_c[m].append(v)
        if score_b is not None:
            for m, v in score_b(W).items():
                draws_b[m].append(v)
    out = {}
    for m in names:
        c = np.concatenate(draws_c[m]) if draws_c[m] else np.zeros(0)
        b = None
        if score_b is not None:
            b = np.concatenate(draws_b[m]) if draws_b[m] else np.zeros(0)
        out[m] = _summary(m, point_c[m], point_b.get(m), c, b, confidence)
    return out


def _summary(
    metric: str,
    point_c: float,
    point_b: float | None,
    c: np.ndarray,
    b: np.ndarray | None,
    confidence: float,
) -> Paired:
    q = [50 * (1 - confidence), 50 * (1 + confidence)]
    cand = Interval(point_c, *percentiles(c, q))
    base = diff = None
    if b is not None and point_b is not None:
        base = Interval(point_b, *percentiles(b, q))
        diff = Interval(point_c - point_b, *percentiles(c - b, q))
    return Paired(metric, cand, base, diff, (c, b))


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
    if not 0 < confidence < 1:
        raise InputError(f"confidence must be between 0 and 1, got {confidence}")
    y = np.asarray(y_true)
    encoded = [
        encode_labels(y, p.y_pred, p.y_proba, p.classes, p.task)[0] for p in (candidate, baseline)
    ]
    if encoded[0].task != encoded[1].task:
        raise InputError(f"cannot compare a {encoded[0].task} model with a {encoded[1].task} model")
    names = metric_names(encoded[0], metrics)
    if metrics is None:  # the metrics both models support
        names = tuple(m for m in names if m in metric_names(encoded[1], None))
    else:
        metric_names(encoded[1], metrics)
    figures = paired_bootstrap(
        y, candidate, baseline, names, confidence=confidence, n_resamples=n_resamples, seed=seed
    )
    return {m: f.difference for m, f in figures.items() if f.difference is not None}
