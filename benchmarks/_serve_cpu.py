"""serve_bench --cpu: the server's own CPU per V2 request, in process, with no sockets.

The app is called as uvicorn calls it (an ASGI scope, receive and send), by
``concurrency`` client coroutines on the same event loop, so what is measured
is driftline's path alone: the fast path, decoding, batching, the model call,
the log (its writer and syncer threads included) and the metrics. Not in it:
HTTP parsing and socket calls, which the wrk runs include. CPU is read from
the process clock and, per thread, from /proc; ``--profile`` adds cProfile on
the CPU clock and prints the top functions by their own time.
"""

from __future__ import annotations

import asyncio
import cProfile
import os
import pstats
import threading
import time
from pathlib import Path
from typing import Any


def _threads() -> dict[str, float]:
    """CPU seconds of each thread of this process, by name."""
    names = {str(t.native_id): t.name for t in threading.enumerate()}
    tick = os.sysconf("SC_CLK_TCK")
    out: dict[str, float] = {}
    for tid in os.listdir("/proc/self/task"):
        try:
            fields = Path(f"/proc/self/task/{tid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        name = names.get(tid, f"thread {tid}")
        out[name] = out.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / tick
    return out


async def _drive(
    home: Path, bodies: list[bytes], concurrency: int, requests: int, profile: bool
) -> str:
    import driftline
    from driftline.serving import ServerConfig, create_app

    ws = driftline.Workspace.open(home)
    app = create_app(ws.context, ServerConfig())
    state = app.state.driftline
    await state.start()
    statuses: list[int] = []

    async def one(i: int) -> None:
        body = bodies[i % len(bodies)]
        scope: dict[str, Any] = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
            "method": "POST", "scheme": "http", "path": "/v2/models/rf/infer",
            "raw_path": b"/v2/models/rf/infer", "query_string": b"", "root_path": "",
            "headers": [(b"host", b"bench"), (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode())],
            "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 80),
        }  # fmt: skip
        given = False

        async def receive() -> dict[str, Any]:
            nonlocal given
            if not given:
                given = True
                return {"type": "http.request", "body": body, "more_body": False}
            await asyncio.Event().wait()  # the client never goes away
            raise AssertionError

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                statuses.append(message["status"])

        await app(scope, receive, send)

    async def client(k: int, count: int) -> None:
        for j in range(count):
            await one(k * 100_000 + j)

    await asyncio.gather(*(client(k, 50) for k in range(concurrency)))  # warm-up
    statuses.clear()
    per = max(1, requests // concurrency)
    profiler = cProfile.Profile(time.process_time) if profile else None
    threads0, cpu0, wall0, loop0 = (
        _threads(),
        time.process_time(),
        time.perf_counter(),
        time.thread_time(),
    )
    if profiler is not None:
        profiler.enable()
    await asyncio.gather(*(client(k, per) for k in range(concurrency)))
    if profiler is not None:
        profiler.disable()
    cpu1, wall1, loop1, threads1 = (
        time.process_time(),
        time.perf_counter(),
        time.thread_time(),
        _threads(),
    )
    await state.stop()
    ws.close()
    total = per * concurrency
    bad = sum(1 for s in statuses if s != 200)
    lines = [
        f"concurrency {concurrency}: {total} requests ({bad} not 200), "
        f"process CPU {1e3 * (cpu1 - cpu0) / total:.4f} ms per request, "
        f"event loop thread {1e3 * (loop1 - loop0) / total:.4f}, "
        f"wall {1e3 * (wall1 - wall0) / total:.4f}"
    ]
    for name, seconds in sorted(threads1.items()):
        spent = seconds - threads0.get(name, 0.0)
        if spent > 0:
            lines.append(f"  {name}: {1e3 * spent / total:.4f} ms per request")
    if profiler is not None:
        stats = pstats.Stats(profiler)
        stats.sort_stats("tottime").print_stats(30)
    return "\n".join(lines)


def cpu_per_request(
    home: Path, bodies: list[str], concurrencies: list[int], requests: int, profile: bool
) -> list[str]:
    """One report line (and per-thread lines) per concurrency; a fresh app each time."""
    try:
        import uvloop

        run: Any = uvloop.run
    except ImportError:
        run = asyncio.run
    raw = [b.encode() for b in bodies]
    return [run(_drive(home, raw, c, requests, profile)) for c in concurrencies]
