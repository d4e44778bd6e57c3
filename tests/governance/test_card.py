"""Model cards regenerate per version from the gate, the evaluation and the audit chain.

A model with a slice it serves badly (region south, where a third of the
labels are flipped), two versions, a canary, a gate decision, an evaluation,
and rollout steps and approvals recorded as another writer (the loop) would.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from sklearn.compose import make_column_transformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

from driftline import Workspace, audit
from driftline.serving import deploy


def data(n: int = 900, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "age": rng.integers(18, 80, n).astype(float),
            "region": rng.choice(["north", "south", "east"], n),
        }
    )
    flip = rng.random(n) < np.where(frame["region"] == "south", 0.35, 0.03)
    frame["churned"] = ((frame["age"] > 45) ^ flip).astype(int)
    return frame


def model(frame: pd.DataFrame, c: float) -> Any:
    encode = make_column_transformer(
        (OneHotEncoder(handle_unknown="ignore"), ["region"]), remainder="passthrough"
    )
    return make_pipeline(encode, LogisticRegression(C=c, max_iter=500)).fit(
        frame.drop(columns="churned"), frame["churned"]
    )


def build(ws: Workspace) -> Workspace:
    frame = data()
    ws.register("churn", model(frame, 1.0), train=frame, target="churned", actor="alice")
    ws.set_alias("churn", 1, "champion", actor="alice")
    deploy(ws.context, "churn", actor="alice")
    ws.register("churn", model(frame, 0.5), train=frame, target="churned", actor="bob")
    ws.set_alias("churn", 2, "challenger", actor="bob")
    deploy(ws.context, "churn", canary="challenger", percent=10, actor="alice")
    test = data(seed=1)
    ws.evaluate(
        "churn:2",
        test,
        target="churned",
        slices=["region=south", "region=north"],
        discover=False,
        n_resamples=100,
        actor="carol",
    )
    ws.gate("churn", data=test, target="churned", actor="carol")
    with ws.db.write() as s:  # what the loop records, in its own words
        audit.append(
            s,
            actor="loop",
            action="rollout.step",
            subject="churn:2",
            payload={"percent": 50, "sentence": "the canary now answers 50% of traffic"},
        )
        audit.append(
            s, actor="loop", action="rollout.step", subject="churn:1", payload={"percent": 100}
        )
        audit.append(
            s,
            actor="dave",
            action="loop.approve",
            subject="churn",
            payload={"candidate": "churn:2", "reason": "the canary held for a day"},
        )
        audit.append(
            s,
            actor="erin",
            action="approval.reject",
            subject="churn",
            payload={"version": 1, "reason": "superseded"},
        )
    ws.set_alias("churn", 2, "champion", actor="dave")
    return ws


@pytest.fixture
def shop(workspace: Workspace) -> Workspace:
    """On SQLite and on PostgreSQL: the card reads the evaluations table and the audit chain."""
    return build(workspace)


@pytest.fixture
def shop_sqlite(tmp_path: Path) -> Any:
    ws = Workspace.init(tmp_path / "ws", actor="tester")
    yield build(ws)
    ws.close()


def test_the_card_holds_the_gate_evaluation_slices_calibration_and_history(shop: Workspace) -> None:
    card = shop.model_card("churn@champion").to_dict()
    assert (card["model"], card["version"], card["aliases"]) == (
        "churn",
        2,
        ["challenger", "champion"],
    )
    # The gate decision, as stored.
    decision = [e for e in shop.audit_events() if e.action == "gate.decision"][-1]
    assert card["gate"]["passed"] is decision.payload["passed"]
    assert card["gate"]["criteria"][0]["name"] == "evaluation size"
    assert card["gate"]["decided_by"] == "carol" and card["gate"]["baseline"] == "churn:1"
    # The evaluation, its slice table and calibration.
    stored = shop.evaluations("churn:2")[0]
    assert card["evaluation"]["rows"] == stored.n_rows == 900
    assert card["evaluation"]["dataset"] == f"sha256:{stored.dataset}".replace(
        "sha256:sha256:", "sha256:"
    )
    assert [m["metric"] for m in card["evaluation"]["metrics"]] == list(stored.metrics)
    south = next(
        s for s in card["slices"] if s["slice"].startswith("region") and "south" in s["slice"]
    )
    north = next(s for s in card["slices"] if "north" in s["slice"])
    assert south["worse"] and not north["worse"] and south["rows"] > 200
    assert any(
        line.startswith("Served worse: region") and "south" in line for line in card["limitations"]
    )
    assert set(card["calibration"]) >= {"ece", "ece_chance", "brier", "sentence"}
    # The training data summary from registration stays.
    assert card["training_data"]["rows"] == 900 and card["training_data"]["target"] == "churned"
    # Rollout history, oldest first, from alias moves, deployments and the loop's steps.
    said = [e["sentence"] for e in card["rollout"]]
    assert said == [
        "challenger now points to this version",
        "deployed: it answers 10% of the traffic as the canary challenger",
        "the canary now answers 50% of traffic",
        "champion now points to this version (it pointed to version 1)",
        "now it answers the traffic as champion and answers 10% of the traffic as the canary "
        "challenger (before, it answered 10% of the traffic as the canary challenger)",
    ]
    assert [e["actor"] for e in card["rollout"]] == ["bob", "alice", "loop", "dave", "dave"]
    assert [(e["actor"], e["sentence"]) for e in card["approvals"]] == [
        ("dave", "Approved: the canary held for a day")
    ]


def test_each_version_has_its_own_card(shop_sqlite: Workspace) -> None:
    first = shop_sqlite.model_card("churn:1").to_dict()
    assert first["gate"] is None and first["evaluation"] is None and first["slices"] == []
    assert any(
        line.startswith("No evaluation is stored for this version") for line in first["limitations"]
    )
    said = [e["sentence"] for e in first["rollout"]]
    assert said[0] == "champion now points to this version"
    assert said[1] == "deployed: it answers the traffic as champion"
    assert "champion moved from this version to version 2" in said
    assert said[-1] == "no longer served (it answered the traffic as champion)"
    assert "rollout.step (percent 100)" in said  # the loop's step without a sentence
    assert [e["sentence"] for e in first["approvals"]] == ["Rejected: superseded"]
    assert "model-index" not in first["metadata"]  # nothing measured on labelled data yet


def test_a_card_regenerates_as_records_arrive(shop_sqlite: Workspace) -> None:
    before = shop_sqlite.model_card("churn:1").to_dict()
    shop_sqlite.evaluate("churn:1", data(seed=2), target="churned", discover=False, n_resamples=50)
    after = shop_sqlite.model_card("churn:1").to_dict()
    assert before["evaluation"] is None and after["evaluation"]["rows"] == 900
    assert after["metadata"]["model-index"][0]["results"][0]["dataset"]["name"] == (
        "900 labelled rows (evaluation)"
    )


def test_hugging_face_metadata_names_data_by_fingerprint(shop_sqlite: Workspace) -> None:
    made = shop_sqlite.model_card("churn@champion")
    meta = made.metadata
    stored = shop_sqlite.evaluations("churn:2")[0]
    mv = shop_sqlite.get("churn:2")
    assert meta["library_name"] == "sklearn"
    assert meta["tags"] == ["driftline", "tabular-classification"]
    assert meta["datasets"][0] == mv.lineage["data_fingerprint"]
    index = meta["model-index"]
    assert index[0]["name"] == "churn"
    evaluated, gated = index[0]["results"]
    assert evaluated["task"] == {"type": "tabular-classification", "name": "Tabular Classification"}
    assert evaluated["dataset"]["type"] == f"sha256:{stored.dataset.removeprefix('sha256:')}"
    assert {m["type"]: m["value"] for m in evaluated["metrics"]} == pytest.approx(
        {k: iv.value for k, iv in stored.metrics.items()}
    )
    assert gated["dataset"]["name"].endswith("(gate decision)")
    # The markdown's front matter is the same metadata, in YAML the Hub reads.
    text = made.markdown()
    assert text.startswith("---\n")
    front, body = text[4:].split("\n---\n", 1)
    assert yaml.safe_load(front) == json.loads(json.dumps(meta))
    assert body.lstrip().startswith("# Model card: churn version 2")
    for heading in (
        "Gate decision",
        "Evaluation",
        "Slices",
        "Calibration",
        "Training data",
        "Limitations",
        "Rollout history",
        "Approvals",
        "Lineage",
    ):
        assert f"\n## {heading}\n" in body, heading


def test_cli_writes_the_card_as_markdown_or_json(
    shop_sqlite: Workspace, cli: Any, tmp_path: Path
) -> None:
    home = ["--home", str(shop_sqlite.home)]
    db = {"DRIFTLINE_DATABASE_URL": shop_sqlite.settings.database_url}
    done = cli(
        *home,
        "models",
        "card",
        "churn@champion",
        "--format",
        "json",
        "--out",
        "card.json",
        cwd=tmp_path,
        env=db,
    )
    assert done.returncode == 0, done.stderr
    card = json.loads((tmp_path / "card.json").read_text())
    assert card["version"] == 2 and card["metadata"]["model-index"]
    md = cli(*home, "models", "card", "churn:1", cwd=tmp_path, env=db)
    assert md.returncode == 0 and md.stdout.startswith('---\nlibrary_name: "sklearn"\n')
    assert "# Model card: churn version 1" in md.stdout
    shown = cli(*home, "models", "show", "churn@champion", "--card", cwd=tmp_path, env=db)
    assert shown.returncode == 0 and "Rollout history" in shown.stdout
    assert "library_name" not in shown.stdout  # for people: no front matter
    bad = cli(*home, "models", "card", "churn", "--format", "pdf", cwd=tmp_path, env=db)
    assert (
        bad.returncode == 2
        and bad.stderr == "driftline: error: --format is md or json, got 'pdf'\n"
    )
