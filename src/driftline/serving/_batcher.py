"""Adaptive batching: concurrent requests to one model share a model call.

When the model is idle a request goes straight in, so a lone caller never
waits for company. While a call runs, new requests queue; when it ends they
leave together, up to ``max_batch_size`` rows. So batches grow with load on
their own. Under sustained load (recent batches held more than one request)
the batcher also lets the event loop turn, up to ``max_latency_ms``, while
that brings more requests: those the server has read but not yet parsed. It
stops at the first quiet turns rather than sitting out the whole wait, which
would only delay a batch that already holds every caller (eight clients
waiting on their answers send nothing more). A request still queued at its
deadline is shed with :class:`UnavailableError` (HTTP 503) rather than left
hanging.

Requests that bring a ``check`` (the signature's validation of a numeric
matrix) are checked together, in one pass over the batch's rows; only when
that pass fails is each checked alone, so the error goes to the request that
caused it, with its own row numbers. Likewise a model call that fails for a
batch of several requests is made again for each request alone: rows the
signature lets through can still make a model raise, and one caller's rows
must not fail everyone they were batched with.

Calls cheaper than ``inline_below_s`` (ONNX on a few rows: microseconds) run
on the event loop itself; a thread hop would cost more than the call.

Per request the batcher allocates one future and one timer: under load its
own bookkeeping must stay small next to a model call of a few microseconds.
"""

from __future__ import annotations

import asyncio
import collections
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import cast

import numpy as np
import pandas as pd

from driftline.errors import UnavailableError
from driftline.registry import ModelRuntime, Prediction

__all__ = ["BatchStats", "Batcher"]

Check = Callable[[np.ndarray], None]
# Loop turns without a new request before a batch under load stops waiting: a request
# read from its socket reaches the queue within two turns (parse, then its handler).
_QUIET_TURNS = 2


class _Item:
    __slots__ = ("check", "deadline", "frame", "future", "queued_at", "started")

    def __init__(
        self,
        frame: np.ndarray | pd.DataFrame,
        future: asyncio.Future[Prediction],
        deadline: float,
        check: Check | None,
    ) -> None:
        self.frame = frame
        self.future = future
        self.deadline = deadline
        self.check = check
        self.queued_at = time.perf_counter()
        self.started = False  # taken into a model call


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
        self._items: collections.deque[_Item] = collections.deque()
        self._wakeup: asyncio.Future[None] | None = None  # set while the runner waits
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="driftline-model")
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._load = 1.0  # moving average of requests per batch

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        """Answer everything queued, then stop."""
        self._stopping = True
        self._wake()
        if self._task is not None:
            await self._task
        self._executor.shutdown(wait=True)

    async def predict(
        self,
        frame: np.ndarray | pd.DataFrame,
        *,
        timeout: float,
        check: Check | None = None,
        alone: bool = False,
    ) -> Prediction:
        """The model's answer for ``frame``, within ``timeout`` seconds or a 503.

        ``check`` validates a numeric matrix; it runs with the batch (see the module doc).
        ``alone`` says no other request is in flight in the server: then a cheap call
        is made at once, in the caller's task.
        """
        idle = self._wakeup is not None or self._task is None  # waiting for work, or not begun
        if alone and not self._items and idle and self._cheap():
            # The runner has no work and no other request is in flight: answer here,
            # sparing the hand-off to the runner's task and back (two loop turns).
            if check is not None:
                check(cast(np.ndarray, frame))
            self._load = 0.8 * self._load + 0.2
            result = self.runtime.predict(frame)
            if self.on_batch is not None:
                self.on_batch(self.runtime, BatchStats(len(frame), 1, [0.0]))
            return result
        loop = asyncio.get_running_loop()
        item = _Item(frame, loop.create_future(), time.perf_counter() + timeout, check)
        self.start()
        self._items.append(item)
        self._wake()
        expiry = loop.call_later(timeout, _expire, item)
        try:
            return await item.future
        finally:
            expiry.cancel()

    def _wake(self) -> None:
        if self._wakeup is not None and not self._wakeup.done():
            self._wakeup.set_result(None)

    async def _wait(self) -> None:
        """Until a request arrives (or the batcher stops)."""
        self._wakeup = asyncio.get_running_loop().create_future()
        try:
            await self._wakeup
        finally:
            self._wakeup = None

    def _take(self, batch: list[_Item], rows: int) -> int:
        """Move queued items into ``batch`` up to the row limit; the rows it now holds."""
        items = self._items
        while items and (rows < self.max_batch_size or not batch):
            item = items.popleft()
            if item.future.done():  # shed at its deadline, or its caller went away
                continue
            batch.append(item)
            rows += len(item.frame)
        return rows

    async def _collect(self) -> list[_Item]:
        batch: list[_Item] = []
        rows = 0
        while not batch:
            if not self._items:
                if self._stopping:
                    return batch
                await self._wait()
            rows = self._take(batch, rows)
        if self._load > 1.5 and rows < self.max_batch_size:
            # Let the requests the loop has already read catch up, while they keep coming.
            until = batch[0].queued_at + self.max_latency
            quiet = 0
            while (
                rows < self.max_batch_size
                and quiet < _QUIET_TURNS
                and not self._stopping
                and time.perf_counter() < until
            ):
                await asyncio.sleep(0)
                before, rows = rows, self._take(batch, rows)
                quiet = quiet + 1 if rows == before else 0
        return batch

    async def _run(self) -> None:
        while True:
            batch = await self._collect()
            if not batch:
                return  # stopping, and nothing left to answer
            await self._answer(batch)

    async def _answer(self, batch: list[_Item]) -> None:
        now = time.perf_counter()
        live = []
        for item in batch:
            if item.future.done():
                continue
            if now > item.deadline:  # its timer has not fired yet: the loop was busy
                item.future.set_exception(_too_busy())
            else:
                live.append(item)
        checked = [item for item in live if item.check is not None]
        if checked:
            live = [item for item in live if item.check is None] + _checked(checked)
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
            result = await self._predict(frame)
        except Exception as exc:  # one failed call never stops the batcher
            if len(live) == 1:
                live[0].future.set_exception(exc)
            else:
                # One caller's rows can fail a call that holds everyone's: ask again one
                # request at a time, so only the requests that fail alone get the error.
                await self._one_by_one(live)
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

    def _cheap(self) -> bool:
        return bool(self.runtime.call_seconds and self.runtime.call_seconds < self.inline_below_s)

    async def _predict(self, frame: np.ndarray | pd.DataFrame) -> Prediction:
        """One model call: on the loop when calls are cheap, else on the model thread."""
        if self._cheap():
            return self.runtime.predict(frame)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self.runtime.predict, frame)

    async def _one_by_one(self, items: list[_Item]) -> None:
        for item in items:
            if item.future.done():
                continue
            try:
                answer = await self._predict(item.frame)
            except Exception as exc:
                item.future.set_exception(exc)
            else:
                item.future.set_result(answer)


def _checked(items: list[_Item]) -> list[_Item]:
    """The items whose matrices pass their check; the others get their error."""
    matrices = [cast(np.ndarray, i.frame) for i in items]
    check = items[0].check
    if check is not None and all(i.check == check for i in items):
        try:
            check(np.concatenate(matrices) if len(matrices) > 1 else matrices[0])
        except Exception:  # someone's rows fail: find whose, each with its own message
            pass
        else:
            return items
    passed = []
    for item, matrix in zip(items, matrices, strict=True):
        try:
            cast(Check, item.check)(matrix)
        except Exception as exc:
            item.future.set_exception(exc)
        else:
            passed.append(item)
    return passed


def _expire(item: _Item) -> None:
    # Still queued behind a slow call: shed now, not when the model comes free.
    # A request whose call has begun keeps waiting for its answer.
    if not item.started and not item.future.done():
        item.future.set_exception(_too_busy())


def _too_busy() -> UnavailableError:
    return UnavailableError("the model is too busy to answer before the deadline; retry")
