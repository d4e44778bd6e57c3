"""Registration fits the input guard on the training inputs and stores it sha256-verified."""

from __future__ import annotations

from pathlib import Path

import pytest

from driftline import TamperedArtifactError, Workspace, registry


def test_registration_stores_a_guard_that_scores_like_its_training_rows(  # type: ignore[no-untyped-def]
    workspace: Workspace, churn, pipeline
) -> None:
    mv = workspace.register("churn", pipeline, train=churn, target="churned")
    info = mv.to_dict()["runtimes"]["guard"]
    assert info["rows"] == 400 and info["fpr"] == 0.01 and info["threshold"] > 0
    assert "key" not in info  # where it is stays inside
    guard = registry.load_guard(workspace.context, mv)
    assert guard is not None and guard.columns == ["age", "tenure", "region"]
    rows = churn.drop(columns="churned")
    flagged = guard.is_outlier(rows)
    assert flagged.mean() < 0.05  # training-like rows: about the 1% it was fitted for
    strange = rows.head(3).assign(age=[500, 18, 45], region=["north", "mars", "south"])
    assert guard.is_outlier(strange)[0]
    # A derived version (same inputs, recalibrated say) keeps its parent's guard.
    child = workspace.register("churn", pipeline, parent="churn:1", same_inputs=True)
    assert child.runtimes["guard"] == mv.runtimes["guard"]
    # Too few rows to set a line for a 1-in-10 rate at worst: no guard, registration goes on.
    small = workspace.register("tiny", pipeline, train=churn.head(15), target="churned")
    assert "guard" not in small.runtimes and registry.load_guard(workspace.context, small) is None


def test_a_tampered_guard_is_refused_on_load(workspace: Workspace, churn, pipeline) -> None:  # type: ignore[no-untyped-def]
    mv = workspace.register("churn", pipeline, train=churn, target="churned")
    artifacts = Path(workspace.context.settings.artifacts_url)
    blob = next(
        p for p in artifacts.rglob("*") if p.is_file() and mv.runtimes["guard"]["key"] in str(p)
    )
    blob.write_bytes(blob.read_bytes().replace(b'"threshold":', b'"threshold": '))
    with pytest.raises(TamperedArtifactError, match="input guard of churn:1"):
        registry.load_guard(workspace.context, mv)
