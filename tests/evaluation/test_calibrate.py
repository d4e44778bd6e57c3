"""calibrate(): a miscalibrated registered model is fixed, registered as a child, stored, audited."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression, RidgeClassifier
from sklearn.naive_bayes import GaussianNB
from sqlalchemy import select

from driftline import Workspace
from driftline.calibration import CalibratedModel, CalibrationResult
from driftline.errors import InputError
from driftline.evaluation import calibrate
from driftline.store import EvaluationRow


def overconfident_data(n: int, seed: int) -> pd.DataFrame:
    """One signal copied three times: naive Bayes counts it thrice, so its odds are cubed."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    y = (rng.random(n) < 1 / (1 + np.exp(-1.5 * x))).astype(int)
    noise = rng.normal(scale=0.05, size=(n, 2))
    return pd.DataFrame({"x1": x, "x2": x + noise[:, 0], "x3": x + noise[:, 1], "y": y})


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    train = overconfident_data(1000, 1)
    X = train.drop(columns="y")
    with (
        Workspace.init(tmp_path_factory.mktemp("cal") / "ws", actor="tester") as ws,
        pytest.MonkeyPatch.context() as mp,
    ):
        # ONNX conversion at registration is the registry's to test, and slow.
        mp.setattr("driftline.registry._onnx.convert", lambda *a, **k: None)
        ws.register("nb", GaussianNB().fit(X, train["y"]), train=train, target="y")
        ws.set_alias("nb", 1, "champion")
        ws.register("lr", LogisticRegression().fit(X, train["y"]), train=train, target="y")
        ws.register("ridge", RidgeClassifier().fit(X, train["y"]), train=train, target="y")
        yield ws


def test_miscalibrated_model_is_fixed_and_registered_as_a_child(ws: Workspace) -> None:
    data = overconfident_data(3000, 2)
    result = calibrate(ws.context, "nb@champion", data, target="y")
    assert result.before.direction == "overconfident" and result.before.miscalibrated
    assert result.method in ("platt", "temperature", "isotonic")
    # Measured on the held-out half, which the calibrator never saw.
    assert result.n_fit + result.n_eval == 3000 and result.n_eval == 1500
    assert result.after.ece < result.before.ece / 2
    assert result.after.log_loss < result.before.log_loss
    assert result.version == 2 and result.ref == "nb:2"

    parent, child = ws.get("nb:1"), ws.get("nb:2")
    assert child.lineage["parent"] == "nb:1"
    assert child.signature == parent.signature and child.profile_key == parent.profile_key
    assert child.lineage["data_fingerprint"] == parent.lineage["data_fingerprint"]
    assert "recalibrated" in child.description
    assert any("recalibrated with" in note for note in child.card["limitations"])
    assert child.card["training_data"] == parent.card["training_data"]
    assert child.metrics["ece"] == pytest.approx(result.after.ece)
    # The alias still points at the parent: promoting the child is a separate decision.
    assert ws.get("nb@champion").version == 1

    loaded = ws.load_model(child)
    assert isinstance(loaded, CalibratedModel)
    X = data.drop(columns="y")
    assert np.allclose(
        loaded.predict_proba(X), loaded.calibrator.transform(ws.load_model(parent).predict_proba(X))
    )

    with ws.db.read() as s:
        rows = list(s.scalars(select(EvaluationRow).where(EvaluationRow.kind == "calibration")))
    stored = [r for r in rows if r.summary["version"] == 2]
    assert len(stored) == 1 and stored[0].model == "nb" and stored[0].version == 1
    assert CalibrationResult.from_dict(stored[0].summary) == result
    event = ws.audit_events(action="model.calibrate")[-1]
    assert event.subject == "nb:1" and event.payload["version"] == 2
    assert ws.verify_audit().ok


def test_each_method_can_be_asked_for(ws: Workspace) -> None:
    data = overconfident_data(1200, 3)
    for method in ("platt", "isotonic", "temperature"):
        result = calibrate(ws.context, "nb:1", data, target="y", method=method, seed=1)
        assert result.method == method
        assert result.after.ece < result.before.ece
        assert ws.get(result.ref or "").lineage["parent"] == "nb:1"


def test_calibrated_model_needs_no_new_version(ws: Workspace) -> None:
    # A well-specified logistic regression is calibrated already: auto keeps it.
    data = overconfident_data(2000, 4)
    before = len(ws.versions("lr"))
    result = calibrate(ws.context, "lr", data, target="y")
    assert result.method == "identity" and result.version is None
    assert len(ws.versions("lr")) == before
    assert "needs no recalibration" in result.summary


def test_reads_a_csv_file(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "labelled.csv"
    overconfident_data(800, 5).to_csv(path, index=False)
    result = calibrate(ws.context, "nb:1", path, target="y", method="temperature")
    assert result.n_fit + result.n_eval == 800


def test_refusals(ws: Workspace) -> None:
    data = overconfident_data(400, 6)
    with pytest.raises(InputError, match="no column 'label'"):
        calibrate(ws.context, "nb:1", data, target="label")
    with pytest.raises(InputError, match=r"holds 2, which nb:1 does not know"):
        calibrate(ws.context, "nb:1", data.assign(y=data["y"].where(data.index > 5, 2)), target="y")
    with pytest.raises(InputError, match="at least 100 labelled rows"):
        calibrate(ws.context, "nb:1", data.head(60), target="y")
    with pytest.raises(InputError, match="no probabilities"):
        calibrate(ws.context, "ridge", data, target="y")
    with pytest.raises(InputError, match="method must be"):
        calibrate(ws.context, "nb:1", data, target="y", method="identity")
    with pytest.raises(InputError, match="holdout"):
        calibrate(ws.context, "nb:1", data, target="y", holdout=1.0)
    with pytest.raises(InputError, match="input column"):
        calibrate(ws.context, "nb:1", data.drop(columns="x2"), target="y")
