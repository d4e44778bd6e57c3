"""estimate_performance(): how well is the model doing on data whose labels have not arrived?"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from driftline.errors import InputError, SchemaError
from driftline.estimate._cbpe import CBPE
from driftline.estimate._checks import check_confidence
from driftline.estimate._dle import DLE
from driftline.estimate._result import PerformanceEstimate, WindowEstimate
from driftline.estimate._windows import Window, as_frame, describe, split

if TYPE_CHECKING:
    from driftline.schema import Signature

__all__ = [
    "DEFAULT_METRICS",
    "Scored",
    "estimate_performance",
    "estimate_window",
    "fit_estimator",
    "scored",
]

DEFAULT_METRICS = {
    "binary": ("accuracy", "f1", "roc_auc"),
    "multiclass": ("accuracy", "f1", "roc_auc"),
    "regression": ("mae", "rmse"),
}
ProbaSpec = str | Sequence[str] | Mapping[Any, str]


@dataclass(frozen=True)
class Scored:
    """A table's predictions: labels or values, class probabilities, the inputs behind them."""

    task: str
    y_pred: np.ndarray | None
    y_proba: np.ndarray | None
    classes: np.ndarray | None
    X: pd.DataFrame


def estimate_performance(
    reference: Any,
    current: Any,
    *,
    target: str,
    model: Any = None,
    y_pred: str | None = None,
    y_pred_proba: ProbaSpec | None = None,
    metrics: Sequence[str] | None = None,
    window: int | str | dt.timedelta | None = None,
    time_column: str | None = None,
    features: Sequence[str] | None = None,
    classes: Sequence[Any] | np.ndarray | None = None,
    calibration: str = "auto",
    confidence: float = 0.95,
    n_simulations: int = 500,
    seed: int = 0,
    signature: Signature | None = None,
    weighting: str = "blend",
) -> PerformanceEstimate:
    """Estimate a model's performance per window of ``current``, before its labels arrive.

    ``reference`` is labelled data the model was not trained on (a held-out
    or recent, labelled batch: its probabilities must be honest there);
    ``current`` is what to estimate, labelled or not (pandas or polars
    DataFrames, or Arrow tables; reference rows without a label are left
    out). Give either ``model``
    (scored on both with :func:`driftline.metrics.predict`) or the names of
    the columns that already hold its answers, as the inference log stores
    them:

    - ``y_pred``: the predicted label or value (optional for classifiers:
      the most probable class when left out);
    - ``y_pred_proba``: for a binary classifier the column of the positive
      class's probability (the positive class is ``classes[1]``, by default
      the larger of the two labels), or a column holding one list of
      probabilities per row; for any classifier a list of columns (one per
      class, in ``classes`` order) or a mapping class -> column.

    ``features`` names the model's input columns (by default the model's
    ``feature_names_in_``, else every column but the target, the time and
    the prediction columns); DLE learns the loss from them. With the model's
    ``signature``, both tables are first checked against it (presence, type,
    nullability of each input column), so a wrong value is named with its
    column and row instead of failing inside the model.

    Without probabilities the model is taken for a regressor (its target must
    be numeric). Classifiers are estimated by CBPE (confidence-based
    performance estimation: the expected confusion matrix and ROC AUC under
    the probabilities, recalibrated on the reference when that helps;
    :class:`~driftline.estimate.CBPE`), regressors by DLE (direct loss
    estimation: models of the absolute and squared error learned on the
    reference; :class:`~driftline.estimate.DLE`). Both assume covariate
    shift: the inputs may move, the link from inputs to label may not.

    ``calibration`` and ``weighting`` are CBPE's (see
    :class:`~driftline.estimate.CBPE`): by default the recalibration is
    isotonic unless another wins clearly on windows staged from the
    reference, and, with the inputs at hand (the model's features, or the
    columns both tables share), the estimate is the mean of three (``"blend"``):
    CBPE's, the reference's own realized metrics weighted toward each
    window's inputs by a domain classifier (``"weighted"`` alone), and CBPE's
    on probabilities recalibrated toward each window on the reference so
    weighted (``"recalibrated"`` alone), the last two each pulled toward CBPE's
    by as much as their own noise could explain and to the share of the window
    the reference overlaps; ``"corrected"`` for the doubly robust estimate,
    ``"none"`` for CBPE alone.

    ``window`` is a number of rows, a period (``"6h"``, ``"1d"``, with the
    rows' times in ``time_column``; windows aligned to midnight UTC), or
    None for one window over all of ``current``. ``metrics`` defaults to
    accuracy, f1 and roc_auc for classifiers (precision and recall on request)
    and mae and rmse for regressors.

    Each window's band holds the realized value with probability
    ``confidence`` when the method's assumption holds: for CBPE the central
    share of the metric over ``n_simulations`` draws of the window's labels
    from its calibrated probabilities, for DLE a normal interval from the
    loss models' row-level scatter. Where ``current`` has ``target`` values,
    the realized metric of the labelled rows is given beside the estimate.

    Example::

        >>> import numpy as np, pandas as pd
        >>> rng = np.random.default_rng(0)
        >>> x = rng.normal(size=4000)
        >>> p = 1 / (1 + np.exp(-2 * x))
        >>> data = pd.DataFrame({"x": x, "p": p, "y": (rng.random(4000) < p).astype(int)})
        >>> est = estimate_performance(
        ...     data[:2000], data[2000:].drop(columns="y"), target="y",
        ...     y_pred_proba="p", metrics=["accuracy"], window=1000,
        ... )
        >>> est.to_frame()[["rows", "accuracy"]].round(2)
           rows  accuracy
        0  1000      0.78
        1  1000      0.78
    """
    check_confidence(confidence)
    if isinstance(metrics, str):
        raise InputError(f"metrics must be a list of metric names, got {metrics!r}")
    ref = as_frame(reference, "reference")
    cur = as_frame(current, "current")
    if signature is not None:
        _conforms(signature, ref, "the reference")
        _conforms(signature, cur, "the current data")
    ref = _labelled_reference(ref, target)
    ignore = {target, *([time_column] if time_column else [])}
    if classes is None and model is None and isinstance(y_pred_proba, str | list | tuple):
        classes = _labels_of(ref[target], ref[y_pred] if y_pred in ref.columns else None)
        if len(classes) < 2:
            raise InputError(
                f"the reference's labels are all {classes[0]!r}: estimating performance needs a "
                "reference with every class the model predicts (at least two); or pass classes="
            )
    if model is None and y_pred_proba is not None and features is None:
        # The inputs both tables hold; CBPE may weight the reference toward each window by them.
        answers = _answers(y_pred, y_pred_proba)
        features = [c for c in ref.columns if c in cur.columns and c not in ignore | answers]
    ref_scored = scored(
        ref, model=model, y_pred=y_pred, y_pred_proba=y_pred_proba, classes=classes,
        features=features, ignore=ignore, where="the reference",
    )  # fmt: skip
    windows = split(cur, window, time_column)
    cur_scored = scored(
        cur, model=model, y_pred=y_pred, y_pred_proba=y_pred_proba,
        classes=ref_scored.classes, features=list(ref_scored.X.columns), ignore=ignore,
        where="the current data",
    )  # fmt: skip
    names = tuple(metrics) if metrics is not None else DEFAULT_METRICS[ref_scored.task]
    estimator = fit_estimator(
        ref_scored,
        ref[target].to_numpy(),
        metrics=names,
        calibration=calibration,
        confidence=confidence,
        n_simulations=n_simulations,
        seed=seed,
        weighting=weighting,
    )
    labels = cur[target].to_numpy() if target in cur.columns else None
    rows = [_window(estimator, cur_scored, w, labels) for w in windows]
    return PerformanceEstimate(
        task=ref_scored.task,
        method="dle" if isinstance(estimator, DLE) else "cbpe",
        metrics=list(names),
        confidence=confidence,
        window=describe(window),
        n_reference=len(ref),
        reference=dict(estimator.reference_),
        windows=rows,
        classes=None if ref_scored.classes is None else list(ref_scored.classes),
        calibration=getattr(estimator, "calibration_", None),
    )


def _labelled_reference(ref: pd.DataFrame, target: str) -> pd.DataFrame:
    """The reference rows that have a label; refused when there are none."""
    if not isinstance(target, str) or target not in ref.columns:
        raise InputError(
            f"the reference has no target column {target!r}: estimating performance needs a "
            f"labelled reference; its columns are: {', '.join(map(str, ref.columns))}"
        )
    known = ref[target].notna().to_numpy()
    if not known.any():
        raise InputError(
            f"the reference's target column {target!r} holds no labels; estimating "
            "performance needs labelled reference rows"
        )
    return ref[known]


def _window(
    estimator: CBPE | DLE, current: Scored, w: Window, labels: np.ndarray | None
) -> WindowEstimate:
    """One window's estimates, with the realized values where its rows have labels."""
    part = take(current, w.positions)
    truth = None if labels is None else labels[w.positions]
    values = estimate_window(estimator, part, truth)
    count = 0 if truth is None else int(pd.notna(pd.Series(truth, dtype=object)).sum())
    return WindowEstimate(w.start, w.end, len(w.positions), count, values)


def fit_estimator(
    reference: Scored,
    y_true: np.ndarray,
    *,
    metrics: Sequence[str],
    calibration: str = "auto",
    confidence: float = 0.95,
    n_simulations: int = 500,
    seed: int = 0,
    weighting: str = "blend",
) -> CBPE | DLE:
    """CBPE for a classifier, DLE for a regressor, fitted on the scored, labelled reference."""
    if reference.task == "regression":
        return DLE(metrics=metrics, confidence=confidence, seed=seed).fit(
            reference.X, y_true, reference.y_pred
        )
    if reference.classes is None or reference.y_proba is None:
        raise InputError("a classifier's performance is estimated from its probabilities")
    return CBPE(
        metrics=metrics,
        calibration=calibration,
        weighting=weighting,
        confidence=confidence,
        n_simulations=n_simulations,
        seed=seed,
    ).fit(
        y_true,
        reference.y_proba,
        classes=reference.classes,
        y_pred=reference.y_pred,
        X=reference.X if len(reference.X.columns) else None,
    )


def estimate_window(estimator: CBPE | DLE, part: Scored, y_true: Any = None) -> dict[str, Any]:
    """One window's metric estimates (realized too where ``y_true`` holds labels)."""
    if isinstance(estimator, DLE):
        return estimator.estimate(part.X, part.y_pred, y_true=y_true)
    inputs = part.X if len(part.X.columns) else None
    return estimator.estimate(part.y_proba, part.y_pred, y_true=y_true, X=inputs)


def take(s: Scored, positions: np.ndarray) -> Scored:
    return Scored(
        s.task,
        None if s.y_pred is None else s.y_pred[positions],
        None if s.y_proba is None else s.y_proba[positions],
        s.classes,
        s.X.iloc[positions],
    )


def scored(
    frame: pd.DataFrame,
    *,
    model: Any = None,
    y_pred: str | None = None,
    y_pred_proba: ProbaSpec | None = None,
    classes: Sequence[Any] | np.ndarray | None = None,
    features: Sequence[str] | None = None,
    ignore: set[str] | frozenset[str] = frozenset(),
    where: str = "the data",
) -> Scored:
    """The predictions of ``frame``: from ``model``, or read from its prediction columns."""
    if model is not None and (y_pred is not None or y_pred_proba is not None):
        raise InputError(
            "pass either a model to score, or the columns holding its predictions "
            "(y_pred, y_pred_proba), not both"
        )
    if model is None and y_pred is None and y_pred_proba is None:
        raise InputError(
            "nothing to estimate from: pass model=, or name the columns holding the "
            "predictions (y_pred=) and, for a classifier, the probabilities (y_pred_proba=)"
        )
    answers = _answers(y_pred, y_pred_proba)
    _require(frame, [c for c in answers if c], where)
    if features is None:
        inputs = getattr(model, "feature_names_in_", None)
        names = (
            [str(c) for c in inputs]
            if inputs is not None
            else [str(c) for c in frame.columns if c not in ignore and c not in answers]
        )
    else:
        names = list(features)
    _require(frame, names, where, what="input column")
    X = frame[names]
    if model is not None:
        from driftline.metrics import predict

        p = predict(model, X)
        if p.task != "regression" and p.y_proba is None:
            raise InputError(
                f"{type(model).__name__} has no predict_proba: a classifier's performance is "
                "estimated from its probabilities"
            )
        return Scored(p.task, p.y_pred, p.y_proba, p.classes, X)
    pred = frame[y_pred].to_numpy() if y_pred else None
    if y_pred_proba is None:
        return Scored("regression", pred, None, None, X)
    proba, labels = _proba(frame, y_pred_proba, classes, pred, where)
    task = "binary" if len(labels) == 2 else "multiclass"
    return Scored(task, pred, proba, labels, X)


def _answers(y_pred: str | None, y_pred_proba: ProbaSpec | None) -> set[str]:
    """The columns holding the model's answers (not inputs)."""
    answers = {y_pred} if y_pred else set()
    if isinstance(y_pred_proba, str):
        answers.add(y_pred_proba)
    elif isinstance(y_pred_proba, Mapping):
        answers.update(y_pred_proba.values())
    elif y_pred_proba is not None:
        answers.update(y_pred_proba)
    return answers


def _proba(
    frame: pd.DataFrame,
    spec: ProbaSpec,
    classes: Sequence[Any] | np.ndarray | None,
    pred: np.ndarray | None,
    where: str,
) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(spec, Mapping):
        labels = np.asarray(list(spec), dtype=object)
        if classes is not None and list(classes) != list(labels):
            labels = np.asarray(list(classes), dtype=object)
            spec = {c: spec[c] for c in labels}
        return _numeric(frame, list(spec.values()), where), labels
    if isinstance(spec, str):
        column = frame[spec]
        first = column.dropna().iloc[0] if column.notna().any() else None
        if isinstance(first, list | tuple | np.ndarray):
            proba = _stacked(column, spec, where)
            return proba, _classes(classes, proba.shape[1], frame, pred, spec)
        p = _numeric(frame, [spec], where)[:, 0]
        labels = _classes(classes, 2, frame, pred, spec)
        return np.column_stack([1 - p, p]), labels
    names = list(spec)
    return _numeric(frame, names, where), _classes(classes, len(names), frame, pred, names)


def _classes(
    classes: Sequence[Any] | np.ndarray | None,
    k: int,
    frame: pd.DataFrame,
    pred: np.ndarray | None,
    spec: Any,
) -> np.ndarray:
    if classes is not None:
        labels = np.asarray(list(classes), dtype=object)
        if len(labels) != k:
            hint = (
                "; one probability column suits a binary model: pass one column per class"
                if k == 2 and isinstance(spec, str)
                else "; pass classes= in the order of the probabilities"
            )
            raise InputError(
                f"y_pred_proba {spec!r} gives {k} probabilities a row but there are "
                f"{len(labels)} classes ({', '.join(map(repr, labels.tolist()))}){hint}"
            )
        return labels
    raise InputError(
        f"cannot tell which class each probability in {spec!r} is for: pass classes= "
        "(in the order of the probabilities), or y_pred_proba as a mapping class -> column"
    )


def _labels_of(target: pd.Series, predicted: pd.Series | None) -> np.ndarray:
    """The classes as a scikit-learn classifier orders them: sorted labels seen."""
    seen = set(target.dropna().tolist())
    if predicted is not None:
        seen.update(predicted.dropna().tolist())
    try:
        return np.asarray(sorted(seen), dtype=object)
    except TypeError:
        return np.asarray(sorted(seen, key=str), dtype=object)


def _numeric(frame: pd.DataFrame, names: list[str], where: str) -> np.ndarray:
    try:
        return frame[names].to_numpy(dtype=float)
    except (TypeError, ValueError):
        raise InputError(
            f"the probability column(s) {', '.join(names)} of {where} must hold numbers"
        ) from None


def _stacked(column: pd.Series, name: str, where: str) -> np.ndarray:
    values = column.tolist()
    lengths = {len(v) if v is not None and not isinstance(v, float) else -1 for v in values}
    if len(lengths) != 1 or -1 in lengths:
        raise InputError(
            f"column {name!r} of {where} must hold the same number of probabilities in every row"
        )
    return np.asarray([list(v) for v in values], dtype=float)


def _conforms(signature: Signature, frame: pd.DataFrame, where: str) -> None:
    """Check ``frame``'s input columns against the model's signature; name the table if not."""
    _require(frame, signature.names, where, what="input column")
    try:
        signature.validate(frame, allow_extra=True)
    except SchemaError as exc:
        raise SchemaError(
            f"{where} does not fit the model's inputs: {exc}; fix those values, or give the "
            "columns the types the model was trained on",
            field=exc.field,
            row=exc.row,
        ) from exc


def _require(frame: pd.DataFrame, names: list[str], where: str, what: str = "column") -> None:
    missing = [c for c in names if c not in frame.columns]
    if missing:
        raise InputError(
            f"{where} has no {what} {', '.join(map(repr, missing))}; its columns are: "
            f"{', '.join(map(str, frame.columns))}"
        )
