"""A model's loop policy: read whole, and every mistake named with its key, line and fix."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from driftline.cli import main
from driftline.errors import ConfigError
from driftline.loop import LoopPolicy, RollbackRule, Step

FULL = """\
approval = "required"
cooldown = "6h"

[monitor]
window = "1h"
lookback = "2d"
reference = "reference.parquet"
target = "churned"

[[alert]]
name = "input-drift"
metric = "drift_share"
above = 0.3
clear = 0.1

[[alert]]
name = "accuracy-drop"
metric = "performance_drop"
above = 0.05
severity = "critical"

[retrain]
hook = "shop.training:retrain"
target = "churned"
window = "7d"
holdout = 0.25
min_rows = 300
on = ["input-drift"]
max_attempts = 2

[gate]
min_rows = 50
[gate.regression]
accuracy = { max_drop = 0.01 }

[rollout]
interval = "30s"
confidence = 0.9
steps = [
  { percent = 5, min_duration = "10m", min_requests = 500 },
  { percent = 25, min_duration = "30m", min_requests = 2000 },
  { percent = 100 },
]

[rollback]
error_rate = { max_rise = 0.01 }
latency_p99 = { max_rise = 0.5, effect = 0.05 }
accuracy = { max_drop = 0.02 }

[rollback.outcomes]
purchase = { max_drop = 0.01, missing = 0 }
complaint = { max_rise = 0.002 }
"""


def test_a_full_policy_reads_into_every_part(tmp_path: Path) -> None:
    path = tmp_path / "churn.toml"
    path.write_text(FULL)
    policy = LoopPolicy.load(path)
    assert policy.approval == "required" and policy.cooldown == dt.timedelta(hours=6)
    assert policy.monitor.window == "1h" and policy.monitor.lookback == dt.timedelta(days=2)
    assert policy.monitor.reference == tmp_path / "reference.parquet"  # beside the policy
    assert [r.name for r in policy.monitor.rules or ()] == ["input-drift", "accuracy-drop"]
    retrain = policy.retrain
    assert retrain is not None and retrain.hook == "shop.training:retrain"
    assert (retrain.holdout, retrain.min_rows, retrain.on, retrain.max_attempts) == (
        0.25,
        300,
        ("input-drift",),
        2,
    )
    assert policy.gate is not None and policy.gate.min_rows == 50
    assert policy.gate.regression == {"accuracy": 0.01}
    assert policy.rollout.steps == (
        Step(5.0, dt.timedelta(minutes=10), 500),
        Step(25.0, dt.timedelta(minutes=30), 2000),
        Step(100.0),
    )
    assert policy.rollout.alpha == pytest.approx(0.1)
    assert policy.rollback == (
        RollbackRule("error_rate", 0.01, "higher"),
        RollbackRule("latency_p99", 0.5, "higher", effect=0.05),
        RollbackRule("accuracy", 0.02, "lower"),
        RollbackRule("outcome:purchase", 0.01, "lower", missing=0.0),
        RollbackRule("outcome:complaint", 0.002, "higher"),
    )
    # The rollout's error rate is split over its 5 rules (steps share each rule's test).
    assert policy.tests == 5
    assert len(policy.sha256) == 64 and policy.source == "churn.toml"


def test_no_file_means_the_defaults() -> None:
    policy = LoopPolicy()
    assert policy.approval == "none" and policy.retrain is None
    assert [s.percent for s in policy.rollout.steps] == [5.0, 25.0, 50.0]
    assert [r.check for r in policy.rollback] == [
        "error_rate",
        "latency_p99",
        "accuracy",
        "estimated_accuracy",
    ]


MISTAKES = [
    (
        'approvl = "none"',
        "churn.toml: key 'approvl' (line 1) is not a key of a model's policy; did you mean "
        "'approval'?",
    ),
    ('approval = "maybe"', "key 'approval' (line 1) must be 'none' or 'required', got 'maybe'"),
    (
        'cooldown = "6 hours"',
        """key 'cooldown' (line 1) must be a duration like "30s", "10m", "6h" or "1d", got text""",
    ),
    (
        "[rollout]\nsteps = [\n  { percent = 5 },\n  { percent = 0 },\n]",
        "key 'rollout.steps[2].percent' (line 4) must be above 0 and at most 100, got 0",
    ),
    (
        "[rollout]\nsteps = [\n  { percent = 50 },\n  { percent = 25 },\n]",
        "key 'rollout.steps[2].percent' (line 4) must be above the step before it (50), got 25",
    ),
    (
        '[rollout]\nsteps = [{ percent = 5, min_duraton = "1m" }]',
        "key 'rollout.steps[1].min_duraton' (line 2) is not a key of a rollout step; did you "
        "mean 'min_duration'?",
    ),
    (
        "[rollback]\nerror_rate = { max_rsie = 0.01 }",
        "key 'rollback.error_rate.max_rsie' (line 2) is not a key of the error_rate rule; did "
        "you mean 'max_rise'?",
    ),
    (
        "[rollback]\nlatency_p95 = { max_rise = 0.5 }",
        "key 'rollback.latency_p95' (line 2) is not a key of [rollback]; did you mean "
        "'latency_p99'?",
    ),
    (
        "[rollback.outcomes]\npurchase = { max_drop = 0.01, mising = 0 }",
        "key 'rollback.outcomes.purchase.mising' (line 2) is not a key of the outcome "
        "'purchase' rule; did you mean 'missing'?",
    ),
    (
        "[rollback.outcomes]\npurchase = { missing = 0 }",
        "key 'rollback.outcomes.purchase' (line 2) needs exactly one of max_drop",
    ),
    (
        '[[alert]]\nname = "a"\nmetric = "drift_share"\nabove = 0.3\n\n'
        '[[alert]]\nname = "b"\nmetric = "performance_dorp"\nabove = 0.1',
        "key 'alert[2].metric' (line 8) names no metric monitoring knows; did you mean "
        "'performance_drop'?",
    ),
    (
        '[[alert]]\nname = "a"\nmetric = "drift_share"\nabove = 0.3\nbelow = 0.1',
        "key 'alert[1]' (line 1) needs exactly one of above = ... or below = ...",
    ),
    (
        '[retrain]\ntarget = "y"',
        "key 'retrain' (line 1) needs exactly one of hook = \"module:function\" or command",
    ),
    (
        '[retrain]\nhook = "train"\ntarget = "y"',
        'key \'retrain.hook\' (line 2) must be "module:function" or "file.py:function"',
    ),
    (
        '[retrain]\ncommand = "python train.py"\ntarget = "y"',
        "key 'retrain.command' (line 2) must say where to write the model with {out}",
    ),
    (
        '[retrain]\nhook = "a:b"\ntarget = "y"\non = ["input-drfit"]',
        "key 'retrain.on' (line 4) names 'input-drfit', which is no alert rule of this "
        "policy; did you mean 'input-drift'?",
    ),
    (
        "[gate]\nmin_rows = 10\n[gate.thresholds]\nacuracy = { min = 0.8 }",
        "churn.toml: key 'gate.thresholds.acuracy' (line 4) is not a metric; did you mean "
        "'accuracy'?",
    ),
    ('[monitor]\nreference = "ref.csv"', "key 'monitor.reference' (line 2) needs target"),
    ("approval = ", "churn.toml is not valid TOML"),
    (
        '[guard]\nmode = "block"',
        "churn.toml: [guard]: guard must be one of off, log, flag, reject, got 'block'",
    ),
]


@pytest.mark.parametrize(("text", "expected"), MISTAKES, ids=[m[1][:40] for m in MISTAKES])
def test_each_mistake_names_its_key_and_line_and_the_spelling_meant(
    text: str, expected: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        LoopPolicy.from_toml(text, where="churn.toml")
    assert expected in str(caught.value)
    assert str(caught.value).startswith("churn.toml")


def test_policy_check_says_what_the_policy_does(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "churn.toml"
    path.write_text(FULL)
    assert main(["policy", "check", str(path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("churn.toml is a valid policy: it retrains with shop.training:retrain")
    assert "steps of 5%, 25%, 100%" in out and "approval is required" in out


def test_policy_check_exits_2_with_one_line_on_a_bad_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "churn.toml"
    path.write_text(FULL.replace("max_attempts = 2", "max_attemps = 2"))
    assert main(["policy", "check", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "key 'retrain.max_attemps' (line 29)" in err and "did you mean 'max_attempts'?" in err


def test_policy_check_of_a_missing_file_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["policy", "check", str(tmp_path / "nope.toml")]) == 2
    assert "does not exist" in capsys.readouterr().err
