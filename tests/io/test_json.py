"""NaN and infinities become null on their way to JSON, wherever the number comes from."""

from __future__ import annotations

import datetime as dt
import json
import math

import numpy as np
import pytest
from sqlalchemy import select

from driftline import Workspace
from driftline.drift import ColumnDrift
from driftline.estimate import MetricEstimate, WindowEstimate
from driftline.io import json_number, json_safe
from driftline.metrics import Interval
from driftline.store import MonitorWindowRow


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.25, 0.25),
        (3, 3.0),
        (np.float32(0.5), 0.5),
        (np.int64(7), 7.0),
        (None, None),
        (math.nan, None),
        (math.inf, None),
        (-math.inf, None),
        (np.float64("inf"), None),
        (np.float32("nan"), None),
    ],
)
def test_json_number(value: object, expected: float | None) -> None:
    got = json_number(value)
    assert got == expected and (got is None or type(got) is float)


def test_json_safe_walks_containers() -> None:
    doc = {
        1: [np.float64(1.5), math.inf, (np.int64(2), -math.inf)],
        "rates": np.array([0.1, np.nan]),
        "ok": True,
        "name": "x",
    }
    assert json_safe(doc) == {
        "1": [1.5, None, [2, None]],
        "rates": [0.1, None],
        "ok": True,
        "name": "x",
    }
    json.dumps(json_safe(doc), allow_nan=False)  # strict JSON


def test_every_to_dict_with_an_infinite_number_is_strict_json() -> None:
    docs = [
        MetricEstimate(value=math.inf, low=-math.inf, high=math.nan, realized=math.inf).to_dict(),
        Interval(value=math.inf, low=-math.inf, high=math.nan).to_dict(),
        ColumnDrift(
            column="x",
            kind="numeric",
            method="ks",
            statistic=math.inf,
            p_value=math.nan,
            p_value_adjusted=math.nan,
            effect="",
            effect_size=-math.inf,
            threshold=0.1,
            drifted=False,
        ).to_dict(),
    ]
    for doc in docs:
        json.dumps(doc, allow_nan=False)


def test_an_infinite_estimate_stored_on_the_database_reads_back_as_null(
    workspace: Workspace,
) -> None:
    """PostgreSQL's json type refuses the Infinity token Python's json module writes."""
    window = WindowEstimate(
        start=0,
        end=500,
        rows=500,
        labelled=500,
        metrics={
            "rmse": MetricEstimate(value=math.inf, low=3.5, high=math.inf, realized=-math.inf)
        },
    )
    start = dt.datetime(2026, 5, 1, tzinfo=dt.UTC)
    with workspace.db.write() as s:
        s.add(
            MonitorWindowRow(
                model="m",
                version=1,
                window_start=start,
                window_end=start + dt.timedelta(days=1),
                rows=500,
                evaluated=True,
                metrics={"estimated": window.to_dict()},
                computed_at=start,
            )
        )
    with workspace.db.read() as s:
        stored = s.scalars(select(MonitorWindowRow)).one().metrics
    assert stored["estimated"]["metrics"]["rmse"] == {
        "value": None,
        "low": 3.5,
        "high": None,
        "realized": None,
    }


def test_any_number_json_cannot_hold_is_stored_as_null(workspace: Workspace) -> None:
    """The store's last line: SQLite kept inf and PostgreSQL refused it; both store null."""
    start = dt.datetime(2026, 5, 2, tzinfo=dt.UTC)
    with workspace.db.write() as s:
        s.add(
            MonitorWindowRow(
                model="m",
                version=1,
                window_start=start,
                window_end=start + dt.timedelta(days=1),
                rows=1,
                evaluated=True,
                metrics={"drift_score": math.inf, "rates": [np.float64("nan"), 0.5]},
                computed_at=start,
            )
        )
    with workspace.db.read() as s:
        stored = s.scalars(select(MonitorWindowRow)).one().metrics
    assert stored == {"drift_score": None, "rates": [None, 0.5]}
