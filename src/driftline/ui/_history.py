"""A model's monitoring windows over time, cut down to what a chart can show.

A year of hourly windows is 8,760 points; a chart 900 pixels wide shows
a few hundred. Windows are grouped into equal time buckets: traffic is
summed (and shown per hour), how far inputs moved and the share that
drifted keep their largest value in the bucket (a spike must stay
visible), estimated performance keeps its mean with the widest band, and
realized performance its mean. Only the columns the chart needs are read.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import orjson
from sqlalchemy import Text, func, select, type_coerce

from driftline.store import MonitorWindowRow, as_utc

if TYPE_CHECKING:
    from driftline.store import Context

__all__ = ["MAX_POINTS", "fingerprint", "history", "lead_metric", "recent_windows"]

MAX_POINTS = 2000
_LEAD = ("accuracy", "roc_auc", "f1", "rmse", "mae", "r2")


def lead_metric(estimated: dict[str, Any]) -> str | None:
    """The metric a sentence or chart leads with among those estimated."""
    return next((m for m in _LEAD if m in estimated), next(iter(estimated), None))


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
    # The JSON columns as their text, parsed by orjson: a year of windows is 20 MB of JSON,
    # and the standard parser behind the column type spends most of the request on it.
    query = select(
        MonitorWindowRow.window_start,
        MonitorWindowRow.window_end,
        MonitorWindowRow.rows,
        type_coerce(MonitorWindowRow.metrics, Text),
        type_coerce(MonitorWindowRow.drift, Text),
    ).where(MonitorWindowRow.model == model)
    if since is not None:
        query = query.where(MonitorWindowRow.window_start >= since)
    if until is not None:
        query = query.where(MonitorWindowRow.window_start < until)
    with ctx.db.read() as s:
        rows = s.execute(query.order_by(MonitorWindowRow.window_start)).all()
    out: dict[str, Any] = {"model": model, "windows": len(rows), "t": []}
    if not rows:
        return out
    w = _Windows.read(rows)
    first, last = w.start[0], w.start[-1] + w.seconds[-1]
    count = min(points, len(rows))
    width = max((last - first) / count, 1.0)
    slot = np.minimum(((w.start - first) / width).astype(np.int64), count - 1)
    used = np.bincount(slot, minlength=count) > 0
    seconds = np.bincount(slot, weights=w.seconds, minlength=count)
    requests = np.bincount(slot, weights=w.rows, minlength=count) / np.maximum(seconds, 1) * 3600
    out.update(
        bucket_hours=round(width / 3600, 3),
        t=[round(first + i * width) for i in np.flatnonzero(used)],
        requests_per_hour=_plain(requests[used], 3),
        drift_share=_plain(_fold(np.fmax, slot, w.share, count)[used], 4),
        features={
            c: _plain(_fold(np.fmax, slot, sizes, count)[used], 4) for c, sizes in w.effects.items()
        },
    )
    if w.metric is not None:
        out["performance"] = {
            "metric": w.metric,
            "estimated": _plain(_mean(slot, w.estimated, count)[used], 5),
            "low": _plain(_fold(np.fmin, slot, w.low, count)[used], 5),
            "high": _plain(_fold(np.fmax, slot, w.high, count)[used], 5),
            "realized": _plain(_mean(slot, w.realized, count)[used], 5),
            "reference": w.reference,
        }
    return out


def _fold(op: Any, slot: np.ndarray, values: np.ndarray, count: int) -> np.ndarray:
    """Per bucket, ``op`` (fmax, fmin) over its values; NaN where none is known."""
    out = np.full(count, np.nan)
    op.at(out, slot, values)
    return out


def _mean(slot: np.ndarray, values: np.ndarray, count: int) -> np.ndarray:
    known = ~np.isnan(values)
    total = np.bincount(slot[known], weights=values[known], minlength=count)
    n = np.bincount(slot[known], minlength=count)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, total / np.maximum(n, 1), np.nan)


def _plain(values: np.ndarray, digits: int) -> list[float | None]:
    """Numbers for JSON: rounded, and None where unknown (a gap in the chart)."""
    return [None if v != v else v for v in np.round(values, digits).tolist()]


@dataclasses.dataclass
class _Windows:
    """The numbers the charts need from each window, one array each, in time order."""

    start: np.ndarray
    seconds: np.ndarray
    rows: np.ndarray
    share: np.ndarray
    estimated: np.ndarray
    low: np.ndarray
    high: np.ndarray
    realized: np.ndarray
    effects: dict[str, np.ndarray]
    metric: str | None
    reference: float | None

    @classmethod
    def read(cls, rows: Sequence[Any]) -> _Windows:
        # Plain lists filled row by row, arrays made once: writing numpy cells one at a
        # time costs more than the parsing.
        metric: str | None = None
        reference = None
        nan = float("nan")
        starts, seconds, counts, shares = [], [], [], []
        est, low, high, realized = [], [], [], []
        effects: dict[str, list[float]] = {}
        for i, (start, end, n, metrics_text, drift_text) in enumerate(rows):
            at = as_utc(start).timestamp()
            starts.append(at)
            seconds.append(as_utc(end).timestamp() - at)
            counts.append(n)
            metrics = orjson.loads(metrics_text) if metrics_text else {}
            share = metrics.get("drift_share")
            shares.append(nan if share is None else share)
            estimated = metrics.get("estimated")
            if estimated and metric is None:
                metric = lead_metric(estimated)
            one = (estimated or {}).get(metric) or {}
            est.append(one.get("value", nan))
            low.append(one.get("low", nan))
            high.append(one.get("high", nan))
            realized.append((metrics.get("realized") or {}).get(metric, nan))
            ref = (metrics.get("reference") or {}).get(metric)
            reference = ref if ref is not None else reference
            if drift_text:
                for c in orjson.loads(drift_text).get("columns", ()):
                    column = effects.get(c["column"])
                    if column is None:
                        column = effects[c["column"]] = [nan] * len(rows)
                    column[i] = c.get("effect_size", nan)

        def array(values: list[Any]) -> np.ndarray:
            return np.array(values, dtype=float)  # None becomes NaN

        return cls(
            start=array(starts),
            seconds=array(seconds),
            rows=array(counts),
            share=array(shares),
            estimated=array(est),
            low=array(low),
            high=array(high),
            realized=array(realized),
            effects={c: array(v) for c, v in effects.items()},
            metric=metric,
            reference=reference,
        )
