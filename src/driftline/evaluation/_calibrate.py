"""calibrate(): recalibrate a registered classifier on labelled data and register the result.

The labelled rows are split in two, stratified by label and seeded: the
calibrator is fitted (and, with ``method="auto"``, chosen) on one part, and
calibration is measured before and after on the other, which it never saw.
The calibrated model is registered as a new version of the same model whose
lineage names the parent; it keeps the parent's signature, reference
profile and training-data description, since it takes the same inputs.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import numpy as np

from driftline import registry
from driftline.calibration import (
    CALIBRATION_METHODS,
    CalibratedModel,
    CalibrationResult,
    calibration_report,
    fit_calibrator,
)
from driftline.errors import InputError, SchemaError
from driftline.evaluation._data import read_labelled
from driftline.evaluation._store import record_judgement
from driftline.io import fingerprint
from driftline.metrics import predict

if TYPE_CHECKING:
    import pandas as pd

    from driftline.registry import ModelVersion
    from driftline.schema import Signature
    from driftline.store import Context

__all__ = ["MIN_ROWS", "calibrate"]

# Each half needs enough rows to fit a calibrator and to measure it.
MIN_ROWS = 100


def calibrate(
    ctx: Context,
    ref: str,
    data: Any,
    *,
    target: str,
    method: str = "auto",
    holdout: float = 0.5,
    seed: int = 0,
    n_bins: int = 10,
    actor: str | None = None,
) -> CalibrationResult:
    """Recalibrate version ``ref``'s probabilities on ``data`` and register the result.

    ``data`` is a DataFrame or a CSV/Parquet path holding the model's inputs
    and the label column ``target``. A share ``holdout`` of the labelled rows
    is kept aside to measure calibration before and after. ``method`` is
    ``"auto"`` (chosen by cross-validated log loss, never worse than leaving
    the probabilities alone), ``"platt"``, ``"isotonic"`` or
    ``"temperature"``. When ``auto`` finds nothing better than the
    probabilities as they are, no version is registered.
    """
    if method not in CALIBRATION_METHODS or method == "identity":
        raise InputError(f"method must be auto, platt, isotonic or temperature, got {method!r}")
    if isinstance(holdout, bool) or not isinstance(holdout, int | float) or not 0 < holdout < 1:
        raise InputError(f"holdout must be a share between 0 and 1, e.g. 0.5, got {holdout!r}")
    parent = registry.get(ctx, ref)
    if parent.flavor == "onnx":
        raise InputError(
            f"{parent.ref} is an ONNX model, which driftline cannot wrap with a calibrator; "
            "register the scikit-learn model (skops) and calibrate that"
        )
    frame = _read(data, parent.signature, target)
    if parent.signature is not None:
        _conforms(parent.signature, frame, parent.ref)
    model = registry.load_model(ctx, parent)
    if not hasattr(model, "predict_proba") or getattr(model, "classes_", None) is None:
        raise InputError(
            f"{parent.ref} gives no probabilities (its model has no predict_proba), so there "
            "is nothing to calibrate"
        )
    labelled = frame[frame[target].notna()]
    y = _align_labels(labelled[target].to_numpy(), np.asarray(model.classes_), parent.ref, target)
    X = labelled.drop(columns=[target])
    if parent.signature is not None:
        X = X[parent.signature.names]
    _check_size(y, len(frame))

    scored = predict(model, X)
    if scored.y_proba is None or scored.classes is None:
        raise InputError(f"{parent.ref} gave no probabilities on this data")
    classes = scored.classes
    fit_rows, eval_rows = _split(y, holdout, seed)
    calibrator = fit_calibrator(
        y[fit_rows], scored.y_proba[fit_rows], classes=classes, method=method, seed=seed
    )
    before = calibration_report(
        y[eval_rows], scored.y_proba[eval_rows], classes=classes, n_bins=n_bins, seed=seed
    )
    after = calibration_report(
        y[eval_rows],
        calibrator.transform(scored.y_proba[eval_rows]),
        classes=classes,
        n_bins=n_bins,
        seed=seed,
    )
    chosen = calibrator.selection_["method"]
    dataset = fingerprint(labelled).removeprefix("sha256:")
    version = None
    if chosen != "identity":
        version = _register(
            ctx,
            parent,
            CalibratedModel(model, calibrator),
            chosen,
            before,
            after,
            n_fit=len(fit_rows),
            dataset=dataset,
            actor=actor,
        ).version
    result = CalibrationResult(
        model=parent.name,
        parent=parent.version,
        version=version,
        method=chosen,
        reason=calibrator.selection_["reason"],
        before=before,
        after=after,
        n_fit=len(fit_rows),
        n_eval=len(eval_rows),
        dataset=dataset,
        seed=seed,
        calibrator=calibrator.describe(),
        selection=calibrator.selection_,
    )
    record_judgement(
        ctx,
        parent,
        kind="calibration",
        dataset=dataset,
        summary=result.to_dict(),
        action="model.calibrate",
        payload={
            "method": chosen,
            "version": version,
            "dataset": dataset,
            "rows_fit": len(fit_rows),
            "rows_eval": len(eval_rows),
            "ece_before": before.ece,
            "ece_after": after.ece,
            "log_loss_before": before.log_loss,
            "log_loss_after": after.log_loss,
        },
        actor=actor or ctx.settings.actor,
        created=dt.datetime.now(dt.UTC),
    )
    return result


def _read(data: Any, signature: Signature | None, target: str) -> pd.DataFrame:
    """The data as a DataFrame; CSV text columns the model knows as categories stay text."""
    frame = read_labelled(data, signature=signature, target=target)
    if target not in frame.columns:
        raise InputError(
            f"no column {target!r} in the data; its columns are: "
            f"{', '.join(map(str, frame.columns))}"
        )
    return frame


def _conforms(signature: Signature, frame: pd.DataFrame, ref: str) -> None:
    """The data's input columns as the model was trained on them, or a SchemaError naming the first wrong value."""
    missing = [c for c in signature.names if c not in frame.columns]
    if missing:
        raise SchemaError(
            f"the data lacks {ref}'s input column(s) {', '.join(map(repr, missing))}; its "
            f"columns are: {', '.join(map(str, frame.columns))}",
            field=missing[0],
        )
    try:
        signature.validate(frame, allow_extra=True)
    except SchemaError as exc:
        raise SchemaError(
            f"the data does not fit {ref}'s inputs: {exc}; fix those values, or give the "
            "columns the types the model was trained on",
            field=exc.field,
            row=exc.row,
        ) from exc


def _align_labels(y: np.ndarray, classes: np.ndarray, ref: str, target: str) -> np.ndarray:
    """Labels in the type of the model's classes ("1" read from a CSV is the class 1)."""
    if classes.dtype.kind in "OUS" and y.dtype.kind not in "OUS":
        y = np.array([str(v) for v in y.tolist()], dtype=object)
    elif classes.dtype.kind in "iub" and y.dtype.kind in "fOUS":
        try:
            as_number = y.astype(float)
            if np.all(as_number == np.round(as_number)):
                y = as_number.astype(classes.dtype)
        except (TypeError, ValueError):
            pass  # reported below as labels the model does not know
    known = set(classes.tolist())
    unknown = sorted(repr(v) for v in set(np.unique(y).tolist()) - known)
    if unknown:
        raise InputError(
            f"column {target!r} holds {', '.join(unknown[:5])}, which {ref} does not know; "
            f"its classes are {', '.join(map(repr, classes.tolist()))}"
        )
    return y


def _check_size(y: np.ndarray, total: int) -> None:
    if len(y) < MIN_ROWS:
        raise InputError(
            f"calibration needs at least {MIN_ROWS} labelled rows (half to fit, half to "
            f"measure), got {len(y)}" + (f" of {total}" if total != len(y) else "")
        )
    values, counts = np.unique(y, return_counts=True)
    if len(values) < 2:
        raise InputError(
            f"every labelled row is {values[0]!r}: calibration needs rows of at least two classes"
        )
    rare = [repr(v) for v, c in zip(values.tolist(), counts.tolist(), strict=True) if c < 4]
    if rare:
        raise InputError(
            f"class(es) {', '.join(rare)} have fewer than 4 labelled rows; each needs rows in "
            "both the fitting and the measuring half: give more data"
        )


def _split(y: np.ndarray, holdout: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.model_selection import train_test_split

    rows = np.arange(len(y))
    fit_rows, eval_rows = train_test_split(
        rows, test_size=holdout, random_state=seed, stratify=y, shuffle=True
    )
    return np.sort(fit_rows), np.sort(eval_rows)


def _register(
    ctx: Context,
    parent: ModelVersion,
    model: CalibratedModel,
    method: str,
    before: Any,
    after: Any,
    *,
    n_fit: int,
    dataset: str,
    actor: str | None,
) -> ModelVersion:
    said = {
        "platt": "Platt scaling",
        "isotonic": "isotonic regression",
        "temperature": "temperature scaling",
    }[method]
    note = (
        f"Probabilities recalibrated with {said} on {n_fit:,} labelled rows (data sha256 "
        f"{dataset[:12]}...); on {after.n:,} held-out rows ECE went from {before.ece:.3f} to "
        f"{after.ece:.3f}, log loss from {before.log_loss:.3f} to {after.log_loss:.3f}."
    )
    return registry.register(
        ctx,
        parent.name,
        model,
        description=f"{parent.ref} with probabilities recalibrated by {said}",
        metrics={
            "ece": after.ece,
            "ece_equal_mass": after.ece_equal_mass,
            "mce": after.mce,
            "brier": after.brier,
            "log_loss": after.log_loss,
        },
        intended_use=parent.card.get("intended_use"),
        limitations=[note],
        parent=parent.ref,
        same_inputs=True,
        actor=actor,
    )
