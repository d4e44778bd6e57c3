"""A workspace with two models for batch scoring, built once and copied for each test.

- ``shop``: a pipeline over a categorical ``colour``, an integer ``size`` and a number
  ``price``, with probabilities for classes "no" and "yes" (scikit-learn runtime);
- ``forest``: a random forest over numbers a, b, c (ONNX runtime), ``champion``.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from driftline import Workspace


def make_shop_rows(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "colour": rng.choice(["red", "green", "blue"], size=n),
            "size": rng.integers(1, 10, size=n),
            "price": rng.gamma(2.0, 10.0, size=n),
        }
    )


def make_forest_rows(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n), "c": rng.normal(size=n)})


def local(home: Path) -> dict[str, str]:
    return {
        "database_url": f"sqlite:///{home / 'driftline.db'}",
        "artifacts_url": str(home / "artifacts"),
    }


Rows = Callable[[int, int], pd.DataFrame]


@pytest.fixture(scope="session")
def shop_rows() -> Rows:
    """Rows for ``shop``: ``shop_rows(n, seed)``."""
    return make_shop_rows


@pytest.fixture(scope="session")
def forest_rows() -> Rows:
    """Rows for ``forest``: ``forest_rows(n, seed)``."""
    return make_forest_rows


@pytest.fixture(scope="session")
def template_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from sklearn.compose import make_column_transformer
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    home = tmp_path_factory.mktemp("batch-template") / "ws"
    rows = make_shop_rows(600, 1)
    labels = np.where((rows["colour"] == "red") | (rows["size"] > 6), "yes", "no")
    shop = make_pipeline(
        make_column_transformer(
            (OneHotEncoder(handle_unknown="ignore"), ["colour"]),
            (StandardScaler(), ["size", "price"]),
        ),
        LogisticRegression(),
    ).fit(rows, labels)
    numeric = make_forest_rows(400, 2)
    y = ((numeric["a"] + numeric["b"]) > 0).astype(int)
    forest = RandomForestClassifier(n_estimators=8, max_depth=4, random_state=0).fit(numeric, y)
    with Workspace.init(home, actor="tester", **local(home)) as ws:
        ws.register("shop", shop, train=rows.assign(label=labels), target="label")
        ws.set_alias("shop", 1, "champion")
        ws.register("forest", forest, train=numeric.assign(y=y), target="y")
        ws.set_alias("forest", 1, "champion")
    return home


@pytest.fixture
def home(template_home: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "ws"
    shutil.copytree(template_home, copy)
    return copy


@pytest.fixture
def ws(home: Path) -> Iterator[Workspace]:
    with Workspace.open(home, create=False, **local(home)) as opened:
        yield opened
