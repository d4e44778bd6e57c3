"""What a shared rate limit costs per request: buckets in this process, a SQLite file, Redis.

    python benchmarks/limits_bench.py [--quick] [--takes 50000] [--redis URL]

Each take is what the server does once per request of a limited caller:
``RateLimiter.take(key)``, over 100 callers at a rate that lets them all pass.
The baseline is the per-process buckets of before (each worker counting
alone); the SQLite file is the default for the workers of one host, timed with
one process and with two processes taking at once (as two workers do); Redis
is timed when ``--redis`` names one or ``redis-server`` is on the PATH (then a
private one is started). Writes its section of RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _results import head, write_section  # noqa: E402

HEADING = "## Shared rate limits: cost per request (issue 17)"
RESULTS = HERE / "RESULTS.md"


def open_store(kind: str, where: str) -> Any:
    from driftline.guard import LocalBuckets, RedisBuckets, SqliteBuckets

    if kind == "local":
        return LocalBuckets()
    if kind == "sqlite":
        return SqliteBuckets(where)
    return RedisBuckets(where)


def time_takes(kind: str, where: str, takes: int) -> list[float]:
    """Seconds of each take, after 200 to warm up."""
    from driftline.guard import RateLimiter

    store = open_store(kind, where)
    limiter = RateLimiter(1e9, 1_000_000, buckets=None if kind == "local" else store)
    keys = [f"token 'caller{i}'" for i in range(100)]
    for i in range(200):
        limiter.take(keys[i % 100])
    out = []
    for i in range(takes):
        started = time.perf_counter()
        limiter.take(keys[i % 100])
        out.append(time.perf_counter() - started)
    store.close()
    return out


def together(kind: str, where: str, takes: int, processes: int) -> list[float]:
    """``processes`` of this script taking at once; every take's seconds."""
    workers = [
        subprocess.Popen(
            [sys.executable, __file__, "--worker", kind, where, str(takes)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(processes)
    ]
    out: list[float] = []
    for worker in workers:
        stdout, _ = worker.communicate(timeout=600)
        out.extend(json.loads(stdout))
    return out


def start_redis() -> tuple[str, subprocess.Popen[bytes], str] | None:
    binary = shutil.which("redis-server")
    if binary is None:
        return None
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    folder = tempfile.mkdtemp(prefix="limits_bench_redis_")
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", folder],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    import redis

    client = redis.Redis(host="127.0.0.1", port=port)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            client.ping()
            client.close()
            return f"redis://127.0.0.1:{port}/0", process, folder
        except redis.ConnectionError:
            time.sleep(0.02)  # polling the server's readiness, with a deadline
    process.kill()
    return None


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--worker":
        print(json.dumps(time_takes(sys.argv[2], sys.argv[3], int(sys.argv[4]))))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="5,000 takes per point")
    parser.add_argument("--takes", type=int, default=50_000)
    parser.add_argument("--redis", default=None, help="a Redis URL (default: start one)")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.takes = 5_000
    load_avg = "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())

    rows: list[tuple[str, int, list[float]]] = []
    started = None
    with tempfile.TemporaryDirectory(prefix="limits_bench_") as tmp:
        path = str(Path(tmp) / "limits.db")
        rows.append(
            ("baseline: this process alone (per worker)", 1, time_takes("local", "", args.takes))
        )
        rows.append(("SQLite file (default)", 1, time_takes("sqlite", path, args.takes)))
        rows.append(("SQLite file (default)", 2, together("sqlite", path, args.takes, 2)))
        url = args.redis
        if url is None:
            started = start_redis()
            url = started[0] if started else None
        try:
            if url is not None:
                rows.append(("Redis on loopback", 1, time_takes("redis", url, args.takes)))
                rows.append(("Redis on loopback", 2, together("redis", url, args.takes, 2)))
        finally:
            if started is not None:
                started[1].terminate()
                started[1].wait(timeout=30)
                shutil.rmtree(started[2], ignore_errors=True)

    lines = [
        *head(HEADING, load_avg),
        "",
        f"`RateLimiter.take` over 100 callers, {args.takes:,} takes per process (one per "
        "request of a limited caller); two processes take at once on the same store, as two "
        "workers of one server do.",
        "",
        "| buckets | processes | mean (us) | p50 (us) | p99 (us) |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for label, processes, seconds in rows:
        us = np.array(seconds) * 1e6
        lines.append(
            f"| {label} | {processes} | {us.mean():.1f} | {np.percentile(us, 50):.1f} | "
            f"{np.percentile(us, 99):.1f} |"
        )
    lines += [
        "",
        "- the SQLite file is one `INSERT ... ON CONFLICT ... RETURNING` per take, in a WAL "
        "file never synced; Redis one Lua script per take, a round trip on the loopback",
        "- the server's p50 at concurrency 1 is in the millisecond range (see the serving "
        "sections): a shared take adds a small share of it, paid only by limited deployments",
    ]
    if args.quick:
        lines.append(f"- a short run ({args.takes:,} takes per point): indicative only")
    section = "\n".join(lines) + "\n"
    print(section)
    if not args.no_write:
        write_section(RESULTS, HEADING, section)


if __name__ == "__main__":
    main()
