"""estimate_performance(): the ways predictions come in, windows, results, and clear errors."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

import numpy as np
import pandas as pd
import pytest
from rich.console import Console
from sklearn.linear_model import LinearRegression, LogisticRegression

from driftline import InputError, PerformanceEstimate, estimate_performance
from driftline.estimate import WindowEstimate


@pytest.fixture(scope="module")
def data(worlds: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
    return worlds.binary(3000, 1.0, seed=1), worlds.binary(2000, 0.6, seed=2)


def test_a_model_is_scored_and_time_windows_are_aligned(worlds: Any) -> None:
    train, ref, cur = (worlds.binary(2000, 1.0, seed=s) for s in (1, 2, 3))
    model = LogisticRegression().fit(train[["x1", "x2"]], train["y"])
    start = dt.datetime(2026, 11, 1, 5, 0, tzinfo=dt.UTC)
    cur["when"] = [start + dt.timedelta(minutes=2 * i) for i in range(len(cur))]
    est = estimate_performance(
        ref[["x1", "x2", "y"]],
        cur[["x1", "x2", "y", "when"]],
        target="y",
        model=model,
        window="1D",
        time_column="when",
    )
    # 2000 rows two minutes apart from 05:00: 570 rows on day 1, then 720, then 710.
    assert [w.start for w in est.windows] == [
        dt.datetime(2026, 11, d, tzinfo=dt.UTC) for d in (1, 2, 3)
    ]
    assert [w.rows for w in est.windows] == [570, 720, 710]
    assert est.task == "binary" and est.classes == [0, 1] and est.window == "1D"
    frame = est.to_frame()
    assert list(frame.columns[:4]) == ["start", "end", "rows", "labelled"]
    assert {"accuracy", "accuracy_low", "accuracy_high", "accuracy_realized"} <= set(frame)
    assert (frame["accuracy_low"] <= frame["accuracy"]).all()
    assert (frame["accuracy"] <= frame["accuracy_high"]).all()
    # Within four standard deviations of a window's realized accuracy (570 to 720 rows).
    sd = np.sqrt(frame["accuracy"] * (1 - frame["accuracy"]) / frame["rows"])
    assert ((frame["accuracy"] - frame["accuracy_realized"]).abs() < 4 * sd).all()


def test_probabilities_as_columns_lists_or_mapping_agree(worlds: Any) -> None:
    ref, cur = worlds.multiclass(2000, 0.0, seed=3), worlds.multiclass(1000, 1.0, seed=4)
    columns = ["p_ant", "p_bee", "p_cat"]
    by_map = estimate_performance(
        ref, cur, target="y", y_pred_proba=dict(zip(["ant", "bee", "cat"], columns, strict=True))
    )
    by_list = estimate_performance(ref, cur, target="y", y_pred_proba=columns)
    ref_log, cur_log = (
        f.assign(probabilities=f[columns].to_numpy().tolist()).drop(columns=columns)
        for f in (ref, cur)
    )
    by_log = estimate_performance(
        ref_log, cur_log, target="y", y_pred_proba="probabilities", classes=["ant", "bee", "cat"]
    )
    assert (
        by_map.to_dict()["windows"] == by_list.to_dict()["windows"] == by_log.to_dict()["windows"]
    )


def test_labels_that_arrived_for_some_rows_give_realized_values(data: Any) -> None:
    ref, cur = data
    cur = cur.astype({"y": "Int64"})
    cur.loc[cur.index[::2], "y"] = pd.NA  # half the labels are still out
    est = estimate_performance(ref, cur, target="y", y_pred_proba="score", window=1000)
    assert [w.labelled for w in est.windows] == [500, 500]
    unlabelled = estimate_performance(
        ref, cur.drop(columns="y"), target="y", y_pred_proba="score", window=1000
    )
    assert all(m.realized is None for w in unlabelled.windows for m in w.metrics.values())
    assert unlabelled.to_frame()["accuracy_realized"].isna().all()


def test_round_trip_through_json_and_rendering(worlds: Any, data: Any) -> None:
    ref, cur = data
    est = estimate_performance(ref, cur, target="y", y_pred_proba="score", window=700)
    again = PerformanceEstimate.from_dict(json.loads(json.dumps(est.to_dict())))
    assert again.to_dict() == est.to_dict()
    assert isinstance(again.windows[0], WindowEstimate) and again.windows[-1].end == 2000
    out = io.StringIO()
    Console(file=out, width=160).print(est)
    text = out.getvalue()
    assert "CBPE" in text and "rows 1,401 to 2,000" in text and "reference" in text
    reg = estimate_performance(
        worlds.regression(600, 0, seed=1),
        worlds.regression(300, 0, seed=2),
        target="y",
        y_pred="pred",
    )
    out = io.StringIO()
    Console(file=out, width=160).print(reg)
    assert "DLE" in out.getvalue() and "mae" in out.getvalue()
    assert PerformanceEstimate.from_dict(reg.to_dict()).to_dict() == reg.to_dict()


def test_a_regressor_model_is_estimated_by_dle(worlds: Any) -> None:
    train, ref, cur = (worlds.regression(1000, s, seed=i) for i, s in enumerate((0, 0, 0.5)))
    model = LinearRegression().fit(train[["x1", "x2"]], train["y"])
    est = estimate_performance(ref, cur, target="y", model=model, features=["x1", "x2"])
    assert est.method == "dle"
    (window,) = est.windows
    assert abs(window.metrics["mae"].value - window.metrics["mae"].realized) < 0.1  # type: ignore[operator]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"target": "label"}, "reference has no target column 'label'"),
        ({"y_pred_proba": "nope"}, "has no column 'nope'"),
        ({"window": 5000}, "larger than the current data"),
        ({"window": 0}, "at least 1 row"),
        ({"window": "daily"}, "like 15min, 6h or 1d"),
        ({"window": "1d"}, "name the column holding each row's time"),
        ({"window": "1d", "time_column": "when"}, "no time column 'when'"),
        ({"metrics": ["mae"]}, "cannot estimate 'mae' for a classifier"),
        ({"metrics": "accuracy"}, "must be a list"),
        ({"confidence": 1.5}, "confidence must be between 0 and 1"),
        ({"n_simulations": 5}, "at least 20"),
        ({"model": LogisticRegression()}, "either a model to score"),
        ({"y_pred_proba": None}, "the columns holding the predictions"),
        ({"classes": [0, 1, 2]}, "one probability column suits a binary model"),
    ],
)
def test_wrong_input_says_what_to_do(data: Any, change: dict[str, Any], message: str) -> None:
    ref, cur = data
    args: dict[str, Any] = {"target": "y", "y_pred_proba": "score", **change}
    with pytest.raises(InputError, match=message):
        estimate_performance(ref, cur, **args)


def test_references_that_cannot_be_used(data: Any, worlds: Any) -> None:
    ref, cur = data
    with pytest.raises(InputError, match="holds no labels"):
        estimate_performance(ref.assign(y=np.nan), cur, target="y", y_pred_proba="score")
    with pytest.raises(InputError, match="labels are all 1"):
        estimate_performance(ref.assign(y=1), cur, target="y", y_pred_proba="score")
    with pytest.raises(InputError, match="current data has no rows"):
        estimate_performance(ref, cur[:0], target="y", y_pred_proba="score")
    with pytest.raises(InputError, match=r"hold 2 \(row 0\), which is not a class of the model"):
        estimate_performance(ref, cur.assign(y=2), target="y", y_pred_proba="score")
    reg = worlds.regression(500, 0, seed=1)
    with pytest.raises(InputError, match="no input column 'x2'"):
        estimate_performance(reg, reg.drop(columns="x2"), target="y", y_pred="pred")
    with pytest.raises(InputError, match="must be numbers for a regressor"):
        estimate_performance(reg.assign(y="high"), reg, target="y", y_pred="pred")
