"""Materialize: the latest values, incrementally, idempotently; the same on SQLite and Redis."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from driftline import Workspace
from driftline.errors import ConfigError
from driftline.features import OnlineStore, materialize, open_store

from .conftest import NOW, at, history

US = 1_000_000


def values(store: OnlineStore, keys: list[str]) -> list[dict[str, object] | None]:
    return [None if s is None else s.values for s in store.read("customer", keys)]


def test_newer_wins_and_writing_twice_changes_nothing(store: OnlineStore) -> None:
    assert store.write("customer", ["1", "2"], [10, 10], [10, 10], ['{"a":1}', '{"a":2}']) == 2
    # older, equal, newer event; a later write of the same event time
    assert store.write("customer", ["1", "2"], [5, 10], [99, 10], ['{"a":0}', '{"a":9}']) == 0
    assert store.write("customer", ["1", "2"], [10, 11], [11, 0], ['{"a":3}', '{"a":4}']) == 2
    assert values(store, ["1", "2", "3"]) == [{"a": 3}, {"a": 4}, None]
    (one,) = store.read("customer", ["1"])
    assert one is not None and (one.event_us, one.created_us) == (10, 11)
    assert store.read("other", ["1"]) == [None]  # views do not share entities


def test_the_server_reads_through_the_same_rows(store: OnlineStore) -> None:
    store.write("customer", ["7"], [1], [1], ['{"a":7}'])
    got = asyncio.run(store.aread("customer", ["7", "8"]))
    assert [None if s is None else s.values for s in got] == [{"a": 7}, None]


def test_materialize_copies_latest_known_values_and_then_only_what_is_new(
    featured: Workspace, store: OnlineStore, tmp_path: Path
) -> None:
    (first,) = materialize(featured.context, since=None, until=NOW, store=store)
    assert (first.rows, first.entities, first.since) == (5, 3, None)  # the future row waits
    assert values(store, ["1", "2", "3"]) == [
        {"spend": 2.0, "orders": 2, "plan": "pro"},
        {"spend": 20.0, "orders": 4, "plan": "basic"},  # stale, but the latest: serving judges
        {"spend": 31.0, "orders": 3, "plan": "corrected"},
    ]
    (stored,) = store.read("customer", ["1"])
    assert stored is not None and stored.event_us == int(at(-2).timestamp() * US)

    (again,) = materialize(featured.context, until=NOW, store=store)
    assert (again.rows, again.entities, again.since) == (0, 0, NOW)
    assert again.sentence().startswith("view 'customer': nothing new since 2026-06-01 12:00 UTC")

    # A day later a new row and a late correction arrive: only they are read.
    late = pd.DataFrame(
        {
            "customer_id": [2, 1],
            "event_time": [at(0.5), at(-2)],
            "created_at": [at(0.5), at(0.7)],
            "spend": [21.0, 2.5],
            "orders": [5, 2],
            "plan": ["pro", "pro-fixed"],
        }
    )
    late.to_parquet(tmp_path / "customers" / "part-1.parquet")
    (third,) = materialize(featured.context, until=NOW + dt.timedelta(days=1), store=store)
    assert (third.rows, third.entities) == (2, 2)
    assert values(store, ["1", "2"]) == [
        {"spend": 2.5, "orders": 2, "plan": "pro-fixed"},
        {"spend": 21.0, "orders": 5, "plan": "pro"},
    ]
    # From the beginning again: the same state (idempotent).
    materialize(
        featured.context,
        since=NOW - dt.timedelta(days=400),
        until=NOW + dt.timedelta(days=1),
        store=store,
    )
    assert values(store, ["1", "2"])[0] == {"spend": 2.5, "orders": 2, "plan": "pro-fixed"}


def test_a_run_that_dies_before_it_is_recorded_is_read_again(
    featured: Workspace, store: OnlineStore
) -> None:
    class Dying(OnlineStore):
        def describe(self) -> str:
            return store.describe()

        def write(self, view, keys, events, createds, payloads):  # type: ignore[no-untyped-def]
            store.write(view, keys[:1], events[:1], createds[:1], payloads[:1])
            raise KeyboardInterrupt  # killed after writing part of the values

        def read(self, view, keys):  # type: ignore[no-untyped-def]
            return store.read(view, keys)

    with pytest.raises(KeyboardInterrupt):
        materialize(featured.context, until=NOW, store=Dying())
    (rerun,) = materialize(featured.context, until=NOW, store=store)
    assert rerun.since is None and rerun.entities == 3  # nothing recorded: read from the start
    assert values(store, ["3"]) == [{"spend": 31.0, "orders": 3, "plan": "corrected"}]


def test_default_store_is_sqlite_in_the_workspace(featured: Workspace) -> None:
    assert featured.settings.online_store_url == (
        f"sqlite:///{featured.home / 'features' / 'online.db'}"
    )
    (done,) = materialize(featured.context, until=NOW)
    assert done.store == featured.settings.online_store_url
    with pytest.raises(ConfigError, match="online store URL 'mongodb://x' is not one driftline"):
        open_store("mongodb://x")


def test_history_has_the_rows_the_tests_rely_on() -> None:
    assert len(history()) == 6
