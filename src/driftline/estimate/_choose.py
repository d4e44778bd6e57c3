"""Choose CBPE's recalibration and weighting on the reference alone, by simulated shifts.

The log loss of a recalibration says how well it fits the reference as a
whole; what matters is how well the metric is estimated on windows unlike
it. So the reference (in the order it was given, usually time) is cut into
consecutive folds (one per 400 rows, two to five); each fold in
turn plays the current data, the rest the reference, and windows of the
held fold are staged:

- consecutive chunks (the drift of time, when the rows are in time order);
- quantile slices by the model's score and by a few inputs (covariate shifts
  the reference can stage from its own rows).

Each recalibration is fitted on four fifths of the rows, near the size it
will be fitted on: with halves, isotonic (the most flexible) was judged on
half the rows it would have and lost by 16% on a real table (bikeshare)
where, fitted on all, it won.

Their labels are known, so every candidate (a recalibration, and CBPE alone,
importance-weighted, recalibrated toward the window, doubly robust, or the
mean of CBPE, weighted and recalibrated) is scored by its absolute error on
each window, relative to the best candidate's mean error per metric. The
baseline (isotonic for two classes, temperature for more; CBPE alone) stays
unless the lowest-scoring candidate beats it by a tenth of its score and by
more than a standard error of their paired difference: on a small or
well-calibrated reference the staged windows are noisy, and noise must not
pick a method. Nothing of the current data is used.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from driftline.errors import InputError
from driftline.estimate._expected import expected_metrics
from driftline.estimate._weights import (
    Reweighter,
    corrected_metrics,
    left_out_recalibrations,
    left_out_weighted_metrics,
    recalibrate,
    recalibrated_toward,
    toward,
    weighted_metrics,
)

__all__ = [
    "CALIBRATIONS",
    "FITTED",
    "PARTS",
    "WEIGHTINGS",
    "Choice",
    "blended",
    "choose",
    "cross_fitted",
    "normalized",
    "pulled",
    "shifted",
    "shrunk",
]

# Simplest first: near ties go to the earlier one.
CALIBRATIONS = ("none", "temperature", "platt", "isotonic")
WEIGHTINGS = ("none", "blend", "weighted", "recalibrated", "corrected")
# The estimates besides CBPE's that each weighting averages with it.
PARTS = {
    "none": (),
    "blend": ("weighted", "recalibrated"),
    "weighted": ("weighted",),
    "recalibrated": ("recalibrated",),
    "corrected": ("corrected",),
}
# The estimates that learn from the reference's cross-fitted recalibrated probabilities.
FITTED = frozenset({"recalibrated", "corrected"})
# Consecutive blocks of the reference left out one at a time to measure how much a
# shifted estimate moves with the rows that carry its weights (a jackknife).
BLOCKS = 10
# Folds of the cross-fitted recalibration the shifted estimates learn from.
_CROSS_FOLDS = 5
# Candidates within this share of the best score count as tied.
_TIE = 0.01
# A candidate replaces the baseline when it beats it by this share of the
# baseline's score and by more than one standard error: the staged windows of
# one half share one fitted recalibration, so their errors are not independent
# and the standard error alone would let noise choose (on true probabilities,
# isotonic "won" by 6%); on the census table the better choice won by 25%.
_MATERIAL = 0.10
# Consecutive folds of the reference: at most five, each of at least 400 rows.
_FOLDS, _FOLD_ROWS = 5, 400
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
    folds = np.array_split(np.arange(n), int(np.clip(n // _FOLD_ROWS, 2, _FOLDS)))
    rng = np.random.default_rng(seed)
    errors: dict[tuple[str, str], dict[str, list[float]]] = {
        (c, w): {m: [] for m in names} for c in calibrations for w in weightings
    }
    count = 0
    needed = {part for w in weightings for part in PARTS[w]}
    for i, held in enumerate(folds):
        fit = np.concatenate([f for j, f in enumerate(folds) if j != i])
        calibrated, fitted = {}, {}
        for c in calibrations:
            if c == "none":
                calibrated[c], fitted[c] = raw, raw[fit]
                continue
            try:
                model = fit_calibrator(
                    truth[fit], raw[fit], classes=list(range(k)), method=c, seed=seed
                )
            except Exception:
                continue
            calibrated[c] = normalized(model.transform(raw))
            if needed & FITTED:
                fitted[c] = cross_fitted(truth[fit], raw[fit], c, calibrated[c][fit], seed)
        for window in _windows(held, raw, reweighter, rng):
            realized = weighted_metrics(
                names, np.ones(len(window)), truth[window], predicted[window], raw[window]
            )
            ratio, overlap = None, 1.0
            if reweighter is not None and needed:
                ratio, overlap = reweighter.weights_of(
                    reweighter.reference[fit], reweighter.reference[window]
                )
            count += 1
            for c, proba in calibrated.items():
                plain = expected_metrics(names, raw[window], proba[window], predicted[window])
                parts: dict[str, dict[str, float]] = {}
                kept: dict[str, dict[str, float]] = {}
                if ratio is not None:
                    rows = (truth[fit], predicted[fit], raw[fit], fitted.get(c, proba[fit]))
                    seen = (raw[window], proba[window], predicted[window])
                    if "blend" in weightings:
                        parts, kept = pulled(names, ratio, rows, seen, plain, overlap)
                    parts.update(shifted(names, needed - set(parts), ratio, rows, seen))
                for w in weightings:
                    value = blended(plain, kept if w == "blend" else parts, w)
                    for m in names:
                        errors[(c, w)][m].append(abs(value[m] - realized[m]))
    return _best(names, errors, calibrations, weightings, baseline, count)


def shifted(
    names: Sequence[str],
    kinds: set[str] | Sequence[str],
    weights: np.ndarray,
    reference: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    window: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> dict[str, dict[str, float]]:
    """The estimates of ``kinds`` that use the density-ratio ``weights`` of the reference's
    rows toward a window: ``weighted`` (its realized metrics reweighted), ``recalibrated``
    (CBPE on probabilities recalibrated toward the window), ``corrected`` (doubly robust).

    ``reference`` is (labels, predictions, raw and cross-fitted recalibrated
    probabilities), ``window`` (raw and recalibrated probabilities, predictions).
    """
    truth, predicted, raw, fitted = reference
    out = {}
    if "weighted" in kinds:
        out["weighted"] = weighted_metrics(names, weights, truth, predicted, raw)
    if "recalibrated" in kinds:
        toward = recalibrated_toward(weights, truth, fitted, window[1])
        out["recalibrated"] = expected_metrics(names, window[0], toward, window[2])
    if "corrected" in kinds:
        out["corrected"] = corrected_metrics(names, weights, reference, window)
    return out


def pulled(
    names: Sequence[str],
    weights: np.ndarray,
    reference: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    window: tuple[np.ndarray, np.ndarray, np.ndarray],
    plain: dict[str, float],
    overlap: float = 1.0,
) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, float]]]:
    """The blend's weighted and recalibrated estimates (as :func:`shifted`), and each
    pulled toward CBPE's ``plain`` twice.

    - By :func:`shrunk`, its noise measured by leaving out each of ``BLOCKS``
      consecutive blocks of the reference (in its order, usually time) in turn.
    - By ``overlap``, the share of the window the reference overlaps
      (:meth:`Reweighter.weights_of`): weights speak only for window rows the
      reference holds rows like; for the rest, CBPE's calibrated probabilities are
      all there is. Where later rows lie beyond anything the reference holds
      (Chicago's riders of 2010-2016, more than any day of 2006-2009), the weights
      fall on the reference's nearest rows, which are not like them, and the
      weighted accuracy erred 3.9 times CBPE's.

    A reference of fewer than ``2 * BLOCKS`` rows cannot be cut in blocks: no
    estimates, and CBPE's stands."""
    truth, predicted, raw, fitted = reference
    n = len(weights)
    if n < 2 * BLOCKS:
        return {}, {}
    theta = toward(weights, truth, fitted)
    parts = {
        "weighted": weighted_metrics(names, weights, truth, predicted, raw),
        "recalibrated": expected_metrics(
            names, window[0], recalibrate(theta, window[1]), window[2]
        ),
    }
    block = np.arange(n) * BLOCKS // n
    weighted = left_out_weighted_metrics(names, weights, truth, predicted, raw, block, BLOCKS)
    towards = left_out_recalibrations(theta, weights, truth, fitted, window[1], block, BLOCKS)
    replicates = [
        {"weighted": w, "recalibrated": expected_metrics(names, window[0], q, window[2])}
        for w, q in zip(weighted, towards, strict=True)
    ]
    kept = shrunk(plain, parts, replicates)
    share = float(np.clip(overlap, 0.0, 1.0))
    covered = {
        kind: {m: plain[m] + share * (v - plain[m]) for m, v in values.items()}
        for kind, values in kept.items()
    }
    return parts, covered


def shrunk(
    plain: dict[str, float],
    parts: dict[str, dict[str, float]],
    replicates: list[dict[str, dict[str, float]]],
) -> dict[str, dict[str, float]]:
    """Each shifted estimate pulled toward CBPE's by as much of their difference as its
    own noise could explain.

    The noise is the jackknife variance ``V`` of the estimate over the
    ``replicates`` (blocks of the reference left out); the difference ``d`` is
    kept in the share ``max(0, 1 - V / d²)`` (James and Stein's positive part).
    Where a few reference rows carry the weights (a window the reference barely
    covers, rows that come in clusters), leaving out their block moves the
    estimate as far as it moved from CBPE's, and CBPE's stands: on New York's
    flights, weeks of summer weather weighted onto a few warm spring days made
    the weighted ROC AUC err 1.7 times CBPE's. Without replicates (a reference
    of fewer than ``2 * BLOCKS`` rows), CBPE's stands.
    """
    out: dict[str, dict[str, float]] = {}
    for kind, values in parts.items():
        out[kind] = {}
        for m, value in values.items():
            d = value - plain[m]
            reps = np.array([r[kind][m] for r in replicates if kind in r], dtype=float)
            reps = reps[np.isfinite(reps)]
            if not np.isfinite(d) or len(reps) < 2 or d == 0:
                out[kind][m] = plain[m] if np.isfinite(plain[m]) else value
                continue
            k = len(reps)
            variance = (k - 1) / k * float(((reps - reps.mean()) ** 2).sum())
            out[kind][m] = plain[m] + max(0.0, 1.0 - variance / (d * d)) * d
    return out


def blended(
    plain: dict[str, float], parts: dict[str, dict[str, float]], weighting: str
) -> dict[str, float]:
    """The estimate ``weighting`` names: CBPE's (``plain``), one of the shifted ones, or
    the mean of CBPE's, the weighted and the recalibrated ones (``"blend"``); CBPE's in
    place of any missing (no inputs) or undefined (one class only)."""
    used = [parts[kind] for kind in PARTS[weighting] if kind in parts]
    if not used:
        return plain
    if weighting != "blend":
        return {m: _or(used[0][m], plain[m]) for m in plain}
    return {m: float(np.mean([_or(p[m], plain[m]) for p in (plain, *used)])) for m in plain}


def cross_fitted(
    truth: np.ndarray, raw: np.ndarray, method: str, fallback: np.ndarray, seed: int
) -> np.ndarray:
    """Each row's probabilities recalibrated by ``method`` fitted without it (five random
    folds): in-sample, isotonic regression fits the rows' own labels, and the estimates
    that learn from the reference's residuals would find none. A fold that cannot be
    fitted (too few rows of a class without it) keeps ``fallback``."""
    from driftline.calibration import fit_calibrator

    if method == "none":
        return raw
    folds = np.random.default_rng(seed).integers(0, _CROSS_FOLDS, len(truth))
    out = np.array(fallback, dtype=float, copy=True)
    for f in range(_CROSS_FOLDS):
        held = folds == f
        try:
            model = fit_calibrator(
                truth[~held], raw[~held], classes=list(range(raw.shape[1])), method=method,
                seed=seed,
            )  # fmt: skip
        except InputError:
            continue
        out[held] = normalized(model.transform(raw[held]))
    return out


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


def normalized(values: Any) -> np.ndarray:
    """Probabilities clipped to [0, 1], rows summing to one (a binary column widened to two)."""
    out = np.clip(np.asarray(values, dtype=float), 0.0, 1.0)
    if out.ndim == 1:
        out = np.column_stack([1 - out, out])
    total = out.sum(axis=1, keepdims=True)
    return np.divide(out, total, out=np.full_like(out, 1 / out.shape[1]), where=total > 0)
