"""The chart figures of a monitoring window: copied from its documents on every write, and
filled in by the migration for windows stored before they existed."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import select

from driftline import Workspace
from driftline.store import Database, MonitorWindowRow, window_figures
from driftline.store._migrate import head_revision, migrate

METRICS: dict[str, Any] = {
    "rows": 120.0,
    "drift_share": 0.25,
    "estimated": {
        "f1": {"value": 0.8, "low": 0.75, "high": 0.85},
        "accuracy": {"value": 0.9, "low": 0.87, "high": 0.93},
    },
    "realized": {"accuracy": 0.88, "f1": 0.79},
    "reference": {"accuracy": 0.91, "f1": 0.86},
}
DRIFT: dict[str, Any] = {
    "columns": [
        {"column": "income", "effect_size": 0.31, "drifted": True},
        {"column": "age", "effect_size": float("nan"), "drifted": False},
        {"column": "region", "effect_size": None, "drifted": False},
    ]
}
EXPECTED = {
    "drift_share": 0.25,
    "lead_metric": "accuracy",  # before f1, whatever the order the estimates came in
    "estimated": 0.9,
    "estimated_low": 0.87,
    "estimated_high": 0.93,
    "realized": 0.88,
    "reference": 0.91,
    "effects": {"income": 0.31},  # unknown sizes (NaN, null) are left out
}


def test_figures_come_from_the_documents() -> None:
    assert window_figures(METRICS, DRIFT) == EXPECTED


def test_a_window_without_estimates_or_drift_has_empty_figures() -> None:
    figures = window_figures({"rows": 3.0}, None)
    assert set(figures.values()) == {None}
    # Realized performance alone still names its metric.
    assert window_figures({"realized": {"rmse": 2.5}}, None)["realized"] == 2.5


def _window(start: dt.datetime, **documents: Any) -> MonitorWindowRow:
    return MonitorWindowRow(
        model="m",
        version=1,
        window_start=start,
        window_end=start + dt.timedelta(hours=1),
        rows=120,
        evaluated=True,
        quality=None,
        computed_at=start,
        **documents,
    )


def test_every_write_copies_the_figures(workspace: Workspace) -> None:
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    with workspace.db.write() as s:
        s.add(_window(start, metrics=METRICS, drift=DRIFT))
    with workspace.db.read() as s:
        row = s.scalars(select(MonitorWindowRow)).one()
        assert {k: getattr(row, k) for k in EXPECTED} == EXPECTED
    # Documents changed later change the figures with them.
    with workspace.db.write() as s:
        row = s.scalars(select(MonitorWindowRow)).one()
        row.metrics = {**METRICS, "drift_share": 0.5}
    with workspace.db.read() as s:
        assert s.scalars(select(MonitorWindowRow.drift_share)).one() == 0.5


def test_the_migration_fills_windows_stored_before_it(tmp_path: Path, database_url: str) -> None:
    db = Database(database_url)
    try:
        migrate(db, target="0008")
        old = sa.table(
            "monitor_windows",
            *(sa.column(c) for c in ("model", "version", "window_start", "window_end")),
            *(sa.column(c) for c in ("rows", "evaluated", "computed_at")),
            sa.column("metrics", sa.JSON),
            sa.column("drift", sa.JSON),
        )
        start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
        # More windows than the migration's batch, to cross one batch into the next.
        with db.engine.begin() as conn:
            conn.execute(
                old.insert(),
                [
                    {
                        "model": "m",
                        "version": 1,
                        "window_start": start + dt.timedelta(hours=i),
                        "window_end": start + dt.timedelta(hours=i + 1),
                        "rows": 120,
                        "evaluated": True,
                        "computed_at": start,
                        "metrics": {**METRICS, "drift_share": i / 1000},
                        "drift": DRIFT if i % 2 else None,
                    }
                    for i in range(1001)
                ],
            )
        assert migrate(db) == head_revision()
        with db.read() as s:
            rows = s.execute(
                select(MonitorWindowRow.drift_share, MonitorWindowRow.effects).order_by(
                    MonitorWindowRow.window_start
                )
            ).all()
            estimated = set(s.scalars(select(MonitorWindowRow.estimated)))
    finally:
        db.engine.dispose()
    assert [share for share, _ in rows] == [i / 1000 for i in range(1001)]
    assert [effects for _, effects in rows[:2]] == [None, {"income": 0.31}]
    assert rows[-1][1] is None and estimated == {0.9}
