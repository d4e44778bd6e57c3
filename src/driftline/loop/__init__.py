"""The loop: from an alert to a retrained, judged, canaried and promoted (or rolled back) version."""

from __future__ import annotations

from driftline.loop._analysis import StepAnalysis, analyze_step
from driftline.loop._checks import ArmTraffic, Check
from driftline.loop._policy import LoopPolicy
from driftline.loop._policy_parts import RollbackRule, Step
from driftline.loop._sequential import Arm, Evidence, compare, proportion

__all__ = [
    "Arm",
    "ArmTraffic",
    "Check",
    "Evidence",
    "LoopPolicy",
    "RollbackRule",
    "Step",
    "StepAnalysis",
    "analyze_step",
    "compare",
    "proportion",
]
