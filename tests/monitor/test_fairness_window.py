"""Monitoring tracks disparities between groups per window once labels arrive, and alerts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from driftline import Workspace, monitor
from driftline.errors import ConfigError
from driftline.fairness import group_fairness
from driftline.monitor import AlertRule
from driftline.store import InferenceLog

T0 = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


def rows(n: int, rng: np.random.Generator) -> pd.DataFrame:
    income = rng.normal(50, 10, n)
    y = (rng.random(n) < 1 / (1 + np.exp(-(income - 50) / 4))).astype(int)
    return pd.DataFrame({"income": income, "sex": rng.choice(["F", "M"], n), "y": y})


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    rng = np.random.default_rng(1)
    train = rows(2000, rng)
    model = LogisticRegression().fit(train[["income"]], train["y"])
    with Workspace.init(tmp_path / "ws", actor="tester") as workspace:
        workspace.register("loans", model, train=train.drop(columns="sex"), target="y")
        yield workspace


def test_disparity_per_window_opens_an_alert(ws: Workspace) -> None:
    rng = np.random.default_rng(2)
    model = ws.load_model("loans")
    log = InferenceLog(ws.home / "log")
    days = []
    for day in range(2):
        frame = rows(400, rng)
        pred = model.predict(frame[["income"]])
        if day == 1:  # the second day, most women are refused whatever their income
            pred = np.where((frame["sex"] == "F") & (rng.random(400) < 0.7), 0, pred)
        frame["prediction"] = pred
        days.append(frame)
        for i, row in enumerate(frame.itertuples(index=False)):
            rid = f"d{day}-{i}"
            log.append({
                "kind": "prediction", "request_id": rid, "model": "loans", "version": 1,
                "timestamp": (T0 + dt.timedelta(days=day, seconds=60 * i)).isoformat(),
                "route": "main", "inputs": {"income": row.income, "sex": row.sex},
                "prediction": int(row.prediction),
            })  # fmt: skip
            if i % 2 == 0:  # half of the labels came back
                log.append({"kind": "label", "model": "loans", "request_id": rid,
                            "label": int(row.y)})  # fmt: skip
    log.close()
    rule = AlertRule("fair-sex", "demographic_parity_ratio:sex", below=0.8, clear=0.9,
                     min_rows=50)  # fmt: skip
    run = monitor.run(ws.context, "loans", window="1d", rules=[rule])
    assert [w.metrics["fairness_labelled"] for w in run.windows] == [200, 200]
    for w, frame in zip(run.windows, days, strict=True):
        labelled = frame.iloc[::2]
        expected = group_fairness(
            labelled["y"].astype(str), labelled["prediction"].astype(str),
            {"sex": labelled["sex"]}, positive="1", n_resamples=0,
        )["sex"]  # fmt: skip
        got = w.metrics["fairness"]["sex"]
        for name in ("demographic_parity_ratio", "equalized_odds_difference"):
            assert got[name] == pytest.approx(expected[name].value)
    ratios = [w.metrics["fairness"]["sex"]["demographic_parity_ratio"] for w in run.windows]
    assert ratios[0] > 0.8 > ratios[1]
    assert [a.opened_at.day for a in run.opened] == [2]
    message = run.opened[0].message
    assert "demographic parity ratio between the groups of `sex` in the answers of loans:1" in (
        message
    )
    assert "on 200 labelled rows" in message and "--sensitive sex" in message


def test_a_disparity_rule_names_a_known_disparity() -> None:
    assert AlertRule("f", "equalized_odds_difference:sex", above=0.1).sensitive == "sex"
    with pytest.raises(ConfigError, match="such as demographic_parity_ratio:sex"):
        AlertRule("f", "parity_ratio:sex", below=0.8)
    with pytest.raises(ConfigError, match="unknown metric"):
        AlertRule("f", "demographic_parity_ratio:", below=0.8)
