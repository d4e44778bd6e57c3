"""The sequential test behind every rollout decision: a mixture SPRT, valid however often it looks.

A canary is compared with the champion again at every tick while traffic
accumulates. Checking a fixed-sample test each time ("is p < 0.05 yet?")
would roll back an identical canary far more often than 5%: every look is
another chance of a false alarm. The mixture sequential probability ratio
test (mSPRT) of Johari, Koomen, Pekelis and Walsh ("Peeking at A/B tests",
KDD 2017; "Always valid inference", Operations Research 2022), the test
behind Optimizely's stats engine, holds its error rate at every look.

For a difference ``θ = canary − champion`` of two means estimated by
``θ̂ = x̄_B − x̄_A`` with variance ``V = s²_A / n_A + s²_B / n_B``, and a normal
mixture ``θ ~ N(θ₀, τ²)`` over the alternatives, the mixture likelihood ratio
against ``H₀: θ = θ₀`` is::

    Λ(θ₀) = sqrt(V / (V + τ²)) · exp( τ² (θ̂ − θ₀)² / (2 V (V + τ²)) )

Under ``H₀`` it is a martingale with mean 1, so by Ville's inequality
``P(Λ ever reaches 1/α) ≤ α``: rejecting at the first look where it does is a
test of level ``α`` whatever the number of looks (and ``p = min(1, 1/Λ)``,
its running minimum taken over looks, is an always-valid p-value). Inverting
it gives an always-valid interval, ``θ̂ ± h`` with::

    h = sqrt( V (V + τ²) / τ² · (2 log(1/α) + log(1 + τ²/V)) )

which holds ``θ`` at every look with probability ``1 − α``. A canary is
judged worse than the champion by more than a margin ``δ`` when the interval
lies wholly above ``δ`` (equivalently ``Λ(δ) ≥ 1/α`` with ``θ̂ > δ``); this
one-sided decision has level ``α`` too.

``τ`` (the mixture's spread) tunes the test to the size of effect it detects
fastest; any ``τ > 0`` keeps it valid. ``V`` uses the sample variances, as the
cited papers do: exact for known variances, asymptotically valid otherwise,
which is why a check waits for a minimum number of rows on each side.
Proportions use the add-one (Agresti-Caffo) estimate in ``V``, so that zero
errors in a small sample do not read as certainty.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

__all__ = ["Arm", "Evidence", "arm", "compare", "proportion"]


@dataclasses.dataclass(frozen=True)
class Arm:
    """What the test needs of one side: how many rows, their mean and sample variance."""

    n: int
    mean: float
    var: float


def arm(values: np.ndarray) -> Arm:
    """The summary of per-row values (numbers, or 0/1 for a proportion)."""
    values = np.asarray(values, dtype=float)
    n = len(values)
    if n == 0:
        return Arm(0, math.nan, math.nan)
    mean = float(values.mean())
    var = float(values.var(ddof=1)) if n > 1 else 0.0
    return Arm(n, mean, var)


def proportion(successes: float, n: int) -> Arm:
    """A proportion's summary, its variance from the add-one estimate of the rate."""
    if n == 0:
        return Arm(0, math.nan, math.nan)
    smoothed = (successes + 1) / (n + 2)
    return Arm(n, successes / n, smoothed * (1 - smoothed))


@dataclasses.dataclass(frozen=True)
class Evidence:
    """One comparison at one look: the difference, its always-valid interval, and the verdict.

    ``difference`` is canary minus champion; ``low``/``high`` hold it with
    probability ``1 − alpha`` at every look; ``p`` is the always-valid p-value
    of "no worse than ``margin``" (1 when the estimate is not beyond it).
    ``worse`` is True when the interval lies wholly beyond the margin on the
    harmful side; ``better`` when it lies wholly on the good side of it.
    """

    difference: float
    low: float
    high: float
    p: float
    margin: float
    alpha: float
    worse: bool
    better: bool

    def to_dict(self) -> dict[str, Any]:
        return {k: _plain(v) for k, v in dataclasses.asdict(self).items()}


def _plain(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def compare(
    champion: Arm,
    canary: Arm,
    *,
    margin: float,
    tau: float,
    alpha: float,
    harm: str = "higher",
) -> Evidence:
    """Is the canary worse than the champion by more than ``margin``, at level ``alpha``?

    ``harm`` says which way is worse: ``"higher"`` (an error rate rises),
    ``"lower"`` (accuracy falls) or ``"either"`` (a shift either way; the margin
    then bounds the absolute difference).

    >>> a, b = proportion(100, 10_000), proportion(90, 1_000)
    >>> e = compare(a, b, margin=0.0, tau=0.02, alpha=0.05)
    >>> round(e.difference, 3), e.worse, e.p < 0.05
    (0.08, True, True)
    """
    if tau <= 0 or not 0 < alpha < 1:
        raise ValueError(f"tau must be positive and alpha in (0, 1), got {tau!r}, {alpha!r}")
    theta = canary.mean - champion.mean
    if champion.n == 0 or canary.n == 0 or not math.isfinite(theta):
        return Evidence(math.nan, -math.inf, math.inf, 1.0, margin, alpha, False, False)
    v = max(champion.var / champion.n + canary.var / canary.n, 1e-300)
    t2 = tau * tau
    half = math.sqrt(v * (v + t2) / t2 * (2 * math.log(1 / alpha) + math.log1p(t2 / v)))
    low, high = theta - half, theta + half
    if harm == "higher":
        worse, better, beyond = low > margin, high < margin, theta > margin
    elif harm == "lower":
        worse, better, beyond = high < -margin, low > -margin, theta < -margin
    elif harm == "either":
        worse = low > margin or high < -margin
        better = -margin < low and high < margin
        beyond = abs(theta) > margin
    else:
        raise ValueError(f"harm must be 'higher', 'lower' or 'either', got {harm!r}")
    p = 1.0
    if beyond:
        centre = margin if theta > 0 else -margin
        log_lr = 0.5 * math.log(v / (v + t2)) + t2 * (theta - centre) ** 2 / (2 * v * (v + t2))
        p = math.exp(-log_lr) if log_lr > 0 else 1.0
    return Evidence(theta, low, high, min(1.0, p), margin, alpha, worse, better)
