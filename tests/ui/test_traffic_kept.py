"""Each settled day's traffic summary is kept in the database, and never disagrees with its day.

A restart reads the kept rows, not the log's files; a day whose files change
(late records compacted into it, a person forgotten from it, the day pruned)
is summed up again from its files. The same on SQLite and PostgreSQL, and
with the log on S3.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from _year import publish_late, write_year_log

from driftline import Workspace
from driftline.store import Context, DaySummaries, InferenceLog, LogStore, Subject
from driftline.ui import _traffic
from driftline.ui._traffic import traffic

NOW = dt.datetime(2026, 3, 1, 12, 30, tzinfo=dt.UTC)  # the log ends at 12:00
END = NOW.replace(minute=0)
DAYS = 12  # 2026-02-17 to 2026-02-28
# Days two days old or more: 2026-02-17 to 2026-02-26.
SETTLED = [f"2026-02-{d}" for d in range(17, 27)]


def _kept(ctx: Context, model: str = "m") -> dict[str, tuple[str, dict[str, Any]]]:
    store = LogStore.from_settings(ctx.settings)
    return DaySummaries(ctx.db, store.url, model, "traffic").read("0000", "9999")


def _from_the_day(ctx: Context, day: str, model: str = "m") -> dict[str, Any]:
    """The summary made now from the day's files, as the first request after a start made it."""
    store = LogStore.from_settings(ctx.settings)
    answered = store.listing("predictions", model).get(day, {})
    failed = store.listing("failures", model).get(day, {})
    return _traffic._from_files(store, day, answered, failed).to_body()


def _at(body: dict[str, Any], day: str) -> int:
    return body["t"].index(int(dt.datetime.fromisoformat(day).replace(tzinfo=dt.UTC).timestamp()))


def test_kept_summaries_survive_a_restart(tmp_path: Path, database_url: str) -> None:
    home = tmp_path / "ws"
    ws = Workspace.init(home, actor="maker", database_url=database_url)
    try:
        write_year_log(ws.context, "m", days=DAYS, per_hour=10, end=END)
        first = traffic(ws.context, "m", days=365, now=NOW)
        kept = _kept(ws.context)
        assert sorted(kept) == SETTLED  # the last two days are read on each request
        for day, (_, body) in kept.items():
            assert body == _from_the_day(ws.context, day)
        # Against the raw records of one day: its requests hour by hour, its percentiles.
        store = LogStore.from_settings(ws.settings)
        raw = pa.concat_tables(
            store.read(p) for p in store.files("predictions", "m", "2026-02-20").values()
        )
        hours = (raw.column("timestamp").cast(pa.int64()).to_numpy() // 3_600_000_000) % 24
        ms = raw.column("latency_ms").to_numpy()
        body = kept["2026-02-20"][1]
        assert body["requests"] == [*np.bincount(hours, minlength=24).tolist(), raw.num_rows]
        assert [body["p50"][24], body["p95"][24]] == pytest.approx(np.percentile(ms, [50, 95]))
        assert body["p95"][7] == pytest.approx(np.percentile(ms[hours == 7], 95))
    finally:
        ws.close()
    # Damage a settled day's file where a listing cannot see it (same size, same inode,
    # same time): a restart that read the files would fail on it, one that reads rows does not.
    path = Path(next(iter(store.files("predictions", "m", "2026-02-20").values())))
    seen = path.stat()
    with open(path, "r+b") as f:
        f.write(b"\0" * seen.st_size)
    os.utime(path, ns=(seen.st_atime_ns, seen.st_mtime_ns))
    ws = Workspace.open(home, create=False, actor="maker", database_url=database_url)
    try:
        assert traffic(ws.context, "m", days=365, now=NOW) == first
        assert traffic(ws.context, "m", days=30, now=NOW)["total"] == first["total"]
    finally:
        ws.close()


def _late(settings: Any, when: dt.datetime, customers: list[str]) -> None:
    """Records of an old day that reach the store late: logged, sealed, compacted."""
    log = InferenceLog.open(settings)
    try:
        for i, customer in enumerate(customers):
            log.write(
                {
                    "kind": "prediction",
                    "request_id": f"late-{i}",
                    "timestamp": when.isoformat(),
                    "model": "m",
                    "version": 1,
                    "route": "champion",
                    "latency_ms": 900.0,
                    "inputs": {"customer": customer},
                    "prediction": 1,
                }
            )
    finally:
        log.close()
    log = InferenceLog.open(settings)
    try:
        assert log.compact().predictions == len(customers)
    finally:
        log.close()


def test_a_day_whose_files_change_is_summed_up_again(tmp_path: Path) -> None:
    ws = Workspace.init(tmp_path / "ws", actor="maker")
    try:
        write_year_log(ws.context, "m", days=DAYS, per_hour=10, end=END)
        before = traffic(ws.context, "m", days=365, now=NOW)
        day, i = "2026-02-20", _at(before, "2026-02-20")
        stamp, body = _kept(ws.context)[day]
        # Late records compacted into the day add a file to it.
        _late(ws.settings, dt.datetime(2026, 2, 20, 10, 15, tzinfo=dt.UTC), ["c0", "c1", "c0"])
        after = traffic(ws.context, "m", days=365, now=NOW)
        assert after["requests"][i] == before["requests"][i] + 3
        assert after["p95_ms"][i] > before["p95_ms"][i]  # 900 ms each
        kept = _kept(ws.context)
        assert kept[day][0] != stamp and kept[day][1] == _from_the_day(ws.context, day)
        assert kept[day][1]["requests"][10] == body["requests"][10] + 3
        # A person forgotten: the late file is written again under its name, one record fewer.
        log = InferenceLog.open(ws.settings)
        try:
            assert log.forget(Subject("c0", column="customer"), model="m").records == 2
        finally:
            log.close()
        again = traffic(ws.context, "m", days=365, now=NOW)
        assert again["requests"][i] == before["requests"][i] + 1
        assert _kept(ws.context)[day][1] == _from_the_day(ws.context, day)
        # Days pruned: their summaries go with them, and the chart shows no traffic there.
        log = InferenceLog.open(ws.settings)
        try:
            log.prune(before=dt.date(2026, 2, 19), model="m")
        finally:
            log.close()
        pruned = traffic(ws.context, "m", days=365, now=NOW)
        assert pruned["requests"][_at(pruned, "2026-02-17")] == 0
        assert sorted(_kept(ws.context)) == SETTLED[2:]
        assert pruned["requests"][i] == again["requests"][i]
    finally:
        ws.close()


@pytest.mark.s3
def test_on_s3_one_listing_and_kept_rows(tmp_path: Path, s3_bucket: str, s3_server: str) -> None:
    home = tmp_path / "ws"
    where = {"artifacts_url": f"{s3_bucket}/dl", "s3_endpoint_url": s3_server}
    ws = Workspace.init(home, actor="maker", **where)
    try:
        assert ws.settings.log_url.startswith("s3://")
        write_year_log(ws.context, "m", days=DAYS, per_hour=5, end=END)
        store = LogStore.from_settings(ws.settings)
        # One recursive listing names what a listing a day names.
        listed = store.listing("predictions", "m")
        assert sorted(listed) == store.days("predictions", "m")
        for day, files in listed.items():
            assert {s: f.path for s, f in files.items()} == store.files("predictions", "m", day)
            assert all(f.size > 0 and f.version for f in files.values())
        first = traffic(ws.context, "m", days=365, now=NOW)
        kept = _kept(ws.context)
        assert sorted(kept) == SETTLED
        assert kept["2026-02-18"][1] == _from_the_day(ws.context, "2026-02-18")
    finally:
        ws.close()
    ws = Workspace.open(home, create=False, actor="maker", **where)
    try:
        # The requests the store answers, counted by the S3 client itself.
        client = LogStore.from_settings(ws.settings).fs.s3
        calls: list[str] = []
        client.meta.events.register("before-call.s3.*", lambda model, **_: calls.append(model.name))
        assert traffic(ws.context, "m", days=365, now=NOW) == first
        # A listing per kind for the year, a few more for the last two days; a file
        # read for each of those two days only, none for the ten kept.
        assert 2 <= calls.count("ListObjectsV2") <= 8, calls
        assert 0 < calls.count("GetObject") <= 4, calls  # 2 days, 2 kinds
        # A late file in a settled day (another host's compaction) is counted.
        day = dt.datetime(2026, 2, 18, 6, tzinfo=dt.UTC)
        publish_late(LogStore.from_settings(ws.settings), "m", day, 700.0)
        after = traffic(ws.context, "m", days=365, now=NOW)
        i = _at(after, "2026-02-18")
        assert after["requests"][i] == first["requests"][i] + 2
        assert _kept(ws.context)["2026-02-18"][1] == _from_the_day(ws.context, "2026-02-18")
    finally:
        ws.close()


_CHILD = """
import datetime as dt, os, signal, sys
from sqlalchemy.orm import Session
from driftline import Workspace
from driftline.ui._traffic import traffic

add_all = Session.add_all

def add_all_then_die(self, rows):
    # Killed at the worst moment: the day's old row deleted, its new one written, not committed.
    add_all(self, rows)
    self.flush()
    os.kill(os.getpid(), signal.SIGKILL)

Session.add_all = add_all_then_die
ws = Workspace.open(sys.argv[1], create=False)
traffic(ws.context, "m", days=365, now=dt.datetime.fromisoformat(sys.argv[2]))
"""


def test_killed_while_keeping_a_summary_the_old_one_does_not_answer(tmp_path: Path) -> None:
    home = tmp_path / "ws"
    ws = Workspace.init(home, actor="maker")
    try:
        write_year_log(ws.context, "m", days=DAYS, per_hour=10, end=END)
        before = traffic(ws.context, "m", days=365, now=NOW)
        stale = _kept(ws.context)["2026-02-20"]
        _late(ws.settings, dt.datetime(2026, 2, 20, 3, tzinfo=dt.UTC), ["c"])  # the day changes
    finally:
        ws.close()
    child = subprocess.run(
        [sys.executable, "-c", _CHILD, str(home), NOW.isoformat()], capture_output=True, text=True
    )
    assert child.returncode == -signal.SIGKILL, child.stderr
    ws = Workspace.open(home, create=False, actor="maker")
    try:
        assert _kept(ws.context)["2026-02-20"] == stale  # the write was lost whole
        after = traffic(ws.context, "m", days=365, now=NOW)
        i = _at(after, "2026-02-20")
        assert after["requests"][i] == before["requests"][i] + 1  # the stale row did not answer
        assert _kept(ws.context)["2026-02-20"][1] == _from_the_day(ws.context, "2026-02-20")
    finally:
        ws.close()
