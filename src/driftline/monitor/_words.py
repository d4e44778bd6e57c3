"""What monitoring says: one sentence per window, per alert kind, per resolution, per run.

Each alert sentence says when, what happened to which model, how much, and
what to do, in words a person on call reads without a manual. The numbers
come from the window's results; every template is tested with its numbers
(tests/monitor/test_words.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

from driftline.estimate import method_words
from driftline.metrics import HIGHER_IS_BETTER, metric_label
from driftline.monitor._performance import drops
from driftline.monitor._rules import fairness_metric
from driftline.monitor._windows import parse_period
from driftline.quality import problem_words
from driftline.words import capital, count_of, during, name, numbers, percent, plural, span

if TYPE_CHECKING:
    from driftline.monitor._rules import AlertRule
    from driftline.quality import Finding


class Window(Protocol):
    """What the sentences read of a monitoring window's result."""

    @property
    def start(self) -> dt.datetime: ...
    @property
    def end(self) -> dt.datetime: ...
    @property
    def rows(self) -> int: ...
    @property
    def evaluated(self) -> bool: ...
    @property
    def metrics(self) -> dict[str, Any]: ...
    @property
    def drifted_columns(self) -> list[str]: ...
    @property
    def columns(self) -> int: ...
    @property
    def problems(self) -> list[Finding]: ...
    @property
    def min_rows(self) -> int: ...


class Run(Protocol):
    """What the headline reads of a monitoring run."""

    @property
    def model(self) -> str: ...
    @property
    def version(self) -> int: ...
    @property
    def window(self) -> str: ...
    @property
    def windows(self) -> Sequence[Window]: ...
    @property
    def opened(self) -> Sequence[Any]: ...
    @property
    def resolved(self) -> Sequence[Any]: ...


__all__ = [
    "alert_sentence",
    "performance_sentence",
    "resolved_sentence",
    "run_headline",
    "window_sentence",
]

_DRIFT = ("drift_share", "drift_score", "drift_detected")
_SHARES = ("drift_share", "drift_score", "missing_rate", "performance_drop")
_COUNTS = ("rows", "quality_critical", "quality_warnings")
_UNITS = (("week", 604_800), ("day", 86_400), ("hour", 3_600), ("minute", 60), ("second", 1))


def _level(metric: str, value: float) -> str:
    """A rule's level or a window's value, in the unit of its metric."""
    if metric in _SHARES:
        return percent(value)
    if metric in _COUNTS:
        return f"{round(value):,}"
    return numbers(value)[0]


def _lead(metrics: dict[str, Any]) -> str | None:
    """The performance metric a sentence names: the one that fell most, else the usual one."""
    estimated = metrics.get("estimated") or {}
    fell = {k: v for k, v in drops(metrics).items() if v > 0}
    if fell:
        return max(fell, key=lambda k: fell[k])
    for preferred in ("accuracy", "mae"):
        if preferred in estimated:
            return preferred
    return next(iter(estimated), None)


def _performance(metrics: dict[str, Any]) -> str | None:
    """ "estimated accuracy fell from 0.91 to 0.84", or None without an estimate."""
    lead = _lead(metrics)
    if lead is None:
        return None
    est = metrics["estimated"][lead]
    ref = (metrics.get("reference") or {}).get(lead)
    label = f"estimated {metric_label(lead)}"
    if est.get("value") is None:
        return f"{label} could not be computed"
    if ref is None:
        return f"{label} {numbers(est['value'])[0]}"
    before, after = numbers(ref, est["value"])
    if drops(metrics).get(lead, 0.0) > 0:
        verb = "rose" if est["value"] > ref else "fell"
        return f"{label} {verb} from {before} to {after}"
    return f"{label} {after}, close to the {before} it had on the reference data"


def _moved(w: Window) -> str | None:
    """Which inputs moved away from the training data, or None when none did."""
    k, n = len(w.drifted_columns), w.columns
    if k == 1:
        return f"{count_of(1, n, 'input column')} moved away from the training data: {name(w.drifted_columns[0])}"
    if k > 1:
        return (
            f"{count_of(k, n, 'input column')} moved away from the training data, "
            f"most of all {name(w.drifted_columns[0])}"
        )
    if w.metrics.get("drift_detected"):
        alone = (
            "its only input column did not on its own"
            if n == 1
            else f"none of the {plural(n, 'input column')} did on its own"
        )
        return (
            "the rows as a whole moved away from the training data (how the columns vary "
            f"together changed), though {alone}"
        )
    return None


def window_sentence(w: Window) -> str:
    """ "Tue 3 Dec 14:00 to 15:00 UTC: 200 predictions; 3 of 20 input columns moved ..."."""
    head = f"{span(w.start, w.end)}: {plural(w.rows, 'prediction')}"
    if not w.evaluated:
        needed = f" (at least {w.min_rows:,} needed)" if w.min_rows else ""
        return f"{head}, too few to judge{needed}."
    parts = [head, _moved(w) or "the inputs look like the training data"]
    missing = w.metrics.get("missing_rate")
    if missing:
        parts.append(f"{percent(missing)} of input values missing")
    performance = _performance(w.metrics)
    if performance:
        parts.append(performance)
    critical = [f for f in w.problems if f.severity == "critical"]
    warnings = [f for f in w.problems if f.severity == "warning"]
    if critical:
        parts.append(f"{plural(len(critical), 'critical data problem')}: {problem_words(critical)}")
    if warnings:
        parts.append(f"{plural(len(warnings), 'data warning')}: {problem_words(warnings)}")
    return "; ".join(parts) + "."


def _check_data(ref: str) -> str:
    return f"driftline data check --model {ref} recent.csv lists every problem"


def _what(rule: AlertRule, ref: str, w: Window, value: float) -> tuple[str, str]:
    """What happened (a clause that follows "From ..., ") and what to do (a sentence)."""
    metric = rule.metric
    side = "above" if rule.above is not None else "below"
    level = f"{side} the alert level of {_level(metric, rule.threshold)}"
    if metric in _DRIFT:
        moved = _moved(w) or "the inputs moved away from the training data"
        performance = _performance(w.metrics)
        what = _of(moved, ref) + (f"; {performance}" if performance else "")
        return what, (
            "Retrain on recent data, or first see how the columns moved: "
            f"driftline drift --model {ref} recent.csv."
        )
    if metric == "performance_drop":
        return _drop(ref, w), _confirm(w)
    if metric.startswith("estimated_"):
        return _estimated(metric.removeprefix("estimated_"), ref, w, level), _confirm(w)
    if metric.startswith("realized_"):
        m = metric.removeprefix("realized_")
        labelled = int(w.metrics.get("labelled") or 0)
        return (
            f"{metric_label(m)} of {ref} was {_level(metric, value)} on the "
            f"{plural(labelled, 'row')} whose labels have arrived, {level}"
        ), "Retrain on recent labelled data, or see which inputs moved in the drift report."
    if metric == "missing_rate":
        where = [f for f in w.problems if f.check == "missing_values"]
        most = f", most of all in {name(where[0].column)}" if where else ""
        return (
            (f"{percent(value)} of the input values sent to {ref} were missing{most}, {level}"),
            "Check the system that sends the data: a field may have been renamed, dropped or left empty.",
        )
    if metric == "quality_critical":
        critical = [f for f in w.problems if f.severity == "critical"]
        found = f": {problem_words(critical)}" if critical else ""
        over = f" ({level})" if rule.threshold > 0 else ""
        return (
            f"the data sent to {ref} had {plural(round(value), 'critical problem')}{over}{found}"
        ), f"Fix the data at its source before trusting the model's answers; {_check_data(ref)}."
    if metric == "quality_warnings":
        warnings = [f for f in w.problems if f.severity == "warning"]
        found = f": {problem_words(warnings)}" if warnings else ""
        return (
            f"the data sent to {ref} had {plural(round(value), 'data warning')}, {level}{found}"
        ), f"Look at the data check and fix what comes from a fault; {_check_data(ref)}."
    if rule.sensitive is not None:
        return _disparity(metric, ref, w, value, level), (
            f"See which group is served worse: driftline evaluate {ref} --data "
            f"recent-labelled.csv --sensitive {rule.sensitive}."
        )
    if rule.outcome is not None:
        return (
            f"{name(rule.outcome)} averaged {numbers(value)[0]} per answer of {ref}, {level}"
        ), (
            f"See what changed for the people {ref} answers: a new version, the site, the "
            "season; the outcome's trend per window is in driftline monitor run."
        )
    if metric == "rows":
        if side == "below":
            return (
                f"{ref} answered only {plural(round(value), 'prediction')}, {level}"
            ), "Check that requests still reach it: is the server running, and do clients call it?"
        return (
            f"{ref} answered {plural(round(value), 'prediction')}, {level}"
        ), "Check for a client repeating its requests, and that the servers keep up."
    return (
        f"{metric.replace('_', ' ')} of {ref} was {_level(metric, value)}, {level}"
    ), f"Look at the monitoring results: driftline monitor run {ref}."


def _disparity(metric: str, ref: str, w: Window, value: float, level: str) -> str:
    """ "demographic parity ratio between the groups of `sex` in the answers of loans:3 was
    0.71 on 240 labelled rows" (then the alert level, when given)."""
    disparity, column = fairness_metric(metric) or ("", "")
    labelled = int(w.metrics.get("fairness_labelled") or 0)
    text = (
        f"{disparity.replace('_', ' ')} between the groups of {name(column)} in the answers of "
        f"{ref} was {numbers(value)[0]} on {plural(labelled, 'labelled row')}"
    )
    return f"{text}, {level}" if level else text


def _of(moved: str, ref: str) -> str:
    # "3 of 20 input columns moved" -> "3 of 20 input columns of churn:3 moved"
    for noun in ("input columns", "input column"):
        if f"{noun} moved" in moved:
            return moved.replace(f"{noun} moved", f"{noun} of {ref} moved", 1)
    if moved.startswith("the rows as a whole"):
        return moved.replace("the rows as a whole", f"the rows sent to {ref} as a whole", 1)
    return moved.replace("the inputs", f"the inputs of {ref}", 1)


def _drop(ref: str, w: Window) -> str:
    metrics = w.metrics
    fell = drops(metrics)
    lead = max(fell, key=lambda k: fell[k])
    est = metrics["estimated"][lead]
    before, after, low, high = numbers(
        metrics["reference"][lead], est["value"], est["low"], est["high"]
    )
    worse = "rose" if not HIGHER_IS_BETTER.get(lead, True) else "fell"
    text = (
        f"estimated {metric_label(lead)} of {ref} {worse} from {before} on the reference data "
        f"to {after} (likely between {low} and {high}), {percent(fell[lead])} worse"
    )
    moved = _moved(w)
    if moved:
        text += f", while {moved}"
    realized = (metrics.get("realized") or {}).get(lead)
    labelled = int(metrics.get("labelled") or 0)
    if realized is not None and labelled:
        measure = "measures" if labelled == 1 else "measure"
        text += f"; the {plural(labelled, 'row')} labelled so far {measure} {numbers(realized)[0]}"
    return text


def _confirm(w: Window) -> str:
    """What to do about an estimate: confirm it with labels, then retrain."""
    if int(w.metrics.get("labelled") or 0):
        return "Retrain on recent labelled data if the labels still to come confirm it."
    return (
        "No labels have arrived yet: label a sample of recent rows to confirm it, and "
        "retrain on recent data if it holds."
    )


def _estimated(m: str, ref: str, w: Window, level: str) -> str:
    est = (w.metrics.get("estimated") or {}).get(m) or {}
    value, low, high = numbers(est.get("value"), est.get("low"), est.get("high"))
    band = f" (likely between {low} and {high})" if est.get("low") is not None else ""
    reference = (w.metrics.get("reference") or {}).get(m)
    was = f"; it was {numbers(reference)[0]} on the reference data" if reference is not None else ""
    return f"estimated {metric_label(m)} of {ref} was {value}{band}, {level}{was}"


def alert_sentence(rule: AlertRule, ref: str, w: Window, value: float) -> str:
    """Why ``rule`` opened an alert on window ``w`` of version ``ref``, and what to do."""
    what, todo = _what(rule, ref, w, value)
    return f"{capital(during(w.start, w.end))}, {what}. {todo}"


def _now(metric: str, ref: str, w: Window, value: float) -> str:
    """Where a metric stands in window ``w``, as a clause: "3.2% of the input values ..."."""
    if metric in _DRIFT:
        moved = _moved(w)
        now = (
            _of(moved, ref)
            if moved
            else f"no input column of {ref} moved away from the training data"
        )
        return now if metric == "drift_detected" else f"{now} ({percent(value)})"
    if metric == "missing_rate":
        return f"{percent(value)} of the input values sent to {ref} were missing"
    if metric in ("quality_critical", "quality_warnings"):
        noun = "critical problem" if metric == "quality_critical" else "data warning"
        return f"the data sent to {ref} had {plural(round(value), noun)}"
    if fairness_metric(metric) is not None:
        return _disparity(metric, ref, w, value, "")
    if metric.startswith("outcome:"):
        return f"{name(metric.removeprefix('outcome:'))} averaged {numbers(value)[0]} per answer of {ref}"
    if metric == "rows":
        return f"{ref} answered {plural(round(value), 'prediction')}"
    if metric == "performance_drop":
        if value <= 0:
            return (
                f"the estimated performance of {ref} was back within chance of the reference data"
            )
        return f"the estimated performance of {ref} was {percent(value)} worse than on the reference data"
    if metric.startswith("estimated_"):
        label = metric_label(metric.removeprefix("estimated_"))
        return f"estimated {label} of {ref} was {_level(metric, value)}"
    if metric.startswith("realized_"):
        label = metric_label(metric.removeprefix("realized_"))
        return f"{label} of {ref} on the rows whose labels have arrived was {_level(metric, value)}"
    return f"{metric.replace('_', ' ')} of {ref} was {_level(metric, value)}"


def resolved_sentence(rule: AlertRule, ref: str, w: Window, value: float) -> str:
    """Why the alert of ``rule`` resolved on window ``w``: the value is back past ``clear``."""
    clear = rule.clear if rule.clear is not None else rule.threshold
    metric = rule.metric
    if metric == "drift_detected" or (rule.above is not None and clear == 0):
        level = ""  # nothing left to compare with: no drift, no problem
    else:
        bound = "no more than" if rule.above is not None else "no less than"
        level = f", {bound} the {_level(metric, clear)} at which it clears"
    now = _now(metric, ref, w, value)
    return f"{capital(during(w.start, w.end))}, {now}{level}: the {rule.name} alert is resolved."


def _period(text: str) -> str:
    """ "1d" -> "1 day", "90m" -> "90 minutes": the largest unit that divides it."""
    seconds = int(parse_period(text).total_seconds())
    for unit, size in _UNITS:
        if seconds % size == 0:
            return plural(seconds // size, unit)
    return plural(seconds, "second")  # pragma: no cover - every period is whole seconds


def performance_sentence(summary: dict[str, Any]) -> str:
    """How monitoring estimated performance: the method and what the reference measured."""
    metrics = list(summary.get("metrics") or [])
    lead = next((m for m in ("accuracy", "mae") if m in metrics), metrics[0] if metrics else None)
    ref = (summary.get("reference") or {}).get(lead) if lead else None
    there = (
        f", where {metric_label(lead)} was {numbers(ref)[0]}" if lead and ref is not None else ""
    )
    calibration = summary.get("calibration")
    recalibrated = (
        f"; its probabilities were recalibrated first ({calibration})"
        if calibration not in (None, "none")
        else ""
    )
    return (
        f"Performance was estimated {method_words(summary['method'])}, fitted on "
        f"{plural(int(summary['n_reference']), 'labelled reference row')}{there}{recalibrated}."
    )


def run_headline(run: Run) -> str:
    """The run in one sentence: what was watched, where the inputs moved, which alerts."""
    ref = f"{run.model}:{run.version}"
    if not run.windows:
        return (
            f"No predictions of {ref} in the time range asked for: nothing was watched. "
            "Serve the model, or pass the logged predictions with --data."
        )
    rows = sum(w.rows for w in run.windows)
    judged = [w for w in run.windows if w.evaluated]
    moved = [w for w in judged if _moved(w)]
    head = (
        f"Watched {ref} over {plural(len(run.windows), 'window')} of {_period(run.window)} "
        f"({plural(rows, 'prediction')})"
    )
    if not judged:
        which = "the window" if len(run.windows) == 1 else "every window"
        return (
            f"{head}; {which} had too few predictions to judge. "
            "Watch longer windows (--window), or wait for more traffic."
        )
    n = len(judged)
    if moved:
        drift = f"the inputs moved away from the training data in {count_of(len(moved), n, 'window')} judged"
    else:
        every = "the 1 window" if n == 1 else f"all {n:,} windows"
        drift = f"the inputs looked like the training data in {every} judged"
    opened, resolved = len(run.opened), len(run.resolved)
    if opened or resolved:
        alerts = f"{plural(opened, 'alert')} opened, {resolved:,} resolved"
    else:
        alerts = "no alert opened or resolved"
    todo = " Read the alerts: driftline alerts list --status open." if opened else " Nothing to do."
    return f"{head}; {drift}; {alerts}.{todo}"
