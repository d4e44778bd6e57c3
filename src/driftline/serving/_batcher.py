"""Adaptive batching: concurrent requests to one model share a model call.

When the model is idle a request goes straight in, so a lone caller never
waits for company. While a call runs, new requests queue; when it ends they
leave together, up to ``max_batch_size`` rows. So batches grow with load on
their own. Under sustained load (recent batches held more than one request)
the batcher also waits up to ``max_latency_ms`` for a batch to fill. A
request still queued at its deadline is shed with :class:`UnavailableError`
(HTTP 503) rather than left hanging.

Calls cheaper than ``inline_below_s`` (ONNX on a few rows: microseconds) run
on the event loop itself; a thread hop would cost more than the call.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from driftline.errors import UnavailableError
from driftline.serving._runtime import ModelRuntime, Prediction

__all__ = ["BatchStats", "Batcher"]


@dataclass
class _Item:
    frame: np.ndarray | pd.DataFrame
    future: asyncio.Future[Prediction]
    deadline: float
    queued_at: float = field(default_factory=time.perf_counter)
    started: bool = False  # taken into a model call


@dataclass
class BatchStats:
    """What happened to one batch, for the metrics."""

    rows: int
    requests: int
    queue_seconds: list[float]


class Batcher:
    def __init__(
        self,
        runtime: ModelRuntime,
        *,
        max_batch_size: int = 64,
        max_latency_ms: float = 2.0,
        inline_below_s: float = 0.0005,
        on_batch: Callable[[ModelRuntime, BatchStats], None] | None = None,
    ) -> None:
        self.runtime = runtime
        self.max_batch_size = max_batch_size
        self.max_latency = max_latency_ms / 1000
        self.inline_below_s = inline_below_s
        self.on_batch = on_batch
        self._queue: asyncio.Queue[_Item] = asyncio.Queue()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="driftline-model")
        self._task: asyncio.Task[None] | None = None
        self._load = 1.0  # moving average of requests per batch

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        """Answer everything queued, then stop."""
        if self._task is not None:
            await self._queue.join()
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._executor.shutdown(wait=True)

    async def predict(self, frame: np.ndarray | pd.DataFrame, *, timeout: float) -> Prediction:
        loop = asyncio.get_running_loop()
        item = _Item(frame, loop.create_future(), time.perf_counter() + timeout)
        self.start()
        await self._queue.put(item)
        try:
            # Shielded: on timeout the item must stay answerable if its call already began.
            return await asyncio.wait_for(asyncio.shield(item.future), timeout)
        except TimeoutError:
            if item.started:
                return await item.future  # its model call is running: keep its answer
            # Still queued behind a slow call: shed now, not when the model comes free.
            item.future.cancel()
            raise _too_busy() from None

    async def _collect(self) -> list[_Item]:
        first = await self._queue.get()
        batch, rows = [first], len(first.frame)
        while rows < self.max_batch_size and not self._queue.empty():
            item = self._queue.get_nowait()
            batch.append(item)
            rows += len(item.frame)
        if self._load > 1.5 and rows < self.max_batch_size:
            until = first.queued_at + self.max_latency
            while rows < self.max_batch_size:
                left = until - time.perf_counter()
                if left <= 0:
                    break
                try:
                    item = await asyncio.wait_for(self._queue.get(), left)
                except TimeoutError:
                    break
                batch.append(item)
                rows += len(item.frame)
        return batch

    async def _run(self) -> None:
        while True:
            batch = await self._collect()
            try:
                await self._answer(batch)
            finally:
                for _ in batch:
                    self._queue.task_done()

    async def _answer(self, batch: list[_Item]) -> None:
        now = time.perf_counter()
        live = []
        for item in batch:
            if item.future.cancelled():
                continue
            if now > item.deadline:
                item.future.set_exception(_too_busy())
            else:
                live.append(item)
        if not live:
            return
        for item in live:
            item.started = True
        self._load = 0.8 * self._load + 0.2 * len(live)
        frame: np.ndarray | pd.DataFrame
        if len(live) == 1:
            frame = live[0].frame
        elif isinstance(live[0].frame, np.ndarray):
            frame = np.concatenate([i.frame for i in live])
        else:
            frame = pd.concat([i.frame for i in live], ignore_index=True)  # type: ignore[misc]
        try:
            if self.runtime.call_seconds and self.runtime.call_seconds < self.inline_below_s:
                result = self.runtime.predict(frame)
            else:
                loop = asyncio.get_running_loop()
                result = await loop.run_in_executor(self._executor, self.runtime.predict, frame)
        except Exception as exc:  # one failed call fails its batch, never the batcher
            for item in live:
                if not item.future.done():
                    item.future.set_exception(exc)
            return
        start = 0
        for item in live:
            stop = start + len(item.frame)
            if not item.future.done():
                item.future.set_result(result.slice(start, stop))
            start = stop
        if self.on_batch is not None:
            self.on_batch(
                self.runtime, BatchStats(len(frame), len(live), [now - i.queued_at for i in live])
            )


def _too_busy() -> UnavailableError:
    return UnavailableError("the model is too busy to answer before the deadline; retry")
