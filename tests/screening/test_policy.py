"""The audit in a workspace: recorded, required by register and the gate; echo labels;
fairness criteria in the gate; the CLI's exit codes and JSON."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from driftline import Workspace
from driftline.cli import main
from driftline.errors import InputError
from driftline.loop import set_policy
from driftline.store import InferenceLog


def rows(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    sex = rng.choice(["F", "M"], n)
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    y = (x1 + x2 + 0.05 * rng.normal(size=n) > 0).astype(int)
    return pd.DataFrame({"x1": x1, "x2": x2, "is_m": (sex == "M").astype(int), "sex": sex, "y": y})


def biased(frame: pd.DataFrame) -> LogisticRegression:
    """Learns labels that favour men: approves women far less often."""
    y = np.where((frame["sex"] == "F") & (frame["x1"] < 1), 0, frame["y"])
    return LogisticRegression().fit(frame[["x1", "x2", "is_m"]], y)


def flipped(frame: pd.DataFrame, share: float, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    out = frame.copy()
    where = rng.choice(len(out), int(share * len(out)), replace=False)
    out.loc[where, "y"] = 1 - out.loc[where, "y"]
    return out


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    with Workspace.init(tmp_path / "ws", actor="tester") as workspace:
        yield workspace


def _policy(ws: Workspace, tmp_path: Path, text: str) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(text, encoding="utf-8")
    set_policy(ws.context, "loans", path)


def test_register_and_gate_require_a_clean_audit(ws: Workspace, tmp_path: Path) -> None:
    train = rows(1200, 1).drop(columns="sex")
    features = ["x1", "x2", "is_m"]
    ws.register("loans", LogisticRegression().fit(train[features], train["y"]), train=train,
                target="y")  # fmt: skip
    _policy(ws, tmp_path, '[audit]\nrequire = "clean"\n')

    dirty = flipped(train, 0.08, 2)
    model = LogisticRegression().fit(dirty[features], dirty["y"])
    with pytest.raises(InputError, match=r"requires a clean audit .* have none"):
        ws.register("loans", model, train=dirty, target="y")
    report = ws.audit_data(dirty, target="y")
    assert not report.passed
    with pytest.raises(InputError, match="failed theirs"):
        ws.register("loans", model, train=dirty, target="y")

    clean = rows(1200, 3).drop(columns="sex")
    assert ws.audit_data(clean, target="y").passed
    mv = ws.register("loans", LogisticRegression().fit(clean[features], clean["y"]),
                     train=clean, target="y")  # fmt: skip
    assert mv.version == 2

    test = rows(600, 4)
    decision = ws.gate("loans", candidate=2, baseline=None, data=test, target="y",
                       policy='[audit]\nrequire = "clean"\n[regression]\n')  # fmt: skip
    audit = [c for c in decision.criteria if c.kind == "audit"]
    assert len(audit) == 1 and audit[0].passed
    assert "training data passed its audit" in audit[0].sentence
    decision = ws.gate("loans", candidate=1, baseline=None, data=test, target="y",
                       policy='[audit]\nrequire = "clean"\n')  # fmt: skip
    audit = [c for c in decision.criteria if c.kind == "audit"]
    assert not audit[0].passed and "has no recorded audit" in audit[0].sentence


def test_gate_judges_disparities_between_groups(ws: Workspace) -> None:
    train = rows(2000, 5)
    ws.register("loans", biased(train), train=train.drop(columns=["sex"]), target="y")
    test = rows(1000, 6)
    strict = "[fairness]\nsex = { demographic_parity_ratio = { min = 0.8 } }\n"
    decision = ws.gate("loans", candidate=1, baseline=None, data=test, target="y",
                       policy=strict)  # fmt: skip
    fair = [c for c in decision.criteria if c.kind == "fairness"]
    assert len(fair) == 1 and not fair[0].passed and not decision.passed
    assert fair[0].figure is not None and fair[0].figure < 0.8
    assert "between the groups of `sex`" in fair[0].sentence and "below the minimum 0.8" in (
        fair[0].sentence
    )
    loose = "[fairness]\nsex = { demographic_parity_ratio = { min = 0.1 } }\n"
    decision = ws.gate("loans", candidate=1, baseline=None, data=test, target="y",
                       policy=loose)  # fmt: skip
    assert [c.passed for c in decision.criteria if c.kind == "fairness"] == [True]
    missing = "[fairness]\nrace = { equalized_odds_difference = { max = 0.1 } }\n"
    decision = ws.gate("loans", candidate=1, baseline=None, data=test, target="y",
                       policy=missing)  # fmt: skip
    fair = [c for c in decision.criteria if c.kind == "fairness"]
    assert not fair[0].passed and "no column 'race'" in fair[0].sentence


def test_bad_fairness_policy_names_the_key() -> None:
    from driftline.gate import GatePolicy

    with pytest.raises(
        InputError, match="is not a disparity; did you mean 'demographic_parity_ratio'"
    ):
        GatePolicy.from_toml("[fairness]\nsex = { demographic_parity_rati = { min = 0.8 } }\n")


def test_echo_labels_from_the_inference_log(ws: Workspace) -> None:
    # Labels with a quarter of noise: a model of them is right about 3 times in 4.
    train = flipped(rows(1500, 7).drop(columns="sex"), 0.25, 7)
    features = ["x1", "x2", "is_m"]
    model = LogisticRegression().fit(train[features], train["y"])
    ws.register("loans", model, train=train, target="y")
    later = flipped(rows(800, 8), 0.25, 8)
    proba = model.predict_proba(later[features])
    pred = model.predict(later[features])
    log = InferenceLog.open(ws.settings)
    now = dt.datetime.now(dt.UTC).isoformat()
    try:
        for i in range(len(later)):
            log.append({
                "kind": "prediction", "request_id": f"q{i}", "timestamp": now,
                "model": "loans", "version": 1, "route": "main", "latency_ms": 1.0,
                "inputs": later.loc[i, features].to_dict(), "prediction": int(pred[i]),
                "probabilities": proba[i].tolist(),
            })  # fmt: skip
        log.write({"kind": "prediction", "request_id": "flush", "timestamp": now,
                   "model": "other", "version": 1, "route": "main", "latency_ms": 1.0,
                   "inputs": {}, "prediction": 0})  # fmt: skip
    finally:
        log.close()
    # Next round's training rows were labelled by copying the model's answers.
    echoed = later.assign(y=pred, request_id=[f"q{i}" for i in range(len(later))])
    report = ws.audit_data(echoed, target="y", key="request_id", served_by="loans")
    echo = report.by_check("echo_labels")
    assert echo is not None and echo.severity == "critical"
    assert echo.details["matched"] == 800 and echo.details["observed"] == 1.0
    assert 0.6 < echo.details["expected"] < 0.85
    assert "800 training rows were scored by loans; 100% of their labels" in echo.message
    assert echo.details["expected_from"] == "logged probabilities"
    # A stored evaluation on independently labelled rows says how often honest labels agree.
    ws.evaluate("loans", flipped(rows(1000, 9), 0.25, 9), discover=False, n_resamples=0)
    honest = later.assign(request_id=[f"q{i}" for i in range(len(later))])
    echo = ws.audit_data(honest, target="y", key="request_id", served_by="loans").by_check(
        "echo_labels"
    )
    assert echo is not None and echo.severity == "info"
    assert echo.details["expected_from"].startswith("evaluation ")
    report = ws.audit_data(echoed, target="y", key="request_id", served_by="loans")
    assert report.by_check("echo_labels").severity == "critical"  # type: ignore[union-attr]


def test_cli_audit_exit_codes_json_and_record(ws: Workspace, tmp_path: Path, capsys) -> None:
    clean, dirty = tmp_path / "clean.csv", tmp_path / "dirty.csv"
    rows(800, 9).to_csv(clean, index=False)
    flipped(rows(800, 9), 0.08, 1).to_csv(dirty, index=False)
    home = str(ws.home)
    assert main(["--home", home, "data", "audit", str(clean), "--target", "y", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["passed"] is True and result["kind"] == "data_audit"
    assert main(["--home", home, "data", "audit", str(dirty), "--target", "y", "--json"]) == 1
    result = json.loads(capsys.readouterr().out)
    labels = next(f for f in result["findings"] if f["check"] == "label_issues")
    assert labels["severity"] == "critical" and len(labels["rows"]) >= 40
    from driftline.dataaudit import recorded_audit

    assert recorded_audit(ws.context, result["dataset"])["passed"] is False
    code = main(["--home", home, "data", "audit", str(clean), "--target", "y", "--model", "svm"])
    err = capsys.readouterr().err
    assert code == 2 and "must be one of logistic, forest, boosting" in err
    assert err.count("\n") == 1


def test_an_audit_from_the_cli_admits_the_same_file_to_register(
    ws: Workspace, tmp_path: Path, capsys
) -> None:
    from driftline.io import read_frame

    first = rows(600, 10).drop(columns="sex")
    features = ["x1", "x2", "is_m"]
    ws.register("loans", LogisticRegression().fit(first[features], first["y"]), train=first,
                target="y")  # fmt: skip
    _policy(ws, tmp_path, '[audit]\nrequire = "clean"\n')
    path = tmp_path / "train.csv"
    rows(900, 11).drop(columns="sex").to_csv(path, index=False)
    assert main(["--home", str(ws.home), "data", "audit", str(path), "--target", "y"]) == 0
    assert "found" in capsys.readouterr().out
    train = read_frame(path, what="the training data")  # as `models register --train` reads it
    model = LogisticRegression().fit(train[features], train["y"])
    assert ws.register("loans", model, train=train, target="y").version == 2
