"""A workspace with one registered view whose history holds the past, the future and corrections."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from driftline import Workspace
from driftline.features import Feature, FeatureView, OnlineStore, open_store, register_view

NOW = dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC)


def at(days: float) -> pd.Timestamp:
    return pd.Timestamp(NOW + dt.timedelta(days=days))


def history() -> pd.DataFrame:
    rows = [
        # customer_id, event, created, spend, orders, plan
        (1, at(-40), at(-40), 1.0, 1, "basic"),
        (1, at(-2), at(-2), 2.0, 2, "pro"),
        (1, at(5), at(5), 999.0, 99, "future"),  # not yet happened at NOW
        (2, at(-60), at(-60), 20.0, 4, "basic"),  # older than the 30-day time-to-live at NOW
        (3, at(-1), at(-1), 30.0, 3, "basic"),
        (3, at(-1), at(-0.5), 31.0, 3, "corrected"),  # a correction, written half a day later
    ]
    return pd.DataFrame(
        rows, columns=["customer_id", "event_time", "created_at", "spend", "orders", "plan"]
    )


def customer_view(path: Path) -> FeatureView:
    return FeatureView(
        "customer",
        entities=["customer_id"],
        timestamp="event_time",
        created="created_at",
        source=str(path),
        features=[
            Feature("spend", "float", default=0.0),
            Feature("orders", "int", default=0),
            Feature("plan", "string", default="none"),
        ],
        ttl="30d",
    )


@pytest.fixture
def featured(tmp_path: Path) -> Iterator[Workspace]:
    """A SQLite workspace with the customer view registered (its source in a folder)."""
    folder = tmp_path / "customers"
    folder.mkdir()
    history().to_parquet(folder / "part-0.parquet")
    with Workspace.init(tmp_path / "ws", actor="tester") as ws:
        register_view(ws.context, customer_view(folder))
        yield ws


@pytest.fixture(params=["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[OnlineStore]:
    """Each online store, passing the same tests."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'online.db'}"
    else:
        url = str(request.getfixturevalue("redis_url"))
    with open_store(url) as opened:
        yield opened
