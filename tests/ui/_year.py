"""A year of hourly monitoring windows (8,760) for one model, written as monitoring writes them.

Each window holds what ``monitor.run`` stores: rows, drift share and
detection, estimated performance with its band, realized performance for
labelled windows, and a drift report with one entry per input column. In
the last month ``income`` drifts; a few alerts are open. Rows go in through
the store's tables in one transaction, so building it takes seconds.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pyarrow as pa

from driftline.store import AlertRow, LogStore, MonitorWindowRow

COLUMNS = ["income", "age", "visits", "basket", "region", "device"]
WINDOWS = 8760


def _drift(effects: np.ndarray, drifted: np.ndarray) -> dict[str, Any]:
    return {
        "method": "auto",
        "drift_detected": bool(drifted.any()),
        "p_value": 0.001 if drifted.any() else 0.4,
        "score": float(drifted.mean()),
        "alpha": 0.05,
        "correction": "bh",
        "n_reference": 1500,
        "n_current": 120,
        "columns": [
            {
                "column": c,
                "kind": "numeric",
                "method": "ks",
                "statistic": float(e),
                "p_value": 0.001 if d else 0.5,
                "p_value_adjusted": 0.004 if d else 0.9,
                "effect": "wasserstein",
                "effect_size": float(e),
                "threshold": 0.1,
                "drifted": bool(d),
            }
            for c, e, d in zip(COLUMNS, effects, drifted, strict=True)
        ],
    }


def write_year(
    ctx: Any,
    model: str,
    *,
    version: int = 1,
    seed: int = 0,
    windows: int = WINDOWS,
    end: dt.datetime | None = None,
) -> dt.datetime:
    """Write ``windows`` hourly windows ending at ``end`` (the current hour); returns the first start."""
    rng = np.random.default_rng(seed)
    end = end or dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)
    first = end - dt.timedelta(hours=windows)
    drift_from = max(windows - 30 * 24, windows // 2)
    now = dt.datetime.now(dt.UTC)
    objects: list[Any] = []
    for i in range(windows):
        start = first + dt.timedelta(hours=i)
        rows = int(100 + 80 * np.sin(2 * np.pi * (i % 24) / 24) ** 2 + rng.integers(0, 40))
        effects = np.abs(rng.normal(0.02, 0.01, len(COLUMNS)))
        if i >= drift_from:
            effects[0] += 0.15 + 0.002 * (i - drift_from) / 24
        drifted = effects > 0.1
        value = 0.91 - (0.05 if i >= drift_from else 0.0) + rng.normal(0, 0.005)
        metrics: dict[str, Any] = {
            "rows": float(rows),
            "missing_rate": 0.0,
            "drift_share": float(drifted.mean()),
            "drift_detected": float(drifted.any()),
            "drift_score": float(drifted.mean()),
            "quality_critical": 0.0,
            "quality_warnings": 0.0,
            "estimated": {
                "accuracy": {"value": value, "low": value - 0.03, "high": value + 0.03},
                "f1": {"value": value - 0.05, "low": value - 0.09, "high": value - 0.01},
            },
            "labelled": rows if i % 3 == 0 else 0,
            "reference": {"accuracy": 0.91, "f1": 0.86},
        }
        if i % 3 == 0:
            metrics["realized"] = {"accuracy": value + rng.normal(0, 0.01), "f1": value - 0.05}
        objects.append(
            MonitorWindowRow(
                model=model,
                version=version,
                window_start=start,
                window_end=start + dt.timedelta(hours=1),
                rows=rows,
                evaluated=True,
                metrics=metrics,
                drift=_drift(effects, drifted),
                quality=None,
                computed_at=now,
            )
        )
    opened = first + dt.timedelta(hours=drift_from)
    objects.append(
        AlertRow(
            model=model,
            rule="input-drift",
            severity="warning",
            status="open",
            message=f"1 of {len(COLUMNS)} input columns of {model}:{version} moved away from the "
            "training data: `income`.",
            metric="drift_share",
            value=1 / len(COLUMNS),
            threshold=0.1,
            opened_at=opened,
            window_start=opened,
        )
    )
    with ctx.db.write() as s:
        s.add_all(objects)
    return first


def write_year_log(
    ctx: Any,
    model: str,
    *,
    days: int = 365,
    per_hour: int = 150,
    seed: int = 0,
    end: dt.datetime | None = None,
) -> int:
    """Publish ``days`` of ``model``'s served requests ending at ``end`` (the current hour) as
    the log's compaction does, one Parquet file a day; one request in 500 failed. Returns how
    many requests answered."""
    import pyarrow as pa

    from driftline.store import LogStore

    store = LogStore.from_settings(ctx.settings)
    rng = np.random.default_rng(seed)
    end = end or dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)
    answered = 0
    for d in range(days):
        day = (end - dt.timedelta(days=days - d)).replace(hour=0)
        n = per_hour * 24
        seconds = np.sort(rng.uniform(0, 86400, n))
        times = pa.array(
            [day + dt.timedelta(seconds=float(s)) for s in seconds], pa.timestamp("us", tz="UTC")
        )
        slow = 1.0 + (d % 30 == 0)  # one day a month is slow
        latency = 3 + rng.gamma(2.0, 2.0, n) * slow
        failed = rng.random(n) < 1 / 500
        predictions = pa.table(
            {
                "request_id": [f"{model}-{d}-{i}" for i in range(n)],
                "timestamp": times,
                "version": pa.array(np.full(n, 1)),
                "route": pa.array(["champion"] * n),
                "latency_ms": pa.array(latency),
                "prediction": pa.array(rng.integers(0, 2, n)),
                **{c: pa.array(rng.normal(size=n)) for c in COLUMNS},
            }
        ).filter(pa.array(~failed))
        answered += predictions.num_rows
        name = day.date().isoformat()
        store.publish_table(
            f"{store.partition('predictions', model, name)}/s{d:04d}.parquet", predictions
        )
        if not failed.any():
            continue
        failures = pa.table(
            {
                "request_id": [f"{model}-{d}-{i}" for i in np.flatnonzero(failed)],
                "timestamp": times.filter(pa.array(failed)),
                "version": pa.array(np.full(int(failed.sum()), 1)),
                "route": pa.array(["champion"] * int(failed.sum())),
                "rows": pa.array(np.full(int(failed.sum()), 1)),
                "error": pa.array(["TimeoutError"] * int(failed.sum())),
                "latency_ms": pa.array(np.full(int(failed.sum()), 10.0)),
            }
        )
        store.publish_table(
            f"{store.partition('failures', model, name)}/s{d:04d}.parquet", failures
        )
    return answered


def publish_late(store: LogStore, model: str, when: dt.datetime, latency_ms: float) -> str:
    """Two predictions of ``model`` at ``when`` put straight into the store, as another
    host's compaction leaves a file in a settled day; the file's key."""
    late = pa.table(
        {
            "request_id": ["late-1", "late-2"],
            "timestamp": pa.array([when, when], pa.timestamp("us", tz="UTC")),
            "version": [1, 1],
            "route": ["champion", "champion"],
            "latency_ms": [latency_ms, latency_ms],
            "prediction": [0, 1],
        }
    )
    key = f"{store.partition('predictions', model, when.strftime('%Y-%m-%d'))}/late.parquet"
    store.publish_table(key, late)
    return key
