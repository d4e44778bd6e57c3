"""A server for serve_tail_bench: driftline (as ``driftline serve`` builds it) or a raw ASGI floor.

    python tail_server.py driftline|raw --home WORKSPACE --port 8000 --events events.json \
        [--config '{"reload_interval_s": 0.5}'] [--ref rf@champion]

``driftline`` is ``ui.mount(create_app(...))`` under ``uvicorn.run``'s defaults
(uvloop, httptools), as the CLI serves it. ``raw`` is the floor under it: the
same uvicorn, loop and HTTP parser, and a bare ASGI function that decodes the V2
body, calls the same ONNX runtime and encodes the answer; no log, no batcher, no
threads, no periodic work.

Both record, on the clock the client uses (``time.perf_counter``, CLOCK_MONOTONIC
on Linux, shared between processes), when each request entered and left the
app (with the loop thread's CPU wait at both ends, from /proc schedstat) and when
things that can stall it happened: garbage collections (gc.callbacks),
the log's fdatasync calls, the deployment watcher's database reads, the log's
compactions. At SIGINT they are written to ``--events`` as JSON.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import signal
import time
from pathlib import Path
from typing import Any

clock = time.perf_counter
events: dict[str, list[tuple[float, ...]]] = {
    "request": [],
    "gc0": [],
    "gc1": [],
    "gc2": [],
    "fdatasync": [],
    "reload": [],
    "compaction": [],
}


def record_gc() -> None:
    started: dict[int, float] = {}

    def callback(phase: str, info: dict[str, Any]) -> None:
        gen = info["generation"]
        if phase == "start":
            started[gen] = clock()
        elif gen in started:
            events[f"gc{gen}"].append((started.pop(gen), clock()))

    gc.callbacks.append(callback)


def timed(owner: Any, name: str, kind: str, *, coroutine: bool = False) -> None:
    """Wrap ``owner.name`` so each call is recorded as an event of ``kind``."""
    inner = getattr(owner, name)
    if coroutine:

        async def awrapper(*args: Any, **kwargs: Any) -> Any:
            t0 = clock()
            try:
                return await inner(*args, **kwargs)
            finally:
                events[kind].append((t0, clock()))

        setattr(owner, name, awrapper)
    else:

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            t0 = clock()
            try:
                return inner(*args, **kwargs)
            finally:
                events[kind].append((t0, clock()))

        setattr(owner, name, wrapper)


def run_delay(fd: int) -> float:
    """Seconds the thread behind ``fd`` (its /proc schedstat) has waited runnable for a CPU."""
    return int(os.pread(fd, 128, 0).split()[1]) / 1e9


def requests_timed(app: Any) -> Any:
    """The app, with each request's time inside it recorded (from its first call to its last send).

    Also the loop thread's run-queue wait at both ends: what it waited for the CPU
    between requests and during one.
    """
    log = events["request"]
    fd = os.open("/proc/thread-self/schedstat", os.O_RDONLY)  # the thread that runs the loop

    async def timed_app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        t0, w0 = clock(), run_delay(fd)
        await app(scope, receive, send)
        log.append((t0, clock(), w0, run_delay(fd)))

    return timed_app


def driftline_app(home: Path, config: dict[str, Any]) -> Any:
    import driftline
    from driftline import ui
    from driftline.serving import ServerConfig, _log_upkeep, _reload, create_app
    from driftline.store import InferenceLog

    nice = config.pop("syncer_nice", None)
    if nice is not None:  # a diagnostic: how much the log's syncer yields the CPU
        from driftline.store import _log

        _log.SYNCER_NICE = nice
    window = config.pop("sync_window_s", None)
    if window is not None:  # a diagnostic: the log's fdatasync window
        init = InferenceLog.__init__

        def with_window(self: Any, *args: Any, **kwargs: Any) -> None:
            init(self, *args, **{**kwargs, "sync_window_s": window})

        InferenceLog.__init__ = with_window  # type: ignore[method-assign]

    timed(os, "fdatasync", "fdatasync")
    timed(_reload.Loader, "_snapshot", "reload")
    timed(_log_upkeep.LogUpkeep, "compact", "compaction", coroutine=True)
    ws = driftline.Workspace.open(home, create=False)
    return ui.mount(create_app(ws.context, ServerConfig(**config)), ws.context)


def raw_app(home: Path, ref: str) -> Any:
    import numpy as np

    import driftline
    from driftline.registry import ModelRuntime

    ws = driftline.Workspace.open(home, create=False)
    runtime = ModelRuntime.load(ws.context, ref)
    headers = [(b"content-type", b"application/json")]

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        if scope["method"] != "POST":  # the readiness probe
            answer = b"{}"
        else:
            tensor = json.loads(body)["inputs"][0]
            matrix = np.asarray(tensor["data"], dtype=np.float64).reshape(tensor["shape"])
            prediction = runtime.predict(matrix)
            probabilities = prediction.probabilities
            assert probabilities is not None
            answer = json.dumps(
                {
                    "model_name": "rf",
                    "outputs": [
                        {
                            "name": "predict_proba",
                            "shape": list(probabilities.shape),
                            "datatype": "FP64",
                            "data": probabilities.ravel().tolist(),
                        }
                    ],
                }
            ).encode()
        length = (b"content-length", b"%d" % len(answer))
        await send({"type": "http.response.start", "status": 200, "headers": [*headers, length]})
        await send({"type": "http.response.body", "body": answer})

    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("app", choices=["driftline", "raw"])
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--events", type=Path, required=True)
    parser.add_argument("--config", default="{}", help="driftline's ServerConfig, as JSON")
    parser.add_argument("--ref", default="rf@champion")
    args = parser.parse_args()

    import uvicorn

    record_gc()
    if args.app == "driftline":
        app = driftline_app(args.home, json.loads(args.config))
    else:
        app = raw_app(args.home, args.ref)
    server = uvicorn.Server(
        uvicorn.Config(requests_timed(app), host="127.0.0.1", port=args.port, log_level="warning")
    )

    def stop(*_: Any) -> None:
        server.should_exit = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    server.run()
    args.events.write_text(json.dumps(events))


if __name__ == "__main__":
    main()
