"""evaluate_slices: the slices people name, each with the metrics of the whole."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from driftline.errors import InputError
from driftline.metrics import Evaluation, Interval
from driftline.slices._frame import Frame, as_frame
from driftline.slices._loss import LOSS_METRICS, row_loss, scored
from driftline.slices._report import SliceFinding, SliceReport, sentence
from driftline.slices._significance import CORRECTIONS, Sums, adjust, worse_p_values
from driftline.slices._spec import Slice, parse_slice

__all__ = ["as_slices", "evaluate_slices"]

SliceLike = Slice | str


def as_slices(slices: Any, frame: Frame | None = None) -> list[Slice]:
    """Slices from a Slice, its text, a list of either, or a mapping of names to either."""
    columns = frame.columns if frame is not None else None

    def one(item: Any, name: str | None = None) -> Slice:
        if isinstance(item, Slice):
            if name is not None and item.name != name:
                return Slice(item.conditions, name=name)
            return item
        if isinstance(item, str):
            return parse_slice(item, columns=columns, name=name)
        raise InputError(
            f"a slice must be a driftline.slices.Slice or its text (e.g. 'age>=60 and "
            f"region=North'), got {type(item).__name__}"
        )

    if isinstance(slices, Slice | str):
        return [one(slices)]
    if isinstance(slices, Mapping):
        return [one(item, str(name)) for name, item in slices.items()]
    if isinstance(slices, Sequence):
        return [one(item) for item in slices]
    raise InputError(
        f"slices must be a Slice, its text, a list of them or a mapping of names to them, "
        f"got {type(slices).__name__}"
    )


def evaluate_slices(
    frame: Any,
    y_true: Any,
    predictions: Any,
    slices: Any,
    *,
    metrics: Sequence[str] | None = None,
    confidence: float = 0.95,
    n_resamples: int = 1000,
    seed: int = 0,
    min_rows: int = 30,
    alpha: float = 0.05,
    correction: str = "holm",
    overall: Evaluation | None = None,
) -> SliceReport:
    """Each slice's metrics with bootstrap intervals, beside the same metrics on all rows.

    ``slices`` is a :class:`Slice`, its text (``"age>=60 and region=North"``),
    a list of them, or a mapping of names to them. ``metrics`` are those of
    :func:`driftline.metrics.evaluate_predictions` (all that apply by
    default); the first is the one the report leads with. A slice with fewer
    than ``min_rows`` rows is reported as too few rows to judge, not dropped.
    When the first metric is a mean over rows (accuracy, log loss, Brier,
    MAE, RMSE, MAPE), each slice is also tested one-sided against the other
    rows, and the p-values adjusted over the slices judged (``correction``
    ``"holm"`` or ``"bh"``). ``overall`` is the evaluation of all rows with
    the same settings, when the caller already has it: it is not computed again.

    >>> import numpy as np, pandas as pd
    >>> from driftline.metrics import Predictions
    >>> frame = pd.DataFrame({"region": ["North"] * 40 + ["South"] * 40})
    >>> y = np.array([0, 1] * 40)
    >>> pred = Predictions(np.r_[y[:40], 1 - y[40:50], y[50:]], None, np.array([0, 1]), "binary")
    >>> report = evaluate_slices(frame, y, pred, ["region=North", "region=South"], n_resamples=0)
    >>> [round(f.value.value, 2) for f in report.findings]
    [1.0, 0.75]
    """
    if min_rows < 1:
        raise InputError(f"min_rows must be 1 or more, got {min_rows}")
    if correction not in CORRECTIONS:
        raise InputError(f"correction must be one of {CORRECTIONS}, got {correction!r}")
    table = as_frame(frame)
    data = scored(y_true, predictions, table.n_rows)
    chosen = as_slices(slices, table)
    if not chosen:
        raise InputError("no slices to evaluate; pass at least one, e.g. 'region=North'")
    kwargs: dict[str, Any] = {"confidence": confidence, "n_resamples": n_resamples, "seed": seed}
    whole = data.evaluate(metrics, known=overall, **kwargs)
    names = list(whole.metrics)
    metric = names[0]
    headline = whole.metrics[metric]

    masks = [s.mask(table) for s in chosen]
    counts = [int(m.sum()) for m in masks]
    judged = [i for i, c in enumerate(counts) if c >= min_rows]
    p_values: dict[int, float] = {}
    adjusted: dict[int, float] = {}
    if metric in LOSS_METRICS and judged:
        loss = row_loss(metric, data)
        group = _sums(loss.values, [masks[i] for i in judged])
        rest = _sums(loss.values, [~masks[i] for i in judged])
        p = worse_p_values(group, rest, binary=loss.binary)
        adj = adjust(p, correction)
        p_values = {i: float(v) for i, v in zip(judged, p, strict=True)}
        adjusted = {i: float(v) for i, v in zip(judged, adj, strict=True)}

    findings = []
    for i, (the_slice, rows, count) in enumerate(zip(chosen, masks, counts, strict=True)):
        share = count / table.n_rows if table.n_rows else 0.0
        value: Interval | None = None
        values: dict[str, Interval] = {}
        if count >= min_rows:
            values = dict(data.take(rows).evaluate(names, **kwargs).metrics)
            value = values[metric]
        words = sentence(the_slice.label, metric, value, headline.value, count, share)
        if value is None:
            words += f"; at least {min_rows} needed"
        findings.append(
            SliceFinding(
                slice=the_slice,
                metric=metric,
                value=value,
                overall=headline.value,
                rows=count,
                share=share,
                p_value=p_values.get(i),
                adjusted_p=adjusted.get(i),
                sentence=words,
                metrics=values,
            )
        )
    return SliceReport(
        kind="defined",
        task=data.task,
        metric=metric,
        overall=headline,
        n_rows=table.n_rows,
        findings=findings,
        overall_metrics=dict(whole.metrics),
        confidence=confidence,
        alpha=alpha,
        correction=correction,
        n_tested=len(p_values),
        settings={"min_rows": min_rows, "n_resamples": n_resamples, "seed": seed},
    )


def _sums(values: np.ndarray, masks: list[np.ndarray]) -> Sums:
    stacked = np.stack(masks).astype(float)
    return Sums(stacked.sum(axis=1), stacked @ values, stacked @ values**2)
