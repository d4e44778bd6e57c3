"""Drift seen through the model: its predicted classes and its outputs (black-box shift detection).

``drift(..., model=m)`` scores the profiles' row samples with the model (it is
fixed, so the tests are exact) and tests two things, Bonferroni across them:

* the mix of predicted classes, by a chi-square test of homogeneity whose
  p-value comes from ``DRAWS`` tables drawn with the same margins under no
  shift (multivariate hypergeometric), so it is exact at any count, 100 rows
  against 10 classes included. This is the test suited to label shift
  (Lipton et al. 2018; Rabanser et al. 2019 found it the strongest single
  test there): when some classes disappear or grow, the predicted mix follows
  them, while each predicted probability moves only a little;
* each predicted probability (or a regressor's prediction), by KS,
  Bonferroni across them: a model that grows unsure moves these before its
  predicted classes.

A regressor has no classes: its family is the KS part alone.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from driftline.drift._multivariate import Rows
from driftline.drift._result import ColumnDrift, DriftResult
from driftline.drift._statistics import jensen_shannon_distance, ks_test
from driftline.errors import InputError

__all__ = ["CLASS_ROW", "check_model", "class_mix_test", "model_output_test"]

# Tables drawn for the class-mix p-value: resolves it to 1/1001, a sixth of the
# alpha / 6 it may be judged at (three families under Holm, two tests in this one).
DRAWS = 1000
CLASS_ROW = "predicted class"


def class_mix_test(
    reference: np.ndarray, current: np.ndarray, *, seed: int, draws: int = DRAWS
) -> tuple[float, float]:
    """Pearson's chi-square of two vectors of class counts and its exact Monte Carlo p-value."""
    keep = (reference + current) > 0
    ref, cur = reference[keep].astype(np.int64), current[keep].astype(np.int64)
    if keep.sum() < 2 or ref.sum() == 0 or cur.sum() == 0:
        return 0.0, 1.0
    totals = ref + cur
    observed = float(_pearson(ref[None, :], cur[None, :])[0])
    rng = np.random.default_rng(seed)
    drawn = rng.multivariate_hypergeometric(totals, int(cur.sum()), size=draws)
    simulated = _pearson(totals[None, :] - drawn, drawn)
    # A relative tolerance: a drawn table equal to the observed one must count.
    exceed = int(np.sum(simulated >= observed * (1.0 - 1e-9)))
    return observed, (1 + exceed) / (1 + draws)


def _pearson(ref: np.ndarray, cur: np.ndarray) -> np.ndarray:
    """Chi-square statistics of 2 x k tables, one per row of ``ref`` and ``cur``."""
    totals = ref + cur
    n, m = ref.sum(axis=1, keepdims=True), cur.sum(axis=1, keepdims=True)
    share = totals / (n + m)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = (ref - n * share) ** 2 / (n * share) + (cur - m * share) ** 2 / (m * share)
    return np.nansum(terms, axis=1)


def _model_input(model: Any, rows: Rows) -> Any:
    import pandas as pd

    frame = pd.DataFrame(dict(rows))
    names = getattr(model, "feature_names_in_", None)
    if names is not None:
        missing = [str(n) for n in names if str(n) not in frame.columns]
        if missing:
            raise InputError(
                f"the model was trained on columns {missing} that the drift profiles do not "
                f"hold (they have {list(frame.columns)}); profile every column the model reads"
            )
        return frame[[str(n) for n in names]]
    if hasattr(model, "n_features_in_"):
        # Fitted on a plain array: hand it one, columns in the profile's order.
        return frame.to_numpy()
    return frame


def _outputs(encoder: Any, rows: Rows, side: str) -> np.ndarray:
    try:
        return np.asarray(encoder.transform(_model_input(encoder.model, rows)), dtype=float)
    except InputError:
        raise
    except Exception as exc:
        raise InputError(
            f"drift(model=...) could not score the {side} rows ({type(exc).__name__}: {exc}); "
            "the model gets the profiled columns as a DataFrame (numbers as floats, "
            "categories as strings), or as an array when it was fitted on one"
        ) from exc


def check_model(model: Any) -> None:
    """An actionable error unless ``model`` can answer ``predict_proba`` or ``predict``."""
    if not any(callable(getattr(model, m, None)) for m in ("predict_proba", "predict")):
        raise InputError(
            f"model= must be a fitted model with predict_proba() or predict(), "
            f"got {type(model).__name__}; pass the estimator or pipeline itself"
        )


def _classes(encoder: Any, outputs: np.ndarray) -> np.ndarray | None:
    """Each row's predicted class index, or None for a regressor."""
    if encoder.classes_ is not None:  # one-hot labels from predict()
        return np.argmax(outputs, axis=1)
    if encoder.method_ != "predict_proba":
        return None
    if encoder.positive_only_:
        return (outputs[:, 0] >= 0.5).astype(np.int64)
    return np.argmax(outputs, axis=1)


def model_output_test(
    model: Any, reference: Rows, current: Rows, *, alpha: float, seed: int = 0
) -> DriftResult:
    """The predicted class mix (chi-square) and each output (KS), Bonferroni across them."""
    from driftline.represent import ModelOutputEncoder

    encoder = ModelOutputEncoder(model)
    try:
        encoder.fit(_model_input(model, reference))
    except InputError:
        raise
    except Exception as exc:
        raise InputError(
            f"drift(model=...) could not score the reference rows ({type(exc).__name__}: "
            f"{exc}); pass a fitted model that reads the profiled columns"
        ) from exc
    ref_out = _outputs(encoder, reference, "reference")
    cur_out = _outputs(encoder, current, "current")
    names = _output_names(encoder, ref_out.shape[1])
    measured = [ks_test(ref_out[:, j], cur_out[:, j]) for j in range(ref_out.shape[1])]
    ref_classes, cur_classes = _classes(encoder, ref_out), _classes(encoder, cur_out)
    tests = 1 if ref_classes is None or cur_classes is None else 2
    d = len(measured)
    outputs = [
        _row(name, "numeric", "ks", s, p, min(1.0, tests * d * p), "ks_d", s, alpha)
        for name, (s, p) in zip(names, measured, strict=True)
    ]
    if ref_classes is not None and cur_classes is not None:
        k = max(ref_out.shape[1], 2)
        ref_counts = np.bincount(ref_classes, minlength=k)
        cur_counts = np.bincount(cur_classes, minlength=k)
        chi2, p = class_mix_test(ref_counts, cur_counts, seed=seed)
        size = jensen_shannon_distance(ref_counts, cur_counts)
        outputs.insert(
            0,
            _row(
                CLASS_ROW,
                "categorical",
                "chi2",
                chi2,
                p,
                min(1.0, 2 * p),
                "js_distance",
                size,
                alpha,
            ),
        )
    p_value = min([o.p_value_adjusted for o in outputs], default=1.0)
    worst = min(outputs, key=lambda o: o.p_value_adjusted) if outputs else None
    return DriftResult(
        method="model_output",
        drift_detected=p_value <= alpha,
        p_value=p_value,
        score=worst.statistic if worst is not None else 0.0,
        alpha=alpha,
        correction="bonferroni",
        n_reference=len(ref_out),
        n_current=len(cur_out),
        columns=outputs,
    )


def _row(
    name: str,
    kind: str,
    method: str,
    statistic: float,
    p: float,
    adjusted: float,
    effect: str,
    size: float,
    alpha: float,
) -> ColumnDrift:
    return ColumnDrift(
        column=name,
        kind=kind,
        method=method,
        statistic=float(statistic),
        p_value=float(p),
        p_value_adjusted=float(adjusted),
        effect=effect,
        effect_size=float(size),
        threshold=0.0,
        drifted=bool(adjusted <= alpha),
    )


def _output_names(encoder: Any, width: int) -> list[str]:
    classes = getattr(encoder.model, "classes_", None)
    if encoder.classes_ is not None:
        return [f"predicted={c}" for c in encoder.classes_]
    if classes is not None and encoder.method_ == "predict_proba":
        labels = [str(c) for c in classes]
        labels = labels[1:] if encoder.positive_only_ else labels
        if len(labels) == width:
            return [f"proba[{c}]" for c in labels]
    return [f"output[{i}]" for i in range(width)]
