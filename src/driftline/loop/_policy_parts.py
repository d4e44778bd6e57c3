"""The parts of a loop policy: rollout steps, rollback rules, monitoring and retraining."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from driftline.monitor import AlertRule

__all__ = [
    "CHECKS",
    "DEFAULT_ROLLBACK",
    "DEFAULT_STEPS",
    "OUTCOME_BOUNDS",
    "MonitorPolicy",
    "RetrainPolicy",
    "RollbackRule",
    "RolloutPolicy",
    "Step",
]

# Rollback checks: which way is worse, the key that bounds it, and its default mixture spread.
CHECKS: dict[str, tuple[str, str, float]] = {
    "error_rate": ("higher", "max_rise", 0.02),
    "latency_p50": ("higher", "max_rise", 0.1),
    "latency_p99": ("higher", "max_rise", 0.02),
    "accuracy": ("lower", "max_drop", 0.05),
    "mae": ("higher", "max_rise", 0.0),  # in the target's units: spread from the data
    "estimated_accuracy": ("lower", "max_drop", 0.05),
    "output": ("either", "max_shift", 0.05),
}
OUTCOME_BOUNDS = {"max_drop": "lower", "max_rise": "higher"}


@dataclasses.dataclass(frozen=True)
class Step:
    """One canary step: its share of traffic and how long and how much it must see."""

    percent: float
    min_duration: dt.timedelta = dt.timedelta(minutes=10)
    min_requests: int = 500

    def to_dict(self) -> dict[str, Any]:
        return {
            "percent": self.percent,
            "min_duration_s": self.min_duration.total_seconds(),
            "min_requests": self.min_requests,
        }


DEFAULT_STEPS = (
    Step(5.0, dt.timedelta(minutes=10), 500),
    Step(25.0, dt.timedelta(minutes=30), 2000),
    Step(50.0, dt.timedelta(hours=1), 5000),
)


@dataclasses.dataclass(frozen=True)
class RollbackRule:
    """How much worse than the champion the canary may be on one check before it is rolled back.

    ``check`` is one of :data:`CHECKS` or ``outcome:NAME``; ``margin`` is the
    allowed harm (in points for rates, relative for latency); ``harm`` the
    direction that is worse; ``effect`` the mixture spread of its test (None:
    the check's default); ``missing`` the value of an outcome never posted
    (None: such rows are left out).
    """

    check: str
    margin: float
    harm: str
    effect: float | None = None
    missing: float | None = None

    @property
    def outcome(self) -> str | None:
        return self.check.removeprefix("outcome:") if self.check.startswith("outcome:") else None

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


DEFAULT_ROLLBACK = (
    RollbackRule("error_rate", 0.005, "higher"),
    RollbackRule("latency_p99", 0.5, "higher"),
    RollbackRule("accuracy", 0.02, "lower"),
    RollbackRule("estimated_accuracy", 0.02, "lower"),
)


@dataclasses.dataclass(frozen=True)
class RolloutPolicy:
    steps: tuple[Step, ...] = DEFAULT_STEPS
    interval: dt.timedelta = dt.timedelta(minutes=1)
    confidence: float = 0.95
    # Rows each side needs before a check may decide: the test's normal approximation.
    min_rows: int = 50

    @property
    def alpha(self) -> float:
        return 1.0 - self.confidence


@dataclasses.dataclass(frozen=True)
class MonitorPolicy:
    window: str = "1h"
    lookback: dt.timedelta = dt.timedelta(days=1)
    reference: Path | None = None
    target: str | None = None
    rules: tuple[AlertRule, ...] | None = None  # None: monitoring's default rules


@dataclasses.dataclass(frozen=True)
class RetrainPolicy:
    target: str
    hook: str | None = None
    command: str | None = None
    window: dt.timedelta = dt.timedelta(days=7)
    data: Path | None = None
    holdout: float = 0.3
    min_rows: int = 200
    on: tuple[str, ...] = ()
    max_attempts: int = 3
    timeout: dt.timedelta = dt.timedelta(minutes=30)
    folder: Path | None = None  # the policy file's folder: where hook files and commands run
