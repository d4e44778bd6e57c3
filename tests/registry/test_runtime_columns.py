"""A runtime fed one array per column answers exactly as when it is fed the frame."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

from driftline import Workspace
from driftline.registry import ModelRuntime


def _columns(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    return {
        name: frame[name].to_numpy(dtype=object if frame[name].dtype.kind in "OT" else None)
        for name in frame.columns
    }


@pytest.fixture
def text_model(churn: pd.DataFrame) -> Pipeline:
    """Numbers and a text column, converted to ONNX that agrees (no scaler: see test_registry)."""
    pre = ColumnTransformer(
        [
            ("n", "passthrough", ["age", "tenure"]),
            ("c", OneHotEncoder(handle_unknown="ignore"), ["region"]),
        ]
    )
    model = Pipeline([("pre", pre), ("rf", RandomForestClassifier(n_estimators=8, random_state=0))])
    return model.fit(churn.drop(columns="churned"), churn["churned"])


def test_columns_with_text_give_the_frames_very_answer(
    workspace: Workspace, churn: pd.DataFrame, text_model: Pipeline
) -> None:
    workspace.register("churn", text_model, train=churn, target="churned")
    runtime = ModelRuntime.load(workspace.context, "churn:1")
    assert runtime.onnx is not None and not runtime.numeric
    frame = churn.drop(columns="churned")[runtime.names]
    by_frame = runtime.predict(runtime.prepare(frame))
    by_columns = runtime.predict_columns(_columns(frame))
    assert by_columns is not None
    assert by_columns.labels.tolist() == by_frame.labels.tolist()
    assert by_frame.probabilities is not None and by_columns.probabilities is not None
    assert np.array_equal(by_columns.probabilities, by_frame.probabilities)  # bit for bit


def test_numbers_alone_travel_as_the_frames_matrix(
    workspace: Workspace, churn: pd.DataFrame
) -> None:
    numbers = churn[["age", "tenure", "churned"]]
    model = RandomForestClassifier(n_estimators=5, random_state=0)
    model.fit(numbers[["age", "tenure"]], numbers["churned"])
    workspace.register("numbers", model, train=numbers, target="churned")
    runtime = ModelRuntime.load(workspace.context, "numbers:1")
    assert runtime.onnx is not None and runtime.numeric
    frame = numbers[runtime.names]
    by_frame = runtime.predict(runtime.prepare(frame))
    by_columns = runtime.predict_columns(_columns(frame))
    assert by_columns is not None
    assert by_columns.labels.tolist() == by_frame.labels.tolist()
    assert np.array_equal(by_columns.probabilities, by_frame.probabilities)  # type: ignore[arg-type]


def test_text_that_is_not_all_str_is_made_text_as_the_frame_does(
    workspace: Workspace, churn: pd.DataFrame, text_model: Pipeline
) -> None:
    workspace.register("churn", text_model, train=churn, target="churned")
    runtime = ModelRuntime.load(workspace.context, "churn:1")
    frame = churn.drop(columns="churned")[runtime.names].head(50)
    columns = _columns(frame)
    region = columns["region"].copy()
    region[3] = 7  # the frame path writes it as "7"; so must this one
    columns["region"] = region
    by_frame = runtime.predict(frame.assign(region=region))
    by_columns = runtime.predict_columns(columns)
    assert by_columns is not None
    assert np.array_equal(by_columns.probabilities, by_frame.probabilities)  # type: ignore[arg-type]


def test_a_model_without_onnx_asks_for_the_frame(
    workspace: Workspace, churn: pd.DataFrame, pipeline: Pipeline
) -> None:
    mv = workspace.register("churn", pipeline, train=churn, target="churned")
    runtime = ModelRuntime(mv, pipeline, onnx=None)
    frame = churn.drop(columns="churned")[runtime.names]
    assert runtime.predict_columns(_columns(frame)) is None
