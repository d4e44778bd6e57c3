"""discover_slices: the groups of rows a model serves worst, found and tested."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from driftline.errors import InputError
from driftline.metrics import Evaluation, Interval
from driftline.slices._encode import Feature, encode_columns
from driftline.slices._frame import as_frame
from driftline.slices._loss import Loss, row_loss, scored
from driftline.slices._report import SliceFinding, SliceReport, sentence
from driftline.slices._search import Found, search
from driftline.slices._significance import CORRECTIONS, Sums, adjust, worse_p_values
from driftline.slices._spec import Slice

__all__ = ["discover_slices", "resolve_support"]

# At most this many significant slices are checked for redundancy per slice reported.
_CHECKED_PER_SLICE = 50


def resolve_support(min_support: int | float | None, n_rows: int) -> int:
    """Rows a slice needs: a count, a share of the rows, or by default 1% (at least 30)."""
    if min_support is None:
        return max(30, math.ceil(0.01 * n_rows))
    if isinstance(min_support, bool) or not isinstance(min_support, int | float):
        raise InputError(f"min_support must be a row count or a share, got {min_support!r}")
    if 0 < min_support < 1:
        return max(2, math.ceil(min_support * n_rows))
    if min_support >= 1 and float(min_support).is_integer():
        return int(min_support)
    raise InputError(
        f"min_support must be a row count (e.g. 50) or a share of rows between 0 and 1 "
        f"(e.g. 0.01), got {min_support!r}"
    )


def discover_slices(
    frame: Any,
    y_true: Any,
    predictions: Any,
    *,
    metric: str = "auto",
    columns: Sequence[str] | None = None,
    max_depth: int = 3,
    min_support: int | float | None = None,
    max_slices: int = 10,
    alpha: float = 0.05,
    correction: str = "bh",
    bins: int = 4,
    max_categories: int = 20,
    error_weight: float = 0.95,
    confidence: float = 0.95,
    n_resamples: int = 1000,
    seed: int = 0,
    overall: Evaluation | None = None,
) -> SliceReport:
    """The slices a model serves significantly worse than the whole, described in words.

    Numeric columns are cut into ``bins`` quantile bins (plus missing),
    text and boolean columns by value (values rarer than ``min_support``
    grouped); slices are conjunctions of up to ``max_depth`` such
    conditions on different columns with at least ``min_support`` rows
    (default 1% of the rows, at least 30). The search is SliceLine's: a
    slice's score is ``error_weight * (its mean loss / overall - 1) -
    (1 - error_weight) * (rows / its rows - 1)``, and branches whose score
    bound cannot beat zero are pruned.

    The loss per row is misclassification for classifiers (``metric="auto"``
    or ``"accuracy"``; ``"log_loss"`` or ``"brier"`` with probabilities) and
    absolute error for regressors (``"mae"``; ``"rmse"``: squared error;
    ``"mape"``). Every slice reached is tested one-sided against the other
    rows (Fisher's exact test for 0/1 losses, Welch's t otherwise), and the
    p-values are adjusted together (``correction``: ``"bh"`` or ``"holm"``).
    Reported are slices with adjusted p at most ``alpha`` and a positive
    score, highest score first, without those another reported slice
    explains (a slice inside it that is not served worse than the rest of
    it, or a slice whose excess vanishes once the rows they share are
    removed); at most ``max_slices``. Each has its metric with a bootstrap
    interval (``confidence``, ``n_resamples``, ``seed``). ``overall`` is the
    evaluation of all rows with the same settings, when the caller already has
    it: it is not computed again.
    """
    _check_options(max_depth, alpha, correction, bins, error_weight, max_slices)
    table = as_frame(frame)
    data = scored(y_true, predictions, table.n_rows)
    loss = row_loss(metric, data)
    names = _columns(table.columns, columns)
    support = resolve_support(min_support, table.n_rows)
    features, skipped = encode_columns(
        table, names, bins=bins, min_support=support, max_categories=max_categories
    )
    found = search(
        features, loss.values, max_depth=max_depth, min_support=support, weight=error_weight
    )
    p_values = _p_values(found, loss)
    adjusted = adjust(p_values, correction)
    chosen = _choose(found, features, loss, p_values, adjusted, alpha, max_slices)

    whole = data.evaluate(
        [loss.metric], known=overall, confidence=confidence, n_resamples=n_resamples, seed=seed
    )
    overall_value = whole.metrics[loss.metric]
    findings = []
    for i in chosen:
        rows = _mask(found, features, i)
        part = data.take(rows).evaluate(
            [loss.metric], confidence=confidence, n_resamples=n_resamples, seed=seed
        )
        findings.append(
            _finding(
                _slice(found, features, i),
                loss.metric,
                part.metrics[loss.metric],
                overall_value.value,
                rows=int(rows.sum()),
                n_rows=table.n_rows,
                p_value=float(p_values[i]),
                adjusted_p=float(adjusted[i]),
                score=float(found.score[i]),
            )
        )
    return SliceReport(
        kind="discovered",
        task=data.task,
        metric=loss.metric,
        overall=Interval(overall_value.value, overall_value.low, overall_value.high),
        n_rows=table.n_rows,
        findings=findings,
        overall_metrics=dict(whole.metrics),
        confidence=confidence,
        alpha=alpha,
        correction=correction,
        n_tested=len(found),
        settings={
            "columns": names,
            "max_depth": max_depth,
            "min_support": support,
            "max_slices": max_slices,
            "bins": bins,
            "max_categories": max_categories,
            "error_weight": error_weight,
            "n_resamples": n_resamples,
            "seed": seed,
            "evaluated": found.evaluated,
        },
        skipped=skipped,
    )


def _check_options(
    max_depth: int,
    alpha: float,
    correction: str,
    bins: int,
    error_weight: float,
    max_slices: int,
) -> None:
    if not 1 <= max_depth <= 5:
        raise InputError(f"max_depth must be 1 to 5 conditions, got {max_depth}")
    if not 0 < alpha < 1:
        raise InputError(f"alpha must be between 0 and 1, got {alpha}")
    if correction not in CORRECTIONS:
        raise InputError(f"correction must be one of {CORRECTIONS}, got {correction!r}")
    if bins < 2:
        raise InputError(f"bins must be 2 or more, got {bins}")
    if not 0 < error_weight <= 1:
        raise InputError(f"error_weight must be in (0, 1], got {error_weight}")
    if max_slices < 1:
        raise InputError(f"max_slices must be 1 or more, got {max_slices}")


def _columns(available: Sequence[str], wanted: Sequence[str] | None) -> list[str]:
    names = list(available if wanted is None else wanted)
    for name in names:
        if name not in available:
            raise InputError(
                f"no column {name!r} to search; columns available: {', '.join(available)}"
            )
    return names


def _p_values(found: Found, loss: Loss) -> np.ndarray:
    """One-sided p-values: is each slice served worse than the rows outside it?"""
    everyone = Sums(
        np.array([len(loss.values)]),
        np.array([loss.values.sum()]),
        np.array([(loss.values**2).sum()]),
    )
    group = Sums(found.n, found.total, found.squares)
    return worse_p_values(group, everyone - group, binary=loss.binary)


def _finding(
    the_slice: Slice,
    metric: str,
    value: Interval,
    overall: float,
    *,
    rows: int,
    n_rows: int,
    p_value: float,
    adjusted_p: float,
    score: float,
) -> SliceFinding:
    share = rows / n_rows
    return SliceFinding(
        slice=the_slice,
        metric=metric,
        value=value,
        overall=overall,
        rows=rows,
        share=share,
        p_value=p_value,
        adjusted_p=adjusted_p,
        sentence=sentence(the_slice.describe(), metric, value, overall, rows, share),
        metrics={metric: value},
        score=score,
    )


def _mask(found: Found, features: list[Feature], i: int) -> np.ndarray:
    rows = np.ones(len(features[0].codes), dtype=bool)
    for j, code in zip(found.columns[i], found.codes[i], strict=True):
        if j >= 0:
            rows &= features[j].codes == code
    return rows


def _slice(found: Found, features: list[Feature], i: int) -> Slice:
    return Slice(
        tuple(
            features[j].conditions[code]
            for j, code in zip(found.columns[i], found.codes[i], strict=True)
            if j >= 0
        )
    )


def _choose(
    found: Found,
    features: list[Feature],
    loss: Loss,
    p_values: np.ndarray,
    adjusted: np.ndarray,
    alpha: float,
    max_slices: int,
) -> list[int]:
    """Significant slices, highest score first, without the ones a kept slice explains."""
    significant = adjusted <= alpha
    candidates = np.flatnonzero(significant & (found.score > 0))
    if not candidates.size:
        return []
    # A slice must stand on its own at the level the correction held every slice to:
    # judged at plain alpha, the slices picked for their high loss would pass by selection.
    level = float(p_values[significant].max())
    candidates = candidates[np.argsort(-found.score[candidates], kind="stable")]
    candidates = candidates[: max_slices * _CHECKED_PER_SLICE]
    kept: list[int] = []
    masks: list[np.ndarray] = []
    for i in candidates:
        rows = _mask(found, features, int(i))
        if all(not _explained(rows, other, loss, level) for other in masks):
            kept.append(int(i))
            masks.append(rows)
            if len(kept) == max_slices:
                break
    return kept


def _explained(rows: np.ndarray, kept: np.ndarray, loss: Loss, level: float) -> bool:
    """Whether a kept slice accounts for this slice's excess loss.

    Inside the kept slice: explained unless it is worse than the rest of the
    kept slice. Overlapping or containing it: explained unless its rows
    outside the kept slice are worse than the rows in neither.
    """
    values = loss.values
    if not (rows & ~kept).any():
        group, rest = rows, kept & ~rows
    else:
        group, rest = rows & ~kept, ~(rows | kept)
    if group.sum() < 2 or rest.sum() < 2:
        return True
    p = worse_p_values(Sums.of(values, group), Sums.of(values, rest), binary=loss.binary)
    return bool(p[0] > level)
