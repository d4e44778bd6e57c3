"""A workspace with versions of one model: a weak baseline, a candidate that is better
overall but fails one planted region, a clearly better candidate, and a near twin."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, PolynomialFeatures

from driftline import Workspace

REGIONS = ["north", "south", "east", "west"]


def make_rows(n: int, seed: int) -> pd.DataFrame:
    """The label depends on x1 and x2 alike, in every region."""
    rng = np.random.default_rng(seed)
    region = rng.choice(REGIONS, n, p=[0.14, 0.3, 0.28, 0.28])
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    y = (x1 + x2 + 0.3 * rng.normal(size=n) > 0).astype(int)
    return pd.DataFrame({"x1": x1, "x2": x2, "region": region, "y": y})


def interactions(C: float = 10.0) -> Pipeline:
    """Sees x1, x2 and region with their interactions: it can learn a region of its own."""
    pre = ColumnTransformer(
        [
            ("cat", OneHotEncoder(handle_unknown="ignore", sparse_output=False), ["region"]),
            ("num", "passthrough", ["x1", "x2"]),
        ]
    )
    return Pipeline(
        [
            ("pre", pre),
            ("poly", PolynomialFeatures(2, interaction_only=True, include_bias=False)),
            ("lr", LogisticRegression(C=C, max_iter=2000)),
        ]
    )


def x1_only(C: float = 1.0) -> Pipeline:
    """Sees x1 alone: about 0.75 accuracy everywhere."""
    pre = ColumnTransformer([("num", "passthrough", ["x1"])])
    return Pipeline([("pre", pre), ("lr", LogisticRegression(C=C))])


@pytest.fixture(scope="session")
def train() -> pd.DataFrame:
    return make_rows(2000, 1)


@pytest.fixture(scope="session")
def test_rows() -> pd.DataFrame:
    return make_rows(1500, 2)


@pytest.fixture(scope="session")
def gate_home(tmp_path_factory: pytest.TempPathFactory, train: pd.DataFrame) -> Path:
    """Versions 1 (baseline, champion), 2 (north's labels flipped in training, challenger),
    3 (clearly better) and 4 (the baseline refitted on other rows: a near twin)."""
    home = tmp_path_factory.mktemp("gate") / "ws"
    X, y = train.drop(columns="y"), train["y"]
    flipped = y.where(train["region"] != "north", 1 - y)
    twin_rows = make_rows(2000, 11)
    with Workspace.init(home, actor="tester") as ws:
        ws.register("churn", x1_only().fit(X, y), train=train, target="y")
        ws.register("churn", interactions().fit(X, flipped), train=train, target="y")
        ws.register("churn", interactions().fit(X, y), train=train, target="y")
        twin = x1_only(C=0.5).fit(twin_rows.drop(columns="y"), twin_rows["y"])
        ws.register("churn", twin, train=train, target="y")
        ws.set_alias("churn", 1, "champion")
        ws.set_alias("churn", 2, "challenger")
    return home


@pytest.fixture
def ws(gate_home: Path) -> Iterator[Workspace]:
    with Workspace.open(gate_home, create=False, actor="tester") as w:
        yield w
