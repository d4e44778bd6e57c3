"""Models to export and distil, and a Python that has onnxruntime and numpy and nothing else.

The fresh venv is made once per test session (``python -m venv``, then pip
from the indexes pip is configured with); the bundle must run there as it
would on a device that never saw driftline, scikit-learn or pandas.
"""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from driftline import Workspace

REQUIRE_SERVICES = os.environ.get("DRIFTLINE_REQUIRE_SERVICES") == "1"


def unavailable(reason: str) -> None:
    """Skip, or fail where CI must run everything."""
    if REQUIRE_SERVICES:
        pytest.fail(f"{reason} (DRIFTLINE_REQUIRE_SERVICES=1 requires it)")
    pytest.skip(reason)


def loans(n: int, seed: int) -> pd.DataFrame:
    """Income and debt decide repayment; the region shifts it; age is an integer."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "income": rng.normal(50, 12, n).round(2),
            "debt": rng.gamma(2.0, 8.0, n).round(2),
            "age": rng.integers(18, 80, n),
            "region": rng.choice(["north", "south", "east", "west"], n),
        }
    )
    score = (frame.income - 1.5 * frame.debt) / 10 + frame.region.map(
        {"north": 0.5, "south": -0.5, "east": 0.0, "west": 0.2}
    )
    frame["repaid"] = (score + rng.normal(0, 0.8, n) > 1.5).astype(int)
    return frame


NUMBERS = ["income", "debt", "age"]


def mixed_model() -> object:
    """Numbers scaled, a category one-hot encoded: the bundle takes one input per column."""
    inputs = ColumnTransformer(
        [
            ("n", StandardScaler(), NUMBERS),
            ("c", OneHotEncoder(handle_unknown="ignore"), ["region"]),
        ]
    )
    return make_pipeline(inputs, LogisticRegression(max_iter=500))


@pytest.fixture(scope="session")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace with loans (mixed inputs), forest (trees), mlp and mlpreg (matrix products).

    Made once for the session: tests name versions (``mlp:1``), since distilling adds more.
    """
    where = tmp_path_factory.mktemp("edge") / "ws"
    train = loans(3000, 0)
    numeric = train[[*NUMBERS, "repaid"]]
    with Workspace.init(where) as ws, warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # a rough MLP serves as well
        model = mixed_model()
        model.fit(train.drop(columns="repaid"), train.repaid)  # type: ignore[attr-defined]
        ws.register("loans", model, train=train, target="repaid")
        ws.set_alias("loans", 1, "champion")
        forest = RandomForestClassifier(n_estimators=15, max_depth=6, random_state=0)
        ws.register(
            "forest", forest.fit(numeric[NUMBERS], numeric.repaid), train=numeric, target="repaid"
        )
        # Networks are small and quick to train: their weights are what int8 and float16 shrink.
        small = numeric.iloc[:1000]
        mlp = make_pipeline(
            StandardScaler(),
            MLPClassifier(hidden_layer_sizes=(128, 64), max_iter=50, random_state=0),
        )
        ws.register("mlp", mlp.fit(small[NUMBERS], small.repaid), train=small, target="repaid")
        reg = small[NUMBERS].assign(amount=small.income * 3 - small.debt + small.age / 2)
        mlpreg = make_pipeline(
            StandardScaler(), MLPRegressor(hidden_layer_sizes=(64, 64), max_iter=50, random_state=0)
        )
        ws.register("mlpreg", mlpreg.fit(reg[NUMBERS], reg.amount), train=reg, target="amount")
    return where


@pytest.fixture(scope="session")
def bare_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The python of a fresh venv holding onnxruntime and numpy only."""
    venv = tmp_path_factory.mktemp("bare") / "venv"
    made = subprocess.run([sys.executable, "-m", "venv", str(venv)], capture_output=True, text=True)
    if made.returncode != 0:
        unavailable(f"cannot create a venv: {made.stderr.strip()[-300:]}")
    python = venv / "bin" / "python"
    pip = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "onnxruntime", "numpy"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if pip.returncode != 0:
        unavailable(f"cannot install onnxruntime and numpy in a fresh venv: {pip.stderr[-300:]}")
    return python
