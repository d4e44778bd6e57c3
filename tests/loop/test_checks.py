"""Each rollout check on plain tables: what it reads, when it waits, what it finds, in words."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from driftline.loop import ArmTraffic, LoopPolicy, RollbackRule, analyze_step
from driftline.loop._checks import run_checks

RNG = np.random.default_rng(0)


def _side(
    version: int, n: int, *, latency: float = 20.0, accuracy: float = 0.9, **columns: object
) -> ArmTraffic:
    pred = RNG.integers(0, 2, n)
    right = RNG.random(n) < accuracy
    frame = pd.DataFrame(
        {
            "latency_ms": RNG.lognormal(np.log(latency), 0.3, n),
            "prediction": pred,
            "label": np.where(right, pred, 1 - pred),
            "probabilities": [[0.5, 0.5]] * n,
            **columns,
        }
    )
    return ArmTraffic(version, frame, 0)


def _one(rule: RollbackRule, a: ArmTraffic, b: ArmTraffic, min_rows: int = 50):  # type: ignore[no-untyped-def]
    (check,) = run_checks(a, b, (rule,), alpha=0.05, min_rows=min_rows)
    return check


def test_a_slower_canary_is_caught_on_its_p99_and_said_in_milliseconds() -> None:
    rule = RollbackRule("latency_p99", 0.5, "higher")
    check = _one(rule, _side(1, 4000), _side(2, 2000, latency=60.0))
    assert check.verdict == "worse"
    assert (
        check.champion is not None
        and check.canary is not None
        and check.canary > 2 * check.champion
    )
    assert check.sentence.startswith("Version 2 took over ")
    assert " ms for its slowest 1% of answers against " in check.sentence
    assert "worse by more than the 50% allowed" in check.sentence


def test_latency_within_the_margin_is_fine() -> None:
    check = _one(
        RollbackRule("latency_p50", 0.25, "higher"), _side(1, 3000), _side(2, 3000, latency=22.0)
    )
    assert check.verdict == "fine"
    assert "no sign of it being worse by more than the 25% allowed" in check.sentence


def test_a_check_waits_for_rows_and_says_how_many_it_has() -> None:
    check = _one(RollbackRule("accuracy", 0.02, "lower"), _side(1, 500), _side(2, 20))
    assert check.verdict == "waiting" and check.evidence is None
    assert (
        check.sentence
        == "Too few answers yet to judge this: 20 from version 2 and 500 from version 1 so far."
    )


def test_unlabelled_traffic_leaves_accuracy_unmeasured() -> None:
    a, b = _side(1, 500), _side(2, 500)
    a = ArmTraffic(1, a.answered.drop(columns="label"))
    check = _one(RollbackRule("accuracy", 0.02, "lower"), a, b)
    assert check.verdict == "unmeasured"
    assert check.sentence.startswith("No labels have arrived for this step's answers yet")


def test_an_outcome_never_posted_counts_as_its_missing_value() -> None:
    a = _side(1, 2000, **{"outcome:purchase": np.where(RNG.random(2000) < 0.3, 1.0, np.nan)})
    b = _side(2, 2000, **{"outcome:purchase": np.where(RNG.random(2000) < 0.1, 1.0, np.nan)})
    counted = _one(RollbackRule("outcome:purchase", 0.01, "lower", missing=0.0), a, b)
    assert counted.verdict == "worse" and counted.champion == pytest.approx(0.3, abs=0.03)
    # Without a missing value only the posted ones count: both average 1, nothing moved.
    posted = _one(RollbackRule("outcome:purchase", 0.01, "lower"), a, b)
    assert posted.verdict == "fine" and posted.champion == posted.canary == 1.0


def test_the_output_check_names_the_class_whose_share_moved() -> None:
    a = _side(1, 3000)
    b = _side(2, 3000)
    b.answered["prediction"] = np.where(RNG.random(3000) < 0.8, 1, 0)
    check = _one(RollbackRule("output", 0.1, "either"), a, b)
    assert check.verdict == "worse" and check.detail in ("0", "1")
    assert check.sentence.startswith(f"Version 2 answered `{check.detail}` for ")


def test_a_step_decides_by_its_minimums_and_rolls_back_on_any_rule() -> None:
    policy = LoopPolicy.from_toml(
        '[rollout]\nsteps = [{ percent = 10, min_duration = "10m", min_requests = 1000 }, '
        "{ percent = 50 }]\n"
    )
    a, b = _side(1, 5000), _side(2, 1200)
    early = analyze_step("shop", a, b, policy, step=0, elapsed=dt.timedelta(minutes=5))
    assert early.decision == "wait"
    assert early.sentence.startswith(
        "Version 2 of shop answers 10% of the traffic: 1,200 of the 1,000"
    )
    later = analyze_step("shop", a, b, policy, step=0, elapsed=dt.timedelta(minutes=11))
    assert later.decision == "advance" and "now answers 50% of the traffic" in later.sentence
    last = analyze_step("shop", a, b, policy, step=1, elapsed=dt.timedelta(minutes=11))
    assert last.decision == "promote"
    bad = ArmTraffic(2, b.answered, failed=120)
    rolled = analyze_step("shop", a, bad, policy, step=0, elapsed=dt.timedelta(minutes=1))
    assert rolled.decision == "rollback" and rolled.culprit is not None
    assert rolled.culprit.name == "error_rate"
    assert rolled.sentence.startswith(
        "shop is back on version 1 alone: version 2 failed 9.1% of 1,320"
    )
