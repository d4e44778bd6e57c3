"""Monitoring estimates each window's performance from a labelled reference, and stores it."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sqlalchemy import select

from driftline import InputError, Workspace, monitor
from driftline.cli import main
from driftline.monitor import AlertRule
from driftline.store import MonitorWindowRow

T0 = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


def rows(n: int, squeeze: float, rng: np.random.Generator) -> pd.DataFrame:
    """Income decides the label (a logistic link); ``squeeze`` packs incomes near 50, where
    the model is unsure, so its accuracy truly falls while the link stays the same."""
    income = 50 + (1 - squeeze) * rng.normal(0, 10, n)
    age = rng.normal(45, 12, n)
    y = (rng.random(n) < 1 / (1 + np.exp(-(income - 50) / 4))).astype(int)
    return pd.DataFrame({"age": age, "income": income, "y": y})


def days(squeezes: list[float], n: int, rng: np.random.Generator) -> pd.DataFrame:
    out = []
    for day, squeeze in enumerate(squeezes):
        frame = rows(n, squeeze, rng)
        frame["timestamp"] = (
            T0 + dt.timedelta(days=day) + pd.to_timedelta(rng.uniform(0, 86_000, n), unit="s")
        )
        out.append(frame)
    return pd.concat(out, ignore_index=True)


def register(workspace: Workspace) -> Workspace:
    rng = np.random.default_rng(1)
    train = rows(3000, 0.0, rng)
    model = LogisticRegression().fit(train[["age", "income"]], train["y"])
    workspace.register("credit", model, train=train, target="y")
    return workspace


@pytest.fixture
def ws(workspace: Workspace) -> Workspace:
    """On SQLite and PostgreSQL: what is stored must read back the same from both."""
    return register(workspace)


@pytest.fixture
def lite(tmp_path: Path) -> Iterator[Workspace]:
    """SQLite only, for what does not depend on the database."""
    with Workspace.init(tmp_path / "lite", actor="tester") as workspace:
        yield register(workspace)


@pytest.fixture
def reference() -> pd.DataFrame:
    return rows(2000, 0.0, np.random.default_rng(2))


def test_windows_get_estimates_and_realized_values_where_labels_arrived(
    ws: Workspace, reference: pd.DataFrame
) -> None:
    data = days([0, 0, 0.85, 0.85], 400, np.random.default_rng(3))
    late = data["timestamp"] >= T0 + dt.timedelta(days=3)
    data["y"] = data["y"].astype("Int64")
    data.loc[late, "y"] = pd.NA  # the last day's labels have not arrived
    run = monitor.run(ws.context, "credit", data, window="1d", reference=reference, target="y")
    assert run.performance is not None and run.performance["method"] == "cbpe"
    ref_accuracy = run.performance["reference"]["accuracy"]
    estimated = [w.metrics["estimated"]["accuracy"] for w in run.windows]
    realized = [w.metrics.get("realized", {}).get("accuracy") for w in run.windows]
    assert [w.metrics["labelled"] for w in run.windows] == [400, 400, 400, 0]
    assert realized[3] is None
    for est, real in zip(estimated[:3], realized[:3], strict=True):
        # Within three standard errors of the realized value (the band is about two).
        assert abs(est["value"] - real) < 1.5 * (est["high"] - est["low"]) / 2
    # Squeezed days: the estimate sees the fall before any label says so.
    assert estimated[3]["value"] < ref_accuracy - 0.1 and estimated[3]["high"] < ref_accuracy
    # Stored beside the drift results, for the dashboard.
    with ws.db.read() as s:
        stored = s.scalars(select(MonitorWindowRow).order_by(MonitorWindowRow.window_start)).all()
        metrics = [dict(r.metrics) for r in stored]
    assert metrics[2]["estimated"]["accuracy"] == pytest.approx(estimated[2])
    assert metrics[2]["realized"]["accuracy"] == pytest.approx(realized[2])
    assert "realized" not in metrics[3]
    # The default rules include a drop in estimated performance.
    drop = [a for a in run.opened if a.rule == "performance-drop"]
    assert [a.opened_at.day for a in drop] == [3]
    assert "fell from" in drop[0].message and "on the reference data" in drop[0].message
    # A rule may watch an estimated metric itself (on a day not judged yet).
    rule = AlertRule("accuracy-floor", "estimated_accuracy", below=0.7, min_rows=100)
    later = data[late].assign(timestamp=data[late]["timestamp"] + dt.timedelta(days=1))
    again = monitor.run(ws.context, "credit", later, reference=reference, target="y", rules=[rule])
    assert [a.opened_at.day for a in again.opened] == [5]
    assert "estimated accuracy" in again.opened[0].message


def test_logged_probabilities_and_posted_labels_are_used(
    lite: Workspace, reference: pd.DataFrame
) -> None:
    ws = lite
    from driftline.store import InferenceLog

    model = ws.load_model("credit")
    data = days([0, 0.85], 300, np.random.default_rng(5))
    proba = model.predict_proba(data[["age", "income"]])
    log = InferenceLog(ws.home / "log")
    for i, row in enumerate(data.itertuples(index=False)):
        log.append(
            {
                "kind": "prediction",
                "request_id": f"r{i}",
                "timestamp": row.timestamp.isoformat(),
                "model": "credit",
                "version": 1,
                "route": "champion",
                "inputs": {"age": row.age, "income": row.income},
                "prediction": int(proba[i, 1] > 0.5),
                "probabilities": proba[i].tolist(),
            }
        )
        if i % 3 == 0:  # a third of the labels came back
            log.append({"kind": "label", "model": "credit", "request_id": f"r{i}", "label": row.y})
    log.close()
    run = monitor.run(ws.context, "credit", window="1d", reference=reference, target="y")
    assert [w.metrics["labelled"] for w in run.windows] == [100, 100]
    for w in run.windows:
        est, real = w.metrics["estimated"]["accuracy"], w.metrics["realized"]["accuracy"]
        assert abs(est["value"] - real) < 0.1


def test_reference_problems_are_named(lite: Workspace, reference: pd.DataFrame) -> None:
    ws = lite
    data = days([0], 200, np.random.default_rng(6))
    with pytest.raises(InputError, match="pass reference= too"):
        monitor.run(ws.context, "credit", data, target="y")
    with pytest.raises(InputError, match="needs its label column"):
        monitor.run(ws.context, "credit", data, reference=reference)
    with pytest.raises(InputError, match="no label column 'outcome'"):
        monitor.run(ws.context, "credit", data, reference=reference, target="outcome")
    with pytest.raises(InputError, match="no input column 'income'"):
        monitor.run(
            ws.context, "credit", data, reference=reference.drop(columns="income"), target="y"
        )


def test_cli_monitor_and_estimate(
    lite: Workspace,
    reference: pd.DataFrame,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DRIFTLINE_DATABASE_URL", lite.settings.database_url)
    home = str(lite.home)
    ref_path, cur_path = tmp_path / "ref.parquet", tmp_path / "cur.csv"
    reference.to_parquet(ref_path)
    data = days([0, 0.85], 300, np.random.default_rng(7))
    data.to_csv(cur_path, index=False)
    code = main(
        ["--home", home, "monitor", "run", "credit", "--data", str(cur_path),
         "--reference", str(ref_path), "--target", "y"]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0 and "accuracy" in out and "labelled)" in out
    flat = " ".join(out.split())  # the console wraps long sentences
    assert "(confidence-based estimation, CBPE), fitted on 2,000 labelled reference rows" in flat
    code = main(
        ["--home", home, "estimate", "credit",
         "--reference", str(ref_path), "--current", str(cur_path), "--target", "y",
         "--window", "300", "--json"]
    )  # fmt: skip
    result = json.loads(capsys.readouterr().out)
    assert code == 0 and result["model"] == "credit:1" and len(result["windows"]) == 2
    first, second = (w["metrics"]["accuracy"] for w in result["windows"])
    assert second["value"] < first["value"] - 0.1
    code = main(
        ["--home", home, "estimate", "credit", "--reference", str(ref_path),
         "--current", str(cur_path), "--target", "nope"]
    )  # fmt: skip
    assert code == 2 and "no target column 'nope'" in capsys.readouterr().err


def test_a_drop_counts_only_when_the_band_is_wholly_worse() -> None:
    from driftline.monitor._performance import drops

    def entries(name: str, value: float, low: float, high: float, ref: float) -> dict:
        return {
            "estimated": {name: {"value": value, "low": low, "high": high}},
            "reference": {name: ref},
        }

    assert drops(entries("accuracy", 0.80, 0.75, 0.86, 0.85)) == {"accuracy": 0.0}
    assert drops(entries("accuracy", 0.80, 0.75, 0.84, 0.85))["accuracy"] == pytest.approx(
        0.05 / 0.85
    )
    assert drops(entries("mae", 1.2, 1.1, 1.3, 1.0))["mae"] == pytest.approx(0.2)
    assert drops(entries("mae", 1.2, 0.9, 1.3, 1.0)) == {"mae": 0.0}
