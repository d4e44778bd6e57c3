"""Run a registered model version over a Redis stream, from the workspace's store handles."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from typing import Any

from driftline.privacy import Redactor
from driftline.registry import ModelRuntime
from driftline.store import Context, InferenceLog
from driftline.stream._address import StreamAddress
from driftline.stream._worker import StreamOptions, StreamStats, StreamWorker

__all__ = ["run", "stop_on_signals"]


def run(
    ctx: Context,
    ref: str,
    source: str,
    *,
    sink: str,
    group: str | None = None,
    consumer: str | None = None,
    dead_letter: str | None = None,
    claim_idle: float = 30.0,
    batch: int = 64,
    max_sink: int = 100_000,
    block: float = 1.0,
    log: bool = False,
    drain: bool = False,
    handle_signals: bool = False,
) -> StreamStats:
    """Score the messages of ``source`` with ``ref`` into ``sink`` until stopped.

    ``source`` is ``redis://host:port/db/stream``; ``sink`` and ``dead_letter``
    are stream names on that server (or full addresses of it). With ``log``,
    each answer also goes to the inference log (route ``stream``). With
    ``handle_signals``, SIGTERM and Ctrl-C finish the batch in hand and return.
    """
    address = StreamAddress.parse(source, option="--source")
    options = StreamOptions(
        group=group,
        consumer=consumer,
        dead_letter=dead_letter,
        claim_idle=claim_idle,
        batch=batch,
        max_sink=max_sink,
        block=block,
        drain=drain,
    )
    options.check()
    target = address.beside(sink, option="--sink")
    runtime = ModelRuntime.load(ctx, ref)
    redactor = Redactor.from_settings(ctx.settings)
    redactor.mark_personal(runtime.signature.personal)  # as the model's signature marks them
    inference_log = InferenceLog.open(ctx.settings, redactor=redactor) if log else None
    try:
        worker = StreamWorker(
            runtime,
            address,
            target,
            options,
            log=inference_log,
            redactor=redactor,
        )
        guard = stop_on_signals(worker) if handle_signals else contextlib.nullcontext()
        with guard:
            return worker.run()
    finally:
        if inference_log is not None:
            inference_log.close()


@contextlib.contextmanager
def stop_on_signals(worker: StreamWorker) -> Iterator[None]:
    """SIGTERM and SIGINT stop ``worker`` gracefully; a second one stops it at once."""
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may set signal handlers
        return

    def handle(signum: int, _frame: Any) -> None:
        if worker.stopping:
            raise KeyboardInterrupt  # asked twice: the batch in hand stays pending, unanswered
        worker.signalled(f"{signal.Signals(signum).name} received")

    previous = {s: signal.signal(s, handle) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
