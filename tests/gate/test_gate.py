"""run_gate() end to end: registered versions, the same rows, stored and audited decisions."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest
from rich.console import Console
from sqlalchemy import select

from driftline import Workspace
from driftline.errors import InputError, NotFoundError
from driftline.gate import GateDecision, GatePolicy, run_gate

POLICY = """
min_rows = 500
n_resamples = 500

[thresholds]
accuracy = { min = 0.75 }

[regression]
accuracy = { max_drop = 0.01 }
roc_auc = { max_drop = 0.01 }

[slices]
segments = ["region"]
"""


def verdicts(decision: GateDecision) -> dict[str, str]:
    return {c.name: c.verdict for c in decision.criteria}


def test_better_overall_but_worse_on_one_region_fails_on_that_slice_only(
    ws: Workspace, test_rows: pd.DataFrame
) -> None:
    decision = run_gate(ws.context, "churn", data=test_rows, target="y", policy=POLICY)
    assert decision.candidate == "churn:2" and decision.baseline == "churn:1"
    assert not decision.passed
    # The overall criteria pass: the candidate is better on all rows together...
    overall = {c.kind: c for c in decision.criteria if c.slice is None and c.kind != "regression"}
    assert overall["threshold"].passed and overall["min_rows"].passed and overall["quality"].passed
    regression = [c for c in decision.criteria if c.kind == "regression"]
    assert [c.metric for c in regression] == ["accuracy", "roc_auc"]
    assert all(c.passed for c in regression)
    accuracy = next(m for m in decision.metrics if m.metric == "accuracy")
    assert accuracy.difference is not None and accuracy.difference.low > 0.03
    # ...and exactly one criterion fails: the planted region, significantly worse.
    [failed] = decision.failed
    assert failed.kind == "slice_regression" and failed.slice == "region north"
    assert failed.high is not None and failed.high < -0.3
    assert "for churn:1, significantly worse (difference −" in failed.sentence
    assert failed.sentence.endswith(
        "Keep churn:1; improve churn:2 on these rows, then run the gate again."
    )
    others = [c for c in decision.criteria if c.kind == "slice_regression" and c.passed]
    assert sorted(c.slice or "" for c in others) == ["region east", "region south", "region west"]


def test_clearly_better_candidate_passes(ws: Workspace, test_rows: pd.DataFrame) -> None:
    decision = run_gate(ws.context, "churn", candidate=3, data=test_rows, target="y", policy=POLICY)
    assert decision.passed, [c.sentence for c in decision.failed]
    assert decision.headline.startswith("Gate passed: churn:3 may replace churn:1; all 9 criteria")
    [acc] = [c for c in decision.criteria if c.kind == "threshold"]
    assert acc.sentence.startswith("Accuracy of churn:3 is 0.9")
    assert acc.sentence.endswith("), at least the 0.75 required.")
    assert "(likely between 0.9" in acc.sentence
    assert {s.slice for s in decision.slices} == {
        "region north",
        "region south",
        "region east",
        "region west",
    }


def test_a_near_twin_is_not_a_regression(ws: Workspace, test_rows: pd.DataFrame) -> None:
    decision = run_gate(
        ws.context,
        "churn",
        candidate="churn:4",
        data=test_rows,
        target="y",
        policy="[regression]\naccuracy = { max_drop = 0.01 }\n[slices]\nsegments = ['region']",
    )
    [acc] = decision.metrics
    assert acc.difference is not None and abs(acc.difference.value) < 0.01
    assert decision.passed, [c.sentence for c in decision.failed]


def test_missing_baseline_fails_the_regression_criteria_with_a_reason(
    ws: Workspace, test_rows: pd.DataFrame
) -> None:
    decision = run_gate(
        ws.context,
        "churn",
        candidate=3,
        baseline="production",
        data=test_rows,
        target="y",
        policy=POLICY,
    )
    assert not decision.passed and decision.baseline is None
    failed = {c.kind for c in decision.failed}
    assert failed == {"regression", "slice_regression"}
    sentence = next(c.sentence for c in decision.failed if c.kind == "regression")
    assert "cannot be compared with the baseline" in sentence
    assert "no alias 'production'" in sentence
    # Without regression criteria, no baseline is needed.
    alone = run_gate(
        ws.context,
        "churn",
        candidate=3,
        baseline=None,
        data=test_rows,
        target="y",
        policy="[thresholds]\naccuracy = { min = 0.9 }",
    )
    assert alone.passed and alone.baseline is None


def test_criteria_that_cannot_be_evaluated_fail(ws: Workspace, test_rows: pd.DataFrame) -> None:
    policy = """
    min_rows = 5000
    [thresholds]
    rmse = { max = 1.0 }
    [slices]
    define = ["region=north", "x1>=3"]
    compare_baseline = false
    min_accuracy = 0.5
    """
    decision = run_gate(ws.context, "churn", candidate=3, data=test_rows, target="y", policy=policy)
    sentences = {c.name: c.sentence for c in decision.failed}
    assert any("fewer than the 5,000 required" in s for s in sentences.values())
    assert "RMSE is a regression metric and the model is a classifier" in sentences["RMSE ≤ 1"]
    [small] = [c for c in decision.failed if c.kind == "slice_size"]
    assert small.sentence.startswith("The slice x1 3 or more has only ")
    assert "fewer than the 30 needed to judge a slice" in small.sentence
    north = next(c for c in decision.criteria if c.slice == "region north")
    assert north.passed


def test_decision_is_stored_audited_and_round_trips(ws: Workspace, test_rows: pd.DataFrame) -> None:
    from driftline.store._schema import EvaluationRow

    decision = run_gate(
        ws.context, "churn", data=test_rows, target="y", policy=POLICY, actor="ci-bot"
    )
    event = ws.audit_events(action="gate.decision")[-1]
    assert event.actor == "ci-bot" and event.subject == "churn:2"
    assert event.payload["passed"] is False
    assert event.payload["candidate"] == "churn:2" and event.payload["baseline"] == "churn:1"
    assert event.payload["failed"] == [c.name for c in decision.failed]
    assert ws.verify_audit().ok
    with ws.db.read() as s:
        row = s.scalars(
            select(EvaluationRow)
            .where(EvaluationRow.kind == "gate")
            .order_by(EvaluationRow.id.desc())
        ).first()
        assert row is not None
        assert (row.model, row.version, row.dataset) == ("churn", 2, decision.dataset)
        stored = GateDecision.from_dict(row.summary)
    assert len(decision.dataset) == 64
    assert stored.to_dict() == json.loads(json.dumps(decision.to_dict()))
    assert stored.policy == GatePolicy.from_toml(POLICY)


def test_same_rows_same_decision(ws: Workspace, test_rows: pd.DataFrame) -> None:
    a = run_gate(ws.context, "churn", data=test_rows, target="y", policy=POLICY, seed=3)
    b = run_gate(ws.context, "churn", data=test_rows.copy(), target="y", policy=POLICY, seed=3)
    assert a.dataset == b.dataset
    assert [c.to_dict() for c in a.criteria] == [c.to_dict() for c in b.criteria]


def test_default_policy_and_rendering(ws: Workspace, test_rows: pd.DataFrame) -> None:
    decision = run_gate(ws.context, "churn", candidate=3, data=test_rows, target="y")
    assert decision.policy == GatePolicy.default()
    assert [c.kind for c in decision.criteria] == ["min_rows", "quality", "regression"]
    out = io.StringIO()
    Console(file=out, width=200).print(decision)
    text = out.getvalue()
    assert "Gate passed" in text and text.count("PASS") == 3


def test_bad_input_raises(ws: Workspace, test_rows: pd.DataFrame) -> None:
    with pytest.raises(InputError, match="target column 'label' is not in the data"):
        run_gate(ws.context, "churn", data=test_rows, target="label")
    with pytest.raises(NotFoundError, match="no alias 'nope'"):
        run_gate(ws.context, "churn", candidate="nope", data=test_rows, target="y")
    with pytest.raises(InputError, match=r"'thresholds\.acuracy'"):
        run_gate(
            ws.context, "churn", data=test_rows, target="y", policy="[thresholds]\nacuracy={min=1}"
        )
    with pytest.raises(InputError, match="lacks the model's input column"):
        run_gate(ws.context, "churn", data=test_rows.drop(columns="x2"), target="y")
