"""The loop's sentences that have no docstring example, each with its numbers."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from driftline.gate import Criterion
from driftline.loop._words import gate_sentence, promoted_sentence, state_sentence

RUN = SimpleNamespace(model="shop", candidate=3, champion=2)


def test_a_gate_failure_names_its_first_criterion_and_how_many_more() -> None:
    failed = [
        Criterion("accuracy", "regression", "fail", "accuracy fell from 0.91 to 0.84."),
        Criterion("slice gap", "slice_gap", "fail", "the gap is 0.2."),
        Criterion("rows", "min_rows", "pass", "enough rows."),
    ]
    decision = SimpleNamespace(passed=False, failed=failed[:2])
    assert gate_sentence(RUN, decision, None) == (
        "Version 3 of shop did not pass the gate, so version 2 keeps serving: accuracy fell "
        "from 0.91 to 0.84 (and 1 more criterion)."
    )


def test_a_gate_pass_says_how_much_of_the_training_data_the_model_decided() -> None:
    decision = SimpleNamespace(passed=True, failed=[])
    feedback = {"rows_decided_by_model": 450, "rows_given": 50, "share_decided_by_model": 0.9}
    assert gate_sentence(RUN, decision, feedback) == (
        "Version 3 of shop passed the gate against version 2; 90% of its 500 training rows "
        "were answered by shop itself, so their labels may echo its own decisions."
    )
    assert gate_sentence(RUN, None, None).startswith(
        "Version 3 of shop could not be judged, so version 2 keeps serving: no labelled rows"
    )


def test_a_promotion_without_a_canary_says_why() -> None:
    assert promoted_sentence(RUN, served=False) == (
        "Version 3 of shop became the champion without a canary: shop is not deployed here, so "
        "there was no traffic to try it on; version 2 stays as 'previous'."
    )


def test_each_state_reads_as_a_sentence() -> None:
    base = {**vars(RUN), "reason": "", "paused": False, "step": 0, "percent": 25.0}
    waiting = SimpleNamespace(**base, state="awaiting_approval")
    assert state_sentence(waiting) == (
        "Version 3 of shop passed the gate and waits for approval by an operator "
        "(driftline approve shop 3); version 2 keeps serving."
    )
    canary = SimpleNamespace(**{**base, "paused": True}, state="canary")
    assert state_sentence(canary) == (
        "Version 3 of shop answers 25% of its traffic at step 1 (paused: it stays at this share "
        "until resumed); version 2 answers the rest."
    )
    retraining = SimpleNamespace(
        **base, state="retraining", trigger_words="the alert 'input-drift'"
    )
    assert state_sentence(retraining) == (
        "shop is being retrained after the alert 'input-drift'; version 2 keeps serving."
    )
    failed = SimpleNamespace(
        **{**base, "reason": "Retraining shop failed, so ..."}, state="retrain_failed"
    )
    assert state_sentence(failed) == "Retraining shop failed, so ..."
    assert dt  # the module's clock-free: no time in any sentence
