"""Prometheus metrics, one registry per server so tests and workers do not share state."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

__all__ = ["Metrics"]

_LATENCY_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "driftline_requests_total",
            "Prediction requests answered, by model, route, protocol and HTTP status.",
            ["model", "route", "protocol", "status"],
            registry=self.registry,
        )
        self.errors = Counter(
            "driftline_errors_total",
            "Requests that failed, by model and error kind.",
            ["model", "kind"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "driftline_request_seconds",
            "Time from request parsed to response ready, by model and route.",
            ["model", "route"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.batch_rows = Histogram(
            "driftline_batch_rows",
            "Rows per model call after adaptive batching.",
            ["model", "route"],
            buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256),
            registry=self.registry,
        )
        self.queue_seconds = Histogram(
            "driftline_queue_seconds",
            "Time a request waited in the batching queue.",
            ["model", "route"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )

        self.load_failures = Counter(
            "driftline_deployment_load_failures_total",
            "Attempts to load a changed deployment that failed (its old routes kept serving).",
            ["model"],
            registry=self.registry,
        )
        self.deployment_failing = Gauge(
            "driftline_deployment_failing",
            "1 while a deployment's latest change cannot be loaded, else 0.",
            ["model"],
            registry=self.registry,
        )
        self.guard = Counter(
            "driftline_guard_total",
            "What the guard did: inputs unlike training (flagged or refused), requests over "
            "a rate limit, query sweeps found; by model and event.",
            ["model", "event"],
            registry=self.registry,
        )

    def render(self) -> bytes:
        return bytes(generate_latest(self.registry))
