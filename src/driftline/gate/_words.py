"""What the gate says: one template per kind of criterion, and the decision's headline.

Every criterion's sentence names the version judged, what was measured, how
much against the limit, and, when it fails, what to do; the statistics
(intervals, corrections) follow in parentheses. The judge computes the
numbers and hands them here, so each template is tested with its numbers
(tests/gate/test_words.py).
"""

from __future__ import annotations

import math

from driftline.metrics import HIGHER_IS_BETTER, metric_label
from driftline.words import capital, count_of, number, numbers, plural

__all__ = [
    "audit_sentence",
    "calibration_sentence",
    "cannot_sentence",
    "fairness_sentence",
    "gap_sentence",
    "headline",
    "no_slices_sentence",
    "quality_sentence",
    "regression_sentence",
    "rows_sentence",
    "slice_regression_sentence",
    "slice_size_sentence",
    "threshold_sentence",
]

AGAIN = "then run the gate again"


def _signed(*values: float, like: tuple[float, ...] = ()) -> tuple[str, ...]:
    """Differences with their sign, in the decimals of what they compare: "+0.006", "−0.014"."""
    shown = numbers(*(abs(v) for v in values), like=like)
    return tuple(
        ("−" if v < 0 else "+") + s if math.isfinite(v) and s != "0" else s
        for v, s in zip(values, shown, strict=True)
    )


def _pct(confidence: float) -> str:
    return f"{100 * confidence:.4g}%"


def _band(low: float, high: float, value: float) -> str:
    """ " (likely between 0.91 and 0.96)", or nothing without an interval."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return ""
    lo, hi = numbers(low, high, value)[:2]
    return f" (likely between {lo} and {hi})"


def _on(where: str | None, rows: int | None) -> str:
    if not where:
        return ""
    return f" on {where}" + (f" ({plural(rows, 'row')})" if rows is not None else "")


def rows_sentence(n: int, required: int) -> str:
    """The evaluation-size criterion."""
    if n >= required:
        return (
            f"The gate judged on {plural(n, 'labelled row')}, at least the {required:,} required."
        )
    return (
        f"The gate had only {plural(n, 'labelled row')}, fewer than the {required:,} required to "
        f"judge. Judge on more labelled rows."
    )


def threshold_sentence(
    metric: str,
    candidate: str,
    value: float,
    low: float,
    high: float,
    limit: float,
    side: str,
    *,
    where: str | None = None,
    rows: int | None = None,
) -> str:
    """A minimum (``side="min"``) or a maximum on a metric, overall or on a slice."""
    what = f"{capital(metric_label(metric))} of {candidate}{_on(where, rows)}"
    if not math.isfinite(value):
        return (
            f"{what} is undefined on these rows (for example, only one class is present). "
            "Judge on rows that hold every class."
        )
    shown, bound = numbers(value)[0], number(limit)
    figure = f"{what} is {shown}{_band(low, high, value)}"
    if side == "min":
        if value >= limit:
            return f"{figure}, at least the {bound} required."
        return f"{figure}, below the {bound} required. Improve the model, {AGAIN}."
    if value <= limit:
        return f"{figure}, at most the {bound} allowed."
    return f"{figure}, above the {bound} allowed. Improve the model, {AGAIN}."


# What to do about a criterion that cannot be evaluated, by why it cannot.
NO_BASELINE = "name a version to compare with (--baseline), or drop the comparison from the gate policy for a first release"
NOT_APPLICABLE = "drop it from the gate policy for this model"
MORE_ROWS = "judge on more labelled rows"
FIX_SLICE = "fix the slice in the gate policy"
NO_TRAINING_DATA = "register the version with its training data, or set quality = { must_pass = false } in the gate policy"


def cannot_sentence(what: str, reason: str, todo: str, verb: str = "be evaluated") -> str:
    """A criterion that could not be evaluated, so it fails: why, and what to do."""
    return f"{capital(what)} cannot {verb}: {reason}. The gate fails until it can: {todo}."


def no_slices_sentence(baseline: str) -> str:
    """No slice had the rows to compare with the baseline."""
    return f"No slice has enough rows to compare with {baseline}. Judge on more labelled rows."


def regression_sentence(
    metric: str,
    candidate: str,
    baseline: str,
    values: tuple[float, float],
    difference: tuple[float, float, float],
    worst: float,
    max_drop: float,
    confidence: float,
    *,
    within: bool,
) -> str:
    """Non-inferiority: is the candidate worse than the baseline by more than ``max_drop``?

    ``worst`` is how much worse the candidate may be at the low end of the
    interval (negative: better even there); ``within`` says whether the point
    difference itself is within the allowance, so more rows could settle it.
    """
    c, b = numbers(*values)
    diff, lo, hi = _signed(*difference, like=values)
    head = f"{capital(metric_label(metric))} of {candidate} is {c} against {b} for {baseline} on the same rows"
    stats = f"(difference {diff}, {_pct(confidence)} interval {lo} to {hi}, same rows resampled for both)"
    allowed = number(max_drop)
    if not math.isfinite(worst):
        return (
            f"{head}, but the difference has no interval on these rows, so {candidate} cannot be "
            f"shown not to be worse. Judge on more labelled rows."
        )
    if worst <= 0:
        return f"{head}; even at worst it is better {stats}."
    at_worst = numbers(worst, like=values)[0]
    if worst <= max_drop:
        return f"{head}; at worst it is {at_worst} worse, within the {allowed} allowed {stats}."
    if within:
        todo = (
            f"The difference itself is within the allowance: judge on more labelled rows to "
            f"narrow the interval, {AGAIN}."
        )
    else:
        todo = f"Keep {baseline}; improve {candidate}, {AGAIN}."
    return f"{head}; it may be as much as {at_worst} worse, more than the {allowed} allowed {stats}. {todo}"


def calibration_sentence(
    candidate: str, ece: float, chance: float, rows: int, max_ece: float
) -> str:
    """The calibration ceiling: how far the probabilities are off, on average."""
    off, alone = numbers(ece, chance)
    bound = number(max_ece)
    head = (
        f"The probabilities of {candidate} are off by {off} on average (expected calibration "
        f"error; chance alone gives up to {alone} on {plural(rows, 'row')})"
    )
    if ece <= max_ece:
        return f"{head}, at most the {bound} allowed."
    return (
        f"{head}, above the {bound} allowed. Recalibrate it (driftline calibrate {candidate}), "
        f"{AGAIN} on the calibrated version."
    )


def quality_sentence(critical: int, warnings: int, problems: str) -> str:
    """The data-quality criterion: no critical problem in the rows judged."""
    if not critical:
        extra = f" ({plural(warnings, 'warning')})" if warnings else ""
        return f"The data check found no critical problem in the rows judged{extra}."
    return (
        f"The data check found {plural(critical, 'critical problem')} in the rows judged: "
        f"{problems}. Fix the data, {AGAIN}."
    )


def slice_size_sentence(label: str, rows: int, needed: int) -> str:
    """A slice too small to judge."""
    return (
        f"The slice {label} has only {plural(rows, 'row')}, fewer than the {needed:,} needed to "
        f"judge a slice. Judge on more rows, or widen the slice in the gate policy."
    )


def gap_sentence(
    metric: str,
    candidate: str,
    low: tuple[str, float],
    high: tuple[str, float],
    slices: int,
    max_gap: float,
) -> str:
    """The largest gap in a metric between slices."""
    gap = high[1] - low[1]
    lo, hi, size = numbers(low[1], high[1], gap)
    bound = number(max_gap)
    head = (
        f"{capital(metric_label(metric))} of {candidate} ranges from {lo} on {low[0]} to {hi} on "
        f"{high[0]} across {plural(slices, 'slice')}, a gap of {size}"
    )
    if gap <= max_gap:
        return f"{head}, within the {bound} allowed."
    worse = low[0] if HIGHER_IS_BETTER.get(metric, True) else high[0]
    return f"{head}, more than the {bound} allowed. Improve the model on {worse}, {AGAIN}."


def slice_regression_sentence(
    metric: str,
    candidate: str,
    baseline: str,
    label: str,
    rows: int,
    values: tuple[float, float],
    difference: tuple[float, float, float],
    confidence: float,
    slices: int,
    max_drop: float,
    worse: bool,
) -> str:
    """Is the candidate significantly worse than the baseline on one slice?"""
    c, b = numbers(*values)
    diff, lo, hi = _signed(*difference, like=values)
    corrected = f", corrected for {slices} slices" if slices > 1 else ""
    stats = f"(difference {diff}, {_pct(confidence)} interval {lo} to {hi}{corrected})"
    allowed = f" by more than the {number(max_drop)} allowed" if max_drop else ""
    head = (
        f"On {label} ({plural(rows, 'row')}), {metric_label(metric)} of {candidate} is {c} "
        f"against {b} for {baseline}"
    )
    if worse:
        return (
            f"{head}, significantly worse{allowed} {stats}. Keep {baseline}; improve {candidate} "
            f"on these rows, {AGAIN}."
        )
    return f"{head}, not significantly worse{allowed} {stats}."


def headline(candidate: str, baseline: str | None, failed: list[str], total: int) -> str:
    """The decision in one sentence, and what to do."""
    replace = f"replace {baseline}" if baseline else "be released"
    if total == 0:
        return "Gate failed: no criterion was judged. Give a gate policy with criteria."
    if not failed:
        name, _, version = candidate.rpartition(":")
        every = "the 1 criterion holds" if total == 1 else f"all {total} criteria hold"
        return (
            f"Gate passed: {candidate} may {replace}; {every}. Release it when ready, "
            f"e.g. driftline alias set {name} {version} champion."
        )
    keep = f"keep {baseline} in service" if baseline else f"do not release {candidate}"
    names = "; ".join(failed[:3]) + ("; ..." if len(failed) > 3 else "")
    return (
        f"Gate failed: {candidate} may not {replace}; {count_of(len(failed), total, 'criterion', 'criteria')} "
        f"failed ({names}). {capital(keep)}: the failed criteria say what to improve."
    )


def fairness_sentence(
    candidate: str,
    column: str,
    disparity: str,
    value: float,
    low: float,
    high: float,
    side: str,
    limit: float,
    ok: bool,
) -> str:
    """A disparity between groups against the policy's limit.

    >>> fairness_sentence("loans:3", "sex", "demographic_parity_ratio", 0.71, 0.64, 0.78,
    ...                   "min", 0.8, False)
    'loans:3 has demographic parity ratio 0.71 between the groups of `sex` (likely between 0.64 and 0.78), below the minimum 0.8; find why its groups are served differently (driftline evaluate --sensitive sex), then run the gate again.'
    >>> fairness_sentence("loans:3", "sex", "equalized_odds_difference", 0.04, 0.01, 0.07,
    ...                   "max", 0.1, True)
    'loans:3 has equalized odds difference 0.04 between the groups of `sex` (likely between 0.01 and 0.07), within the maximum 0.1.'
    """
    what = disparity.replace("_", " ")
    shown = numbers(value, low, high)[0]
    head = (
        f"{candidate} has {what} {shown} between the groups of `{column}`{_band(low, high, value)}"
    )
    if ok:
        return f"{head}, within the {'minimum' if side == 'min' else 'maximum'} {limit:g}."
    where = "below the minimum" if side == "min" else "above the maximum"
    return (
        f"{head}, {where} {limit:g}; find why its groups are served differently (driftline "
        f"evaluate --sensitive {column}), {AGAIN}."
    )


def audit_sentence(candidate: str, found: bool, passed: bool, headline: str) -> str:
    """Whether the candidate's training data passed its audit.

    >>> audit_sentence("churn:3", False, False, "")
    "churn:3's training data has no recorded audit; run driftline data audit on it, then run the gate again."
    >>> audit_sentence("churn:3", True, True, "The audit of 900 training rows found nothing to fix.")
    "churn:3's training data passed its audit: The audit of 900 training rows found nothing to fix."
    """
    if not found:
        return (
            f"{candidate}'s training data has no recorded audit; run driftline data audit on "
            f"it, {AGAIN}."
        )
    if passed:
        return f"{candidate}'s training data passed its audit: {headline}"
    return (
        f"{candidate}'s training data failed its audit: {headline} Fix the data and retrain, "
        f"{AGAIN}."
    )
