"""Choose CBPE's recalibration and weighting on the reference alone, by simulated shifts.

The log loss of a recalibration says how well it fits the reference as a
whole; what matters is how well the metric is estimated on windows unlike
it. So the reference (in the order it was given, usually time) is cut in two
halves; each half in turn plays the reference, and windows of the other half
play the current data:

- consecutive chunks (the drift of time, when the rows are in time order);
- quantile slices by the model's score and by a few inputs (covariate shifts
  the reference can stage from its own rows).

Their labels are known, so every candidate (a recalibration, and CBPE
alone, importance-weighted, or the mean of both) is scored by its absolute
error on each window, relative to the best candidate's mean error per
metric. The baseline (the recalibration chosen by log loss, CBPE alone)
stays unless the lowest-scoring candidate beats it by a tenth of its score
and by more than a standard error of their paired difference: on a small or
well-calibrated reference the staged windows are noisy, and noise must not
pick a method. Nothing of the current data is used.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from driftline.estimate._expected import expected_metrics
from driftline.estimate._weights import Reweighter, weighted_metrics

__all__ = ["CALIBRATIONS", "WEIGHTINGS", "Choice", "choose"]

# Simplest first: near ties go to the earlier one.
CALIBRATIONS = ("none", "temperature", "platt", "isotonic")
WEIGHTINGS = ("none", "blend", "weighted")
# Candidates within this share of the best score count as tied.
_TIE = 0.01
# A candidate replaces the baseline when it beats it by this share of the
# baseline's score and by more than one standard error: the staged windows of
# one half share one fitted recalibration, so their errors are not independent
# and the standard error alone would let noise choose (on true probabilities,
# isotonic "won" by 6%); on the census table the better choice won by 25%.
_MATERIAL = 0.10
_CHUNKS = 8
_SLICES = 4
_SLICED_INPUTS = 2
MIN_ROWS = 200


@dataclass(frozen=True)
class Choice:
    calibration: str
    weighting: str
    scores: dict[str, float]
    windows: int


def choose(
    names: Sequence[str],
    truth: np.ndarray,
    raw: np.ndarray,
    predicted: np.ndarray,
    *,
    calibrations: Sequence[str],
    weightings: Sequence[str],
    reweighter: Reweighter | None,
    baseline: tuple[str, str],
    seed: int,
) -> Choice:
    """The candidate with the lowest relative error over the reference's simulated windows."""
    from driftline.calibration import fit_calibrator

    k = raw.shape[1]
    n = len(truth)
    halves = (np.arange(n // 2), np.arange(n // 2, n))
    rng = np.random.default_rng(seed)
    errors: dict[tuple[str, str], dict[str, list[float]]] = {
        (c, w): {m: [] for m in names} for c in calibrations for w in weightings
    }
    count = 0
    for fit, held in (halves, halves[::-1]):
        calibrated = {}
        for c in calibrations:
            if c == "none":
                calibrated[c] = raw
                continue
            try:
                model = fit_calibrator(
                    truth[fit], raw[fit], classes=list(range(k)), method=c, seed=seed
                )
            except Exception:
                continue
            calibrated[c] = _normalized(model.transform(raw))
        for window in _windows(held, raw, reweighter, rng):
            realized = weighted_metrics(
                names, np.ones(len(window)), truth[window], predicted[window], raw[window]
            )
            weighted = None
            if reweighter is not None and any(w != "none" for w in weightings):
                ratio = reweighter.weights_of(
                    reweighter.reference[fit], reweighter.reference[window]
                )
                weighted = weighted_metrics(names, ratio, truth[fit], predicted[fit], raw[fit])
            count += 1
            for c, proba in calibrated.items():
                plain = expected_metrics(names, raw[window], proba[window], predicted[window])
                for w in weightings:
                    value = blended(plain, weighted, w)
                    for m in names:
                        errors[(c, w)][m].append(abs(value[m] - realized[m]))
    return _best(names, errors, calibrations, weightings, baseline, count)


def blended(
    plain: dict[str, float], weighted: dict[str, float] | None, weighting: str
) -> dict[str, float]:
    """CBPE's values, the weighted ones, or their mean (CBPE's alone without weights)."""
    if weighted is None or weighting == "none":
        return plain
    if weighting == "weighted":
        return {m: _or(weighted[m], plain[m]) for m in plain}
    return {m: (plain[m] + _or(weighted[m], plain[m])) / 2 for m in plain}


def _or(value: float, fallback: float) -> float:
    return value if np.isfinite(value) else fallback


def _windows(
    held: np.ndarray, raw: np.ndarray, reweighter: Reweighter | None, rng: np.random.Generator
) -> list[np.ndarray]:
    size = int(np.clip(len(held) // _CHUNKS, 50, 5000))
    out = [held[i : i + size] for i in range(0, len(held) - size + 1, size)][:_CHUNKS]
    keys = [raw[held].max(axis=1)]
    if reweighter is not None and reweighter.features:
        inputs = reweighter.reference[held][:, : len(reweighter.features)]
        picked = rng.permutation(inputs.shape[1])[:_SLICED_INPUTS]
        keys.extend(inputs[:, j] for j in picked)
    for key in keys:
        order = held[np.argsort(np.nan_to_num(key, nan=np.inf), kind="mergesort")]
        for part in np.array_split(order, _SLICES):
            if len(part) >= 20:
                out.append(np.sort(rng.choice(part, min(size, len(part)), replace=False)))
    return out


def _best(
    names: Sequence[str],
    errors: dict[tuple[str, str], dict[str, list[float]]],
    calibrations: Sequence[str],
    weightings: Sequence[str],
    baseline: tuple[str, str],
    count: int,
) -> Choice:
    fitted = [key for key, per in errors.items() if all(len(v) == count for v in per.values())]
    mean = {key: {m: float(np.nanmean(errors[key][m])) for m in names} for key in fitted}
    best_per_metric = {m: max(min(mean[key][m] for key in fitted), 1e-12) for m in names}
    # Each window's error, relative per metric, averaged over the metrics.
    per_window = {
        key: np.nanmean([np.asarray(errors[key][m]) / best_per_metric[m] for m in names], axis=0)
        for key in fitted
    }
    score = {key: float(np.nanmean(v)) for key, v in per_window.items()}
    lowest = min(score.values())
    order = [
        (c, w)
        for w in WEIGHTINGS
        if w in weightings
        for c in CALIBRATIONS
        if c in calibrations and (c, w) in score
    ]
    winner = next(key for key in order if score[key] <= lowest * (1 + _TIE))
    if baseline in per_window and winner != baseline:
        gain = per_window[baseline] - per_window[winner]
        gain = gain[np.isfinite(gain)]
        se = float(np.std(gain, ddof=1) / np.sqrt(len(gain))) if len(gain) > 1 else np.inf
        if not (float(np.mean(gain)) > max(se, _MATERIAL * score[baseline])):
            winner = baseline
    return Choice(
        calibration=winner[0],
        weighting=winner[1],
        scores={f"{c}+{w}": round(v, 4) for (c, w), v in score.items()},
        windows=count,
    )


def _normalized(values: Any) -> np.ndarray:
    out = np.clip(np.asarray(values, dtype=float), 0.0, 1.0)
    if out.ndim == 1:
        out = np.column_stack([1 - out, out])
    total = out.sum(axis=1, keepdims=True)
    return np.divide(out, total, out=np.full_like(out, 1 / out.shape[1]), where=total > 0)
