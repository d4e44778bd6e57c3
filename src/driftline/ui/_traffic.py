"""Requests, failures and latency over time, from the inference log.

Monitoring windows keep how many predictions each window held, not how long
they took or how many failed: those live in the log, one record a request.
The log is read a day at a time, the timestamp and latency columns only,
and each day is summed up hour by hour and as a whole (requests, failures,
median and 95th percentile latency). A day two days old gets no new traffic
(a late segment compacted adds a file), so its summary is kept in the
database (``DaySummaries``) with the stamp of the files it was made from: a
month or a year then costs one listing of the model's files, one query and
a read of the last two days, after a restart as before it. A day whose files
changed since (late records, a person forgotten, the day pruned) is summed
up again and its summary replaced. Up to a month is shown hour by hour, a
longer range day by day. Up to a week, the totals' percentiles are exact,
from every request; beyond, a range's percentiles are left out, as they
would need every request's latency at once.

The first year ever asked reads every day of it; the model page starts that
in the background (:func:`warm`), and a year asked meanwhile waits for it
rather than reading the same days again.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from driftline.errors import StorageError
from driftline.store import DaySummaries, InferenceLog, LogFile, LogReader, LogStore, day_stamp

if TYPE_CHECKING:
    from driftline.store import Context

__all__ = ["HOURLY_DAYS", "MAX_DAYS", "RANGES", "traffic", "warm"]

_HOUR, _DAY = 3600, 86400
HOURLY_DAYS = 31  # up to this many days, a point an hour; beyond, a point a day
MAX_DAYS = 366
_EXACT_DAYS = 7  # up to this many days, the totals' percentiles come from every request
# A day's summary is kept once the day is this old and none of it waits in a segment.
_SETTLED = dt.timedelta(days=2)
_SUMMARY = "traffic"  # the name its summaries are kept under
_FORM = 1  # how a kept summary is written; one of another form is made again
_QS = [50, 95]
# The ranges the model page offers: the days back, and how they are named.
RANGES = {7: "last 7 days", 30: "last 30 days", 365: "last year"}


@dataclasses.dataclass(frozen=True)
class _Day:
    """One day of one model's traffic: index 0-23 the hours, 24 the whole day."""

    requests: np.ndarray
    failures: np.ndarray
    p50: np.ndarray  # NaN where nothing was answered
    p95: np.ndarray

    def to_body(self) -> dict[str, Any]:
        return {
            "form": _FORM,
            "requests": self.requests.tolist(),
            "failures": self.failures.tolist(),
            "p50": _nulls(self.p50),
            "p95": _nulls(self.p95),
        }

    @classmethod
    def from_body(cls, body: dict[str, Any]) -> _Day | None:
        """The day a kept summary says, or None when it is of another form."""
        if not isinstance(body, dict) or body.get("form") != _FORM:
            return None
        return cls(
            requests=np.array(body["requests"], dtype=np.int64),
            failures=np.array(body["failures"], dtype=np.int64),
            p50=np.array(body["p50"], dtype=float),  # None becomes NaN
            p95=np.array(body["p95"], dtype=float),
        )


_logger = logging.getLogger(__name__)
_warming: dict[tuple[str, str], threading.Event] = {}  # set when that warm-up ends
_warmed: dict[tuple[str, str], dt.date] = {}  # the day each last warmed up
_lock = threading.Lock()


def _seconds(table: pa.Table) -> np.ndarray:
    times = table.column("timestamp").cast(pa.timestamp("us", tz="UTC")).cast(pa.int64())
    return times.to_numpy(zero_copy_only=False) / 1e6


def percentiles(groups: np.ndarray, values: np.ndarray, count: int) -> np.ndarray:
    """The median and 95th percentile of ``values`` in each of ``count`` groups (as numpy's
    default, linear between the nearest ranks), shape (2, count); NaN for an empty group."""
    known = ~np.isnan(values)
    groups, values = groups[known], values[known]
    order = np.lexsort((values, groups))
    groups, values = groups[order], values[order]
    n = np.bincount(groups, minlength=count)
    starts = np.concatenate(([0], np.cumsum(n)[:-1]))
    out = np.full((len(_QS), count), np.nan)
    has = n > 0
    for i, q in enumerate(_QS):
        at = starts[has] + (n[has] - 1) * q / 100
        lo, hi = np.floor(at).astype(np.int64), np.ceil(at).astype(np.int64)
        out[i, has] = values[lo] + (values[hi] - values[lo]) * (at - lo)
    return out


def _summary(times: np.ndarray, ms: np.ndarray, failed: np.ndarray, rows: np.ndarray) -> _Day:
    """A day's summary from its requests (seconds into the day, latency) and failures."""
    hour = np.clip(times // _HOUR, 0, 23).astype(np.int64)
    requests = np.bincount(hour, minlength=24)
    failures = np.bincount(np.clip(failed // _HOUR, 0, 23).astype(np.int64), rows, minlength=24)
    hourly = percentiles(hour, ms, 24)
    whole = percentiles(np.zeros(len(ms), dtype=np.int64), ms, 1)
    return _Day(
        requests=np.append(requests, requests.sum()),
        failures=np.append(failures, failures.sum()).astype(np.int64),
        p50=np.append(hourly[0], whole[0]),
        p95=np.append(hourly[1], whole[1]),
    )


def _failure_rows(table: pa.Table | None) -> tuple[np.ndarray, np.ndarray]:
    if table is None or not table.num_rows:
        return np.array([]), np.array([])
    rows = (
        table.column("rows").to_numpy(zero_copy_only=False).astype(float)
        if "rows" in table.column_names
        else np.ones(table.num_rows)
    )
    return _seconds(table), np.nan_to_num(rows, nan=1.0)


def _from_files(
    store: LogStore, day: str, answered_files: dict[str, LogFile], failed_files: dict[str, LogFile]
) -> _Day:
    """A settled day's summary from its Parquet files alone."""
    base = dt.datetime.fromisoformat(day).replace(tzinfo=dt.UTC).timestamp()
    answered = [
        store.read_present(f.path, ["timestamp", "latency_ms"]) for f in answered_files.values()
    ]
    failed = [store.read_present(f.path, ["timestamp", "rows"]) for f in failed_files.values()]
    times = [_seconds(t) for t in answered]
    ms = [t.column("latency_ms").to_numpy(zero_copy_only=False) for t in answered]
    f = [_failure_rows(t) for t in failed]
    return _summary(
        np.concatenate(times) - base if times else np.array([]),
        np.concatenate(ms).astype(float) if ms else np.array([]),
        np.concatenate([x[0] for x in f]) - base if f else np.array([]),
        np.concatenate([x[1] for x in f]) if f else np.array([]),
    )


def _from_reader(reader: LogReader, day: str) -> _Day:
    """A recent day's summary through the reader: compacted files and segments alike."""
    base = dt.datetime.fromisoformat(day).replace(tzinfo=dt.UTC).timestamp()
    table = reader.day(day, columns=["timestamp", "latency_ms"])
    failed, rows = _failure_rows(reader.posted("failure", first=day, last=day))
    if table is None:
        return _summary(np.array([]), np.array([]), failed - base, rows)
    ms = table.column("latency_ms").to_numpy(zero_copy_only=False).astype(float)
    return _summary(_seconds(table) - base, ms, failed - base, rows)


def _days(
    ctx: Context, reader: LogReader, model: str, dates: list[dt.date], now: dt.datetime
) -> dict[str, _Day]:
    """The summaries of ``dates`` that saw traffic: kept ones reused, the others read."""
    store = reader.store
    # One listing of each kind for the whole range (on S3, one request, not one a day).
    answered, failed = store.listing("predictions", model), store.listing("failures", model)
    local = reader.local_days()
    settled = (now - _SETTLED).date()
    stamps = {
        day: day_stamp(answered.get(day, {}), failed.get(day, {}))
        for day in (d.isoformat() for d in dates if d < settled)
        if (day in answered or day in failed) and day not in local
    }
    found: dict[str, _Day] = {}
    summaries = DaySummaries(ctx.db, store.url, model, _SUMMARY)
    kept = {}
    if dates[0] < settled:
        last = min(dates[-1], settled - dt.timedelta(days=1))
        kept = summaries.read(dates[0].isoformat(), last.isoformat())
    for day, (stamp, body) in kept.items():
        summary = _Day.from_body(body) if stamps.get(day) == stamp else None
        if summary is not None:
            found[day] = summary
    # Settled days not kept (or whose files changed) are read from their files a few at
    # once (a log on S3 waits on the network); the last two through the reader, which
    # adds what is not compacted yet.
    cold = [d for d in stamps if d not in found]
    with ThreadPoolExecutor(max_workers=4) as pool:
        made = pool.map(
            lambda d: _from_files(store, d, answered.get(d, {}), failed.get(d, {})), cold
        )
        found.update(zip(cold, made, strict=True))
    for date in dates:
        day = date.isoformat()
        if (date >= settled or day in local) and (day in answered or day in failed or day in local):
            found[day] = _from_reader(reader, day)
    gone = [d for d in kept if d not in stamps]  # no files left, or records waiting here
    if cold or gone:
        try:
            summaries.write({d: (stamps[d], found[d].to_body()) for d in cold}, gone)
        except StorageError as exc:
            # Only a head start for the next request: this one has its answer.
            _logger.warning("the traffic summaries of %s could not be kept: %s", model, exc)
    return found


def _nulls(values: np.ndarray) -> list[float | None]:
    """The numbers for JSON, None where NaN (nothing answered)."""
    return [None if v != v else v for v in values.tolist()]


def _plain(values: np.ndarray) -> list[float | None]:
    return _nulls(np.round(values, 2))


def traffic(
    ctx: Context, model: str, *, days: int = 7, now: dt.datetime | None = None
) -> dict[str, Any]:
    """Requests, failures and latency (median and 95th percentile, ms) of the last ``days`` days:
    hour by hour up to a month, day by day beyond."""
    if days > HOURLY_DAYS:
        _await_warm_up(ctx, model)
    return _read(ctx, model, days, (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC))


def _read(ctx: Context, model: str, days: int, now: dt.datetime) -> dict[str, Any]:
    end = now.replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=1)
    last = (end - dt.timedelta(microseconds=1)).date()
    hourly = days <= HOURLY_DAYS
    if hourly:
        start = end - dt.timedelta(days=days)
    else:
        start = dt.datetime.combine(last - dt.timedelta(days=days - 1), dt.time(), dt.UTC)
    first = start.date()
    dates = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    log = InferenceLog.open(ctx.settings)
    try:
        reader = log.reader(model, since=start, until=end)
        found = _days(ctx, reader, model, dates, now)
        exact = _exact(reader, start, end) if days <= _EXACT_DAYS else (None, None)
    finally:
        log.close()
    empty = _summary(np.array([]), np.array([]), np.array([]), np.array([]))
    rows = [found.get(d.isoformat(), empty) for d in dates]
    if hourly:
        skip = (start - dt.datetime.combine(first, dt.time(), dt.UTC)) // dt.timedelta(hours=1)
        take = slice(skip, skip + days * 24)
        requests = np.concatenate([r.requests[:24] for r in rows])[take]
        failures = np.concatenate([r.failures[:24] for r in rows])[take]
        p50 = np.concatenate([r.p50[:24] for r in rows])[take]
        p95 = np.concatenate([r.p95[:24] for r in rows])[take]
        width = _HOUR
    else:
        requests = np.array([r.requests[24] for r in rows])
        failures = np.array([r.failures[24] for r in rows])
        p50, p95 = np.array([r.p50[24] for r in rows]), np.array([r.p95[24] for r in rows])
        width = _DAY
    base = start.timestamp()
    return {
        "model": model,
        "days": days,
        "bucket_hours": width // _HOUR,
        "t": [round(base + i * width) for i in range(len(requests))],
        "requests": requests.astype(int).tolist(),
        "failures": failures.astype(int).tolist(),
        "p50_ms": _plain(p50),
        "p95_ms": _plain(p95),
        "total": {
            "requests": int(requests.sum()),
            "failures": int(failures.sum()),
            "median_ms": exact[0],
            "p95_ms": exact[1],
        },
    }


def _exact(
    reader: LogReader, start: dt.datetime, end: dt.datetime
) -> tuple[float | None, float | None]:
    """The median and 95th percentile latency of every request in ``[start, end)``."""
    first, last = start.date().isoformat(), end.date().isoformat()
    parts = []
    for day in (d for d in reader.days() if first <= d <= last):
        table = reader.day(day, start=start, end=end, columns=["latency_ms"])
        if table is not None:
            parts.append(table.column(0).to_numpy(zero_copy_only=False).astype(float))
    ms = np.concatenate(parts) if parts else np.array([])
    p = percentiles(np.zeros(len(ms), dtype=np.int64), ms, 1)[:, 0]
    return (None, None) if p[0] != p[0] else (round(float(p[0]), 2), round(float(p[1]), 2))


def warm(ctx: Context, model: str) -> None:
    """Summarize ``model``'s last year in the background, once a day per process.

    The model page calls it: by the time someone asks for the year, its days are
    kept and the answer costs a listing and a query, not a year of reads. A day
    settles once a day, so once a day is enough; more would only take the CPU
    the pages being asked for need.
    """
    key = (ctx.settings.log_url, model)
    if not (ctx.settings.home / "log").is_dir():
        return  # nothing was ever logged here
    today = dt.datetime.now(dt.UTC).date()
    with _lock:
        if key in _warming or _warmed.get(key) == today:
            return
        done = _warming[key] = threading.Event()

    def run() -> None:
        try:
            _read(ctx, model, max(RANGES), dt.datetime.now(dt.UTC))
            with _lock:
                _warmed[key] = today
        except Exception:
            # Only a head start: a request that finds no summary reads the log itself,
            # and says why if that fails.
            pass
        finally:
            with _lock:
                del _warming[key]
            done.set()

    threading.Thread(target=run, name=f"driftline-traffic-{model}", daemon=True).start()


def _await_warm_up(ctx: Context, model: str) -> None:
    """A year asked while the model page's warm-up reads it waits for it, not reads it twice."""
    with _lock:
        done = _warming.get((ctx.settings.log_url, model))
    if done is not None:
        done.wait(timeout=30)
