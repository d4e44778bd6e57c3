"""Requests, failures and latency over 7 days, 30 days and a year, read from the inference log.

The year is summed up a day at a time, and a day two days old is kept: these
tests check the numbers against the log's own records, and that a kept day is
read again when a late file arrives for it.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pytest
from _year import publish_late, write_year_log

from driftline import Workspace
from driftline.store import DaySummaries, InferenceLog, LogStore
from driftline.ui._traffic import percentiles, traffic

NOW = dt.datetime(2026, 3, 1, 12, 30, tzinfo=dt.UTC)  # the log ends at 12:00
END = NOW.replace(minute=0)
DAYS = 40


@pytest.fixture(scope="module")
def logged(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    ws = Workspace.init(tmp_path_factory.mktemp("traffic") / "ws", actor="maker")
    write_year_log(ws.context, "m", days=DAYS, per_hour=20, end=END)
    yield ws
    ws.close()


def _records(ws: Workspace, kind: str, model: str = "m") -> pa.Table:
    store = LogStore.from_settings(ws.settings)
    return pa.concat_tables(
        store.read(path)
        for day in store.days(kind, model)
        for path in store.files(kind, model, day).values()
    )


def _seconds(table: pa.Table) -> np.ndarray:
    return table.column("timestamp").cast(pa.int64()).to_numpy() / 1e6


def test_a_year_is_shown_day_by_day(logged: Workspace) -> None:
    body = traffic(logged.context, "m", days=365, now=NOW)
    answered, failed = _records(logged, "predictions"), _records(logged, "failures")
    assert len(body["t"]) == 365 and body["bucket_hours"] == 24
    assert body["t"][-1] == int(dt.datetime(2026, 3, 1, tzinfo=dt.UTC).timestamp())
    assert body["total"]["requests"] == answered.num_rows
    assert body["total"]["failures"] == failed.num_rows > 0
    assert body["total"]["median_ms"] is None  # a year's percentiles are not made
    # Each day's percentiles are those of its requests.
    at, ms = _seconds(answered), answered.column("latency_ms").to_numpy()
    # The log holds the 40 whole days before the last one.
    for i in (-DAYS - 1, -DAYS // 2, -2):
        day = (at >= body["t"][i]) & (at < body["t"][i] + 86400)
        assert body["requests"][i] == day.sum() > 0
        assert [body["p50_ms"][i], body["p95_ms"][i]] == pytest.approx(
            np.percentile(ms[day], [50, 95]), abs=0.005
        )
    assert body["requests"][: 365 - DAYS - 1] == [0] * (365 - DAYS - 1)
    assert body["requests"][-1] == 0
    assert body["p50_ms"][0] is None
    # One day a month is slow, and the chart shows it.
    slow = int(np.argmax([v or 0 for v in body["p95_ms"]]))
    assert body["p95_ms"][slow] > 1.5 * np.nanmedian(np.array(body["p95_ms"], dtype=float))


def test_a_month_and_a_week_hour_by_hour(logged: Workspace) -> None:
    answered = _records(logged, "predictions")
    at, ms = _seconds(answered), answered.column("latency_ms").to_numpy()
    for days in (7, 30):
        body = traffic(logged.context, "m", days=days, now=NOW)
        start = (END + dt.timedelta(hours=1) - dt.timedelta(days=days)).timestamp()
        inside = (at >= start) & (at < start + days * 86400)
        assert len(body["t"]) == days * 24 and body["t"][0] == start
        assert body["total"]["requests"] == inside.sum() == sum(body["requests"])
        hour = (at >= body["t"][5]) & (at < body["t"][5] + 3600)
        assert body["requests"][5] == hour.sum()
        assert body["p95_ms"][5] == pytest.approx(np.percentile(ms[hour], 95), abs=0.005)
    # Up to a week, the totals' percentiles are exact, from every request.
    assert body["total"]["median_ms"] is None  # 30 days
    week = traffic(logged.context, "m", days=7, now=NOW)
    start = week["t"][0]
    inside = (at >= start) & (at < start + 7 * 86400)
    assert week["total"]["median_ms"] == pytest.approx(np.median(ms[inside]), abs=0.005)


def test_a_kept_day_is_read_again_when_a_late_file_arrives(logged: Workspace) -> None:
    before = traffic(logged.context, "m", days=365, now=NOW)
    assert traffic(logged.context, "m", days=365, now=NOW) == before  # from the kept days
    store = LogStore.from_settings(logged.settings)
    day = dt.datetime(2026, 2, 10, tzinfo=dt.UTC)
    key = publish_late(store, "m", day, 5000.0)
    after = traffic(logged.context, "m", days=365, now=NOW)
    i = after["t"].index(int(day.timestamp()))
    assert after["requests"][i] == before["requests"][i] + 2
    assert after["total"]["requests"] == before["total"]["requests"] + 2
    store.remove(store.path(key))
    assert traffic(logged.context, "m", days=365, now=NOW) == before


def test_records_not_yet_compacted_count(tmp_path) -> None:
    ws = Workspace.init(tmp_path / "ws", actor="maker")
    old = NOW - dt.timedelta(days=10)
    log = InferenceLog.open(ws.settings)
    try:
        for i, when in enumerate([old, old, NOW - dt.timedelta(minutes=20)]):
            log.append(
                {
                    "kind": "prediction",
                    "request_id": f"r{i}",
                    "timestamp": when.isoformat(),
                    "model": "m",
                    "version": 1,
                    "route": "champion",
                    "latency_ms": 4.0 + i,
                    "inputs": {"x": 1.0},
                    "prediction": 1,
                }
            )
        log.append(
            {
                "kind": "failure",
                "model": "m",
                "request_id": "f1",
                "timestamp": old.isoformat(),
                "version": 1,
                "route": "champion",
                "rows": 3,
                "error": "TimeoutError",
                "latency_ms": 10.0,
            }
        )
    finally:
        log.close()
    try:
        for days in (30, 365):
            body = traffic(ws.context, "m", days=days, now=NOW)
            assert body["total"]["requests"] == 3 and body["total"]["failures"] == 3
        year = traffic(ws.context, "m", days=365, now=NOW)
        assert year["requests"][-11] == 2 and year["failures"][-11] == 3
        assert year["p50_ms"][-11] == 4.5 and year["p50_ms"][-1] == 6.0
    finally:
        ws.close()


def test_percentiles_per_group_are_numpys() -> None:
    rng = np.random.default_rng(0)
    groups = rng.integers(0, 30, 5000)
    values = rng.gamma(2.0, 3.0, 5000)
    values[rng.random(5000) < 0.05] = np.nan  # unknown latencies are left out
    got = percentiles(groups, values, 32)
    for g in range(30):
        known = values[(groups == g) & ~np.isnan(values)]
        np.testing.assert_allclose(got[:, g], np.percentile(known, [50, 95]))
    assert np.isnan(got[:, 30:]).all()  # groups with nothing


def test_the_api_offers_a_year_and_no_more(dashboard) -> None:
    with dashboard.signed_in(dashboard.world.viewer) as client:
        year = client.get("/v1/models/shop/traffic", params={"days": 365})
        too_far = client.get("/v1/models/shop/traffic", params={"days": 400})
        page = client.get("/ui/models/shop", params={"traffic": 365}).text
    assert year.status_code == 200 and len(year.json()["t"]) == 365
    assert sum(year.json()["requests"]) == 48 * 120 and sum(year.json()["failures"]) == 8
    assert too_far.status_code == 400 and "366" in too_far.json()["error"]
    assert 'data-src="/v1/models/shop/traffic?days=365"' in page
    assert "Requests and failures, last year" in page


def _kept_days(ws: Workspace, model: str) -> list[str]:
    store = LogStore.from_settings(ws.settings)
    return sorted(DaySummaries(ws.context.db, store.url, model, "traffic").read("0000", "9999"))


def test_the_warm_up_keeps_the_year(tmp_path) -> None:
    from driftline.ui import _traffic

    ws = Workspace.init(tmp_path / "ws", actor="maker")
    try:
        write_year_log(ws.context, "w", days=20, per_hour=5)
        InferenceLog.open(ws.settings).close()  # the log's folder, as a server makes it
        _traffic.warm(ws.context, "w")
        deadline = time.monotonic() + 60
        while not _kept_days(ws, "w") or _traffic._warming:
            assert time.monotonic() < deadline, "the warm-up did not finish within 60 s"
            time.sleep(0.02)
        assert len(_kept_days(ws, "w")) >= 18  # every settled day (the last two are read each time)
        _traffic.warm(ws.context, "w")  # warmed today already: no second read of the year
        assert not _traffic._warming
        body = traffic(ws.context, "w", days=365)
        assert body["total"]["requests"] == _records(ws, "predictions", "w").num_rows
    finally:
        ws.close()
