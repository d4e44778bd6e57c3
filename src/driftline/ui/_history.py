"""A model's monitoring windows over time, cut down to what a chart can show.

A year of hourly windows is 8,760 points; a chart 900 pixels wide shows
a few hundred. Windows are grouped into equal time buckets: traffic is
summed (and shown per hour), how far inputs moved and the share that
drifted keep their largest value in the bucket (a spike must stay
visible), estimated performance keeps its mean with the widest band, and
realized performance its mean. The buckets are made in the database from
the figures each window stores beside its documents (``store._figures``):
a year's answer reads no JSON document and brings a few hundred rows into
Python, not 8,760.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import orjson
from sqlalchemy import Text, case, cast, func, select

from driftline.store import MonitorWindowRow, as_utc
from driftline.ui._sql import epoch, whole

if TYPE_CHECKING:
    from driftline.store import Context

__all__ = ["MAX_POINTS", "fingerprint", "history", "recent_windows"]

MAX_POINTS = 2000
W = MonitorWindowRow


def fingerprint(ctx: Context, model: str) -> tuple[Any, ...]:
    """What changes whenever the model's windows do: their number and their last id.

    Monitoring replaces a window it computes again by a new row, so a new id.
    Both come from the index on ``model`` alone, without reading the rows.
    """
    query = select(func.count(MonitorWindowRow.id), func.max(MonitorWindowRow.id)).where(
        MonitorWindowRow.model == model
    )
    with ctx.db.read() as s:
        return tuple(s.execute(query).one())


def recent_windows(ctx: Context, model: str, limit: int = 200) -> list[dict[str, Any]]:
    """The model's newest windows, newest first: start, end, rows, metrics, drifted columns."""
    # Which windows first, then their contents: sorting a year of whole rows would read
    # every window's JSON, the newest 200 ids are found from the start times alone.
    newest = (
        select(MonitorWindowRow.id)
        .where(MonitorWindowRow.model == model)
        .order_by(MonitorWindowRow.window_start.desc())
        .limit(limit)
    )
    with ctx.db.read() as s:
        ids = list(s.scalars(newest))
    query = (
        select(
            MonitorWindowRow.version,
            MonitorWindowRow.window_start,
            MonitorWindowRow.window_end,
            MonitorWindowRow.rows,
            MonitorWindowRow.metrics,
            MonitorWindowRow.drift,
        )
        .where(MonitorWindowRow.id.in_(ids))
        .order_by(MonitorWindowRow.window_start.desc())
    )
    with ctx.db.read() as s:
        rows = s.execute(query).all() if ids else []
    return [
        {
            "version": version,
            "start": as_utc(start),
            "end": as_utc(end),
            "rows": n,
            "metrics": metrics or {},
            "drifted": _drifted(drift),
        }
        for version, start, end, n, metrics, drift in rows
    ]


def _drifted(drift: dict[str, Any] | None) -> list[tuple[str, float]]:
    """Drifted columns and their effect sizes, largest first."""
    if not drift:
        return []
    found = [
        (c["column"], float(c.get("effect_size") or 0.0))
        for c in drift.get("columns", [])
        if c.get("drifted")
    ]
    return sorted(found, key=lambda item: -item[1])


def history(
    ctx: Context,
    model: str,
    *,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    points: int = 400,
) -> dict[str, Any]:
    """The chart series of ``model``'s windows in ``[since, until)``, at most ``points`` long."""
    points = max(2, min(points, MAX_POINTS))
    where = [W.model == model]
    if since is not None:
        where.append(W.window_start >= since)
    if until is not None:
        where.append(W.window_start < until)
    start, end = epoch(W.window_start), epoch(W.window_end)
    with ctx.db.read() as s:
        # From the index alone: how many windows, and when the first and the last began.
        n, lo, hi = s.execute(
            select(func.count(), func.min(W.window_start), func.max(W.window_start)).where(*where)
        ).one()
        out: dict[str, Any] = {"model": model, "windows": n, "t": []}
        if not n:
            return out
        closes = s.execute(
            select(func.max(W.window_end)).where(*where, W.window_start == hi)
        ).scalar_one()
        first, last = as_utc(lo).timestamp(), as_utc(closes).timestamp()
        # The metric of the first window that has one leads, as in the sentences; the
        # reference is the newest known for it.
        metric = s.scalar(
            select(W.lead_metric)
            .where(*where, W.lead_metric.is_not(None))
            .order_by(W.window_start)
            .limit(1)
        )
        reference = s.scalar(
            select(W.reference)
            .where(*where, W.lead_metric == metric, W.reference.is_not(None))
            .order_by(W.window_start.desc())
            .limit(1)
        )
        count = min(points, n)
        width = max((last - first) / count, 1.0)
        raw = whole((start - first) / width)
        slot = case((raw >= count, count - 1), else_=raw).label("slot")
        ours = W.lead_metric == metric

        def of_metric(column: Any) -> Any:
            return case((ours, column))

        buckets = s.execute(
            select(
                slot,
                func.sum(W.rows),
                func.sum(end - start),
                func.max(W.drift_share),
                func.avg(of_metric(W.estimated)),
                func.min(of_metric(W.estimated_low)),
                func.max(of_metric(W.estimated_high)),
                func.avg(of_metric(W.realized)),
            )
            .where(*where)
            .group_by(slot)
        ).all()
        # Each window's effect sizes as text, parsed here: small objects parse faster in
        # orjson than the databases' own JSON functions spread them into rows to group.
        effects = s.execute(
            select(slot, cast(W.effects, Text)).where(*where, W.effects.is_not(None))
        ).all()
    table = np.full((7, count), np.nan)
    at = np.array([b[0] for b in buckets], dtype=np.int64)
    table[:, at] = np.array([b[1:] for b in buckets], dtype=float).T
    used = np.zeros(count, dtype=bool)
    used[at] = True
    rows, seconds, share, est, low, high, realized = table
    features = _largest(effects, count)
    out.update(
        bucket_hours=round(width / 3600, 3),
        t=[round(first + i * width) for i in np.flatnonzero(used)],
        requests_per_hour=_plain(rows / np.maximum(seconds, 1) * 3600, used, 3),
        drift_share=_plain(share, used, 4),
        features={c: _plain(sizes, used, 4) for c, sizes in features.items()},
    )
    if metric is not None:
        out["performance"] = {
            "metric": metric,
            "estimated": _plain(est, used, 5),
            "low": _plain(low, used, 5),
            "high": _plain(high, used, 5),
            "realized": _plain(realized, used, 5),
            "reference": reference,
        }
    return out


def _largest(effects: Sequence[Any], count: int) -> dict[str, np.ndarray]:
    """Per input column, the largest effect size in each bucket (NaN where none is known)."""
    if not effects:
        return {}
    slots = np.array([e[0] for e in effects], dtype=np.int64)
    docs = [d if isinstance(d := orjson.loads(e[1]), dict) else {} for e in effects]
    names = dict.fromkeys(name for doc in docs for name in doc)  # the model's column order
    out = {}
    for name in names:
        sizes = np.array([doc.get(name) for doc in docs], dtype=float)  # None becomes NaN
        out[name] = np.full(count, np.nan)
        np.fmax.at(out[name], slots, sizes)
    return out


def _plain(values: np.ndarray, used: np.ndarray, digits: int) -> list[float | None]:
    """Numbers of the buckets that hold windows, for JSON: rounded, None where unknown."""
    return [None if v != v else v for v in np.round(values[used], digits).tolist()]
