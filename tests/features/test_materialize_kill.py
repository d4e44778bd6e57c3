"""kill -9 in the middle of a materialization: nothing recorded, the rerun finishes the job."""

from __future__ import annotations

import datetime as dt
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from driftline import Workspace
from driftline.features import Feature, FeatureView, materialize, open_store, register_view
from driftline.store import FeatureMaterializationRow

ENTITIES = 400_000


def _stored(path: Path) -> int:
    try:
        with sqlite3.connect(path, timeout=1) as conn:
            return int(conn.execute("SELECT count(*) FROM online_features").fetchone()[0])
    except sqlite3.Error:  # not created yet, or locked for a moment
        return 0


@pytest.mark.slow
def test_kill_9_midway_loses_nothing_and_records_nothing(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    n = 2 * ENTITIES
    times = pd.Timestamp("2026-01-01", tz="UTC") + pd.to_timedelta(
        rng.integers(0, 86_400 * 30, n), "s"
    )
    frame = pd.DataFrame(
        {
            "customer_id": np.concatenate(
                [np.arange(ENTITIES), rng.integers(0, ENTITIES, ENTITIES)]
            ),
            "event_time": times,
            "spend": rng.random(n),
        }
    )
    frame.to_parquet(tmp_path / "customers.parquet")
    home = tmp_path / "ws"
    view = FeatureView(
        "customer",
        entities=["customer_id"],
        timestamp="event_time",
        source=str(tmp_path / "customers.parquet"),
        features=[Feature("spend", "float")],
    )
    with Workspace.init(home) as ws:
        register_view(ws.context, view)
    online = home / "features" / "online.db"
    entry = "from driftline.cli._app import _entry; _entry()"
    command = [sys.executable, "-c", entry, "--home", str(home), "features", "materialize"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while _stored(online) == 0:  # the first values are in: the run is midway
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        assert time.monotonic() < deadline, "materialize wrote nothing in 120 s"
        time.sleep(0.005)  # polling interval; the row count decides
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert 0 < _stored(online) < ENTITIES  # killed with part of the values written

    with Workspace.open(home) as ws:
        with ws.db.read() as s:
            assert s.query(FeatureMaterializationRow).count() == 0  # the run is not recorded
        (rerun,) = materialize(ws.context)
        assert rerun.since is None and rerun.entities == ENTITIES
        latest = frame.sort_values("event_time").groupby("customer_id").tail(1)
        sample = latest.sample(2000, random_state=0)
        with open_store(ws.settings.online_store_url) as store:
            got = store.read("customer", [str(k) for k in sample["customer_id"]])
    assert [s.values["spend"] if s else None for s in got] == sample["spend"].tolist()
    assert _stored(online) == ENTITIES
    assert dt.datetime.now(dt.UTC) > rerun.until
