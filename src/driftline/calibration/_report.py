"""How far predicted probabilities are from what happens: ECE, MCE, Brier, reliability bins.

Binary tasks are judged on the positive class (``classes[1]``): of the rows
given a 70% chance, do 70% turn out positive? Multiclass tasks are judged on
the top label (of the rows where the model is 70% sure, is it right 70% of
the time?), with the classwise ECE beside it.

ECE has a floor from sampling alone: even perfectly calibrated probabilities
show gaps in finite bins. ``ece_chance`` is the 95th percentile of the ECE
that perfectly calibrated probabilities would show on these same rows
(outcomes redrawn as Bernoulli(p)), so "miscalibrated" means beyond chance.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any, Literal

import numpy as np

from driftline.calibration._input import as_proba, clip_log, label_index
from driftline.errors import InputError
from driftline.words import plural

__all__ = ["CalibrationReport", "ReliabilityBin", "calibration_report", "equal_mass_bins"]

Strategy = Literal["uniform", "quantile"]
Direction = Literal["overconfident", "underconfident", "too high", "too low"]

_NULL_DRAWS = 200
_CHANCE_QUANTILE = 0.95


@dataclass(frozen=True)
class ReliabilityBin:
    """One bin of the reliability diagram.

    ``observed`` is the share of rows whose outcome happened (binary: the
    positive class; multiclass: the top label was right), with a Wilson
    interval ``low``..``high`` at the report's confidence.
    """

    lower: float
    upper: float
    count: int
    mean_predicted: float
    observed: float
    low: float
    high: float

    @property
    def gap(self) -> float:
        return self.mean_predicted - self.observed

    def to_dict(self) -> dict[str, Any]:
        return {
            "lower": self.lower,
            "upper": self.upper,
            "count": self.count,
            "mean_predicted": self.mean_predicted,
            "observed": self.observed,
            "low": self.low,
            "high": self.high,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ReliabilityBin:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__})


@dataclass(frozen=True)
class CalibrationReport:
    """Calibration of a set of probabilities against their labels.

    ``ece`` uses ``n_bins`` equal-width bins, ``ece_equal_mass`` as many bins
    holding equal numbers of rows; ``mce`` is the largest gap of a
    reliability bin; ``brier`` is the mean squared error of the probabilities
    (multiclass: summed over classes); ``log_loss`` the mean negative log
    likelihood. ``bins`` are the non-empty reliability bins of ``strategy``.
    """

    task: Literal["binary", "multiclass"]
    n: int
    classes: list[Any]
    n_bins: int
    strategy: Strategy
    ece: float
    ece_equal_mass: float
    mce: float
    brier: float
    log_loss: float
    ece_chance: float
    mean_predicted: float
    observed: float
    bins: list[ReliabilityBin]
    classwise_ece: float | None = None
    direction: Direction | None = None
    confidence: float = 0.95

    @property
    def positive(self) -> Any:
        """The class whose probability is judged in a binary task; None for multiclass."""
        return self.classes[1] if self.task == "binary" else None

    @property
    def miscalibrated(self) -> bool:
        """Is the ECE beyond what sampling alone gives perfectly calibrated probabilities?"""
        return self.ece > self.ece_chance

    @property
    def summary(self) -> str:
        """One sentence in plain words."""
        if not self.miscalibrated:
            return (
                f"probabilities are well calibrated: the gap between what the model says and "
                f"what happens (ECE {self.ece:.3f}) is within what chance allows on "
                f"{plural(self.n, 'row')}"
            )
        b = _telling_bin(self)
        what = self.direction or "miscalibrated"
        ece = f"(ECE {self.ece:.3f} on {plural(self.n, 'row')}, beyond the {self.ece_chance:.3f} chance allows)"
        todo = "; recalibrate the model (driftline calibrate) before reading them as chances"
        if b is None:
            return f"probabilities are {what} {ece}{todo}"
        said, seen = _pct(b.mean_predicted), _pct(b.observed)
        if self.task == "binary":
            label = f"class {self.positive!r}"
            return (
                f"probabilities are {what}: when the model gives {label} {_a(said)} {said} chance, "
                f"it is {label} {seen} of the time {ece}{todo}"
            )
        return (
            f"probabilities are {what}: when the model says {said} it is right {seen} of "
            f"the time {ece}{todo}"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "task": self.task,
            "n": self.n,
            "classes": list(self.classes),
            "n_bins": self.n_bins,
            "strategy": self.strategy,
            "ece": self.ece,
            "ece_equal_mass": self.ece_equal_mass,
            "mce": self.mce,
            "brier": self.brier,
            "log_loss": self.log_loss,
            "ece_chance": self.ece_chance,
            "mean_predicted": self.mean_predicted,
            "observed": self.observed,
            "classwise_ece": self.classwise_ece,
            "direction": self.direction,
            "confidence": self.confidence,
            "miscalibrated": self.miscalibrated,
            "summary": self.summary,
            "bins": [b.to_dict() for b in self.bins],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CalibrationReport:
        derived = {"miscalibrated", "summary", "bins"}
        kwargs = {k: data[k] for k in cls.__dataclass_fields__ if k in data and k not in derived}
        return cls(bins=[ReliabilityBin.from_dict(b) for b in data["bins"]], **kwargs)

    def __rich_console__(self, console: Any, options: Any) -> Iterator[Any]:
        from rich.table import Table
        from rich.text import Text

        style = "bold red" if self.miscalibrated else "bold green"
        yield Text(self.summary[0].upper() + self.summary[1:] + ".", style=style)
        yield Text(
            f"ECE {self.ece:.4f} (equal-width)  {self.ece_equal_mass:.4f} (equal-mass)  "
            f"chance level {self.ece_chance:.4f}  MCE {self.mce:.4f}  Brier {self.brier:.4f}  "
            f"log loss {self.log_loss:.4f}"
            + (
                f"  classwise ECE {self.classwise_ece:.4f}"
                if self.classwise_ece is not None
                else ""
            )
        )
        said = "P(" + repr(self.positive) + ")" if self.task == "binary" else "confidence"
        table = Table(show_edge=False, header_style="bold")
        for name in ("bin", "rows", f"mean {said}", "observed", f"{self.confidence:.0%} interval"):
            table.add_column(name, justify="right")
        for b in self.bins:
            table.add_row(
                f"{b.lower:.2f}-{b.upper:.2f}",
                f"{b.count:,}",
                f"{b.mean_predicted:.3f}",
                f"{b.observed:.3f}",
                f"{b.low:.3f}-{b.high:.3f}",
            )
        yield table


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def _a(said: str) -> str:
    """The article a whole percentage takes when spoken: "an 85% chance", "a 60% chance"."""
    digits = said.rstrip("%")
    return "an" if digits.startswith("8") or digits in ("11", "18") else "a"


def _telling_bin(report: CalibrationReport) -> ReliabilityBin | None:
    """The bin that shows the report's direction best: the largest gap weighted by rows."""
    base = report.observed
    agrees = {
        "overconfident": lambda b: (
            b.gap > 0 if report.task == "multiclass" else b.gap * (b.mean_predicted - base) > 0
        ),
        "underconfident": lambda b: (
            b.gap < 0 if report.task == "multiclass" else b.gap * (b.mean_predicted - base) < 0
        ),
        "too high": lambda b: b.gap > 0,
        "too low": lambda b: b.gap < 0,
    }
    floor = max(5, report.n // 50)
    candidates = [b for b in report.bins if b.count >= floor] or list(report.bins)
    test = agrees.get(report.direction or "")
    chosen = [b for b in candidates if test(b)] if test else []
    pool = chosen or candidates
    return max(pool, key=lambda b: b.count * abs(b.gap), default=None)


def wilson(successes: np.ndarray, n: np.ndarray, confidence: float) -> tuple[np.ndarray, ...]:
    """Wilson score interval for binomial proportions (vectorized; n > 0)."""
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    p = successes / n
    denom = 1 + z**2 / n
    center = (p + z**2 / (2 * n)) / denom
    half = z / denom * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    return np.clip(center - half, 0.0, 1.0), np.clip(center + half, 0.0, 1.0)


def uniform_bins(pred: np.ndarray, n_bins: int) -> np.ndarray:
    """Bin index of each prediction with ``n_bins`` equal-width bins on [0, 1]."""
    return np.minimum((pred * n_bins).astype(np.intp), n_bins - 1)


def equal_mass_bins(pred: np.ndarray, n_bins: int) -> np.ndarray:
    """Bin index of each prediction, ``n_bins`` bins whose counts differ by at most one.

    Rows are ranked by prediction (ties keep their order), so bins stay equal
    even where many rows share a value.
    """
    order = np.argsort(pred, kind="stable")
    ranks = np.empty(len(pred), dtype=np.intp)
    ranks[order] = np.arange(len(pred))
    return (ranks * n_bins) // max(len(pred), 1)


def _ece(bin_of: np.ndarray, pred: np.ndarray, hit: np.ndarray, n_bins: int) -> float:
    counts = np.bincount(bin_of, minlength=n_bins)
    gaps = np.abs(
        np.bincount(bin_of, weights=pred, minlength=n_bins)
        - np.bincount(bin_of, weights=hit, minlength=n_bins)
    )
    return float(gaps.sum() / max(counts.sum(), 1))


def _chance_ece(bin_of: np.ndarray, pred: np.ndarray, seed: int, draws: int = _NULL_DRAWS) -> float:
    """95th percentile of ECE when outcomes are drawn from the predictions themselves."""
    rng = np.random.default_rng(seed)
    n = len(pred)
    # Rows sorted by bin, so each bin's outcomes sum with one reduceat per batch of draws.
    order = np.argsort(bin_of, kind="stable")
    sorted_pred, sorted_bins = pred[order], bin_of[order]
    starts = np.flatnonzero(np.r_[True, sorted_bins[1:] != sorted_bins[:-1]])
    pred_sums = np.add.reduceat(sorted_pred, starts)
    values = np.empty(draws)
    chunk = max(1, 2_000_000 // max(n, 1))
    for done in range(0, draws, chunk):
        m = min(chunk, draws - done)
        hits = (rng.random((m, n)) < sorted_pred).astype(np.float64)
        sums = np.add.reduceat(hits, starts, axis=1)
        values[done : done + m] = np.abs(sums - pred_sums).sum(axis=1) / n
    return float(np.quantile(values, _CHANCE_QUANTILE))


def _slope(pred: np.ndarray, hit: np.ndarray) -> float:
    """Calibration slope: the coefficient of logistic regression of outcome on logit(p)."""
    from driftline.calibration._calibrators import fit_logistic

    logit = clip_log(pred) - clip_log(1 - pred)
    slope, _ = fit_logistic(logit, hit.astype(float), smooth=False)
    return slope


def calibration_report(
    y_true: Any,
    y_proba: Any,
    *,
    classes: Any = None,
    n_bins: int = 10,
    strategy: Strategy = "uniform",
    confidence: float = 0.95,
    seed: int = 0,
) -> CalibrationReport:
    """Measure the calibration of ``y_proba`` (n×k, columns in ``classes`` order) against ``y_true``.

    A 1-D ``y_proba`` is P(positive class) of a binary task. ``strategy`` picks
    the bins of the reliability diagram and MCE: ``"uniform"`` (equal width)
    or ``"quantile"`` (equal mass); both ECEs are always reported. ``seed``
    fixes the simulation behind ``ece_chance``.

    Example::

        >>> import numpy as np
        >>> rng = np.random.default_rng(0)
        >>> p = rng.uniform(size=5000)
        >>> y = (rng.uniform(size=5000) < p).astype(int)
        >>> report = calibration_report(y, p)
        >>> report.miscalibrated, round(report.ece, 2)
        (False, 0.01)
    """
    if isinstance(n_bins, bool) or not isinstance(n_bins, int) or n_bins < 1:
        raise InputError(f"n_bins must be a whole number from 1, got {n_bins!r}")
    if strategy not in ("uniform", "quantile"):
        raise InputError(f"strategy must be 'uniform' or 'quantile', got {strategy!r}")
    if not 0 < confidence < 1:
        raise InputError(f"confidence must be between 0 and 1, got {confidence!r}")
    p = as_proba(y_proba)
    n, k = p.shape
    idx, order = label_index(y_true, classes, k)
    if len(idx) != n:
        raise InputError(f"got {len(idx)} labels for {n} rows of probabilities")
    onehot = np.zeros_like(p)
    onehot[np.arange(n), idx] = 1.0
    brier = float(np.mean(np.sum((p - onehot) ** 2, axis=1)))
    if k == 2:
        brier /= 2  # the binary Brier score counts the positive class only
    log_loss = float(-np.mean(clip_log(p[np.arange(n), idx])))

    task: Literal["binary", "multiclass"] = "binary" if k == 2 else "multiclass"
    if task == "binary":
        pred, hit = p[:, 1], onehot[:, 1]
        classwise = None
    else:
        top = np.argmax(p, axis=1)
        pred, hit = p[np.arange(n), top], (top == idx).astype(float)
        classwise = float(
            np.mean(
                [
                    _ece(uniform_bins(p[:, j], n_bins), p[:, j], onehot[:, j], n_bins)
                    for j in range(k)
                ]
            )
        )
    width_bins = uniform_bins(pred, n_bins)
    mass_bins = equal_mass_bins(pred, n_bins)
    ece = _ece(width_bins, pred, hit, n_bins)
    ece_mass = _ece(mass_bins, pred, hit, n_bins)
    shown = width_bins if strategy == "uniform" else mass_bins
    bins = _reliability(shown, pred, hit, n_bins, strategy, confidence)
    mce = max((abs(b.gap) for b in bins), default=0.0)
    chance = _chance_ece(width_bins, pred, seed)

    direction: Direction | None = None
    mean_pred, observed = float(pred.mean()), float(hit.mean())
    if task == "multiclass":
        direction = "overconfident" if mean_pred > observed else "underconfident"
    elif abs(mean_pred - observed) >= ece / 2:
        direction = "too high" if mean_pred > observed else "too low"
    elif 0 < observed < 1:
        direction = "overconfident" if _slope(pred, hit) < 1 else "underconfident"
    return CalibrationReport(
        task=task,
        n=n,
        classes=order,
        n_bins=n_bins,
        strategy=strategy,
        ece=ece,
        ece_equal_mass=ece_mass,
        mce=float(mce),
        brier=brier,
        log_loss=log_loss,
        ece_chance=chance,
        mean_predicted=mean_pred,
        observed=observed,
        bins=bins,
        classwise_ece=classwise,
        direction=direction,
        confidence=confidence,
    )


def _reliability(
    bin_of: np.ndarray,
    pred: np.ndarray,
    hit: np.ndarray,
    n_bins: int,
    strategy: Strategy,
    confidence: float,
) -> list[ReliabilityBin]:
    counts = np.bincount(bin_of, minlength=n_bins)
    sum_pred = np.bincount(bin_of, weights=pred, minlength=n_bins)
    sum_hit = np.bincount(bin_of, weights=hit, minlength=n_bins)
    present = counts > 0
    low, high = np.zeros(n_bins), np.ones(n_bins)
    low[present], high[present] = wilson(sum_hit[present], counts[present], confidence)
    out = []
    for b in np.nonzero(present)[0]:
        if strategy == "uniform":
            lower, upper = float(b / n_bins), float((b + 1) / n_bins)
        else:
            inside = pred[bin_of == b]
            lower, upper = float(inside.min()), float(inside.max())
        out.append(
            ReliabilityBin(
                lower=float(lower),
                upper=float(upper),
                count=int(counts[b]),
                mean_predicted=float(sum_pred[b] / counts[b]),
                observed=float(sum_hit[b] / counts[b]),
                low=float(low[b]),
                high=float(high[b]),
            )
        )
    return out
