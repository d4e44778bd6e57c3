"""Labelled data with a known weak spot, models fitted on it, and a workspace holding one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression, LogisticRegression


def churn_frame(n: int, seed: int) -> pd.DataFrame:
    """Churn depends on age and tenure; in region 'north' the label is mostly noise."""
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            "age": rng.integers(18, 80, n),
            "tenure": rng.exponential(24, n).round(1),
            "region": rng.choice(["north", "south", "east", "west"], n),
        }
    )
    logit = 0.08 * (df["age"] - 48) - 0.06 * (df["tenure"] - 24)
    churned = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    noisy = (df["region"] == "north").to_numpy() & (rng.random(n) < 0.6)
    df["churned"] = np.where(noisy, rng.integers(0, 2, n), churned)
    return df


@pytest.fixture(scope="session")
def churn_train() -> pd.DataFrame:
    return churn_frame(1500, 1)


@pytest.fixture(scope="session")
def churn_test() -> pd.DataFrame:
    return churn_frame(1200, 2)


@pytest.fixture(scope="session")
def churn_model(churn_train: pd.DataFrame) -> LogisticRegression:
    return LogisticRegression(max_iter=500).fit(
        churn_train[["age", "tenure"]], churn_train["churned"]
    )


@pytest.fixture(scope="session")
def three_classes() -> tuple[pd.DataFrame, LogisticRegression]:
    rng = np.random.default_rng(5)
    n = 900
    df = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n)})
    df["kind"] = np.array(["low", "mid", "high"])[
        np.digitize(df["a"] + 0.7 * rng.normal(size=n), [-0.5, 0.5])
    ]
    model = LogisticRegression(max_iter=500).fit(df[["a", "b"]], df["kind"])
    return df, model


@pytest.fixture(scope="session")
def prices() -> tuple[pd.DataFrame, LinearRegression]:
    rng = np.random.default_rng(9)
    n = 800
    df = pd.DataFrame({"rooms": rng.integers(1, 7, n), "area": rng.normal(80, 20, n)})
    df["price"] = 20 * df["rooms"] + 2.5 * df["area"] + rng.normal(0, 15, n)
    model = LinearRegression().fit(df[["rooms", "area"]], df["price"])
    return df, model


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[object]:
    from driftline import Workspace

    workspace = Workspace.init(tmp_path / "ws", actor="tester")
    yield workspace
    workspace.close()


@pytest.fixture
def registered(ws: object, churn_model: LogisticRegression, churn_train: pd.DataFrame) -> object:
    """churn:1 registered with its training data, alias champion."""
    train = churn_train[["age", "tenure", "churned"]]
    mv = ws.register("churn", churn_model, train=train, target="churned")  # type: ignore[attr-defined]
    ws.set_alias("churn", mv.version, "champion")  # type: ignore[attr-defined]
    return ws
