"""The loop: from an alert to a retrained, judged, canaried and promoted (or rolled back) version.

Each model's :class:`LoopPolicy` (``<workspace>/policies/NAME.toml``) says how
it is watched, retrained, gated and rolled out. :func:`tick` does one pass:
monitoring opens alerts, an alert the policy names starts a retraining, the
candidate is registered with its lineage (the alert, the data window, how
much of its data the model decided itself), judged by the gate, held for
approval when the policy asks, then given a growing share of traffic. At
every look each canary step is compared with the champion by sequential
tests valid however often they look (:func:`analyze_step`, see
``_sequential``); a harmful canary is rolled back at once and an alert says
why. Every move is a persisted, audited state (:class:`LoopRun`), so a tick
killed anywhere resumes at the next one.
"""

from __future__ import annotations

from driftline.loop._analysis import StepAnalysis, analyze_step
from driftline.loop._checks import ArmTraffic, Check
from driftline.loop._levers import abort, approve, pause, reject, resume, rollback, start, status
from driftline.loop._machine import advance
from driftline.loop._policies import load_policy, policy_path, set_policy
from driftline.loop._policy import LoopPolicy
from driftline.loop._policy_parts import RollbackRule, Step
from driftline.loop._runs import LoopRun, analyses, approvals, get_run, list_runs
from driftline.loop._sequential import Arm, Evidence, compare, proportion
from driftline.loop._tick import ModelTick, TickReport, run, tick

__all__ = [
    "Arm",
    "ArmTraffic",
    "Check",
    "Evidence",
    "LoopPolicy",
    "LoopRun",
    "ModelTick",
    "RollbackRule",
    "Step",
    "StepAnalysis",
    "TickReport",
    "abort",
    "advance",
    "analyses",
    "analyze_step",
    "approvals",
    "approve",
    "compare",
    "get_run",
    "list_runs",
    "load_policy",
    "pause",
    "policy_path",
    "proportion",
    "reject",
    "resume",
    "rollback",
    "run",
    "set_policy",
    "start",
    "status",
    "tick",
]
