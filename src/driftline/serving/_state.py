"""The running server: deployments loaded, swapped when aliases move, and the prediction path."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import gc
import itertools
import logging
import sys
import time
import uuid
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from driftline.errors import InputError, NotFoundError
from driftline.guard import Scores
from driftline.registry import ModelRuntime, Prediction
from driftline.serving._batcher import Batcher, BatchStats
from driftline.serving._features import with_features
from driftline.serving._guarded import Guards
from driftline.serving._log_upkeep import LogUpkeep
from driftline.serving._metrics import Metrics
from driftline.serving._outcomes import failure_record
from driftline.serving._reload import Loader
from driftline.serving._router import Deployment, Route
from driftline.store import Context, InferenceLog, Predictions

__all__ = ["Answer", "ServerConfig", "ServerState"]

logger = logging.getLogger("driftline.serving")
_LETTERS = str.maketrans("0123456789abcdef", "ghijklmnopqrstuv")


@dataclass(frozen=True)
class ServerConfig:
    auth: bool = False
    max_batch_size: int = 64
    max_latency_ms: float = 2.0
    timeout_s: float = 10.0
    reload_interval_s: float = 0.5
    log_wait_for: str = "write"
    # Freeze what is loaded at start out of garbage collection (see ServerState.start).
    # Off only where the server shares its process with other work, as in tests.
    freeze_gc: bool = True
    # How long another thread (the deployment watcher's database reads, the log's syncer)
    # may keep the GIL once the event loop asks for it; Python's default, 5 ms, is a
    # request's whole budget at the tail. 0 keeps the process's setting.
    gil_switch_ms: float = 0.5
    # A deployment that failed to load is tried again when it changes, or after this long.
    reload_retry_s: float = 30.0


@dataclass(slots=True)  # not frozen: one per request, built five times faster
class Answer:
    route: Route
    prediction: Prediction
    request_ids: list[str]
    # Per row, whether the input guard found it unlike training (deployments that flag).
    unlike_training: list[bool] | None = None


class ServerState:
    def __init__(self, ctx: Context, config: ServerConfig) -> None:
        self.ctx = ctx
        self.config = config
        self.metrics = Metrics()
        self.log = InferenceLog.open(ctx.settings, wait_for=config.log_wait_for)
        self.log_upkeep = LogUpkeep(
            self.log, self.metrics.registry, ctx.settings.log_compact_seconds
        )
        self.loader = Loader(
            ctx,
            self.metrics,
            make_batcher=self._batcher_for,
            spawn=self._spawn,
            retry_s=config.reload_retry_s,
        )
        self.deployments: dict[str, Deployment] = self.loader.deployments  # the same dict
        self.ready = False
        self._watcher: asyncio.Task[None] | None = None
        self._background: set[asyncio.Task[Any]] = set()
        self.token_cache: dict[str, Any] = {}
        self.guards = Guards(self)
        # Request ids: random per process, then a counter; unique without a syscall each.
        # Written in the letters g to v (hex digits moved up the alphabet): with no digit
        # in it, the log's redactor sees at once that an id is nobody's card or phone.
        self._id_prefix = uuid.uuid4().hex[:16].translate(_LETTERS)
        self._id_counter = itertools.count()
        # The metrics every answer updates, by (model, route, protocol): labels() per
        # request would look them up under a lock each time.
        self._answered: dict[tuple[str, str, str], tuple[Any, Any]] = {}
        self._in_flight = 0  # requests between the batcher and their answer (see predict)
        self._switch_interval: float | None = None  # the process's, while this one applies

    # -- lifecycle ---------------------------------------------------------------

    async def start(self) -> None:
        await self.reload()
        # What is loaded by now (libraries, models: about 400,000 objects with
        # scikit-learn and pandas) lives as long as the server. Frozen, it is left out
        # of garbage collection: otherwise each full collection walks all of it, about
        # 0.4 s with every request stalled, and under load requests still in flight
        # reach the old generation fast enough to trigger one every two seconds.
        if self.config.freeze_gc:
            gc.collect()
            gc.freeze()
        if self.config.gil_switch_ms > 0:
            self._switch_interval = sys.getswitchinterval()
            sys.setswitchinterval(self.config.gil_switch_ms / 1000)
        self.ready = True
        self._watcher = asyncio.get_running_loop().create_task(self._watch())
        self.log_upkeep.start()

    async def stop(self) -> None:
        """Finish in-flight work, flush the log."""
        self.ready = False
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)
        for deployment in self.deployments.values():
            for route in deployment.routes.values():
                await route.batcher.stop()
        await self.log_upkeep.stop()
        self.log.close()
        self.guards.close()
        if self._switch_interval is not None:  # the process's own setting again
            sys.setswitchinterval(self._switch_interval)
            self._switch_interval = None

    async def reload(self) -> None:
        """Load what changed in the deployments (see ``_reload``)."""
        await self.loader.reload()

    async def _watch(self) -> None:
        await self.loader.watch(self.config.reload_interval_s)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def _batcher_for(self, route: str, runtime: ModelRuntime) -> Batcher:
        # The batcher serves one runtime: its metrics' children, looked up once.
        rows = self.metrics.batch_rows.labels(runtime.name, route)
        queued = self.metrics.queue_seconds.labels(runtime.name, route)
        if self.log.redactor is not None:  # before its first answer is logged
            self.log.redactor.mark_personal(runtime.signature.personal)

        def record(runtime: ModelRuntime, stats: BatchStats) -> None:
            rows.observe(stats.rows)
            for waited in stats.queue_seconds:
                queued.observe(waited)

        return Batcher(
            runtime,
            max_batch_size=self.config.max_batch_size,
            max_latency_ms=self.config.max_latency_ms,
            on_batch=record,
        )

    # -- predictions -------------------------------------------------------------

    def deployment(self, model: str) -> Deployment:
        found = self.deployments.get(model)
        if found is None:
            served = ", ".join(sorted(self.deployments)) or "none"
            raise NotFoundError(f"model {model!r} is not deployed here; deployed: {served}")
        return found

    async def predict(
        self,
        model: str,
        frame: pd.DataFrame | np.ndarray,
        *,
        protocol: str,
        key: str | None = None,
        request_id: str | None = None,
        version: int | None = None,
        looked_up: list[dict[str, Any]] | None = None,
    ) -> Answer:
        started = time.perf_counter()
        deployment = self.deployment(model)
        guard = self.guards.of(deployment)
        if guard is not None:
            self.guards.admit(guard, len(frame))  # a caller over its rate limit gets 429
        if len(frame) == 0:
            # Some runtimes answer zero rows and scikit-learn raises, so no protocol may pass them.
            raise InputError(f"the request for {model!r} has no rows; send at least one")
        if looked_up is None:  # else the fast path completed the records already
            frame, looked_up = await with_features(deployment.features, frame)
        route = deployment.choose(key)
        if version is not None:
            matching = [
                r
                for r in deployment.routes.values()
                if r.runtime.version.version == version and r.name != "shadow"
            ]
            if not matching:
                raise NotFoundError(
                    f"version {version} of {model!r} is not served; served: "
                    + ", ".join(str(v) for k, v in deployment.versions.items() if k != "shadow")
                )
            route = matching[0]
        names = deployment.champion.runtime.names
        scores = self.guards.check(guard, route, frame, names) if guard is not None else None
        payload: np.ndarray | pd.DataFrame
        check = None
        if isinstance(frame, np.ndarray):
            # A matrix from the fast path, columns in the champion's order.
            if route.runtime.matrix_inputs and route.runtime.names == names:
                check = route.runtime.signature.validate_matrix  # with the batch, in one pass
                payload = frame
            else:
                frame = pd.DataFrame(frame, columns=names)
        if not isinstance(frame, np.ndarray):
            route.runtime.signature.validate(frame)
            payload = route.runtime.prepare(frame)
        base = request_id or self._id_prefix + f"{next(self._id_counter):016x}".translate(_LETTERS)
        # A lone caller's request (none other waiting on the model or the log) is
        # answered in this task; with company it joins the batch.
        alone = self._in_flight == 0
        self._in_flight += 1
        try:
            try:
                prediction = await route.batcher.predict(
                    payload, timeout=self.config.timeout_s, check=check, alone=alone
                )
            except Exception as exc:
                await self._failed(route, base, len(frame), exc, time.perf_counter() - started)
                raise
            latency = time.perf_counter() - started
            ids = [base] if len(frame) == 1 else [f"{base}:{i}" for i in range(len(frame))]
            await self._log(
                route, payload, prediction, ids, latency, key=key, looked_up=looked_up, guard=scores
            )
        finally:
            self._in_flight -= 1
        answered = self._answered.get((model, route.name, protocol))
        if answered is None:
            answered = self._answered[(model, route.name, protocol)] = (
                self.metrics.latency.labels(model, route.name),
                self.metrics.requests.labels(model, route.name, protocol, "200"),
            )
        answered[0].observe(latency)
        answered[1].inc()
        if deployment.shadow is not None:
            shadow_frame = (
                pd.DataFrame(frame, columns=deployment.champion.runtime.names)
                if isinstance(frame, np.ndarray)
                else frame
            )
            self._spawn(self._shadow(deployment.shadow, shadow_frame, ids, key))
        if guard is not None:
            prediction = self.guards.after(guard, route, frame, names, prediction, scores)
            if scores is not None and guard.policy.mode == "flag":
                return Answer(route, prediction, ids, scores.flags())
        return Answer(route, prediction, ids)

    async def _failed(
        self, route: Route, request_id: str, rows: int, exc: Exception, latency: float
    ) -> None:
        """Log that ``route`` failed this request, so error rates compare between versions."""
        record = failure_record(route, request_id, rows, exc, latency)
        if record is not None:
            with contextlib.suppress(Exception):  # the caller hears of the first failure
                await self.log.commit([record])

    async def _shadow(
        self, route: Route, frame: pd.DataFrame, ids: list[str], key: str | None
    ) -> None:
        started = time.perf_counter()
        try:
            route.runtime.signature.validate(frame)
            payload = route.runtime.prepare(frame)
            prediction = await route.batcher.predict(payload, timeout=self.config.timeout_s)
            await self._log(
                route,
                payload,
                prediction,
                [f"{i}~shadow" for i in ids],
                time.perf_counter() - started,
                key=key,
            )
        except Exception as exc:  # a shadow never fails the caller; count it
            self.metrics.errors.labels(route.runtime.name, f"shadow:{type(exc).__name__}").inc()

    async def _log(
        self,
        route: Route,
        payload: np.ndarray | pd.DataFrame,
        prediction: Prediction,
        ids: list[str],
        latency: float,
        *,
        key: str | None = None,
        looked_up: list[dict[str, Any]] | None = None,
        guard: Scores | None = None,
    ) -> None:
        names = route.runtime.names
        inputs: np.ndarray | list[dict[str, Any]]
        if isinstance(payload, np.ndarray):
            inputs = payload  # rows made into records when the log writes its group
        else:
            inputs = [
                {str(k): _plain(v) for k, v in r.items()} for r in payload.to_dict(orient="records")
            ]
        await self.log.commit_predictions(
            Predictions(
                model=route.runtime.name,
                version=route.runtime.version.version,
                route=route.name,
                request_ids=ids,
                latency_ms=latency * 1000,
                names=names,
                inputs=inputs,
                labels=prediction.labels,
                probabilities=prediction.probabilities,
                request_key=key,
                looked_up=looked_up,
                guard_ratios=guard.ratios if guard is not None else None,
                unlike_training=guard.unlike if guard is not None else None,
            )
        )

    async def label(self, model: str, labels: list[tuple[str, Any]]) -> int:
        self.deployment(model)
        now = dt.datetime.now(dt.UTC).isoformat()
        await self.log.commit(
            [
                {
                    "kind": "label",
                    "model": model,
                    "request_id": rid,
                    "label": value,
                    "timestamp": now,
                }
                for rid, value in labels
            ]
        )
        return len(labels)


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value
