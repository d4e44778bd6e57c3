"""A fallback load generator for when wrk is not installed: httpx over asyncio.

    python loadgen.py URL --bodies bodies.json --concurrency 8 --warmup 3 --duration 10

``concurrency`` connections each POST in a closed loop (send, wait for the
answer, send again), cycling through the bodies, as wrk does. Prints one JSON
line shaped like serve_bench.py's wrk result. Slower than wrk: at high rates it,
not the server, may be the limit, which the report says.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from pathlib import Path

import httpx
import numpy as np


async def run(args: argparse.Namespace) -> dict[str, object]:
    bodies = [b.encode() for b in json.loads(Path(args.bodies).read_text())]
    headers = {"content-type": "application/json"}
    limits = httpx.Limits(
        max_connections=args.concurrency, max_keepalive_connections=args.concurrency
    )
    latencies: list[float] = []
    counts = {"ok": 0, "status": 0, "failed": 0}
    start = time.perf_counter() + args.warmup
    stop = start + args.duration
    async with httpx.AsyncClient(limits=limits, timeout=10.0) as client:

        async def worker(k: int) -> None:
            i = k
            while True:
                t0 = time.perf_counter()
                if t0 >= stop:
                    return
                try:
                    r = await client.post(
                        args.url, content=bodies[i % len(bodies)], headers=headers
                    )
                    kind = "ok" if 200 <= r.status_code < 300 else "status"
                except httpx.HTTPError:
                    kind = "failed"
                t1 = time.perf_counter()
                if t0 >= start:
                    counts[kind] += 1
                    latencies.append(t1 - t0)
                i += 1

        await asyncio.gather(*(worker(k) for k in range(args.concurrency)))
    lat = np.array(latencies) * 1000
    return {
        "requests": int(lat.size),
        "seconds": args.duration,
        "status_errors": counts["status"],
        "socket_errors": counts["failed"],
        "p50_ms": float(np.percentile(lat, 50)) if lat.size else None,
        "p99_ms": float(np.percentile(lat, 99)) if lat.size else None,
        "mean_ms": float(lat.mean()) if lat.size else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--bodies", required=True)
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--duration", type=float, default=10.0)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args))))


if __name__ == "__main__":
    main()
