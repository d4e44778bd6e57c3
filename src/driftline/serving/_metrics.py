"""Prometheus metrics, one registry per server so tests and workers do not share state.

The counters and histograms every request updates are plain numbers here,
not prometheus_client's metric objects: theirs take a lock per update and
check their state each call, which at a few thousand requests a second costs
as much CPU as decoding the request. Every update happens on the event loop's
thread, so no lock is needed; a custom collector turns the numbers into the
same series at scrape time (cumulative buckets, ``_sum``, ``_count``,
``_created``), under the same names, labels and values.
"""

from __future__ import annotations

import os
import time
from bisect import bisect_left
from collections.abc import Callable, Iterator, Sequence
from typing import Generic, TypeVar

from prometheus_client import CollectorRegistry, Gauge, generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

__all__ = ["Metrics"]

# As prometheus_client decides whether to show when each series began.
_CREATED = os.environ.get("PROMETHEUS_DISABLE_CREATED_SERIES", "False").lower() not in (
    "true",
    "1",
    "t",
)
_LATENCY_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)


class _Count:
    __slots__ = ("created", "value")

    def __init__(self) -> None:
        self.value = 0.0
        self.created = time.time()

    def inc(self, amount: float = 1) -> None:
        if amount < 0:
            raise ValueError("counters only go up")
        self.value += amount


class _Buckets:
    __slots__ = ("bounds", "counts", "created", "total")

    def __init__(self, bounds: tuple[float, ...]) -> None:
        self.bounds: tuple[float, ...] = bounds
        self.counts: list[int] = [0] * (len(bounds) + 1)  # the last one is +Inf
        self.total = 0.0
        self.created = time.time()

    def observe(self, value: float) -> None:
        # The first bound at or above the value: Prometheus buckets hold values <= le.
        self.counts[bisect_left(self.bounds, value)] += 1
        self.total += value


_Child = TypeVar("_Child", _Count, _Buckets)


class _Family(Collector, Generic[_Child]):
    """Children by label values, like a labelled prometheus_client metric."""

    def __init__(
        self,
        kind: str,
        name: str,
        documentation: str,
        labelnames: Sequence[str],
        make: Callable[[], _Child],
    ) -> None:
        self.kind = kind
        self.name = name.removesuffix("_total") if kind == "counter" else name
        self.documentation = documentation
        self.labelnames = tuple(labelnames)
        self._make: Callable[[], _Child] = make
        self._children: dict[tuple[str, ...], _Child] = {}

    def labels(self, *values: str) -> _Child:
        child = self._children.get(values)
        if child is None:
            key = tuple(str(v) for v in values)
            if len(key) != len(self.labelnames):
                raise ValueError(f"{self.name} takes labels {self.labelnames}, got {key}")
            child = self._children.setdefault(key, self._make())
        return child

    def describe(self) -> list[Metric]:
        return [Metric(self.name, self.documentation, self.kind)]

    def collect(self) -> Iterator[Metric]:
        metric = Metric(self.name, self.documentation, self.kind)
        children: dict[tuple[str, ...], _Count | _Buckets] = dict(self._children)
        for key, series in children.items():
            labels = dict(zip(self.labelnames, key, strict=True))
            if isinstance(series, _Count):
                metric.add_sample(self.name + "_total", labels, series.value)
                if _CREATED:
                    metric.add_sample(self.name + "_created", labels, series.created)
                continue
            _histogram_samples(metric, labels, series)
        yield metric


def _histogram_samples(metric: Metric, labels: dict[str, str], series: _Buckets) -> None:
    """Cumulative buckets, then count, sum and start time, as prometheus_client shows them."""
    acc = 0.0
    for bound, count in zip((*series.bounds, float("inf")), series.counts, strict=True):
        acc += count
        metric.add_sample(metric.name + "_bucket", {**labels, "le": floatToGoString(bound)}, acc)
    metric.add_sample(metric.name + "_count", labels, acc)
    metric.add_sample(metric.name + "_sum", labels, series.total)
    if _CREATED:
        metric.add_sample(metric.name + "_created", labels, series.created)


def _counter(
    name: str, doc: str, labels: Sequence[str], registry: CollectorRegistry
) -> _Family[_Count]:
    family = _Family("counter", name, doc, labels, _Count)
    registry.register(family)
    return family


def _histogram(
    name: str,
    doc: str,
    labels: Sequence[str],
    buckets: tuple[float, ...],
    registry: CollectorRegistry,
) -> _Family[_Buckets]:
    bounds = tuple(float(b) for b in buckets)
    family = _Family("histogram", name, doc, labels, lambda: _Buckets(bounds))
    registry.register(family)
    return family


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = _counter(
            "driftline_requests_total",
            "Prediction requests answered, by model, route, protocol and HTTP status.",
            ["model", "route", "protocol", "status"],
            self.registry,
        )
        self.errors = _counter(
            "driftline_errors_total",
            "Requests that failed, by model and error kind.",
            ["model", "kind"],
            self.registry,
        )
        self.latency = _histogram(
            "driftline_request_seconds",
            "Time from request parsed to response ready, by model and route.",
            ["model", "route"],
            _LATENCY_BUCKETS,
            self.registry,
        )
        self.batch_rows = _histogram(
            "driftline_batch_rows",
            "Rows per model call after adaptive batching.",
            ["model", "route"],
            (1, 2, 4, 8, 16, 32, 64, 128, 256),
            self.registry,
        )
        self.queue_seconds = _histogram(
            "driftline_queue_seconds",
            "Time a request waited in the batching queue.",
            ["model", "route"],
            _LATENCY_BUCKETS,
            self.registry,
        )

        self.load_failures = _counter(
            "driftline_deployment_load_failures_total",
            "Attempts to load a changed deployment that failed (its old routes kept serving).",
            ["model"],
            self.registry,
        )
        self.deployment_failing = Gauge(
            "driftline_deployment_failing",
            "1 while a deployment's latest change cannot be loaded, else 0.",
            ["model"],
            registry=self.registry,
        )
        self.guard = _counter(
            "driftline_guard_total",
            "What the guard did: inputs unlike training (flagged or refused), requests over "
            "a rate limit, query sweeps found; by model and event.",
            ["model", "event"],
            self.registry,
        )

    def render(self) -> bytes:
        return bytes(generate_latest(self.registry))
