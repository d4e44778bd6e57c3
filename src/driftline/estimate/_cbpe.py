"""CBPE: a classifier's performance estimated from its own (calibrated) confidence.

If the model's probabilities are calibrated, a row scored ``p`` for the
positive class is positive with probability ``p``. So over a window of rows
without labels, the *expected* confusion matrix is known: a row predicted
positive adds ``p`` to the true positives and ``1 - p`` to the false
positives, a row predicted negative ``p`` to the false negatives and
``1 - p`` to the true negatives (multiclass: row ``i`` predicted ``c`` adds
``p_ij`` to cell (true ``j``, predicted ``c``)). Accuracy, precision, recall
and F1 follow from it; ROC AUC from the expected count of correctly ordered
(positive, negative) pairs (:func:`~driftline.estimate._confusion.expected_auc`).
This is the method of NannyML's CBPE.

It holds under covariate shift (the inputs move, ``P(y | x)`` stays), which
is the common case; it cannot see concept shift (the same inputs now mean
another label), which only labels reveal.

Probabilities are rarely calibrated out of the box, so :meth:`CBPE.fit`
recalibrates them on the labelled reference: isotonic regression for two
classes (which undoes any distortion that keeps the order of the scores,
given rows enough), temperature scaling for more, unless another
recalibration (none among the candidates) estimates the metrics materially
better on windows the reference stages from its own rows: each fifth of it
seen from the rest, and slices of it by score and by input
(:mod:`driftline.estimate._choose`). Not by log loss, which measures the fit
to the reference as a whole: on two of three real tables it chose Platt
scaling or none where isotonic estimated better. (A reference of fewer than
200 rows stages no windows; there log loss chooses.)

Given the inputs (``X``) of the reference and of each window, more
estimates use a density ratio a domain classifier learns between the
reference and the window (:mod:`driftline.estimate._weights`): the
reference's realized metrics reweighted toward the window (importance
weighting, ``"weighted"``); CBPE on probabilities recalibrated once more
toward the window, by one temperature and shift fitted on the reference so
weighted (``"recalibrated"``); and CBPE's estimate corrected by the
reference's calibration residuals weighted alike (doubly robust,
``"corrected"``). They see where the model errs more than its scores admit,
which CBPE cannot; they need a reference that covers the window. The
default (``"blend"``) is the mean of CBPE's, the weighted and the
recalibrated estimates: each is right under a different assumption
(calibrated probabilities, right weights, a recalibration that moves with
the inputs), and their errors partly cancel. Before the mean, the weighted
and recalibrated estimates are each pulled toward CBPE's twice
(:func:`~driftline.estimate._choose.pulled`): by as much of their
difference from it as their own noise could explain, the noise measured by
leaving out each tenth of the reference in turn; then to the share of the
window the reference overlaps, since weights speak only for rows the
reference holds rows like. On eleven real tables, four of them held out
from every choice, the blend erred no more than CBPE alone in 21 of 22
cells (accuracy and ROC AUC) and 1.02 times in the last; the gains are a
few percent. Unpulled, it erred far less on some tables (0.59 times on one)
and far more on others (1.44 times), which no check on the reference alone
told apart (``benchmarks/RESULTS.md``).

The band: labels are drawn ``n_simulations`` times from the window's
calibrated probabilities and each draw's metric computed; the band holds the
central ``confidence`` share of those values. It is a prediction interval for
the value the metric will have once this window's labels arrive, if the
calibrated probabilities are right for these rows (it does not include the
error of the calibration itself, nor any concept shift).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from driftline.errors import InputError
from driftline.estimate._checks import check_confidence, check_metrics, labelled, realized
from driftline.estimate._choose import (
    CALIBRATIONS,
    FITTED,
    MIN_ROWS,
    PARTS,
    WEIGHTINGS,
    blended,
    choose,
    cross_fitted,
    normalized,
    pulled,
    shifted,
)
from driftline.estimate._confusion import CONFUSION_METRICS
from driftline.estimate._expected import expected_metrics
from driftline.estimate._simulate import simulate
from driftline.estimate._weights import Reweighter
from driftline.estimate._window import MetricEstimate

__all__ = ["CBPE", "CBPE_METRICS"]

CBPE_METRICS = (*CONFUSION_METRICS, "roc_auc")


class CBPE:
    """Confidence-based performance estimation for a classifier.

    Parameters
    ----------
    metrics:
        Any of accuracy, precision, recall, f1, roc_auc.
    calibration:
        ``"auto"`` (isotonic for two classes, temperature for more, unless
        another candidate, leaving the probabilities unchanged among them,
        estimates materially better on windows staged from the reference),
        ``"none"``, or a method of :func:`driftline.calibration.fit_calibrator`
        to always apply (``"platt"``, ``"isotonic"``, ``"temperature"``).
    weighting:
        ``"blend"`` (the mean of CBPE's, the importance-weighted and the
        recalibrated estimates, the last two pulled toward CBPE's by their
        noise and by how little of the window the reference overlaps),
        ``"none"`` (CBPE alone), ``"weighted"``
        (the reference's metrics weighted by the density ratio to each
        window), ``"recalibrated"`` (CBPE on probabilities recalibrated
        toward each window on the reference so weighted), ``"corrected"``
        (doubly robust: CBPE's plus the reference's calibration residuals so
        weighted), or ``"auto"`` (chosen on the staged windows too). All but
        ``"none"`` need the inputs of the reference and of each window;
        without them the estimate is CBPE's alone (``weighting_`` then says
        ``"none"``).
    confidence:
        Share of the simulated realized values the band holds.
    n_simulations:
        Label draws per window for the band.
    seed:
        Seed of the draws (and of the cross-fitting folds).

    Learned state: ``classes_``, ``calibrator_`` (None when none applied),
    ``calibration_`` (its name or ``"none"``), ``weighting_``,
    ``selection_`` (what was chosen and each candidate's relative error),
    ``reference_`` (each metric realized on the reference), ``n_reference_``.
    """

    def __init__(
        self,
        *,
        metrics: Sequence[str] = ("accuracy", "f1", "roc_auc"),
        calibration: str = "auto",
        weighting: str = "blend",
        confidence: float = 0.95,
        n_simulations: int = 500,
        seed: int = 0,
    ) -> None:
        self.metrics = metrics
        self.calibration = calibration
        self.weighting = weighting
        self.confidence = confidence
        self.n_simulations = n_simulations
        self.seed = seed

    def fit(
        self,
        y_true: Any,
        y_proba: Any,
        *,
        classes: Sequence[Any] | np.ndarray,
        y_pred: Any = None,
        X: Any = None,
    ) -> CBPE:
        """Learn the recalibration from the labelled reference's labels and probabilities.

        ``X``, the reference's inputs (a DataFrame, rows aligned), lets the
        estimate weight the reference toward each window's inputs.
        """
        check_metrics(self.metrics, CBPE_METRICS, "a classifier")
        check_confidence(self.confidence)
        if self.weighting not in ("auto", *WEIGHTINGS):
            raise InputError(
                f"weighting must be one of auto, {', '.join(WEIGHTINGS)}, got {self.weighting!r}"
            )
        if isinstance(self.n_simulations, bool) or not (
            isinstance(self.n_simulations, int) and self.n_simulations >= 20
        ):
            raise InputError(
                f"n_simulations must be a whole number of at least 20 (draws behind each band), "
                f"got {self.n_simulations!r}"
            )
        self.classes_ = np.asarray(list(classes), dtype=object)
        if len(self.classes_) < 2:
            raise InputError(f"a classifier needs at least two classes, got {list(classes)!r}")
        proba = self._proba(y_proba, "the reference")
        truth = np.asarray(y_true, dtype=object)
        if len(truth) != len(proba):
            raise InputError(
                f"the reference has {len(truth)} labels but {len(proba)} rows of probabilities"
            )
        index = self._index(truth, "the reference's labels")
        present = np.unique(index)
        if len(present) < 2:
            raise InputError(
                f"the reference's labels are all {self.classes_[present[0]]!r}: estimating "
                "performance needs a reference with every class the model predicts (at least two)"
            )
        labels = self.classes_[index]
        predicted = self._predicted(y_pred, proba, "the reference")
        self.reweighter_ = self._reweighter(X, proba)
        self._truth, self._ref_predicted, self._ref_raw = index, predicted, proba
        self._choose(labels, index, proba, predicted)
        self.reference_ = realized(
            self.metrics, labels, self.classes_[predicted], proba, self.classes_
        )
        self.n_reference_ = len(proba)
        return self

    def calibrated(self, y_proba: Any) -> np.ndarray:
        """The probabilities after the learned recalibration (unchanged without one)."""
        proba = self._proba(y_proba, "the current data")
        return self._calibrate(proba)

    def estimate(
        self, y_proba: Any, y_pred: Any = None, *, y_true: Any = None, X: Any = None
    ) -> dict[str, MetricEstimate]:
        """Estimated metrics of one window, with bands; realized too where ``y_true`` has labels.

        ``y_true`` may hold missing values (rows whose labels have not arrived).
        ``X``, the window's inputs, is used when importance weighting was
        chosen; without it the estimate is CBPE's alone.
        """
        if not hasattr(self, "classes_"):
            raise InputError("call fit(reference labels, probabilities) before estimate()")
        raw = self._proba(y_proba, "the current data")
        if len(raw) == 0:
            raise InputError("the window has no rows")
        predicted = self._predicted(y_pred, raw, "the current data")
        proba = self._calibrate(raw)
        names = list(self.metrics)
        plain = expected_metrics(names, raw, proba, predicted)
        seen, parts = self._shifted(X, raw, proba, predicted, plain)
        values = blended(plain, parts, self.weighting_)
        draws = simulate(raw, proba, predicted, names, self.n_simulations, self.seed)
        alpha = (1 - self.confidence) / 2
        truth = self._realized(y_true, raw, predicted)
        out = {}
        for name in names:
            sample = draws[name][np.isfinite(draws[name])]
            low, high = (
                (float(np.quantile(sample, alpha)), float(np.quantile(sample, 1 - alpha)))
                if len(sample)
                else (float("nan"), float("nan"))
            )
            if seen:
                # The draws spread around CBPE's value; moved to another estimate (or a
                # mean), the band widens by half the spread of the estimates behind it as
                # they came, before any was pulled toward CBPE's: none of them can be
                # ruled out, and a pulled one's noise is still what the band must hold.
                spread = np.ptp([v for p in (plain, *seen.values()) if np.isfinite(v := p[name])])
                low = values[name] - (plain[name] - low) - spread / 2
                high = values[name] + (high - plain[name]) + spread / 2
            out[name] = MetricEstimate(
                values[name], low, high, None if truth is None else truth[name]
            )
        return out

    # -- steps ---------------------------------------------------------------------

    def _proba(self, y_proba: Any, where: str) -> np.ndarray:
        proba = np.asarray(y_proba, dtype=float)
        k = len(self.classes_)
        if proba.ndim == 1 and k == 2:
            proba = np.column_stack([1 - proba, proba])
        if proba.ndim != 2 or proba.shape[1] != k:
            raise InputError(
                f"probabilities of {where} must have one column per class ({k}: "
                f"{', '.join(map(str, self.classes_))}), got shape {proba.shape}"
            )
        if not np.isfinite(proba).all():
            row = int(np.argwhere(~np.isfinite(proba))[0][0])
            raise InputError(f"probabilities of {where} are missing or infinite in row {row}")
        if proba.size and (proba.min() < -1e-9 or proba.max() > 1 + 1e-9):
            raise InputError(f"probabilities of {where} must lie between 0 and 1")
        return np.clip(proba, 0.0, 1.0)

    def _index(self, labels: np.ndarray, where: str) -> np.ndarray:
        lookup = {c: i for i, c in enumerate(self.classes_.tolist())}
        by_text = {str(c): i for i, c in enumerate(self.classes_.tolist())}
        out = np.empty(len(labels), dtype=np.intp)
        for i, label in enumerate(labels.tolist()):
            found = lookup.get(label)
            if found is None:
                found = by_text.get(str(label))
            if found is None:
                raise InputError(
                    f"{where} hold {label!r} (row {i}), which is not a class of the model "
                    f"({', '.join(map(repr, self.classes_.tolist()))})"
                )
            out[i] = found
        return out

    def _predicted(self, y_pred: Any, proba: np.ndarray, where: str) -> np.ndarray:
        if y_pred is None:
            return np.asarray(proba.argmax(axis=1), dtype=np.intp)
        labels = np.asarray(y_pred, dtype=object)
        if len(labels) != len(proba):
            raise InputError(
                f"{where} has {len(labels)} predictions but {len(proba)} rows of probabilities"
            )
        return self._index(labels, f"the predictions of {where}")

    def _reweighter(self, X: Any, proba: np.ndarray) -> Reweighter | None:
        if self.weighting == "none" or X is None or not len(getattr(X, "columns", ())):
            return None  # without the inputs, CBPE alone
        if len(X) != len(proba):
            raise InputError(
                f"the reference has {len(X)} rows of inputs but {len(proba)} of probabilities"
            )
        reweighter = Reweighter(X, proba, seed=self.seed)
        return reweighter if reweighter.usable else None

    def _choose(
        self, labels: np.ndarray, index: np.ndarray, proba: np.ndarray, predicted: np.ndarray
    ) -> None:
        """Set ``calibrator_``, ``calibration_``, ``weighting_`` and ``selection_``."""
        fixed = "none" if self.calibration in (None, "none", "identity") else self.calibration
        calibrations = CALIBRATIONS if fixed == "auto" else (fixed,)
        # A fixed weighting leaves only the recalibration to choose, on CBPE's own
        # estimates: no domain classifier per staged window.
        weightings = WEIGHTINGS if self.weighting == "auto" else ("none",)
        if self.reweighter_ is None:
            weightings = ("none",)
        halves = (index[: len(index) // 2], index[len(index) // 2 :])
        staged = len(index) >= MIN_ROWS and all(
            (np.bincount(h, minlength=len(self.classes_)) >= 2).sum() >= 2 for h in halves
        )
        self.selection_: dict[str, Any] = {}
        weighting = "none" if self.weighting == "auto" else self.weighting
        if len(calibrations) * len(weightings) > 1 and staged:
            # The baseline, unless a recalibration was asked for: isotonic for two
            # classes; for more, one temperature (isotonic fits each class against the
            # rest, and renormalizing the fits distorts them: on generated data under a
            # strong shift, its accuracy error was 1.4 times temperature's).
            base = fixed
            if fixed == "auto":
                base = "isotonic" if len(self.classes_) == 2 else "temperature"
            choice = choose(
                list(self.metrics), index, proba, predicted,
                calibrations=calibrations, weightings=weightings,
                reweighter=self.reweighter_, baseline=(base, weightings[0]), seed=self.seed,
            )  # fmt: skip
            fixed = choice.calibration
            weighting = choice.weighting if self.weighting == "auto" else weighting
            self.selection_ = {"scores": choice.scores, "windows": choice.windows}
        self.weighting_ = weighting if self.reweighter_ is not None else "none"
        self.calibrator_, self.calibration_ = self._calibrator(labels, proba, fixed)
        self.selection_.update(calibration=self.calibration_, weighting=self.weighting_)
        self._ref_fitted = None
        if FITTED.intersection(PARTS[self.weighting_]):
            self._ref_fitted = cross_fitted(
                index, proba, self.calibration_, self._calibrate(proba), self.seed
            )

    def _calibrator(self, labels: np.ndarray, proba: np.ndarray, method: str) -> tuple[Any, str]:
        if method == "none":
            return None, "none"
        from driftline.calibration import fit_calibrator

        # "auto" here means too few rows to stage windows: fit_calibrator then chooses
        # by cross-validated log loss, with "leave the probabilities alone" a candidate.
        try:
            calibrator = fit_calibrator(
                labels, proba, classes=list(self.classes_), method=method, seed=self.seed
            )
        except InputError:
            if self.calibration != "auto":
                raise
            return None, "none"  # too few labelled rows of some class to recalibrate
        chosen = str(getattr(calibrator, "method", method))
        if chosen == "identity":
            return None, "none"
        return calibrator, chosen

    def _shifted(
        self,
        X: Any,
        raw: np.ndarray,
        proba: np.ndarray,
        predicted: np.ndarray,
        plain: dict[str, float],
    ) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, float]]]:
        """The estimates besides CBPE's that the weighting uses (none without inputs): as
        computed, and as used (the blend's pulled toward CBPE's ``plain``)."""
        if not PARTS[self.weighting_] or self.reweighter_ is None or X is None:
            return {}, {}
        if len(X) != len(raw):
            raise InputError(
                f"the window has {len(X)} rows of inputs but {len(raw)} of probabilities"
            )
        weighed = self.reweighter_.weights(X, raw)
        if weighed is None:
            return {}, {}
        weights, overlap = weighed
        fitted = self._ref_fitted if self._ref_fitted is not None else self._ref_raw
        reference = (self._truth, self._ref_predicted, self._ref_raw, fitted)
        names, window = list(plain), (raw, proba, predicted)
        if self.weighting_ == "blend":
            return pulled(names, weights, reference, window, plain, overlap)
        parts = shifted(names, PARTS[self.weighting_], weights, reference, window)
        return parts, parts

    def _realized(
        self, y_true: Any, raw: np.ndarray, predicted: np.ndarray
    ) -> dict[str, float] | None:
        if y_true is None:
            return None
        known = labelled(y_true, len(raw))
        if not known.any():
            return None
        truth = np.asarray(y_true, dtype=object)[known]
        labels = self.classes_[self._index(truth, "the current data's labels")]
        return realized(
            self.metrics, labels, self.classes_[predicted[known]], raw[known], self.classes_
        )

    def _calibrate(self, proba: np.ndarray) -> np.ndarray:
        if self.calibrator_ is None:
            return proba
        return normalized(self.calibrator_.transform(proba))
