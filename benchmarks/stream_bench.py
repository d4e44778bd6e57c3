"""Messages per second through one stream worker, against a minimal redis-py loop.

    python benchmarks/stream_bench.py [--messages 200000] [--batches 16,64,256]
                                      [--repeat 3] [--quick] [--no-write] [--redis URL]

One redis-server (started here on a free port, or ``--redis``), one model
(a scikit-learn pipeline over 10 numeric inputs, registered in a workspace
under benchmarks/_data/stream/), and for each batch size the same
``--messages`` messages (a ``data`` field of JSON inputs, seeded) put in a
fresh source stream before each run. Then, one after the other in this
process, each reading the whole stream with the same loaded
``ModelRuntime`` and the same batch size until nothing is left:

* **redis-py loop**: ``XREADGROUP``, ``json.loads`` each message, one model
  call, then in one pipeline an ``XADD`` per result (the same fields the
  worker writes) and one ``XACK``. At least once: a crash between the write
  and the acknowledgement answers a message twice; no validation, no dead
  letters.
* **driftline worker**: ``StreamWorker`` with its guarantees: each message
  checked against the signature, results written with their acknowledgement
  by one atomic script (exactly one result per message), claims, backpressure
  checks.
* **driftline worker --log**: the same, each prediction also in the inference log.

Rate is messages over wall time, the median of ``--repeat`` runs (the order
of the cases rotates from run to run); CPU is microseconds per message in
this process (user + system) and in redis-server (from ``INFO cpu``), which
runs the worker's script. Writes its section of benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _results import machine, write_section  # noqa: E402

RESULTS = HERE / "RESULTS.md"
HEADING = "## Stream throughput (issue 13)"
DATA = HERE / "_data" / "stream"
INPUTS = [f"x{i}" for i in range(10)]
SOURCE, SINK, DEAD = "bench-in", "bench-out", "bench-dead"
CASES = ("redis-py loop", "driftline worker", "driftline worker --log")


def start_redis() -> tuple[str, subprocess.Popen[bytes], str]:
    exe = shutil.which("redis-server")
    if exe is None:
        raise SystemExit("redis-server is not installed (apt-get install redis-server)")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    folder = tempfile.mkdtemp(prefix="stream-bench-")
    proc = subprocess.Popen(
        [
            exe,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            folder,
        ],
        stdout=subprocess.DEVNULL,
    )
    import redis

    client = redis.Redis(port=port)
    deadline = time.monotonic() + 20
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if time.monotonic() > deadline or proc.poll() is not None:
                raise SystemExit("redis-server did not start") from None
            time.sleep(0.05)  # polling for the server to listen
    return f"redis://127.0.0.1:{port}/0", proc, folder


def workspace() -> Any:
    """The workspace with the model, made once."""
    from driftline import Workspace

    home = DATA / "ws"
    options = {
        "database_url": f"sqlite:///{home / 'driftline.db'}",
        "artifacts_url": str(home / "artifacts"),
    }
    if (home / "ready").exists():
        return Workspace.open(home, create=False, **options)
    import pandas as pd
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    shutil.rmtree(home, ignore_errors=True)
    rng = np.random.default_rng(0)
    train = pd.DataFrame(rng.normal(size=(5000, len(INPUTS))), columns=INPUTS)
    y = (train["x0"] + train["x1"] - train["x2"] + rng.normal(size=len(train)) > 0).astype(int)
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(train, y)
    ws = Workspace.init(home, actor="bench", **options)
    ws.register("credit", model, train=train.assign(y=y), target="y")
    ws.set_alias("credit", 1, "champion")
    (home / "ready").write_text("")
    return ws


def fill(client: Any, payloads: list[bytes]) -> None:
    client.delete(SOURCE, SINK, DEAD)
    for start in range(0, len(payloads), 2000):
        pipe = client.pipeline(transaction=False)
        for data in payloads[start : start + 2000]:
            pipe.xadd(SOURCE, {"data": data})
        pipe.execute()
    client.xgroup_create(SOURCE, "bench", id="0")


def redis_py_loop(client: Any, runtime: Any, batch: int) -> int:
    """The minimal loop: read, predict, write and acknowledge; at least once."""
    names, version = runtime.names, str(runtime.version.version)
    keys = [str(c) for c in runtime.classes]
    done = 0
    while True:
        reply = client.xreadgroup("bench", "loop", {SOURCE: ">"}, count=batch)
        if not reply:
            return done
        entries = reply[0][1]
        rows = [json.loads(fields[b"data"]) for _, fields in entries]
        matrix = np.array([[row[n] for n in names] for row in rows], dtype=np.float64)
        prediction = runtime.predict(matrix)
        labels = prediction.labels.tolist()
        probs = prediction.probabilities.tolist()
        pipe = client.pipeline(transaction=False)
        for i, (mid, _) in enumerate(entries):
            text = mid.decode()
            pipe.xadd(
                SINK,
                {
                    "input_id": text,
                    "request_id": f"{SOURCE}/{text}",
                    "model": runtime.name,
                    "version": version,
                    "prediction": json.dumps(labels[i]),
                    "probabilities": json.dumps(dict(zip(keys, probs[i], strict=True))),
                },
            )
        pipe.xack(SOURCE, "bench", *[mid for mid, _ in entries])
        pipe.execute()
        done += len(entries)


def driftline_worker(url: str, runtime: Any, batch: int, log: Any) -> int:
    from driftline.stream import StreamAddress, StreamOptions, StreamWorker

    source = StreamAddress.parse(f"{url}/{SOURCE}")
    options = StreamOptions(
        group="bench", consumer="worker", dead_letter=DEAD, batch=batch, max_sink=0, drain=True
    )
    worker = StreamWorker(runtime, source, source.beside(SINK, option="--sink"), options, log=log)
    try:
        stats = worker.run()
    finally:
        worker.client.close()
    if stats.dead or stats.answered != stats.read:
        raise SystemExit(f"the worker did not answer every message: {stats}")
    return stats.answered


def server_cpu(client: Any) -> float:
    info = client.info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


def measure(client: Any, payloads: list[bytes], case: Callable[[], int]) -> dict[str, float]:
    fill(client, payloads)
    cpu, server, began = time.process_time(), server_cpu(client), time.perf_counter()
    done = case()
    wall = time.perf_counter() - began
    cpu, server = time.process_time() - cpu, server_cpu(client) - server
    if done != len(payloads) or client.xlen(SINK) != len(payloads):
        raise SystemExit(f"{done:,} answered, {client.xlen(SINK):,} results, of {len(payloads):,}")
    n = len(payloads)
    return {"rate": n / wall, "wall": wall, "cpu_us": cpu / n * 1e6, "server_us": server / n * 1e6}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=200_000)
    parser.add_argument("--batches", default="16,64,256")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--redis", help="redis://HOST:PORT/DB of a server to use (default: start one)"
    )
    parser.add_argument("--quick", action="store_true", help="20,000 messages, batch 64, 1 run")
    parser.add_argument("--no-write", action="store_true", help="print, do not touch RESULTS.md")
    args = parser.parse_args()
    messages = 20_000 if args.quick else args.messages
    batches = [64] if args.quick else [int(b) for b in args.batches.split(",")]
    repeat = 1 if args.quick else args.repeat

    import redis

    from driftline.registry import ModelRuntime
    from driftline.store import InferenceLog

    proc = folder = None
    url = args.redis
    if url is None:
        url, proc, folder = start_redis()
    client = redis.Redis.from_url(url)
    try:
        ws = workspace()
        runtime = ModelRuntime.load(ws.context, "credit@champion")
        rng = np.random.default_rng(1)
        values = rng.normal(size=(messages, len(INPUTS))).round(6)
        payloads = [
            json.dumps(dict(zip(INPUTS, row, strict=True))).encode() for row in values.tolist()
        ]
        load_before = os.getloadavg()
        started = dt.datetime.now(dt.UTC)
        results: dict[int, dict[str, list[dict[str, float]]]] = {}
        for batch in batches:
            results[batch] = {case: [] for case in CASES}
            for r in range(repeat):
                for k in range(len(CASES)):
                    case = CASES[(k + r) % len(CASES)]
                    log = InferenceLog.open(ws.settings) if case.endswith("--log") else None
                    run: Callable[[], int] = (
                        functools.partial(redis_py_loop, client, runtime, batch)
                        if case == "redis-py loop"
                        else functools.partial(driftline_worker, url, runtime, batch, log)
                    )
                    try:
                        got = measure(client, payloads, run)
                    finally:
                        if log is not None:
                            log.close()
                            shutil.rmtree(ws.settings.home / "log", ignore_errors=True)
                    results[batch][case].append(got)
                    print(f"batch {batch}, {case}: {got['rate']:,.0f} messages/s", flush=True)
        load_after = os.getloadavg()
    finally:
        client.close()
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=20)
            shutil.rmtree(folder or "", ignore_errors=True)
    section = report(results, messages, repeat, runtime.engine, started, load_before, load_after)
    print(section)
    if not args.no_write:
        write_section(RESULTS, HEADING, section)


def _median(runs: list[dict[str, float]], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def report(
    results: dict[int, dict[str, list[dict[str, float]]]],
    messages: int,
    repeat: int,
    engine: str,
    started: dt.datetime,
    before: tuple[float, float, float],
    after: tuple[float, float, float],
) -> str:
    command = "python benchmarks/stream_bench.py " + " ".join(sys.argv[1:])
    out = [
        HEADING,
        "",
        f"Measured {started:%Y-%m-%d %H:%M} UTC on {machine()}; load average (1, 5, 15 min) "
        f"{before[0]:.2f} {before[1]:.2f} {before[2]:.2f} at the start and "
        f"{after[0]:.2f} {after[1]:.2f} {after[2]:.2f} at the end.",
        "",
        "```console",
        command.strip(),
        "```",
        "",
        f"{messages:,} messages (10 numeric inputs as JSON in `data`) read from one stream by "
        f"one consumer, scored by the same loaded model (a scikit-learn pipeline, run by "
        f"{engine}) with the same batch size, and answered into another stream, against one "
        "local redis-server. The redis-py loop reads, predicts, writes and acknowledges, at "
        "least once; the driftline worker validates every message and writes each result with "
        "its acknowledgement in one atomic script, exactly once. Rate is the median of "
        f"{repeat} run(s); CPU is microseconds per message in the client process and in "
        "redis-server.",
        "",
        "| batch | case | messages/s | vs. the loop | client CPU (µs/msg) | redis CPU (µs/msg) |",
        "| ---: | --- | ---: | ---: | ---: | ---: |",
    ]
    for batch, cases in results.items():
        base = _median(cases["redis-py loop"], "rate")
        for case, runs in cases.items():
            rate = _median(runs, "rate")
            out.append(
                f"| {batch} | {case} | {rate:,.0f} | {rate / base:.2f}x | "
                f"{_median(runs, 'cpu_us'):.1f} | {_median(runs, 'server_us'):.1f} |"
            )
    out.append("")
    for batch, cases in results.items():
        worker, loop = cases["driftline worker"], cases["redis-py loop"]
        ratio = _median(worker, "rate") / _median(loop, "rate")
        verdict = "meets" if ratio >= 1 else "misses"
        cpu = (_median(worker, "cpu_us") + _median(worker, "server_us")) / (
            _median(loop, "cpu_us") + _median(loop, "server_us")
        )
        out.append(
            f"- batch {batch}: the worker, guarantees on, runs at {ratio:.2f}x the loop's rate "
            f"({verdict} the target of 1x), using {cpu:.2f}x its CPU per message (client and "
            "redis-server together; steadier than rates when other work shares the machine)"
        )
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    main()
