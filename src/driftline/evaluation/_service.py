"""evaluate(): judge a model on labelled rows, and keep the judgement with its version."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from driftline.errors import DriftlineError, InputError
from driftline.evaluation._charts import chart_data
from driftline.evaluation._data import read_labelled, split_batch
from driftline.evaluation._report import EvaluationReport
from driftline.evaluation._store import store_evaluation
from driftline.io import fingerprint
from driftline.settings import Settings
from driftline.store import Context

if TYPE_CHECKING:
    from driftline.metrics import Evaluation, Predictions
    from driftline.registry import ModelVersion
    from driftline.schema import Signature
    from driftline.stats import Profile

__all__ = ["evaluate"]


def evaluate(
    model_or_ref: Any,
    data: Any,
    *,
    target: str | None = None,
    context: Context | None = None,
    slices: Sequence[Any] | None = None,
    discover: bool = True,
    reference: Any = None,
    confidence: float = 0.95,
    n_resamples: int = 1000,
    seed: int = 0,
    store: bool = True,
    actor: str | None = None,
    sensitive: Sequence[str] | None = None,
) -> EvaluationReport:
    """Judge a model on labelled rows: every metric with a bootstrap interval, and more.

    Parameters
    ----------
    model_or_ref:
        A fitted model (anything with ``predict``; ``predict_proba`` and
        ``classes_`` make it a classifier), or a registered version:
        ``"churn"`` (newest), ``"churn:3"``, ``"churn@champion"`` or a
        :class:`~driftline.registry.ModelVersion`.
    data:
        The labelled rows: a pandas or polars DataFrame, an Arrow table, or
        the path of a CSV or Parquet file.
    target:
        The label column. For a registered version it defaults to the
        label column it was registered with.
    context:
        The stores where a reference is looked up (default: the workspace of
        ``DRIFTLINE_HOME`` or ``./.driftline``; ``Workspace.evaluate`` passes its own).
    slices:
        Groups of rows to judge on their own: :class:`driftline.slices.Slice`
        objects or text such as ``"region=North"`` or ``"age>=60 and region=North"``.
    discover:
        Search for the groups of rows the model serves worst.
    reference:
        Training rows or their :class:`~driftline.stats.Profile`, for the
        data-quality check of a model object (a registered version uses the
        profile it was registered with).
    confidence, n_resamples, seed:
        The bootstrap intervals: their level, the resamples behind them, and
        the seed that makes them repeatable.
    sensitive:
        Columns of ``data`` naming groups of people (such as ``"sex"``): each
        group's selection rate, true and false positive rates and accuracy,
        and the disparities between groups (binary classifiers). The columns
        need not be model inputs.
    store:
        Keep the report with a registered version (an ``evaluations`` row and
        a ``model.evaluate`` audit event). A model object is never stored.

    Returns an :class:`EvaluationReport`; ``report.summary()`` says it in words.
    """
    _check_options(confidence, n_resamples, seed)
    from driftline.registry import ModelVersion

    if isinstance(model_or_ref, str | ModelVersion):
        options: dict[str, Any] = {
            "target": target,
            "slices": slices,
            "discover": discover,
            "reference": reference,
            "confidence": confidence,
            "n_resamples": n_resamples,
            "seed": seed,
            "store": store,
            "actor": actor,
            "sensitive": sensitive,
        }
        if context is None:
            with Context.open(Settings.load(), create=False) as ctx:
                return _evaluate_version(ctx, model_or_ref, data, **options)
        return _evaluate_version(context, model_or_ref, data, **options)
    if target is None:
        raise InputError("target is required: pass target= with the name of the label column")
    frame = read_labelled(data)
    report = judge(
        model_or_ref,
        frame,
        target=target,
        name=type(model_or_ref).__name__,
        slices=slices,
        discover=discover,
        reference=reference,
        confidence=confidence,
        n_resamples=n_resamples,
        seed=seed,
        sensitive=sensitive,
    )
    report.created_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    return report


def _check_options(confidence: float, n_resamples: int, seed: int) -> None:
    if isinstance(confidence, bool) or not isinstance(confidence, int | float):
        raise InputError(f"confidence must be a number between 0 and 1, got {confidence!r}")
    if not 0 < confidence < 1:
        raise InputError(f"confidence must be between 0 and 1 (e.g. 0.95), got {confidence!r}")
    if isinstance(n_resamples, bool) or not isinstance(n_resamples, int) or n_resamples < 0:
        raise InputError(f"n_resamples must be a whole number from 0, got {n_resamples!r}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise InputError(f"seed must be a whole number, got {seed!r}")


def _evaluate_version(
    ctx: Context,
    ref: str | ModelVersion,
    data: Any,
    *,
    target: str | None,
    slices: Sequence[Any] | None,
    discover: bool,
    reference: Any,
    confidence: float,
    n_resamples: int,
    seed: int,
    store: bool,
    actor: str | None,
    sensitive: Sequence[str] | None,
) -> EvaluationReport:
    from driftline import registry

    version = registry.get(ctx, ref) if isinstance(ref, str) else ref
    signature = version.signature
    if target is None:
        if signature is None or signature.output is None or not signature.output.target:
            raise InputError(
                f"{version.ref} was registered without a label column; pass target= "
                f"(--target) with the name of the label column in the data"
            )
        target = signature.output.target
    frame = read_labelled(data, signature=signature)  # a bad file fails before the model loads
    model = registry.load_model(ctx, version)
    profile = registry.load_profile(ctx, version) if version.profile_key else None
    report = judge(
        model,
        frame,
        target=target,
        name=version.name,
        version=version.version,
        ref=ref if isinstance(ref, str) else version.ref,
        signature=signature,
        profile=profile,
        slices=slices,
        discover=discover,
        reference=reference,
        confidence=confidence,
        n_resamples=n_resamples,
        seed=seed,
        sensitive=sensitive,
    )
    if store:
        return store_evaluation(ctx, version, report, actor=actor)
    report.created_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    return report


def judge(
    model: Any,
    frame: pd.DataFrame,
    *,
    target: str,
    name: str,
    version: int | None = None,
    ref: str | None = None,
    signature: Signature | None = None,
    profile: Profile | None = None,
    slices: Sequence[Any] | None = None,
    discover: bool = True,
    reference: Any = None,
    confidence: float = 0.95,
    n_resamples: int = 1000,
    seed: int = 0,
    sensitive: Sequence[str] | None = None,
) -> EvaluationReport:
    """The report of ``model`` on ``frame``; nothing is stored (that is the caller's choice)."""
    from driftline.metrics import evaluate_predictions

    batch = split_batch(frame, target, signature=signature, model=model)
    asked = _parse_slices(slices, batch.frame) if slices else []
    attributes = _sensitive_columns(sensitive, batch.frame, target)
    predictions = _predict(model, batch.features)
    y_true = align_labels(batch.labels, predictions, target)
    evaluation = evaluate_predictions(
        y_true,
        y_pred=predictions.y_pred,
        y_proba=predictions.y_proba,
        classes=predictions.classes,
        task=predictions.task,
        confidence=confidence,
        n_resamples=n_resamples,
        seed=seed,
    )
    notes: list[str] = []
    calibration = None
    if predictions.task != "regression":
        if predictions.y_proba is None:
            notes.append("calibration not measured: the model gives no probabilities")
        else:
            calibration = _optional(
                notes,
                "calibration",
                lambda: _calibration(y_true, predictions, confidence, seed),
            )
    user_slices = weak_slices = None
    if asked:
        user_slices = _user_slices(
            batch.frame, y_true, predictions, asked, evaluation, confidence, n_resamples, seed
        )
    if discover:
        weak_slices = _optional(
            notes,
            "slice discovery",
            lambda: _discover(
                batch.frame, y_true, predictions, evaluation, confidence, n_resamples, seed
            ),
        )
    by_slice: dict[str, Any] = {}
    if calibration is not None:
        by_slice = (
            _optional(
                notes,
                "calibration per slice",
                lambda: _slice_calibration(
                    batch.frame, y_true, predictions, asked, weak_slices, confidence, seed
                ),
            )
            or {}
        )
    fairness = None
    if attributes:
        fairness = _optional(
            notes,
            "fairness figures",
            lambda: _fairness(
                batch.frame, y_true, predictions, attributes, confidence, n_resamples, seed
            ),
        )
    quality = None
    if reference is not None or profile is not None or signature is not None:
        quality = _optional(
            notes,
            "data check",
            lambda: _quality(frame, target, signature, profile, reference, seed),
        )
    else:
        notes.append(
            "data not checked: there is no training data to compare with (register the "
            "model with its training data, or pass reference=)"
        )
    return EvaluationReport(
        model=name,
        version=version,
        ref=ref,
        dataset=fingerprint(frame).removeprefix("sha256:"),
        n_rows=len(y_true),
        target=target,
        evaluation=evaluation,
        charts=chart_data(
            y_true,
            predictions.y_pred,
            predictions.y_proba,
            predictions.classes,
            task=predictions.task,
            seed=seed,
        ),
        calibration=calibration,
        slice_calibration=by_slice,
        slices=user_slices,
        weak_slices=weak_slices,
        quality=quality,
        fairness=fairness,
        dropped_rows=batch.dropped,
        seed=seed,
        notes=notes,
    )


def _sensitive_columns(sensitive: Any, frame: pd.DataFrame, target: str) -> list[str]:
    """The sensitive columns asked for, checked before any scoring."""
    if not sensitive:
        return []
    names = [sensitive] if isinstance(sensitive, str) else list(sensitive)
    columns = [str(c) for c in frame.columns]
    for name in names:
        if name == target:
            raise InputError(
                f"the sensitive column {name!r} is the label column; name a column that "
                f"says which group each row belongs to, such as 'sex' or 'age_band'"
            )
        if name not in columns:
            raise InputError(
                f"no column {name!r} in the data to group rows by; its columns are "
                f"{', '.join(columns[:12])}"
            )
    return list(dict.fromkeys(names))


def _fairness(
    frame: pd.DataFrame,
    y_true: np.ndarray,
    predictions: Predictions,
    attributes: list[str],
    confidence: float,
    n_resamples: int,
    seed: int,
) -> Any:
    from driftline.fairness import group_fairness

    if predictions.task != "binary" or predictions.classes is None:
        raise InputError(
            f"fairness figures need a model with two outcomes; this one is {predictions.task}"
        )
    return group_fairness(
        y_true,
        predictions.y_pred,
        {name: frame[name].to_numpy() for name in attributes},
        positive=predictions.classes[1],
        confidence=confidence,
        n_resamples=n_resamples,
        seed=seed,
    )


def _predict(model: Any, features: pd.DataFrame) -> Predictions:
    from driftline.metrics import predict

    try:
        return predict(model, features)
    except DriftlineError:
        raise
    except (ValueError, TypeError, KeyError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(
            f"the model could not score the data: {first}; pass rows with the columns and "
            f"kinds of values it was trained on"
        ) from exc


def align_labels(labels: np.ndarray, predictions: Predictions, target: str) -> np.ndarray:
    """Labels in the model's own type: "1" read from a CSV is the class 1, and 1 is "1"."""
    if predictions.task == "regression":
        try:
            return np.asarray(labels, dtype=float)
        except (TypeError, ValueError) as exc:
            raise InputError(
                f"the model predicts numbers but the target column {target!r} holds "
                f"non-numbers such as {labels[0]!r}; pass the numeric label column"
            ) from exc
    classes = predictions.classes
    if classes is None:
        return labels
    known = set(classes.tolist())
    values = labels.tolist()
    if all(v in known for v in values):
        return labels
    by_text = {str(c): c for c in classes.tolist()}
    if all(str(v) in by_text for v in values):
        return np.asarray([by_text[str(v)] for v in values], dtype=classes.dtype)
    unknown = sorted({repr(v) for v in values if v not in known and str(v) not in by_text})
    raise InputError(
        f"the target column {target!r} holds label(s) {', '.join(unknown[:5])} that the "
        f"model does not know; its classes are {classes.tolist()}"
    )


def _optional(notes: list[str], what: str, compute: Any) -> Any:
    """Run a part the report can do without; a refusal becomes a note, not a failure."""
    try:
        return compute()
    except InputError as exc:
        notes.append(f"{what} skipped: {exc}")
        return None


def _calibration(y_true: np.ndarray, predictions: Predictions, confidence: float, seed: int) -> Any:
    from driftline.calibration import calibration_report

    return calibration_report(
        y_true, predictions.y_proba, classes=predictions.classes, confidence=confidence, seed=seed
    )


# Fewer rows than this give an ECE too noisy to say anything about a slice.
SLICE_CALIBRATION_MIN_ROWS = 100


def _slice_calibration(
    frame: pd.DataFrame,
    y_true: np.ndarray,
    predictions: Predictions,
    asked: list[Any],
    weak: Any,
    confidence: float,
    seed: int,
) -> dict[str, Any]:
    """Calibration on each slice asked for and each weak slice found, by slice label."""
    from driftline.calibration import calibration_report

    found = [f.slice for f in weak.findings] if weak is not None else []
    out: dict[str, Any] = {}
    for sl in [*asked, *found]:
        mask = np.asarray(sl.mask(frame), dtype=bool)
        if sl.label in out or mask.sum() < SLICE_CALIBRATION_MIN_ROWS:
            continue
        part = predictions.take(mask)
        out[sl.label] = calibration_report(
            y_true[mask], part.y_proba, classes=part.classes, confidence=confidence, seed=seed
        )
    return out


def _parse_slices(slices: Any, frame: pd.DataFrame) -> list[Any]:
    """Slices as :class:`~driftline.slices.Slice`; text is read now, before any scoring."""
    from driftline.slices import Slice, parse_slice

    if isinstance(slices, str | Slice):
        slices = [slices]
    columns = [str(c) for c in frame.columns]
    out = []
    for s in slices:
        if isinstance(s, Slice):
            out.append(s)
        elif isinstance(s, str):
            out.append(parse_slice(s, columns=columns))
        else:
            raise InputError(
                f"a slice is a driftline Slice or text such as 'region=North', got "
                f"{type(s).__name__}"
            )
    return out


def _user_slices(
    frame: pd.DataFrame,
    y_true: np.ndarray,
    predictions: Predictions,
    slices: list[Any],
    overall: Evaluation,
    confidence: float,
    n_resamples: int,
    seed: int,
) -> Any:
    from driftline.slices import evaluate_slices

    return evaluate_slices(
        frame,
        y_true,
        predictions,
        slices,
        overall=overall,
        confidence=confidence,
        n_resamples=n_resamples,
        seed=seed,
    )


def _discover(
    frame: pd.DataFrame,
    y_true: np.ndarray,
    predictions: Predictions,
    overall: Evaluation,
    confidence: float,
    n_resamples: int,
    seed: int,
) -> Any:
    from driftline.slices import discover_slices

    return discover_slices(
        frame,
        y_true,
        predictions,
        overall=overall,
        confidence=confidence,
        n_resamples=n_resamples,
        seed=seed,
    )


def _quality(
    frame: pd.DataFrame,
    target: str,
    signature: Signature | None,
    profile: Profile | None,
    reference: Any,
    seed: int,
) -> Any:
    from driftline.quality import check_quality
    from driftline.stats import Profile

    base = reference if reference is not None else profile
    # The labels are checked too when the training data hold them.
    known = base.columns if isinstance(base, Profile | pd.DataFrame) else None
    labels = target if known is None or target in known else None
    return check_quality(
        reference,
        frame,
        signature=signature,
        target=labels,
        profile=profile if reference is None else None,
        seed=seed,
    )
