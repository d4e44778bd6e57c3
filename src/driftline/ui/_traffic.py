"""Requests, failures and latency of the last days, hour by hour, from the inference log.

Monitoring windows keep how many predictions each window held, not how long
they took or how many failed: those live in the log, one record a request.
Reading a week of it a day at a time (only the timestamp and latency
columns are used) keeps the answer to what an on-call person asks: is it
slow or failing right now?
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from driftline.store import InferenceLog

if TYPE_CHECKING:
    from driftline.store import Context

__all__ = ["traffic"]

_HOUR = 3600


def _seconds(table: pa.Table) -> np.ndarray:
    times = table.column("timestamp").cast(pa.timestamp("us", tz="UTC")).cast(pa.int64())
    return times.to_numpy(zero_copy_only=False) / 1e6


def traffic(
    ctx: Context, model: str, *, days: int = 7, now: dt.datetime | None = None
) -> dict[str, Any]:
    """Hourly requests, failures and latency (median and 95th percentile, ms) of ``days`` days."""
    now = now or dt.datetime.now(dt.UTC)
    end = now.replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=1)
    start = end - dt.timedelta(days=days)
    log = InferenceLog.open(ctx.settings)
    try:
        reader = log.reader(model, since=start, until=end)
        first = start.date().isoformat()
        times, latency = [], []
        for day in (d for d in reader.days() if d >= first):
            table = reader.day(day, start=start, end=end)
            if table is not None and "latency_ms" in table.column_names:
                times.append(_seconds(table))
                latency.append(table.column("latency_ms").to_numpy(zero_copy_only=False))
        failed = reader.posted("failure", first=first)
    finally:
        log.close()
    hours = days * 24
    base = start.timestamp()
    out: dict[str, Any] = {
        "model": model,
        "t": [round(base + h * _HOUR) for h in range(hours)],
        "requests": [0] * hours,
        "failures": [0] * hours,
        "p50_ms": [None] * hours,
        "p95_ms": [None] * hours,
        "total": {"requests": 0, "failures": 0, "median_ms": None, "p95_ms": None},
    }
    if times:
        at = np.concatenate(times)
        ms = np.concatenate(latency).astype(float)
        slot = ((at - base) // _HOUR).astype(int)
        keep = (slot >= 0) & (slot < hours)
        slot, ms = slot[keep], ms[keep]
        if ms.size:
            median, p95 = np.percentile(ms, [50, 95])
            out["total"].update(
                requests=int(ms.size),
                median_ms=round(float(median), 2),
                p95_ms=round(float(p95), 2),
            )
        order = np.argsort(slot, kind="stable")
        slot, ms = slot[order], ms[order]
        bounds = np.searchsorted(slot, np.arange(hours + 1))
        for h in range(hours):
            part = ms[bounds[h] : bounds[h + 1]]
            if part.size:
                out["requests"][h] = int(part.size)
                p50, p95 = np.percentile(part, [50, 95])
                out["p50_ms"][h], out["p95_ms"][h] = round(float(p50), 2), round(float(p95), 2)
    if failed is not None and failed.num_rows:
        slot = ((_seconds(failed) - base) // _HOUR).astype(int)
        rows = (
            failed.column("rows").to_numpy(zero_copy_only=False)
            if "rows" in failed.column_names
            else np.ones(len(slot))
        )
        for h, n in zip(slot, rows, strict=True):
            if 0 <= h < hours:
                out["failures"][int(h)] += int(n)
                out["total"]["failures"] += int(n)
    return out
