"""Where does the tail of ``driftline serve`` at concurrency 1 come from?

    python benchmarks/serve_tail_bench.py [--quick] [--repeat 2] [--variants raw,driftline]

serve_bench.py's model and workspace, served one request at a time by:

* ``raw``: the floor. The same uvicorn, uvloop and httptools, a bare ASGI
  function decoding the V2 body and calling the same ONNX runtime; no log, no
  batcher, no threads, no periodic work (_serve_peers/tail_server.py);
* ``driftline``: the app as ``driftline serve`` builds it, inference log on;
* diagnostic variants of it (``--variants``), each turning one suspect off.

Each is measured twice in the same run, interleaved with the others: wrk at
concurrency 1 (the figure serve_bench reports), then a one-connection Python
client keeping every request's send and answer times on the clock the server
records its events on (garbage collections, the log's fdatasync calls, the
deployment watcher's database reads, compactions, and each request's time
inside the app). The slowest 1% of the client's requests are matched with what
overlapped them, against how often the same events overlap any request. The
server is pinned to one core at nice -10 (when allowed), the load to the other.
Writes its section of benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import bisect
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _proc import process_tree  # noqa: E402
from _results import head, write_section  # noqa: E402
from serve_bench import (  # noqa: E402
    PEERS,
    Load,
    Server,
    cores,
    free_port,
    make_fixture,
    make_workspace,
    prioritise,
    run_wrk,
    wait_ready,
    write_lua,
)

RESULTS = HERE / "RESULTS.md"
HEADING = "## Serving tail at concurrency 1 (issue 19)"
TARGET_P99_MS = 2.0
# name: (app, ServerConfig overrides, what it is)
VARIANTS: dict[str, tuple[str, dict[str, Any], str]] = {
    "raw": ("raw", {}, "raw ASGI floor: uvicorn + ONNX call, nothing else"),
    "driftline": ("driftline", {}, "driftline serve, V2, log on"),
    "no-watch": (
        "driftline",
        {"reload_interval_s": 3600.0},
        "driftline, deployment watcher off (diagnostic)",
    ),
    "no-freeze": ("driftline", {"freeze_gc": False}, "driftline, gc.freeze off (diagnostic)"),
    "before": (
        "driftline",
        {"gil_switch_ms": 0, "syncer_nice": 0},
        "driftline as before: GIL switch 5 ms, the log's syncer at the server's priority",
    ),
    "window-20ms": (
        "driftline",
        {"sync_window_s": 0.02},
        "driftline, the log's fdatasync window 20 ms (diagnostic)",
    ),
}
EVENTS = ("gc0", "gc1", "gc2", "fdatasync", "reload", "compaction")
BINS_MS = (1, 2, 3, 5, 10)


def schedstat(pid: int) -> dict[str, tuple[float, float]]:
    """CPU seconds run and waited runnable by the server's loop thread, its other threads, its children."""
    out: dict[str, tuple[float, float]] = {}
    for p in process_tree(pid):
        try:
            tasks = list(Path(f"/proc/{p}/task").iterdir())
        except OSError:
            continue  # ended since
        for task in tasks:
            try:
                ran, waited = (int(x) / 1e9 for x in (task / "schedstat").read_text().split()[:2])
            except (OSError, ValueError):
                continue
            name = (
                "child processes"
                if p != pid
                else "loop thread"
                if task.name == str(pid)
                else "other threads"
            )
            before = out.get(name, (0.0, 0.0))
            out[name] = (before[0] + ran, before[1] + waited)
    return out


def delta(
    after: dict[str, tuple[float, float]], before: dict[str, tuple[float, float]]
) -> dict[str, tuple[float, float]]:
    zero = (0.0, 0.0)
    return {
        k: (v[0] - before.get(k, zero)[0], v[1] - before.get(k, zero)[1]) for k, v in after.items()
    }


def run_variant(
    name: str, home: Path, root: Path, files: dict[str, Path], load: Load, pin: list[str]
) -> dict[str, Any]:
    app, config, _ = VARIANTS[name]
    # A copy of the fresh workspace each: no run compacts the log another left.
    home = Path(shutil.copytree(home, root / f"home-{name}-{time.monotonic_ns()}"))
    port = free_port()
    events_path = root / f"events-{name}.json"
    cmd = [*pin, sys.executable, str(PEERS / "tail_server.py"), app, "--home", str(home),
           "--port", str(port), "--events", str(events_path), "--config", json.dumps(config)]  # fmt: skip
    server_log = root / f"server-{name}.log"
    out = open(server_log, "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    prioritise(proc.pid, -10)
    url = f"http://127.0.0.1:{port}/v2/models/rf/infer"
    try:
        ready = f"http://127.0.0.1:{port}/v2/models/rf/ready"
        wait_ready(Server(name, proc, server_log), ready, timeout=120)
        run_wrk(load, url, files["lua"], 1, load.warmup)
        w = run_wrk(load, url, files["lua"], 1, load.duration)
        sched0 = schedstat(proc.pid)
        times = root / f"times-{name}.json"
        subprocess.run(
            [*load.pin, sys.executable, str(PEERS / "tail_client.py"), url, "--bodies",
             str(files["bodies"]), "--warmup", str(load.warmup), "--duration", str(load.duration),
             "--out", str(times)],
            check=True, timeout=load.warmup + load.duration + 60,
        )  # fmt: skip
        sched = delta(schedstat(proc.pid), sched0)
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(timeout=60)
        out.close()
    client = json.loads(times.read_text())
    events = json.loads(events_path.read_text())
    sent = np.asarray(client["sent"])
    return {
        "name": name,
        "wrk": w,
        "sent": sent,
        "answered": np.asarray(client["answered"]),
        "client_waited": np.asarray(client["waited"]),
        "errors": client["errors"],
        "events": events,
        "threads": {k: v for k, v in sched.items() if v[0] > 0.01 or v[1] > 0.01},
    }


def overlapping(spans: list[list[float]], t0: float, t1: float) -> list[list[float]]:
    """The spans (sorted by start) that overlap [t0, t1]."""
    starts = [s[0] for s in spans]
    hi = bisect.bisect_right(starts, t1)
    return [s for s in spans[max(0, hi - 50) : hi] if s[1] >= t0]


def analyse(run: dict[str, Any]) -> dict[str, Any]:
    sent, answered = run["sent"], run["answered"]
    lat = (answered - sent) * 1000
    n = len(lat)
    slow_n = max(1, n // 100)
    slow = np.argsort(lat)[-slow_n:]
    events = {k: sorted(v) for k, v in run["events"].items()}
    requests = events["request"]
    starts = [r[0] for r in requests]
    # Each slow request's latency, split (means add up): the app's time not waiting for
    # the CPU (running, or blocked: the GIL, a lock, the disk); the server's loop thread
    # waiting for the CPU, since the previous answer; the client waiting for the CPU;
    # the rest (the kernel's loopback, HTTP parsing before the app, the client's work).
    app, server_wait = np.zeros(slow_n), np.zeros(slow_n)
    matched = np.zeros(slow_n, dtype=bool)
    for j, i in enumerate(slow):
        k = bisect.bisect_right(starts, answered[i]) - 1
        if k < 1 or requests[k][0] < sent[i]:
            continue
        t0, t1, w0, w1 = requests[k]
        matched[j] = True
        app[j] = (t1 - t0 - (w1 - w0)) * 1000
        server_wait[j] = (w1 - requests[k - 1][3]) * 1000
    client_wait = run["client_waited"][slow] * 1000
    rest = lat[slow] - app - server_wait - client_wait
    share: dict[str, tuple[float, float, float]] = {}
    blocked: dict[str, float] = {}
    every = np.arange(n)
    measured = [r for r in requests if sent[0] <= r[0] <= answered[-1]]
    app_all = np.asarray([(r[1] - r[0] - (r[3] - r[2])) * 1000 for r in measured])
    for kind in EVENTS:
        spans = events.get(kind, [])
        if not spans:
            continue
        hit = [i for i in every if overlapping(spans, sent[i], answered[i])]
        slow_hit = [i for i in slow if overlapping(spans, sent[i], answered[i])]
        per_s = len(spans) / max(answered[-1] - sent[0], 1e-9)
        share[kind] = (len(slow_hit) / slow_n, len(hit) / n, per_s)
        # A request's time in the app, not waiting for a CPU, when the event overlapped
        # it, against the mean: what the event blocks it for (the GIL, a lock, the disk).
        mask = np.asarray([bool(overlapping(spans, r[0], r[1])) for r in measured])
        if mask.any():
            blocked[kind] = float(app_all[mask].mean() - app_all.mean())
    histogram = np.histogram(lat[slow], bins=[0, *BINS_MS, np.inf])[0]
    return {
        "n": n,
        "p50": float(np.percentile(lat, 50)),
        "p99": float(np.percentile(lat, 99)),
        "p999": float(np.percentile(lat, 99.9)),
        "max": float(lat.max()),
        "slow_n": slow_n,
        "slow_ms": float(lat[slow].mean()),
        "slow_parts": [float(x.mean()) for x in (app, server_wait, client_wait, rest)],
        "slow_matched": float(matched.mean()),
        "slow_waited": float(np.mean(server_wait + client_wait > 0.5)),
        "histogram": histogram.tolist(),
        "share": share,
        "blocked": blocked,
    }


def render(
    args: argparse.Namespace, loads: tuple[str, str], runs: list[dict[str, Any]], pinning: str
) -> str:
    seconds = args.warmup + args.duration  # what the client's phase lasts, warm-up included
    lines = [
        *head(HEADING, loads[0]),
        "",
        "serve_bench.py's model (RandomForestClassifier, 100 trees, 20 features, ONNX), one "
        f"V2 row per request, concurrency 1; {args.warmup} s warm-up then {args.duration} s "
        f"per measure; {pinning}; server, client and wrk at nice -10 for their session's "
        "scheduling group (with autogroup, Linux's default, a plain nice value weighs only "
        f"within a session). Each variant ran {args.repeat} time(s), interleaved with the "
        "others. wrk: its own p50/p99. client: a one-connection client keeping every "
        "request's times (its own few tens of microseconds per request are in its figures). "
        f"The {loads[1]} after the run.",
        "",
        "| variant | run | wrk p50 (ms) | wrk p99 (ms) | client p50 | client p99 | client p99.9 "
        "| slowest 1%, mean ms = in the app not waiting for a CPU + server's loop waiting for "
        "a CPU + client waiting for a CPU + rest | loop thread ms/s ran, waited | other "
        "threads ms/s ran, waited |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |",
    ]
    for r in runs:
        a, w = r["analysis"], r["wrk"]
        ran = {k: f"{v[0] * 1000 / seconds:.0f}, {v[1] * 1000 / seconds:.0f}"
               for k, v in r["threads"].items()}  # fmt: skip
        lines.append(
            f"| {VARIANTS[r['name']][2]} | {r['round']} | {w['p50_ms']:.2f} | {w['p99_ms']:.2f} "
            f"| {a['p50']:.2f} | {a['p99']:.2f} | {a['p999']:.2f} "
            f"| {a['slow_ms']:.2f} = {' + '.join(f'{x:.2f}' for x in a['slow_parts'])} "
            f"| {ran.get('loop thread', '')} | {ran.get('other threads', '')} |"
        )
    bins = [f"{lo}-{hi} ms" for lo, hi in zip((0, *BINS_MS), BINS_MS, strict=False)]
    lines += [
        "",
        "The slowest 1% of the client's requests by latency, and what overlapped them: share "
        "of the slowest 1% overlapped / share of all requests overlapped (events per second "
        "of the server's life), and the mean time a request overlapped by it spent in the "
        "app beyond the mean, not waiting for a CPU (what the event blocks: the GIL, a lock, "
        "the disk):",
        "",
        f"| variant | run | {' | '.join(bins)} | over {BINS_MS[-1]} ms | overlapped by |",
        "| --- | ---: |" + " ---: |" * (len(BINS_MS) + 1) + " --- |",
    ]
    for r in runs:
        a = r["analysis"]
        by = "; ".join(
            f"{k} {s:.0%}/{b:.0%} ({per_s:.1f}/s, {a['blocked'].get(k, 0):+.2f} ms)"
            for k, (s, b, per_s) in a["share"].items()
        )
        lines.append(
            f"| {r['name']} | {r['round']} | {' | '.join(str(c) for c in a['histogram'])} "
            f"| {by or 'nothing recorded'} |"
        )
    lines += ["", "Against the issue's target (concurrency 1, p99 under 2 ms, log on):", ""]
    for name in dict.fromkeys(r["name"] for r in runs):
        mine = [r for r in runs if r["name"] == name]
        wrk = ", ".join(f"{r['wrk']['p99_ms']:.2f}" for r in mine)
        client = ", ".join(f"{r['analysis']['p99']:.2f}" for r in mine)
        waits = [r["analysis"]["slow_parts"] for r in mine]
        cpu_share = sum(p[1] + p[2] for p in waits) / max(sum(sum(p) for p in waits), 1e-9)
        met = sum(r["wrk"]["p99_ms"] < TARGET_P99_MS for r in mine)
        errors = sum(r["errors"] for r in mine)
        lines.append(
            f"- {VARIANTS[name][2]}: p99 {wrk} ms (wrk), {client} ms (client); under "
            f"{TARGET_P99_MS:g} ms by wrk in {met} of {len(mine)} runs; of the slowest 1%'s "
            f"time, {cpu_share:.0%} was the server or the client waiting for a CPU; "
            f"{errors} non-200 answers"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 s warm-up, 4 s per measure")
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--variants", default="raw,driftline,before")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.warmup, args.duration = 1, 4
    names = [v.strip() for v in args.variants.split(",") if v.strip()]
    unknown = sorted(set(names) - set(VARIANTS))
    if unknown:
        parser.error(f"unknown variant(s) {', '.join(unknown)}; known: {', '.join(VARIANTS)}")
    prioritised = prioritise("self", -10)  # this process, wrk and the client
    load_avg = "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())
    server_pin, load_pin, pinning = cores()
    load = Load("wrk", load_pin, args.warmup, args.duration)
    root = Path(tempfile.mkdtemp(prefix="serve_tail_"))
    fx = make_fixture(root, args.seed)
    home, _ = make_workspace(fx, Path(sys.executable).parent / "driftline")
    files = {"lua": write_lua(root / "v2.lua", fx.v2_bodies), "bodies": root / "bodies.json"}
    files["bodies"].write_text(json.dumps(fx.v2_bodies))
    runs = []
    try:
        measure(args, names, home, root, files, load, server_pin, runs)
    finally:
        shutil.rmtree(root, ignore_errors=True)
        if prioritised:  # the session this ran from goes back to its usual share
            prioritise("self", 0)
    if not prioritised:
        pinning += "; not allowed to raise priorities"
    after = "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())
    section = render(args, (load_avg, after), runs, pinning)
    print(section)
    if not args.no_write:
        write_section(RESULTS, HEADING, section)


def measure(
    args: argparse.Namespace,
    names: list[str],
    home: Path,
    root: Path,
    files: dict[str, Path],
    load: Load,
    server_pin: list[str],
    runs: list[dict[str, Any]],
) -> None:
    for round_ in range(1, args.repeat + 1):
        for name in names:
            run = run_variant(name, home, root, files, load, server_pin)
            run["round"] = round_
            run["analysis"] = analyse(run)
            a = run["analysis"]
            print(
                f"{name} #{round_}: wrk p50 {run['wrk']['p50_ms']:.2f} p99 "
                f"{run['wrk']['p99_ms']:.2f}; client p50 {a['p50']:.2f} p99 {a['p99']:.2f} "
                f"p99.9 {a['p999']:.2f}; slow {a['slow_ms']:.2f} = app "
                + " + ".join(f"{x:.2f}" for x in a["slow_parts"])
                + f"; "
                f"{a['slow_waited']:.0%} waited; {a['share']}; app time added when overlapped "
                + ", ".join(f"{k} {v:+.2f}" for k, v in a["blocked"].items())
                + "; threads (ran, waited): "
                + ", ".join(f"{k} {r:.2f}/{w:.2f}" for k, (r, w) in run["threads"].items()),
                file=sys.stderr,
                flush=True,
            )
            runs.append(run)


if __name__ == "__main__":
    main()
