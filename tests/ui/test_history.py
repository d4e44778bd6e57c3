"""The chart series are made in the database, the same on SQLite and PostgreSQL, and agree with
the windows' own documents grouped by hand."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from _year import write_year
from sqlalchemy import select

from driftline import Workspace
from driftline.store import MonitorWindowRow, as_utc
from driftline.ui._history import history

END = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
DAYS = 60


def _by_hand(ws: Workspace) -> dict[str, np.ndarray]:
    """Each day's figures from the documents, the way a reader of the JSON would make them."""
    with ws.db.read() as s:
        rows = s.execute(
            select(
                MonitorWindowRow.window_start,
                MonitorWindowRow.rows,
                MonitorWindowRow.metrics,
                MonitorWindowRow.drift,
            ).order_by(MonitorWindowRow.window_start)
        ).all()
    first = as_utc(rows[0][0])
    out: dict[str, list[list[float]]] = {
        k: [[] for _ in range(DAYS)]
        for k in ("rows", "est", "low", "high", "real", "income", "share")
    }
    for start, n, metrics, drift in rows:
        day = (as_utc(start) - first) // dt.timedelta(days=1)
        accuracy = metrics["estimated"]["accuracy"]
        out["rows"][day].append(n)
        out["est"][day].append(accuracy["value"])
        out["low"][day].append(accuracy["low"])
        out["high"][day].append(accuracy["high"])
        out["share"][day].append(metrics["drift_share"])
        if "realized" in metrics:
            out["real"][day].append(metrics["realized"]["accuracy"])
        out["income"][day] += [
            c["effect_size"] for c in drift["columns"] if c["column"] == "income"
        ]
    return {
        "requests_per_hour": np.array([sum(v) / 24 for v in out["rows"]]),
        "estimated": np.array([np.mean(v) for v in out["est"]]),
        "low": np.array([min(v) for v in out["low"]]),
        "high": np.array([max(v) for v in out["high"]]),
        "realized": np.array([np.mean(v) for v in out["real"]]),
        "drift_share": np.array([max(v) for v in out["share"]]),
        "income": np.array([max(v) for v in out["income"]]),
    }


def test_daily_buckets_match_the_documents(workspace: Workspace) -> None:
    first = write_year(workspace.context, "m", windows=DAYS * 24, end=END)
    body = history(workspace.context, "m", points=DAYS)
    expected = _by_hand(workspace)
    assert body["windows"] == DAYS * 24 and body["bucket_hours"] == 24.0
    assert body["t"] == [int((first + dt.timedelta(days=d)).timestamp()) for d in range(DAYS)]
    performance = body["performance"]
    assert performance["metric"] == "accuracy" and performance["reference"] == 0.91
    got = {
        "requests_per_hour": body["requests_per_hour"],
        "drift_share": body["drift_share"],
        "income": body["features"]["income"],
        **{k: performance[k] for k in ("estimated", "low", "high", "realized")},
    }
    for name, values in expected.items():
        np.testing.assert_allclose(got[name], values, atol=1e-3, err_msg=name)
    assert list(body["features"]) == ["income", "age", "visits", "basket", "region", "device"]


def test_a_range_and_more_points_than_windows(workspace: Workspace) -> None:
    write_year(workspace.context, "m", windows=DAYS * 24, end=END)
    since = END - dt.timedelta(days=7)
    body = history(
        workspace.context, "m", since=since, until=END - dt.timedelta(days=1), points=2000
    )
    # Six days of hourly windows, one point each: no bucket holds two windows.
    assert body["windows"] == 144 and len(body["t"]) == 144 and body["bucket_hours"] == 1.0
    assert body["t"][0] == int(since.timestamp())
    assert all(len(v) == 144 for v in body["features"].values())
    # The realized accuracy is known for every third window only: the others are gaps.
    realized = body["performance"]["realized"]
    assert sum(v is None for v in realized) == 96


def test_no_windows_is_an_empty_series(workspace: Workspace) -> None:
    assert history(workspace.context, "nothing") == {"model": "nothing", "windows": 0, "t": []}


@pytest.mark.parametrize("points", [2, 9, 1440])
def test_every_window_is_counted_once(workspace: Workspace, points: int) -> None:
    # Buckets of whole hours (720, 160, 1): each holds whole windows, and its traffic
    # per hour times its hours is the predictions its windows held.
    write_year(workspace.context, "m", windows=DAYS * 24, end=END)
    body = history(workspace.context, "m", points=points)
    hours = body["bucket_hours"]
    total = sum(r * hours for r in body["requests_per_hour"])
    with workspace.db.read() as s:
        rows = sum(s.scalars(select(MonitorWindowRow.rows)))
    assert len(body["t"]) == points and total == pytest.approx(
        rows, abs=1
    )  # per hour, to 3 decimals
