"""Conformance checks every encoder and representation detector must pass.

Run them from a test over each estimator (as scikit-learn's
``check_estimator`` and river's ``river.checks`` do). A failed check raises
``AssertionError`` with a message naming the check, which is what a test
runner reports; the checks never use ``assert`` so ``python -O`` keeps them.
"""

from __future__ import annotations

import inspect
import math
from typing import Any

import numpy as np

from driftline.represent._base import clone, n_rows, take_rows

__all__ = ["check_detector", "check_encoder", "check_outlier_scorer"]


def _fail(estimator: Any, check: str, message: str) -> None:
    raise AssertionError(f"{type(estimator).__name__} fails {check}: {message}")


def _check_init_stores_params(estimator: Any) -> dict[str, Any]:
    signature = inspect.signature(type(estimator).__init__)
    params = {}
    for name, p in signature.parameters.items():
        if name == "self":
            continue
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            _fail(estimator, "init-params", f"__init__ takes *{name}; list parameters explicitly")
        if p.kind is p.POSITIONAL_ONLY:
            _fail(estimator, "init-params", f"parameter {name!r} is positional-only")
        if not hasattr(estimator, name):
            _fail(estimator, "init-params", f"parameter {name!r} is not stored as an attribute")
        params[name] = getattr(estimator, name)
    fresh = type(estimator)(**params)
    for name, value in params.items():
        if name.endswith("_"):
            _fail(estimator, "init-params", f"parameter {name!r} ends in '_' like learned state")
        # As in scikit-learn: __init__ stores each argument itself, unvalidated
        # and unconverted, so get_params and clone give back what was passed.
        if getattr(fresh, name) is not value:
            _fail(estimator, "init-params", f"__init__ stores a modified {name!r}")
    return params


def _check_fit(estimator: Any, X: Any, params: dict[str, Any]) -> set[str]:
    before = set(vars(estimator))
    if any(k.endswith("_") and not k.startswith("__") for k in before):
        _fail(estimator, "unfitted-state", "learned attributes exist before fit")
    returned = estimator.fit(X)
    if returned is not estimator:
        _fail(estimator, "fit-returns-self", f"fit returned {type(returned).__name__}")
    for name, value in params.items():
        if getattr(estimator, name) is not value:
            _fail(estimator, "params-untouched", f"fit replaced parameter {name!r}")
    learned = set(vars(estimator)) - before
    odd = sorted(k for k in learned if not k.endswith("_"))
    if odd:
        _fail(estimator, "learned-state", f"fit set attributes without a trailing '_': {odd}")
    if not learned:
        _fail(estimator, "learned-state", "fit learned nothing (no attribute ending in '_')")
    return learned


def check_encoder(encoder: Any, X: Any) -> None:
    """Run every encoder check of ``encoder`` (unfitted) on the rows ``X`` (at least 10).

    Checks: parameters stored untouched by ``__init__`` and ``fit``; ``fit``
    returns self and learns only attributes ending in ``_``; ``transform``
    gives a finite 2-D float array with one row per input row and the same
    width for any batch; rows are encoded independently of their batch; two
    clones fitted on the same rows encode identically (determinism under the
    seed).
    """
    n = n_rows(X)
    if n < 10:
        _fail(encoder, "setup", f"needs at least 10 rows to check, got {n}")
    params = _check_init_stores_params(encoder)
    _check_fit(encoder, X, params)
    Z = encoder.transform(X)
    if not isinstance(Z, np.ndarray) or Z.ndim != 2 or Z.shape[0] != n:
        _fail(encoder, "transform-shape", f"expected a 2-D array with {n} rows, got {Z!r:.80}")
    if Z.dtype.kind != "f" or not np.all(np.isfinite(Z)):
        _fail(encoder, "transform-values", f"expected finite floats, got dtype {Z.dtype}")
    part = take_rows(X, np.arange(n // 3, n // 3 + 5))
    Zp = encoder.transform(part)
    if Zp.shape != (5, Z.shape[1]):
        _fail(encoder, "transform-shape", f"a 5-row batch gave shape {Zp.shape}, not (5, w)")
    if not np.allclose(Zp, Z[n // 3 : n // 3 + 5], rtol=1e-5, atol=1e-6):
        _fail(encoder, "row-independence", "a row's code changes with the batch around it")
    again = clone(encoder).fit(X).transform(X)
    if again.shape != Z.shape or not np.allclose(again, Z, rtol=1e-6, atol=1e-8):
        _fail(encoder, "determinism", "two fits with the same parameters encode differently")


def check_detector(detector: Any, reference: Any, current: Any) -> None:
    """Run every detector check of ``detector`` (unfitted).

    ``current`` should be drawn like ``reference``. Checks: the estimator
    contract as for encoders; ``test`` returns a result with a p-value in
    [0, 1], ``drifted == (p_value <= alpha)`` and a plain ``to_dict``; repeated
    tests and refits with the same seed give the same answer.
    """
    params = _check_init_stores_params(detector)
    _check_fit(detector, reference, params)
    result = detector.test(current)
    for field in ("statistic", "p_value", "drifted", "method", "alpha"):
        if not hasattr(result, field):
            _fail(detector, "result", f"the result has no {field!r}")
    if not 0.0 <= result.p_value <= 1.0:
        _fail(detector, "result", f"p_value {result.p_value} is outside [0, 1]")
    if result.drifted != (result.p_value <= result.alpha):
        _fail(detector, "result", "drifted disagrees with p_value <= alpha")
    as_dict = result.to_dict()
    if not isinstance(as_dict, dict) or as_dict.get("p_value") != result.p_value:
        _fail(detector, "result", "to_dict() does not carry the p_value")
    if detector.test(current).to_dict() != as_dict:
        _fail(detector, "determinism", "testing the same batch twice gave different answers")
    if clone(detector).fit(reference).test(current).to_dict() != as_dict:
        _fail(detector, "determinism", "refitting with the same parameters changed the answer")


def check_outlier_scorer(scorer: Any, reference: Any, fresh: Any) -> None:
    """Run every outlier-scorer check of ``scorer`` (unfitted).

    ``fresh`` should be drawn like ``reference``. Checks: the estimator
    contract; ``score`` gives one finite float per row and ``is_outlier`` is
    ``score > threshold_``; refits with the same seed agree; and no false
    alarm storm: the share of ``fresh`` rows flagged stays within four
    standard errors of ``fpr``.
    """
    params = _check_init_stores_params(scorer)
    _check_fit(scorer, reference, params)
    n = n_rows(fresh)
    scores = scorer.score(fresh)
    if not isinstance(scores, np.ndarray) or scores.shape != (n,) or scores.dtype.kind != "f":
        _fail(scorer, "score-shape", f"expected {n} float scores, got {scores!r:.80}")
    if not np.all(np.isfinite(scores)):
        _fail(scorer, "score-values", "scores must be finite")
    flagged = scorer.is_outlier(fresh)
    if not np.array_equal(flagged, scores > scorer.threshold_):
        _fail(scorer, "threshold", "is_outlier disagrees with score > threshold_")
    again = clone(scorer).fit(reference)
    if again.threshold_ != scorer.threshold_ or not np.allclose(again.score(fresh), scores):
        _fail(scorer, "determinism", "two fits with the same parameters disagree")
    fpr = float(scorer.fpr)
    # Spread of the realized rate: the held-out quantile's own noise plus the
    # binomial noise of counting on ``fresh``.
    spread = math.sqrt(fpr * (1 - fpr) / scorer.n_holdout_) + math.sqrt(fpr * (1 - fpr) / n)
    if float(np.mean(flagged)) > fpr + 4 * spread:
        _fail(
            scorer,
            "false-alarm-storm",
            f"flagged {np.mean(flagged):.3f} of reference-like rows at fpr={fpr}",
        )
