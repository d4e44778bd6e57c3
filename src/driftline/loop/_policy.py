"""LoopPolicy: one TOML file per model says how the loop watches, retrains and rolls out.

It extends the gate's policy file (its ``[gate]`` table is a
:class:`~driftline.gate.GatePolicy`, its ``[[alert]]`` tables monitoring's
rules) with what the loop needs::

    approval = "required"          # "none": the loop goes on by itself
    cooldown = "6h"                # least time between two retrainings

    [monitor]
    window = "1h"                  # monitoring windows
    lookback = "1d"                # how far back each tick looks
    reference = "reference.parquet"   # labelled rows for estimated performance
    target = "churned"

    [[alert]]
    name = "input-drift"
    metric = "drift_share"
    above = 0.3

    [retrain]
    hook = "shop.training:retrain" # module:function(data, champion) -> estimator
    # command = "python train.py --data {data} --champion {champion} --out {out}"
    target = "churned"             # the label column of the data handed over
    window = "7d"                  # labelled traffic to learn from
    holdout = 0.3                  # newest share kept to judge the candidate
    min_rows = 500
    on = ["input-drift"]           # alerts that start a retraining (default: any)
    max_attempts = 3               # retrainings per alert
    timeout = "30m"

    [gate]
    min_rows = 100
    regression = { accuracy = { max_drop = 0.01 } }

    [rollout]
    interval = "1m"                # one analysis per interval
    confidence = 0.95              # of the whole rollout's decisions
    steps = [
      { percent = 5, min_duration = "10m", min_requests = 500 },
      { percent = 25, min_duration = "30m", min_requests = 2000 },
    ]

    [rollback]                     # how much worse the canary may be
    error_rate = { max_rise = 0.005 }        # share of requests failed (0.01 = 1 point)
    latency_p99 = { max_rise = 0.5 }         # relative (0.5 = 50% slower)
    accuracy = { max_drop = 0.02 }           # on rows whose labels arrived
    estimated_accuracy = { max_drop = 0.02 }
    [rollback.outcomes]
    purchase = { max_drop = 0.01, missing = 0 }

Relative paths are read from the policy file's folder. Each rollback rule
may add ``effect``: the size of harm its sequential test should find fastest
(see ``_sequential``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from driftline.errors import ConfigError
from driftline.loop._policy_parts import (
    DEFAULT_ROLLBACK,
    MonitorPolicy,
    RetrainPolicy,
    RollbackRule,
    RolloutPolicy,
)
from driftline.loop._policy_read import read_policy

if TYPE_CHECKING:
    from driftline.gate import GatePolicy

__all__ = ["LoopPolicy"]


@dataclasses.dataclass(frozen=True)
class LoopPolicy:
    """Everything the loop does for one model; see the module docstring for the TOML."""

    model: str | None = None
    approval: str = "none"
    cooldown: dt.timedelta = dt.timedelta(hours=6)
    monitor: MonitorPolicy = dataclasses.field(default_factory=MonitorPolicy)
    retrain: RetrainPolicy | None = None
    gate: GatePolicy | None = None
    rollout: RolloutPolicy = dataclasses.field(default_factory=RolloutPolicy)
    rollback: tuple[RollbackRule, ...] = DEFAULT_ROLLBACK
    source: str = "the default policy"
    sha256: str = ""

    @classmethod
    def load(cls, path: str | Path) -> LoopPolicy:
        """Read and check the policy file at ``path``; a mistake raises :class:`ConfigError`."""
        file = Path(path)
        try:
            text = file.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ConfigError(
                f"policy file {str(file)!r} does not exist; give the path of a TOML file"
            ) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read policy file {str(file)!r}: {exc}") from exc
        return cls.from_toml(text, where=file.name, folder=file.absolute().parent)

    @classmethod
    def from_toml(
        cls, text: str, *, where: str = "the policy", folder: Path | None = None
    ) -> LoopPolicy:
        """The policy in TOML ``text``; ``folder`` resolves its relative paths."""
        parts = read_policy(text, where=where, folder=folder or Path.cwd())
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        return cls(**parts, source=where, sha256=digest)

    @property
    def tests(self) -> int:
        """Sequential tests the rollout's error rate is split over: one per rollback rule."""
        return max(1, len(self.rollback))

    def summary(self) -> dict[str, Any]:
        """What a check of the file reports: the parts the loop will use."""
        return {
            "source": self.source,
            "sha256": self.sha256,
            "model": self.model,
            "approval": self.approval,
            "cooldown_s": self.cooldown.total_seconds(),
            "monitor": {
                "window": self.monitor.window,
                "lookback_s": self.monitor.lookback.total_seconds(),
                "reference": str(self.monitor.reference) if self.monitor.reference else None,
                "rules": [r.name for r in self.monitor.rules] if self.monitor.rules else None,
            },
            "retrain": None
            if self.retrain is None
            else {
                "hook": self.retrain.hook,
                "command": self.retrain.command,
                "target": self.retrain.target,
                "window_s": self.retrain.window.total_seconds(),
                "on": list(self.retrain.on),
                "max_attempts": self.retrain.max_attempts,
            },
            "gate": self.gate.to_dict() if self.gate is not None else None,
            "rollout": {
                "steps": [s.to_dict() for s in self.rollout.steps],
                "interval_s": self.rollout.interval.total_seconds(),
                "confidence": self.rollout.confidence,
            },
            "rollback": [r.to_dict() for r in self.rollback],
        }
