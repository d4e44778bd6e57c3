"""One look at a canary step: run every check, then decide to wait, move on, or roll back.

The decision spends the policy's error rate ``α = 1 − confidence`` once over
the whole rollout: each of the ``k`` rollback rules gets ``α / k``
(Bonferroni), and each rule's sequential test holds its share at every look
of every step. So a canary as good as the champion is rolled back with
probability at most ``α``, however many looks the loop takes. Each step's
comparison uses only that step's traffic (the split is fixed within a step,
so the time of day cannot favour one side); the evidence of the steps before
is carried into the test (``_sequential``), so a harm too small for one step
to show is still found over several. A step ends once it has run
``min_duration`` and seen ``min_requests`` canary requests with no check
worse than its rule allows.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from driftline.loop._checks import ArmTraffic, Check, figures, run_checks
from driftline.loop._policy import LoopPolicy
from driftline.loop._words import rollback_sentence, step_sentence

__all__ = ["Decision", "StepAnalysis", "analyze_step"]

Decision = Literal["wait", "advance", "promote", "rollback"]


@dataclasses.dataclass(frozen=True)
class StepAnalysis:
    """The decision at one look, the checks behind it, and the sentence that says it."""

    model: str
    champion: int
    canary: int
    step: int
    percent: float
    decision: Decision
    checks: list[Check]
    requests: int
    elapsed: dt.timedelta
    sentence: str
    culprit: Check | None = None
    # Each check's evidence so far, for the next step to start from.
    carry: dict[str, list[float]] = dataclasses.field(default_factory=dict)
    # Each side's figures in the step (failures, latency, accuracy, outputs, outcomes).
    sides: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "champion": self.champion,
            "canary": self.canary,
            "step": self.step,
            "percent": self.percent,
            "decision": self.decision,
            "requests": self.requests,
            "elapsed_s": self.elapsed.total_seconds(),
            "sentence": self.sentence,
            "culprit": self.culprit.name if self.culprit else None,
            "checks": [c.to_dict() for c in self.checks],
            "sides": self.sides,
            "carry": self.carry,
        }


def analyze_step(
    model: str,
    champion: ArmTraffic,
    canary: ArmTraffic,
    policy: LoopPolicy,
    *,
    step: int,
    elapsed: dt.timedelta,
    carried: Mapping[str, Sequence[float]] | None = None,
) -> StepAnalysis:
    """Judge step ``step`` of ``policy``'s rollout on its traffic so far.

    ``carried`` is the :attr:`StepAnalysis.carry` of the previous step's last look.
    """
    steps = policy.rollout.steps
    plan = steps[step]
    alpha = policy.rollout.alpha / policy.tests
    checks = run_checks(
        champion,
        canary,
        policy.rollback,
        alpha=alpha,
        min_rows=policy.rollout.min_rows,
        carried=carried,
    )
    carry = {k: [float(x) for x in v] for k, v in (carried or {}).items()}
    carry.update({c.key: list(c.evidence.carry) for c in checks if c.evidence is not None})
    worse = [c for c in checks if c.verdict == "worse"]
    culprit = None
    following = steps[step + 1].percent if step + 1 < len(steps) else None
    if worse:
        decision: Decision = "rollback"
        culprit = min(worse, key=lambda c: c.evidence.p if c.evidence else 1.0)
        sentence = rollback_sentence(model, champion.version, canary.version, plan.percent, culprit)
    elif elapsed >= plan.min_duration and canary.requests >= plan.min_requests:
        decision = "promote" if following is None or following >= 100 else "advance"
    else:
        decision = "wait"
    if decision != "rollback":
        sentence = step_sentence(
            model,
            champion.version,
            canary.version,
            decision,
            percent_now=plan.percent,
            next_percent=following,
            requests=canary.requests,
            elapsed=elapsed,
            min_requests=plan.min_requests,
            min_duration=plan.min_duration,
        )
    return StepAnalysis(
        model,
        champion.version,
        canary.version,
        step,
        plan.percent,
        decision,
        checks,
        canary.requests,
        elapsed,
        sentence,
        culprit,
        carry,
        {"champion": figures(champion), "canary": figures(canary)},
    )
