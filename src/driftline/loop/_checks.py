"""The rollout's checks: each compares the canary's traffic with the champion's on one thing.

Each check turns the rows of a step into one number per row (failed or not,
right or wrong, an outcome's value, above a latency quantile or not) and
hands both sides to the sequential test (``_sequential``). Inputs are plain
tables (:class:`ArmTraffic`), so the benchmark feeds simulated traffic
through exactly the code the loop runs.

Columns read: ``latency_ms``, ``prediction``, ``label`` (where labels
arrived), ``expected_correct`` (a classifier's calibrated chance of being
right, when monitoring has a labelled reference), and ``outcome:NAME``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from driftline.loop._policy_parts import CHECKS, RollbackRule
from driftline.loop._sequential import Arm, Evidence, arm, compare, proportion
from driftline.loop._words import check_sentence

__all__ = ["ArmTraffic", "Check", "figures", "run_checks"]

Verdict = Literal["worse", "fine", "waiting", "unmeasured"]
_QUANTILES = {"latency_p50": 0.5, "latency_p99": 0.99}


@dataclasses.dataclass(frozen=True)
class ArmTraffic:
    """One side of a step: the rows a version answered and how many it failed to."""

    version: int
    answered: pd.DataFrame
    failed: int = 0

    @property
    def requests(self) -> int:
        return len(self.answered) + self.failed


@dataclasses.dataclass(frozen=True)
class Check:
    """One check at one look: both sides' figures, the evidence, the verdict, in words."""

    name: str
    rule: RollbackRule
    verdict: Verdict
    champion: float | None
    canary: float | None
    rows: tuple[int, int]
    evidence: Evidence | None
    sentence: str
    detail: str | None = None  # e.g. the class whose share moved most

    @property
    def key(self) -> str:
        """Names the check's evidence carried from step to step."""
        return self.name if self.detail is None else f"{self.name}:{self.detail}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "verdict": self.verdict,
            "champion": _plain(self.champion),
            "canary": _plain(self.canary),
            "rows": list(self.rows),
            "margin": self.rule.margin,
            "harm": self.rule.harm,
            "detail": self.detail,
            "evidence": self.evidence.to_dict() if self.evidence else None,
            "sentence": self.sentence,
        }


def _plain(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


Carried = Mapping[str, Sequence[float]]


def run_checks(
    champion: ArmTraffic,
    canary: ArmTraffic,
    rules: tuple[RollbackRule, ...],
    *,
    alpha: float,
    min_rows: int,
    carried: Carried | None = None,
) -> list[Check]:
    """Every rule's check on one step's traffic; ``alpha`` is each check's share of the level.

    ``carried`` holds each check's evidence from the rollout's earlier steps, by
    :attr:`Check.key` (see ``_sequential``).
    """
    look = _Look(champion, canary, alpha, min_rows, carried or {})
    return [_check(rule, look) for rule in rules]


@dataclasses.dataclass(frozen=True)
class _Look:
    a: ArmTraffic
    b: ArmTraffic
    alpha: float
    min_rows: int
    carried: Carried

    def carry(self, key: str) -> tuple[float, float]:
        found = self.carried.get(key)
        return (float(found[0]), float(found[1])) if found else (0.0, 0.0)


def _check(rule: RollbackRule, look: _Look) -> Check:
    a, b = look.a, look.b
    name = rule.check
    if name == "error_rate":
        sides = (_failures(a), _failures(b))
        return _judge(rule, sides, (sides[0].mean, sides[1].mean), look)
    if name in _QUANTILES:
        return _latency(rule, look)
    if name == "output":
        return _output(rule, look)
    values = (_values(rule, a.answered), _values(rule, b.answered))
    if values[0] is None or values[1] is None:
        return _unmeasured(rule, look)
    sides = (arm(values[0]), arm(values[1]))
    return _judge(rule, sides, (sides[0].mean, sides[1].mean), look)


def _judge(
    rule: RollbackRule,
    sides: tuple[Arm, Arm],
    figures: tuple[float, float],
    look: _Look,
    *,
    detail: str | None = None,
    alpha: float | None = None,
) -> Check:
    rows = (sides[0].n, sides[1].n)
    key = rule.check if detail is None else f"{rule.check}:{detail}"
    if min(rows) < look.min_rows:
        verdict: Verdict = "waiting"
        evidence = None
    else:
        evidence = compare(
            sides[0],
            sides[1],
            margin=rule.margin,
            tau=_tau(rule, sides),
            alpha=alpha if alpha is not None else look.alpha,
            harm=rule.harm,
            carried=look.carry(key),
        )
        verdict = "worse" if evidence.worse else "fine"
    check = Check(rule.check, rule, verdict, figures[0], figures[1], rows, evidence, "", detail)
    return dataclasses.replace(
        check, sentence=check_sentence(check, look.a.version, look.b.version)
    )


def _unmeasured(rule: RollbackRule, look: _Look) -> Check:
    check = Check(rule.check, rule, "unmeasured", None, None, (0, 0), None, "")
    return dataclasses.replace(
        check, sentence=check_sentence(check, look.a.version, look.b.version)
    )


def _tau(rule: RollbackRule, sides: tuple[Arm, Arm]) -> float:
    if rule.effect is not None:
        return rule.effect
    default = CHECKS.get(rule.check, ("", "", 0.0))[2]
    if default > 0:
        return default
    # Units of the data (an error in the target's units, an outcome's value): a fifth of
    # a standard deviation, the size of effect A/B platforms tune for.
    sd = math.sqrt(max((sides[0].var + sides[1].var) / 2, 0.0))
    return max(0.2 * sd, rule.margin, 1e-9)


def _failures(side: ArmTraffic) -> Arm:
    return proportion(side.failed, side.requests)


def _values(rule: RollbackRule, frame: pd.DataFrame) -> np.ndarray | None:
    """One number per row for a mean-based check; None when the column is absent."""
    if rule.check == "estimated_accuracy":
        if "expected_correct" not in frame:
            return None
        return pd.to_numeric(frame["expected_correct"], errors="coerce").dropna().to_numpy()
    if rule.check in ("accuracy", "mae"):
        if "label" not in frame or "prediction" not in frame:
            return None
        known = frame[frame["label"].notna()]
        if rule.check == "accuracy":
            return same(known["prediction"], known["label"]).astype(float)
        pred = pd.to_numeric(known["prediction"], errors="coerce")
        truth = pd.to_numeric(known["label"], errors="coerce")
        return (pred - truth).abs().dropna().to_numpy()
    outcome = rule.outcome
    if outcome is not None:
        column = f"outcome:{outcome}"
        if column not in frame:
            values = pd.Series(np.nan, index=frame.index)
        else:
            values = pd.to_numeric(frame[column], errors="coerce")
        if rule.missing is not None:
            values = values.fillna(rule.missing)
        return values.dropna().to_numpy()
    raise ValueError(f"unknown check {rule.check!r}")


def same(predicted: pd.Series, truth: pd.Series) -> np.ndarray:
    """Whether each prediction equals its label; ``1`` and ``"1"`` and ``1.0`` are one class."""
    left = pd.to_numeric(predicted, errors="coerce")
    right = pd.to_numeric(truth, errors="coerce")
    numeric = left.notna().to_numpy() & right.notna().to_numpy()
    as_text = predicted.astype(str).to_numpy() == truth.astype(str).to_numpy()
    return np.where(numeric, left.to_numpy() == right.to_numpy(), as_text)


def _latencies(side: ArmTraffic) -> np.ndarray:
    values = side.answered.get("latency_ms", pd.Series(dtype=float))
    return np.asarray(pd.to_numeric(values, errors="coerce").dropna(), dtype=float)


def _latency(rule: RollbackRule, look: _Look) -> Check:
    q = _QUANTILES[rule.check]
    la, lb = _latencies(look.a), _latencies(look.b)
    if not len(la) and not len(lb):
        return _unmeasured(rule, look)
    if not len(la) or not len(lb):
        return _judge(rule, (arm(la), arm(lb)), (math.nan, math.nan), look)
    # Is the canary's quantile above the champion's by more than the margin? Scaled down by
    # the margin, its latencies should cross the pooled quantile no more often than the
    # champion's do: a comparison of two shares, which the sequential test judges.
    scaled = lb / (1 + rule.margin)
    cut = float(np.quantile(np.concatenate([la, scaled]), q))
    sides = (
        proportion(float((la > cut).sum()), len(la)),
        proportion(float((scaled > cut).sum()), len(lb)),
    )
    exceed = dataclasses.replace(rule, margin=0.0)
    figures = (float(np.quantile(la, q)), float(np.quantile(lb, q)))
    check = dataclasses.replace(_judge(exceed, sides, figures, look), rule=rule)
    return dataclasses.replace(
        check, sentence=check_sentence(check, look.a.version, look.b.version)
    )


def _output(rule: RollbackRule, look: _Look) -> Check:
    pa_, pb = look.a.answered.get("prediction"), look.b.answered.get("prediction")
    if pa_ is None or pb is None:
        return _unmeasured(rule, look)
    classifier = "probabilities" in look.a.answered or "probabilities" in look.b.answered
    if not classifier:
        va = pd.to_numeric(pa_, errors="coerce").dropna().to_numpy()
        vb = pd.to_numeric(pb, errors="coerce").dropna().to_numpy()
        sides = (arm(va), arm(vb))
        return _judge(rule, sides, (sides[0].mean, sides[1].mean), look)
    ta, tb = pa_.astype(str), pb.astype(str)
    classes = sorted(set(ta) | set(tb))
    if not classes:
        return _unmeasured(rule, look)
    # One test per class, each given its share of the check's level.
    found: list[Check] = []
    for c in classes:
        sides = (
            proportion(float((ta == c).sum()), len(ta)),
            proportion(float((tb == c).sum()), len(tb)),
        )
        figures = (sides[0].mean, sides[1].mean)
        found.append(_judge(rule, sides, figures, look, detail=c, alpha=look.alpha / len(classes)))
    worse = [c for c in found if c.verdict == "worse"]
    moved = max(found, key=lambda c: abs((c.canary or 0) - (c.champion or 0)))
    return worse[0] if worse else moved


def figures(side: ArmTraffic) -> dict[str, Any]:
    """What one side did in the step, shown per version whether or not a rule judges it."""
    frame = side.answered
    out: dict[str, Any] = {
        "version": side.version,
        "requests": side.requests,
        "error_rate": _plain(side.failed / side.requests) if side.requests else None,
    }
    latency = _latencies(side)
    for name, q in _QUANTILES.items():
        out[name] = _plain(float(np.quantile(latency, q))) if len(latency) else None
    if "label" in frame and "prediction" in frame:
        known = frame[frame["label"].notna()]
        out["labelled"] = len(known)
        out["accuracy"] = (
            _plain(float(same(known["prediction"], known["label"]).mean())) if len(known) else None
        )
    if "expected_correct" in frame:
        out["estimated_accuracy"] = _plain(float(pd.to_numeric(frame["expected_correct"]).mean()))
    if "prediction" in frame and len(frame):
        shares = frame["prediction"].astype(str).value_counts(normalize=True).head(10)
        out["output"] = {str(k): float(v) for k, v in shares.items()}
    for column in (c for c in frame.columns if isinstance(c, str) and c.startswith("outcome:")):
        values = pd.to_numeric(frame[column], errors="coerce").fillna(0)
        out[column] = _plain(float(values.mean())) if len(values) else None
    return out
