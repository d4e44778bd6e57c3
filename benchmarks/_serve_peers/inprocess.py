"""The raw baseline: the model called in this process, one row per call, no HTTP.

    python inprocess.py sklearn|driftline --model model.joblib --rows rows.npy \
        --concurrency 8 --warmup 3 --duration 10 [--home WORKSPACE --ref rf:1]

``sklearn`` calls ``predict_proba`` on a [1, 20] array. ``driftline`` calls
driftline's own loaded runtime (the ONNX conversion it serves) on a one-row
DataFrame, which is what a server request costs before HTTP, validation and
logging. ``concurrency`` threads call in a closed loop, like the load generator's
connections. Prints one JSON line: requests, seconds, and latency percentiles.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from typing import Any

import numpy as np


def caller(args: argparse.Namespace) -> Any:
    rows = np.load(args.rows)
    if args.engine == "sklearn":
        import joblib

        model = joblib.load(args.model)
        inputs = [rows[i : i + 1] for i in range(len(rows))]
        return inputs, model.predict_proba
    import pandas as pd

    import driftline
    from driftline.registry import ModelRuntime

    ws = driftline.Workspace.open(args.home, create=False)
    runtime = ModelRuntime.load(ws.context, args.ref)
    names = runtime.signature.names
    inputs = [pd.DataFrame(rows[i : i + 1], columns=names) for i in range(len(rows))]
    return inputs, runtime.predict


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("engine", choices=["sklearn", "driftline"])
    parser.add_argument("--model", required=True)
    parser.add_argument("--rows", required=True)
    parser.add_argument("--home")
    parser.add_argument("--ref", default="rf:1")
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--duration", type=float, default=10.0)
    args = parser.parse_args()

    inputs, call = caller(args)
    call(inputs[0])
    start = time.perf_counter() + args.warmup
    stop = start + args.duration
    latencies: list[list[float]] = [[] for _ in range(args.concurrency)]
    errors = [0] * args.concurrency

    def loop(k: int) -> None:
        mine = latencies[k]
        i = k
        n = len(inputs)
        clock = time.perf_counter
        while True:
            t0 = clock()
            if t0 >= stop:
                return
            try:
                call(inputs[i % n])
            except Exception:
                errors[k] += 1
            t1 = clock()
            if t0 >= start:
                mine.append(t1 - t0)
            i += 1

    threads = [threading.Thread(target=loop, args=(k,)) for k in range(args.concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    flat = np.array([x for part in latencies for x in part])
    out = {
        "requests": int(flat.size),
        "seconds": args.duration,
        "errors": int(sum(errors)),
        "p50_ms": float(np.percentile(flat, 50) * 1000) if flat.size else None,
        "p99_ms": float(np.percentile(flat, 99) * 1000) if flat.size else None,
        "mean_ms": float(flat.mean() * 1000) if flat.size else None,
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
