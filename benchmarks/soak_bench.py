"""Does ``driftline serve`` hold for minutes under load, and keep every prediction it answered?

    python benchmarks/soak_bench.py                      # 10 minutes at concurrency 64
    python benchmarks/soak_bench.py --quick              # 60 s in 5 s windows, compaction every 15 s
    python benchmarks/soak_bench.py --duration 1800 --window 60 --concurrency 64

Trains one model (a seeded RandomForestClassifier on 20 generated numeric
features), registers and deploys it in a fresh workspace, and runs
``driftline serve`` as a user would (its inference log on, and whatever
housekeeping the server does on its own, such as log compaction). Then it puts
a closed-loop load of ``--concurrency`` connections on ``/v1/models/m/predict``
(one row per request, cycling through 64 held-out rows) for ``--duration``
seconds, in windows of ``--window`` seconds, and samples over time:

* the server's resident memory (RSS, its process tree) every second;
* each window's throughput, p50 and p99 latency and non-2xx answers;
* the size of the inference log folder (segments and compacted files);
* whether a compaction ran (``driftline_log_compacting`` and
  ``driftline_log_compactions_total`` from ``/metrics``, every second), so that
  windows with a compaction compare with those without: the baseline of the
  same run. Windows shorter than the compaction interval tell them apart best.

Every 200 answer's request id is recorded by the load generator. At the end
the server is stopped (SIGINT, as Ctrl-C) and the log is read back: every
acknowledged prediction must be in it. The load generator is wrk (Debian's
``apt-get install -y wrk``), pinned to another core than the server when there
are two; without wrk a Python asyncio generator does the same, more slowly.
Prints a Markdown report and writes it into benchmarks/RESULTS.md under
"## Soak (issue 11)".
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _proc import process_tree  # noqa: E402
from _results import machine, write_section  # noqa: E402
from serve_bench import cores, free_port, log, process_tree_cpu  # noqa: E402

RESULTS = HERE / "RESULTS.md"
HEADING = "## Soak (issue 11)"
MODEL = "m"
FEATURES = 20
TREES = 30
BODY_ROWS = 64
PATH = f"/v1/models/{MODEL}/predict"

# wrk: cycle through the bodies; on each 200, write the request id the server gave.
_LUA = """
local bodies = {
%s
}
local reqs, n, i, acks = {}, 0, 0, nil
local count = 0
setup = function(thread)
  count = count + 1
  thread:set("tid", count)
end
init = function(args)
  for k, b in ipairs(bodies) do
    reqs[k] = wrk.format("POST", nil, {["Content-Type"] = "application/json"}, b)
  end
  n = #reqs
  acks = io.open(args[1] .. "-" .. tid .. ".txt", "w")
  acks:setvbuf("line")  -- wrk exits without closing thread files: never leave lines in a buffer
end
request = function()
  i = i %% n + 1
  return reqs[i]
end
response = function(status, headers, body)
  if status == 200 then
    local id = body:match('"request_ids":%%["([^"]+)"')
    if id then acks:write(id, "\\n") end
  end
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRKJSON {\\"requests\\":%%d,\\"duration_us\\":%%d,\\"status_errors\\":%%d," ..
    "\\"socket_errors\\":%%d,\\"p50_us\\":%%.1f,\\"p99_us\\":%%.1f}\\n",
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"""


@dataclass
class Window:
    start_s: float  # since the load began
    requests: int
    seconds: float
    errors: int  # non-2xx answers and socket errors
    p50_ms: float
    p99_ms: float
    rss_mib: float
    log_mib: float
    compacting: bool = False  # a compaction ran during the window

    @property
    def rps(self) -> float:
        return (self.requests - self.errors) / self.seconds if self.seconds else 0.0


# -- the workspace -------------------------------------------------------------------


def make_workspace(root: Path, seed: int) -> tuple[Path, list[str]]:
    """A workspace with the model registered and deployed; the request bodies."""
    import pandas as pd
    from sklearn.datasets import make_classification
    from sklearn.ensemble import RandomForestClassifier

    import driftline

    X, y = make_classification(
        n_samples=6_000, n_features=FEATURES, n_informative=10, random_state=seed
    )
    names = [f"f{i}" for i in range(FEATURES)]
    train = pd.DataFrame(X[:5_000], columns=names)
    model = RandomForestClassifier(n_estimators=TREES, random_state=seed).fit(train, y[:5_000])
    home = root / "workspace"
    with driftline.Workspace.init(home) as ws:
        mv = ws.register(MODEL, model, train=train.assign(y=y[:5_000]), target="y")
        ws.set_alias(MODEL, mv.version, "champion")
    cli = Path(sys.executable).with_name("driftline")
    subprocess.run(
        [str(cli), "--home", str(home), "deploy", MODEL], check=True, capture_output=True
    )
    bodies = [
        json.dumps({"records": [dict(zip(names, row.tolist(), strict=True))]})
        for row in X[5_000 : 5_000 + BODY_ROWS]
    ]
    return home, bodies


# -- what is sampled ---------------------------------------------------------------------


def tree_rss_mib(pid: int) -> float:
    """Resident memory of ``pid`` and its live descendants, in MiB."""
    total = 0
    for p in process_tree(pid):
        try:
            lines = Path(f"/proc/{p}/status").read_text().splitlines()
        except OSError:
            continue  # ended since
        total += sum(int(line.split()[1]) for line in lines if line.startswith("VmRSS:"))
    return total / 1024


def folder_mib(path: Path) -> float:
    size = 0
    for p in path.rglob("*"):
        try:
            if p.is_file():
                size += p.stat().st_size
        except OSError:
            continue  # compacted away while we looked
    return size / 2**20


def own_rss_mib(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def compaction_state(url: str) -> tuple[float, float]:
    """(compactions started, 1 while one runs) from the server's /metrics."""
    import httpx

    found = {"driftline_log_compactions_total": 0.0, "driftline_log_compacting": 0.0}
    try:
        for line in httpx.get(f"{url}/metrics", timeout=5).text.splitlines():
            name, _, value = line.partition(" ")
            if name in found:
                found[name] = float(value)
    except httpx.HTTPError:
        pass
    return found["driftline_log_compactions_total"], found["driftline_log_compacting"]


class Sampler(threading.Thread):
    """RSS, log size and compaction state every second, until stopped."""

    def __init__(self, pid: int, log_dir: Path, url: str) -> None:
        super().__init__(daemon=True)
        self.pid, self.log_dir, self.url = pid, log_dir, url
        self.samples: list[tuple[float, float, float]] = []  # (monotonic, rss MiB, log MiB)
        # (monotonic, compactions started, compacting now, RSS of the server's children MiB)
        self.compactions: list[tuple[float, float, float, float]] = []
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            now, tree = time.monotonic(), tree_rss_mib(self.pid)
            self.samples.append((now, tree, folder_mib(self.log_dir)))
            runs, running = compaction_state(self.url)
            self.compactions.append((now, runs, running, tree - own_rss_mib(self.pid)))
            self.stopping.wait(1.0)

    def compacted_between(self, start: float, end: float) -> bool:
        """Whether a compaction ran at some moment between ``start`` and ``end`` (monotonic)."""
        before = [c for c in self.compactions if c[0] <= start]
        inside = [c for c in self.compactions if start < c[0] <= end]
        if not inside:
            return False
        runs_before = before[-1][1] if before else 0.0
        return (
            inside[-1][1] > runs_before
            or any(c[2] for c in inside)
            or bool(before and before[-1][2])
        )

    def latest(self) -> tuple[float, float]:
        _, rss, size = self.samples[-1] if self.samples else (0, 0.0, 0.0)
        return rss, size


# -- load --------------------------------------------------------------------------------


def run_wrk(
    pin: list[str], url: str, script: Path, acks: Path, c: int, seconds: float
) -> dict[str, Any]:
    cmd = [
        *pin, "wrk", "-t1", f"-c{c}", f"-d{int(seconds)}s", "--timeout", "10s",
        "-s", str(script), url + PATH, "--", str(acks),
    ]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 120)
    for line in done.stdout.splitlines():
        if line.startswith("WRKJSON "):
            r = json.loads(line[len("WRKJSON ") :])
            return {
                "requests": r["requests"],
                "seconds": r["duration_us"] / 1e6,
                "errors": r["status_errors"] + r["socket_errors"],
                "p50_ms": r["p50_us"] / 1000,
                "p99_ms": r["p99_us"] / 1000,
            }
    raise RuntimeError(f"wrk gave no result (exit {done.returncode}): {done.stderr.strip()[-300:]}")


def run_python(url: str, bodies: list[str], acks: Path, c: int, seconds: float) -> dict[str, Any]:
    """The same closed loop over asyncio streams, for machines without wrk.

    Plain HTTP/1.1 keep-alive, one connection per unit of concurrency: httpx's
    pool, not the server, would be the limit at 64 connections.
    """
    host, port = url.removeprefix("http://").split(":")
    requests = [
        (
            f"POST {PATH} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(b.encode())}\r\n\r\n{b}"
        ).encode()
        for b in bodies
    ]
    latencies: list[float] = []
    failed = {"status": 0, "socket": 0}

    async def worker(k: int, until: float, out: Any) -> None:
        try:
            reader, writer = await asyncio.open_connection(host, int(port))
        except OSError:
            failed["socket"] += 1
            return
        i = k
        try:
            while time.monotonic() < until:
                started = time.perf_counter()
                writer.write(requests[i % len(requests)])
                i += c
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    int(line.split(b":", 1)[1])
                    for line in head.lower().split(b"\r\n")
                    if line.startswith(b"content-length:")
                )
                body = await reader.readexactly(length)
                latencies.append(time.perf_counter() - started)
                if head.startswith(b"HTTP/1.1 200"):
                    out.write(json.loads(body)["request_ids"][0] + "\n")
                else:
                    failed["status"] += 1
        except (OSError, asyncio.IncompleteReadError):
            failed["socket"] += 1
        finally:
            writer.close()

    async def main() -> float:
        with open(f"{acks}-1.txt", "w") as out:
            started = time.monotonic()
            await asyncio.gather(*(worker(k, started + seconds, out) for k in range(c)))
            return time.monotonic() - started

    elapsed = asyncio.run(main())
    ms = np.array(latencies or [0.0]) * 1000
    return {
        "requests": len(latencies) + failed["socket"],
        "seconds": elapsed,
        "errors": failed["status"] + failed["socket"],
        "p50_ms": float(np.percentile(ms, 50)),
        "p99_ms": float(np.percentile(ms, 99)),
    }


# -- the check ---------------------------------------------------------------------------


def acknowledged(folder: Path) -> set[str]:
    ids: set[str] = set()
    for path in folder.glob("acks-*.txt"):
        ids.update(line for line in path.read_text().splitlines() if line)
    return ids


def logged(log_dir: Path) -> set[str]:
    """Request ids of the predictions in the log: open segments, and compacted Parquet files."""
    import pyarrow.dataset as pads

    from driftline.store import InferenceLog

    ids = {
        str(r["request_id"])
        for r in InferenceLog(log_dir).records()
        if r.get("kind", "prediction") == "prediction"
    }
    files = [str(p) for p in log_dir.rglob("*.parquet")]
    if files:
        for fragment in pads.dataset(files, format="parquet").get_fragments():
            if "request_id" in fragment.physical_schema.names:
                table = fragment.to_table(columns=["request_id"])
                ids.update(str(v) for v in table.column("request_id").to_pylist())
    return ids


# -- the report --------------------------------------------------------------------------


def fmt(x: float, digits: int = 1) -> str:
    return f"{x:,.{digits}f}"


def render(
    command: str,
    args: argparse.Namespace,
    tool: str,
    pinning: str,
    windows: list[Window],
    samples: list[tuple[float, float, float]],
    acked: int,
    missing: list[str],
    load: tuple[tuple[float, ...], tuple[float, ...]],
    server_cpu_s: float,
    compacted: int = 0,
    child_peak_mib: float = 0.0,
) -> str:
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    rss = [s[1] for s in samples]
    first, last = windows[0], windows[-1]
    total = sum(w.requests - w.errors for w in windows)
    seconds = sum(w.seconds for w in windows)
    lines = [
        HEADING,
        "",
        f"Measured {now} on {machine()}; load average (1, 5, 15 min) "
        f"{' '.join(f'{x:.2f}' for x in load[0])} before, {' '.join(f'{x:.2f}' for x in load[1])} after.",
        "",
        "```console",
        command,
        "```",
        "",
        f"`driftline serve` (one worker, inference log on, default settings but the compaction "
        f"interval) with a "
        f"RandomForestClassifier of {TREES} trees on {FEATURES} numeric features (ONNX), "
        f"one row per request on /v1, concurrency {args.concurrency}, "
        f"{'wrk (one thread, closed loop)' if tool == 'wrk' else 'a Python asyncio generator'}; "
        f"{pinning}. Each row is one window of {args.window} s: its p50 and p99, its "
        "non-2xx answers and socket errors, and the server's RSS and log folder size at its end.",
        "",
        "| from (s) | compaction | req/s | p50 (ms) | p99 (ms) | errors | RSS (MiB) | log (MiB) |",
        "| ---: | :---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for w in windows:
        lines.append(
            f"| {w.start_s:.0f} | {'yes' if w.compacting else ''} | {w.rps:,.0f} "
            f"| {fmt(w.p50_ms, 2)} | {fmt(w.p99_ms, 2)} "
            f"| {w.errors} | {fmt(w.rss_mib)} | {fmt(w.log_mib)} |"
        )
    minutes = max((last.start_s + last.seconds - first.start_s) / 60, 1e-9)
    lines += [
        "",
        f"- Answered: {total:,} predictions in {seconds:.0f} s ({total / seconds:,.0f} req/s); "
        f"server CPU {1000 * server_cpu_s / max(total, 1):.3f} ms per answer.",
        f"- RSS: {fmt(rss[0])} MiB when the load began, {fmt(first.rss_mib)} after the first "
        f"window, {fmt(last.rss_mib)} at the end, peak {fmt(max(rss))} "
        f"({fmt(last.rss_mib - first.rss_mib)} MiB from the first window's end to the last).",
        f"- p99: {fmt(first.p99_ms, 2)} ms in the first window, {fmt(last.p99_ms, 2)} in the last, "
        f"worst {fmt(max(w.p99_ms for w in windows), 2)}.",
        f"- Log folder: {fmt(last.log_mib)} MiB at the end "
        f"({fmt((last.log_mib - windows[0].log_mib) / minutes)} MiB per minute after the first window).",
        f"- Compaction every {args.compact_seconds:g} s while under load, in a child process: "
        f"{compacted:,} compacted Parquet files in the log at the end; the server's children "
        f"(the compaction) peaked at {fmt(child_peak_mib)} MiB resident.",
        compaction_line(windows),
        f"- Every acknowledged prediction in the log: {'yes' if not missing else 'NO'} "
        f"({acked:,} acknowledged, {len(missing):,} missing"
        + (f", e.g. {', '.join(missing[:3])}" if missing else "")
        + ").",
        "",
    ]
    return "\n".join(lines)


def compaction_line(windows: list[Window]) -> str:
    """p99 and throughput of the windows with a compaction against those without."""
    during = [w for w in windows if w.compacting]
    others = [w for w in windows if not w.compacting]
    if not during or not others:
        return "- p99 with and without a compaction: not both seen (shorter --window tells them apart)."

    def summary(ws: list[Window]) -> str:
        p99 = [w.p99_ms for w in ws]
        rps = sum(w.requests - w.errors for w in ws) / sum(w.seconds for w in ws)
        return (
            f"p99 median {fmt(float(np.median(p99)), 2)} ms, worst {fmt(max(p99), 2)} ms, "
            f"{rps:,.0f} req/s over {len(ws)} windows"
        )

    return f"- Windows with a compaction: {summary(during)}; without: {summary(others)}."


# -- main --------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="60 s in 5 s windows, compaction every 15 s"
    )
    parser.add_argument("--duration", type=int, default=600, help="seconds of load")
    parser.add_argument("--window", type=int, default=30, help="seconds per sample window")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--loadgen", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    parser.add_argument(
        "--pin-server",
        action="store_true",
        help="pin the server (and so its compaction child) to one core beside the load generator's",
    )
    parser.add_argument(
        "--compact-seconds",
        type=float,
        default=None,
        help="how often the server compacts its log (DRIFTLINE_LOG_COMPACT_SECONDS); the "
        "default 60 makes it compact ten times in a 10-minute soak, not once as 600 would",
    )
    args = parser.parse_args()
    if args.quick:
        args.duration, args.window = 60, 5
        args.compact_seconds = args.compact_seconds or 15
    args.compact_seconds = args.compact_seconds or 60
    if args.window > args.duration:
        parser.error("--window must not be longer than --duration")
    command = "python benchmarks/soak_bench.py " + shlex.join(sys.argv[1:])
    tool = args.loadgen
    if tool == "auto":
        tool = "wrk" if shutil.which("wrk") else "python"
        if tool == "python":
            log("wrk not found (apt-get install -y wrk): using the slower Python load generator")
    server_pin, load_pin, pinning = cores()
    if server_pin and not args.pin_server:
        # The server's housekeeping runs in a child that inherits the server's cores; pinned
        # to one saturated core it could not run beside the requests as it does on a host
        # with a core to spare. So only the load generator is pinned, unless asked.
        server_pin = []
        pinning = f"load generator pinned to core {load_pin[-1]}; the server and its compaction child not pinned"
    cli = Path(sys.executable).with_name("driftline")
    if not cli.exists():
        sys.exit(f"no driftline command next to {sys.executable}: run this from driftline's venv")

    root = Path(tempfile.mkdtemp(prefix="soak_bench_"))
    server: subprocess.Popen[bytes] | None = None
    try:
        log(f"training and deploying the model in {root}")
        home, bodies = make_workspace(root, args.seed)
        script = root / "soak.lua"
        script.write_text(_LUA % ",\n".join(f"[==[{b}]==]" for b in bodies))
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        out = open(root / "serve.log", "wb")  # noqa: SIM115 - the server owns it until the end
        server = subprocess.Popen(
            [*server_pin, str(cli), "--home", str(home), "serve", "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, "DRIFTLINE_LOG_COMPACT_SECONDS": str(args.compact_seconds)},
        )
        wait_ready(server, url, root / "serve.log")
        load_before = os.getloadavg()
        sampler = Sampler(server.pid, home / "log", url)
        sampler.start()
        cpu0 = process_tree_cpu(server.pid)
        began = time.monotonic()
        windows: list[Window] = []
        while (elapsed := time.monotonic() - began) < args.duration - 1:
            length = min(args.window, args.duration - elapsed)
            window_began = time.monotonic()
            acks = root / f"acks-{len(windows):04d}"
            if tool == "wrk":
                r = run_wrk(load_pin, url, script, acks, args.concurrency, length)
            else:
                r = run_python(url, bodies, acks, args.concurrency, length)
            rss, size = sampler.latest()
            windows.append(
                Window(
                    elapsed,
                    r["requests"],
                    r["seconds"],
                    r["errors"],
                    r["p50_ms"],
                    r["p99_ms"],
                    rss,
                    size,
                    sampler.compacted_between(window_began, time.monotonic()),
                )
            )
            w = windows[-1]
            log(
                f"{elapsed:5.0f} s: {w.rps:,.0f} req/s, p99 {w.p99_ms:.2f} ms, errors {w.errors}, RSS {rss:.0f} MiB, log {size:.1f} MiB"
                + (", compacting" if w.compacting else "")
            )
        server_cpu = process_tree_cpu(server.pid) - cpu0
        sampler.stopping.set()
        sampler.join()
        stop(server)
        load_after = os.getloadavg()
        acked = acknowledged(root)
        log(f"reading the log back ({len(acked):,} acknowledged predictions)")
        missing = sorted(acked - logged(home / "log"))
        report = render(
            command, args, tool, pinning, windows, sampler.samples, len(acked), missing,
            (load_before, load_after), server_cpu, len(list((home / "log").rglob("*.parquet"))),
            max((c[3] for c in sampler.compactions), default=0.0),
        )  # fmt: skip
        print(report)
        if not args.no_write:
            write_section(RESULTS, HEADING, report)
            log(f"wrote {RESULTS}")
        if missing:
            sys.exit(f"{len(missing)} acknowledged predictions are not in the log")
    finally:
        if server is not None:
            stop(server)
        if args.keep:
            log(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


def wait_ready(
    server: subprocess.Popen[bytes], url: str, output: Path, timeout: float = 120
) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(
                f"driftline serve exited ({server.returncode}): {output.read_text()[-500:]}"
            )
        try:
            if httpx.get(f"{url}/v2/health/ready", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.25)  # polling for readiness, with a deadline
    raise RuntimeError(f"driftline serve not ready after {timeout:.0f} s")


def stop(server: subprocess.Popen[bytes]) -> None:
    """SIGINT to the server's session, as Ctrl-C: it finishes in-flight work and closes its log."""
    if server.poll() is not None:
        return
    os.killpg(server.pid, signal.SIGINT)
    try:
        server.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


if __name__ == "__main__":
    main()
