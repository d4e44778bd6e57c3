"""What a performance estimate says: the headline, one sentence per window, how it was made.

A window counts as worse only when its whole band lies on the worse side of
the value measured on the labelled reference, as monitoring counts a drop:
a point estimate a little lower is what chance gives. Each template is
tested with its numbers (tests/estimate/test_words.py).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from typing import Protocol

from driftline.estimate._window import MetricEstimate, WindowEstimate
from driftline.metrics import HIGHER_IS_BETTER, metric_label
from driftline.words import capital, count_of, during, numbers, plural, span

__all__ = [
    "better",
    "estimate_headline",
    "lead_metric",
    "method_sentence",
    "method_words",
    "window_sentence",
    "window_words",
    "worse",
]


class Estimate(Protocol):
    """What the sentences read of a :class:`~driftline.estimate.PerformanceEstimate`."""

    @property
    def method(self) -> str: ...
    @property
    def metrics(self) -> Sequence[str]: ...
    @property
    def confidence(self) -> float: ...
    @property
    def n_reference(self) -> int: ...
    @property
    def reference(self) -> Mapping[str, float]: ...
    @property
    def windows(self) -> Sequence[WindowEstimate]: ...
    @property
    def calibration(self) -> str | None: ...


def method_words(method: str) -> str:
    """How an estimate is made, as a phrase: "from the model's own confidence ... (CBPE)"."""
    if method == "dle":
        return "by a second model that learned where this one errs (direct loss estimation, DLE)"
    return "from the model's own confidence in its answers (confidence-based estimation, CBPE)"


def method_sentence(estimate: Estimate) -> str:
    """ "Estimated from the model's own confidence (CBPE), fitted on 2,000 labelled rows ..."."""
    recalibrated = (
        f"; its probabilities were recalibrated first ({estimate.calibration})"
        if estimate.calibration not in (None, "none")
        else ""
    )
    return (
        f"Estimated {method_words(estimate.method)}, fitted on "
        f"{plural(estimate.n_reference, 'labelled reference row')}{recalibrated}; each band "
        f"holds the true value with {100 * estimate.confidence:g}% probability."
    )


def worse(metric: str, m: MetricEstimate, reference: float | None) -> bool:
    """Is the whole band on the worse side of the reference value?"""
    if reference is None or not math.isfinite(reference):
        return False
    if HIGHER_IS_BETTER.get(metric, True):
        return math.isfinite(m.high) and m.high < reference
    return math.isfinite(m.low) and m.low > reference


def better(metric: str, m: MetricEstimate, reference: float | None) -> bool:
    """Is the whole band on the better side of the reference value?"""
    if reference is None or not math.isfinite(reference):
        return False
    if HIGHER_IS_BETTER.get(metric, True):
        return math.isfinite(m.low) and m.low > reference
    return math.isfinite(m.high) and m.high < reference


def window_words(start: int | dt.datetime, end: int | dt.datetime) -> str:
    """A window's place: "rows 1 to 1,000" (people count rows from 1) or its time span."""
    if isinstance(start, dt.datetime) and isinstance(end, dt.datetime):
        return span(start, end)
    return f"rows {int(start) + 1:,} to {int(end):,}"  # type: ignore[arg-type]


def _where(w: WindowEstimate) -> str:
    return capital(window_words(w.start, w.end))


def _figure(estimate: Estimate, w: WindowEstimate, metric: str) -> str:
    """ "0.84 (likely between 0.81 and 0.87), clearly worse than the 0.91 on the reference data"."""
    m = w.metrics[metric]
    value, low, high = numbers(m.value, m.low, m.high)
    text = f"{value} (likely between {low} and {high})"
    ref = estimate.reference.get(metric)
    if ref is not None and math.isfinite(ref):
        shown = numbers(ref, m.value)[0]
        if worse(metric, m, ref):
            text += f", clearly worse than the {shown} on the reference data"
        elif better(metric, m, ref):
            text += f", clearly better than the {shown} on the reference data"
        else:
            text += f", within chance of the {shown} on the reference data"
    if m.realized is not None and w.labelled:
        measure = "measures" if w.labelled == 1 else "measure"
        text += f"; {plural(w.labelled, 'labelled row')} {measure} {numbers(m.realized)[0]}"
    return text


def _unknown(w: WindowEstimate, metric: str) -> str:
    these = "this" if w.rows == 1 else "these"
    return f"{metric_label(metric)} cannot be estimated on {these} {plural(w.rows, 'row')}"


def window_sentence(estimate: Estimate, w: WindowEstimate, metric: str) -> str:
    """ "Rows 1 to 1,000: estimated accuracy 0.84 (likely between 0.81 and 0.87), ..."."""
    if not math.isfinite(w.metrics[metric].value):
        return f"{_where(w)}: {_unknown(w, metric)}."
    return f"{_where(w)}: estimated {metric_label(metric)} {_figure(estimate, w, metric)}."


def lead_metric(estimate: Estimate) -> str | None:
    for preferred in ("accuracy", "mae"):
        if preferred in estimate.metrics:
            return preferred
    return estimate.metrics[0] if estimate.metrics else None


def _phrase(w: WindowEstimate) -> str:
    """The window as a time phrase: "in rows 1 to 1,000", "on Tue 1 Dec"."""
    if isinstance(w.start, dt.datetime) and isinstance(w.end, dt.datetime):
        return during(w.start, w.end)
    return f"in {window_words(w.start, w.end)}"


_NOTHING = "Nothing to do."
_CONFIRM = "Label a sample of {those} rows to confirm it, and retrain on recent data if it holds."


def estimate_headline(estimate: Estimate) -> str:
    """The estimate in one sentence: how well, against the reference, and what to do."""
    metric = lead_metric(estimate)
    if metric is None or not estimate.windows:
        return "Nothing was estimated: there were no rows."
    ref = estimate.reference.get(metric)
    if len(estimate.windows) == 1:
        w = estimate.windows[0]
        if not math.isfinite(w.metrics[metric].value):
            return f"{capital(_unknown(w, metric))}. Estimate on more rows."
        todo = _CONFIRM.format(those="these") if worse(metric, w.metrics[metric], ref) else _NOTHING
        return f"Estimated {metric_label(metric)} is {_figure(estimate, w, metric)}. {todo}"
    values = [w.metrics[metric].value for w in estimate.windows]
    finite = [v for v in values if math.isfinite(v)]
    n = len(estimate.windows)
    lo_value, hi_value = min(finite, default=math.nan), max(finite, default=math.nan)
    lo, hi, at = numbers(lo_value, hi_value, ref)
    spread = (
        f"Estimated {metric_label(metric)} ranges from {lo} to {hi} across {plural(n, 'window')}"
    )
    if ref is None or not math.isfinite(ref):
        return f"{spread}."
    bad = [w for w in estimate.windows if worse(metric, w.metrics[metric], ref)]
    if not bad:
        return f"{spread}; none is clearly worse than the {at} on the reference data. {_NOTHING}"
    higher = HIGHER_IS_BETTER.get(metric, True)
    worst = sorted(bad, key=lambda w: w.metrics[metric].value, reverse=not higher)[0]
    shown = numbers(lo_value, hi_value, ref, worst.metrics[metric].value)[3]
    which = "most of all " if len(bad) > 1 else ""
    return (
        f"{spread}; it is clearly worse than the {at} on the reference data in "
        f"{count_of(len(bad), n, 'window')}, {which}{_phrase(worst)} ({shown}). "
        f"{_CONFIRM.format(those='those')}"
    )
