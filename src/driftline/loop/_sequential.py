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

which holds ``θ`` at every look with probability ``1 − α``.

A rollback asks a one-sided question: is the canary worse than the champion
by more than a margin ``δ``? Mixing only over the harmful side (``N(δ, τ²)``
restricted to ``θ > δ``, with ``d = θ̂ − δ`` measured in the harmful
direction) gives::

    Λ⁺(δ) = 2 · sqrt(V / (V + τ²)) · exp( τ² d² / (2 V (V + τ²)) ) · Φ( d τ / sqrt(V (V + τ²)) )

Each component is a likelihood ratio of some harmful ``θ' > δ`` against
``δ``, whose mean is at most 1 whenever the truth is harmless (``θ ≤ δ``), so
``Λ⁺`` is a supermartingale under every harmless canary, and rolling back at
the first look where ``Λ⁺ ≥ 1/α`` wrongly rolls one back with probability at
most ``α``. ``p = min(1, 1/Λ⁺)`` is reported beside the two-sided interval.

A rollout has steps (5%, 25%, ...), and each step's comparison uses only its
own traffic: the split is fixed within a step, so neither side gets more of
the busy hours. The steps' differences are then combined by inverse-variance
weights, ``Δ̂ = Σ (Δ_k / V_k) / Σ (1 / V_k)`` with variance ``1 / Σ (1 / V_k)``,
and that is what the test reads: the score ``Σ (Δ_k − δ) / V_k`` has
independent increments whose drift is at most 0 when every step is harmless,
so the mixture over it stays a supermartingale across steps and the level
``α`` holds for the whole rollout, without splitting it over the steps.

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

    ``difference`` is canary minus champion on this step's traffic;
    ``estimate`` the steps' differences combined so far, which ``low``/``high``
    hold with probability ``1 − alpha`` at every look; ``p`` is the
    always-valid p-value of "no worse than ``margin``". ``worse`` is True when
    the one-sided test rejects that at level ``alpha``; ``better`` when the
    interval lies wholly on the good side of the margin. ``carry`` is what
    the next step starts from: the sums ``Σ Δ_k / V_k`` and ``Σ 1 / V_k``.
    """

    difference: float
    low: float
    high: float
    p: float
    margin: float
    alpha: float
    worse: bool
    better: bool
    estimate: float = math.nan
    carry: tuple[float, float] = (0.0, 0.0)

    def to_dict(self) -> dict[str, Any]:
        d = {k: _plain(v) for k, v in dataclasses.asdict(self).items()}
        d["carry"] = list(self.carry)
        return d


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
    carried: tuple[float, float] = (0.0, 0.0),
) -> Evidence:
    """Is the canary worse than the champion by more than ``margin``, at level ``alpha``?

    ``harm`` says which way is worse: ``"higher"`` (an error rate rises),
    ``"lower"`` (accuracy falls) or ``"either"`` (a shift either way; the margin
    then bounds the absolute difference). ``carried`` is the ``carry`` of the
    previous steps' last looks.

    >>> a, b = proportion(100, 10_000), proportion(90, 1_000)
    >>> e = compare(a, b, margin=0.0, tau=0.02, alpha=0.05)
    >>> round(e.difference, 3), e.worse, e.p < 0.05
    (0.08, True, True)
    """
    if tau <= 0 or not 0 < alpha < 1:
        raise ValueError(f"tau must be positive and alpha in (0, 1), got {tau!r}, {alpha!r}")
    delta = canary.mean - champion.mean
    score, information = carried
    if champion.n > 0 and canary.n > 0 and math.isfinite(delta):
        v_step = max(champion.var / champion.n + canary.var / canary.n, 1e-300)
        score, information = score + delta / v_step, information + 1 / v_step
    else:
        delta = math.nan
    if information <= 0:
        return Evidence(delta, -math.inf, math.inf, 1.0, margin, alpha, False, False)
    theta, v = score / information, 1 / information
    t2 = tau * tau
    half = math.sqrt(v * (v + t2) / t2 * (2 * math.log(1 / alpha) + math.log1p(t2 / v)))
    low, high = theta - half, theta + half
    if harm == "higher":
        log_lr, better = _one_sided(theta - margin, v, t2), high < margin
        level = alpha
    elif harm == "lower":
        log_lr, better = _one_sided(-theta - margin, v, t2), low > -margin
        level = alpha
    elif harm == "either":  # each direction at half the level
        log_lr = max(_one_sided(theta - margin, v, t2), _one_sided(-theta - margin, v, t2))
        better = -margin < low and high < margin
        level = alpha / 2
    else:
        raise ValueError(f"harm must be 'higher', 'lower' or 'either', got {harm!r}")
    worse = log_lr >= math.log(1 / level)
    p = min(1.0, math.exp(-max(log_lr, 0.0)) * (alpha / level))
    return Evidence(delta, low, high, p, margin, alpha, worse, better, theta, (score, information))


def _one_sided(d: float, v: float, t2: float) -> float:
    """log Λ⁺ for an estimate ``d`` beyond the margin in the harmful direction."""
    from scipy.special import log_ndtr

    return (
        math.log(2)
        + 0.5 * math.log(v / (v + t2))
        + t2 * d * d / (2 * v * (v + t2))
        + float(log_ndtr(d * math.sqrt(t2) / math.sqrt(v * (v + t2))))
    )
