"""How fast does ``driftline serve`` answer, next to the model alone, plain FastAPI and MLServer?

    python benchmarks/serve_bench.py [--quick] [--duration 10] [--concurrency 1,8,64]

Trains one model (a seeded RandomForestClassifier, 100 trees, on 20 generated
numeric features) and puts the same load on it at each concurrency, served by:

* nothing: ``predict_proba`` on a one-row array, in process, no HTTP (the raw
  baseline), and driftline's own runtime (the ONNX conversion it serves) the same way;
* a minimal FastAPI endpoint calling ``predict_proba`` (uvicorn, one worker);
* MLServer with mlserver-sklearn, adaptive batching on (64 requests, 2 ms), over
  Open Inference Protocol V2 REST;
* ``driftline serve`` with its inference log on, over V2 REST and over /v1.

Every HTTP target gets the same V2 body (one FP64 [1, 20] tensor, asking for
``predict_proba``), cycling through 64 held-out rows; /v1 gets the same rows as
records. The load generator is wrk (closed loop: each connection sends, waits for
the answer, sends again), pinned to another core than the server when there
are two; without wrk, a Python httpx generator does the same, more slowly. Every
response status is checked: non-2xx answers and socket errors are counted as
errors and left out of the throughput.

MLServer runs from benchmarks/.venv-serve-peers, which this script creates and
fills from _serve_peers/requirements.txt on first use (scikit-learn pinned to
the version here, so every target loads the very same model file); everything
else runs from the interpreter running this script. Prints a Markdown report and
writes it into benchmarks/RESULTS.md under "## Serving speed (issue 4)".
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _proc import process_tree  # noqa: E402
from _results import machine, write_section  # noqa: E402

PEERS = HERE / "_serve_peers"
PEERS_VENV = HERE / ".venv-serve-peers"
PEERS_REQUIREMENTS = PEERS / "requirements.txt"
RESULTS = HERE / "RESULTS.md"
HEADING = "## Serving speed (issue 4)"
MODEL = "rf"
FEATURES = 20
TREES = 100
BODY_ROWS = 64
# The targets.
TARGET_RATIO = 3.0
TARGET_P50_MS = 1.0


@dataclass
class Target:
    key: str
    label: str
    kind: str  # inprocess, http
    url: str = ""
    body: str = "v2"  # which request bodies: v2 or v1
    server: str = ""  # fastapi, mlserver, driftline (for http targets)
    engine: str = ""  # for in-process targets


@dataclass
class Point:
    target: str
    concurrency: int
    ok: int = 0
    seconds: float = 0.0
    errors: int = 0
    p50_ms: float | None = None
    p99_ms: float | None = None
    cpu_ms_per_req: float | None = None
    failure: str = ""

    @property
    def rps(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0


@dataclass
class Server:
    name: str
    proc: subprocess.Popen[bytes]
    log: Path
    notes: list[str] = field(default_factory=list)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# -- environments ----------------------------------------------------------------------------


def sklearn_version() -> str:
    import sklearn

    return sklearn.__version__


def peers_python() -> Path:
    """MLServer's interpreter, creating and filling its venv when it is missing or stale."""
    python = PEERS_VENV / "bin" / "python"
    pins = [f"scikit-learn=={sklearn_version()}"]
    wanted = hashlib.sha256(PEERS_REQUIREMENTS.read_bytes() + " ".join(pins).encode()).hexdigest()
    stamp = PEERS_VENV / ".installed"
    if python.exists() and stamp.exists() and stamp.read_text() == wanted:
        return python
    log(f"installing MLServer into {PEERS_VENV} (a minute or two, once)")
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(PEERS_VENV)], check=True)
    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "-r", str(PEERS_REQUIREMENTS), *pins], check=True)
    stamp.write_text(wanted)
    return python


def versions(python: Path | str, names: list[str]) -> dict[str, str]:
    code = (
        "import importlib.metadata as m, json, sys\n"
        "out = {}\n"
        "for n in sys.argv[1:]:\n"
        "    try: out[n] = m.version(n)\n"
        "    except m.PackageNotFoundError: out[n] = 'not installed'\n"
        "print(json.dumps(out))"
    )
    done = subprocess.run(
        [str(python), "-c", code, *names], capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- cores -----------------------------------------------------------------------------------


def cores() -> tuple[list[str], list[str], str]:
    """taskset prefixes for the server and the load generator, and a sentence saying so."""
    mine = sorted(os.sched_getaffinity(0))
    if len(mine) >= 2 and shutil.which("taskset"):
        server, load = mine[0], mine[1]
        return (
            ["taskset", "-c", str(server)],
            ["taskset", "-c", str(load)],
            f"server (and in-process calls) pinned to core {server}, load generator to core {load}",
        )
    return [], [], "not pinned (fewer than 2 cores or no taskset): server and load share cores"


# -- the model -------------------------------------------------------------------------------


@dataclass
class Fixture:
    root: Path
    model_path: Path
    rows_path: Path
    rows: np.ndarray
    proba: np.ndarray
    names: list[str]
    v2_bodies: list[str]
    v1_bodies: list[str]
    accuracy: float
    train_rows: int


def make_fixture(root: Path, seed: int) -> Fixture:
    import joblib
    import pandas as pd
    from sklearn.datasets import make_classification
    from sklearn.ensemble import RandomForestClassifier

    X, y = make_classification(
        n_samples=12_000,
        n_features=FEATURES,
        n_informative=10,
        n_redundant=4,
        random_state=seed,
    )
    train_rows = 10_000
    X_train, y_train, X_test, y_test = (
        X[:train_rows],
        y[:train_rows],
        X[train_rows:],
        y[train_rows:],
    )
    # Fitted on an array, as MLServer and the in-process baseline call it with arrays
    # (a model fitted on a DataFrame warns on every array call).
    model = RandomForestClassifier(n_estimators=TREES, random_state=seed).fit(X_train, y_train)
    accuracy = float(model.score(X_test, y_test))
    model_path = root / "model.joblib"
    joblib.dump(model, model_path)
    rows = X_test[:BODY_ROWS]
    rows_path = root / "rows.npy"
    np.save(rows_path, rows)
    names = [f"f{i}" for i in range(FEATURES)]
    v2 = [
        json.dumps(
            {
                "inputs": [
                    {
                        "name": "input-0",
                        "shape": [1, FEATURES],
                        "datatype": "FP64",
                        "data": r.tolist(),
                    }
                ],
                "outputs": [{"name": "predict_proba"}],
            }
        )
        for r in rows
    ]
    v1 = [json.dumps({"records": [dict(zip(names, r.tolist(), strict=True))]}) for r in rows]
    train = pd.DataFrame(X_train, columns=names).assign(y=y_train)
    train.to_parquet(root / "train.parquet")
    return Fixture(
        root,
        model_path,
        rows_path,
        rows,
        model.predict_proba(rows),
        names,
        v2,
        v1,
        accuracy,
        train_rows,
    )


def make_workspace(fx: Fixture, driftline_cli: Path) -> tuple[Path, str]:
    """A fresh workspace with the model registered (training data: so it gets ONNX) and deployed."""
    import joblib
    import pandas as pd

    import driftline

    home = fx.root / "workspace"
    model = joblib.load(fx.model_path)
    train = pd.read_parquet(fx.root / "train.parquet")
    with driftline.Workspace.init(home) as ws:
        mv = ws.register(MODEL, model, train=train, target="y")
        ws.set_alias(MODEL, mv.version, "champion")
        engines = sorted(mv.runtimes)
    subprocess.run(
        [str(driftline_cli), "--home", str(home), "deploy", MODEL],
        check=True,
        capture_output=True,
    )
    return home, ", ".join(engines) or "none"


# -- servers ---------------------------------------------------------------------------------


def prioritise(pid: int | str, nice: int) -> bool:
    """``nice`` for the scheduling group of ``pid``'s session ("self": this one), when allowed.

    Linux with autogroup on (the default) shares the CPU between sessions first:
    a process's own nice value only weighs against its session's other processes,
    so ``nice -n -10`` alone does nothing against other users' work.
    """
    try:
        Path(f"/proc/{pid}/autogroup").write_text(str(nice))
    except OSError:
        try:
            os.setpriority(os.PRIO_PROCESS, 0 if pid == "self" else int(pid), nice)
        except OSError:
            return False
    return True


def start_server(
    name: str, cmd: list[str], root: Path, cwd: Path | None = None, nice: int = 0
) -> Server:
    out = root / f"{name}.log"
    handle = open(out, "wb")  # noqa: SIM115 - the server owns it until stop_server
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        cmd, stdout=handle, stderr=subprocess.STDOUT, cwd=cwd, env=env, start_new_session=True
    )
    if nice:
        prioritise(proc.pid, nice)
    log(f"{name}: started (pid {proc.pid}): {shlex.join(cmd)}")
    return Server(name, proc, out)


def wait_ready(server: Server, url: str, timeout: float = 180) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise RuntimeError(f"{server.name} exited ({server.proc.returncode}): {tail(server)}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    raise RuntimeError(f"{server.name} not ready after {timeout:.0f} s: {tail(server)}")


def tail(server: Server, lines: int = 5) -> str:
    try:
        text = server.log.read_text(errors="replace").strip().splitlines()
    except OSError:
        return "no output"
    return " | ".join(text[-lines:]) or "no output"


def stop_server(server: Server) -> None:
    """SIGINT to the server's own process group (it was started in a session of its own)."""
    if server.proc.poll() is None:
        with _suppress_lookup():
            os.killpg(server.proc.pid, signal.SIGINT)
        try:
            server.proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            with _suppress_lookup():
                os.killpg(server.proc.pid, signal.SIGKILL)
            server.proc.wait()
    log(f"{server.name}: stopped ({server.proc.returncode})")


class _suppress_lookup:
    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, exc: Any, tb: Any) -> bool:
        return kind is ProcessLookupError


def process_tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) used so far by ``pid`` and its live descendants."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for p in process_tree(pid):
        try:
            stat = Path(f"/proc/{p}/stat").read_text()
        except OSError:
            continue  # ended since
        fields = stat[stat.rindex(")") + 2 :].split()
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def check_answers(target: Target, fx: Fixture) -> str:
    """POST the first rows and compare with predict_proba; '' when all agree."""
    import httpx

    bodies = fx.v2_bodies if target.body == "v2" else fx.v1_bodies
    for i in range(3):
        r = httpx.post(
            target.url,
            content=bodies[i],
            headers={"content-type": "application/json"},
            timeout=10,
        )
        if r.status_code != 200:
            return f"HTTP {r.status_code}: {r.text[:200]}"
        data = r.json()
        if target.body == "v2":
            out = {o["name"]: o for o in data["outputs"]}
            if "predict_proba" not in out:
                return f"no predict_proba output in {sorted(out)}"
            got = np.asarray(out["predict_proba"]["data"], dtype=float).reshape(-1)
        else:
            got = np.asarray(
                [data["probabilities"][0][k] for k in sorted(data["probabilities"][0])],
                dtype=float,
            )
        if got.shape != fx.proba[i].shape or not np.allclose(got, fx.proba[i], atol=1e-4):
            return f"row {i}: got {got.tolist()}, predict_proba says {fx.proba[i].tolist()}"
    return ""


# -- load ------------------------------------------------------------------------------------

_LUA = """
local bodies = {
%s
}
local reqs = {}
local n = 0
local i = 0
init = function(args)
  for k, b in ipairs(bodies) do
    reqs[k] = wrk.format("POST", nil, {["Content-Type"] = "application/json"}, b)
  end
  n = #reqs
end
request = function()
  i = i %% n + 1
  return reqs[i]
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


def wrk_args(doc: str | None) -> argparse.Namespace:
    """The command line the serving benchmarks built on this one share (wrk, concurrency, time)."""
    parser = argparse.ArgumentParser(description=(doc or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 s warm-up, 3 s per point")
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument(
        "--concurrency", type=lambda s: sorted({int(x) for x in s.split(",")}), default=[1, 8]
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.warmup, args.duration = 1, 3
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install -y wrk")
    return args


def write_lua(path: Path, bodies: list[str]) -> Path:
    for b in bodies:
        assert "]==]" not in b
    path.write_text(_LUA % ",\n".join(f"[==[{b}]==]" for b in bodies))
    return path


@dataclass
class Load:
    tool: str  # wrk or python
    pin: list[str]
    warmup: int
    duration: int


def run_wrk(load: Load, url: str, script: Path, c: int, seconds: int) -> dict[str, Any]:
    cmd = [
        *load.pin, "wrk", "-t1", f"-c{c}", f"-d{seconds}s", "--timeout", "10s", "-s",
        str(script), url,
    ]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60)
    for line in done.stdout.splitlines():
        if line.startswith("WRKJSON "):
            r = json.loads(line[len("WRKJSON ") :])
            return {
                "requests": r["requests"],
                "seconds": r["duration_us"] / 1e6,
                "status_errors": r["status_errors"],
                "socket_errors": r["socket_errors"],
                "p50_ms": r["p50_us"] / 1000,
                "p99_ms": r["p99_us"] / 1000,
            }
    raise RuntimeError(f"wrk gave no result (exit {done.returncode}): {done.stderr.strip()[-300:]}")


def measure_http(
    target: Target, server: Server, load: Load, fx: Fixture, c: int, files: dict[str, Path]
) -> Point:
    point = Point(target.key, c)
    try:
        if load.tool == "wrk":
            run_wrk(load, target.url, files[f"lua-{target.body}"], c, load.warmup)
            cpu0 = process_tree_cpu(server.proc.pid)
            r = run_wrk(load, target.url, files[f"lua-{target.body}"], c, load.duration)
            cpu1 = process_tree_cpu(server.proc.pid)
        else:
            cmd = [
                *load.pin, sys.executable, str(PEERS / "loadgen.py"), target.url,
                "--bodies", str(files[f"bodies-{target.body}"]), "--concurrency", str(c),
                "--warmup", str(load.warmup), "--duration", str(load.duration),
            ]  # fmt: skip
            cpu0 = process_tree_cpu(server.proc.pid)  # includes the warm-up: a rougher figure
            done = subprocess.run(
                cmd, capture_output=True, text=True, timeout=load.warmup + load.duration + 60
            )
            cpu1 = process_tree_cpu(server.proc.pid)
            if done.returncode != 0:
                raise RuntimeError(done.stderr.strip()[-300:])
            r = json.loads(done.stdout.strip().splitlines()[-1])
    except (RuntimeError, subprocess.TimeoutExpired, json.JSONDecodeError) as exc:
        point.failure = str(exc)[:200]
        return point
    point.errors = r["status_errors"] + r["socket_errors"]
    point.ok = max(r["requests"] - r["status_errors"], 0)
    point.seconds = r["seconds"]
    point.p50_ms, point.p99_ms = r["p50_ms"], r["p99_ms"]
    if point.ok:
        point.cpu_ms_per_req = (cpu1 - cpu0) / point.ok * 1000
        if load.tool != "wrk":
            point.cpu_ms_per_req = None
    if server.proc.poll() is not None:
        point.failure = f"server exited ({server.proc.returncode}): {tail(server)}"
    return point


def measure_inprocess(
    target: Target, load: Load, fx: Fixture, c: int, home: Path | None, pin: list[str]
) -> Point:
    point = Point(target.key, c)
    cmd = [
        *pin, sys.executable, str(PEERS / "inprocess.py"), target.engine,
        "--model", str(fx.model_path), "--rows", str(fx.rows_path),
        "--concurrency", str(c), "--warmup", str(load.warmup), "--duration", str(load.duration),
    ]  # fmt: skip
    if home is not None:
        cmd += ["--home", str(home), "--ref", f"{MODEL}@champion"]
    try:
        done = subprocess.run(
            cmd, capture_output=True, text=True, timeout=load.warmup + load.duration + 120
        )
    except subprocess.TimeoutExpired:
        point.failure = "timed out"
        return point
    if done.returncode != 0:
        point.failure = (done.stderr.strip().splitlines() or ["no output"])[-1][:200]
        return point
    r = json.loads(done.stdout.strip().splitlines()[-1])
    point.ok = r["requests"] - r["errors"]
    point.errors = r["errors"]
    point.seconds = r["seconds"]
    point.p50_ms, point.p99_ms = r["p50_ms"], r["p99_ms"]
    return point


# -- reporting -------------------------------------------------------------------------------


def fmt(x: float | None, digits: int = 2) -> str:
    if x is None:
        return ""
    if x >= 100:
        return f"{x:,.0f}"
    return f"{x:.{digits}f}"


def find(points: list[Point], key: str, c: int) -> Point | None:
    return next(
        (p for p in points if p.target == key and p.concurrency == c and not p.failure), None
    )


def render(
    args: argparse.Namespace,
    command: str,
    targets: list[Target],
    points: list[Point],
    notes: list[str],
    vers: dict[str, str],
    fx: Fixture,
    pinning: str,
    load: Load,
) -> str:
    lines = [
        HEADING,
        "",
        f"Measured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC on {machine()}.",
        "",
        "```console",
        command,
        "```",
        "",
        f"Model: scikit-learn RandomForestClassifier, {TREES} trees, {FEATURES} numeric "
        f"features, trained on {fx.train_rows:,} generated rows (seed {args.seed}; "
        f"held-out accuracy {fx.accuracy:.3f}). Every request carries one row (cycling "
        f"through {BODY_ROWS} held-out rows) and asks for class probabilities; V2 targets "
        "get the same body, one FP64 [1, 20] tensor. "
        f"Load: {'wrk, one thread' if load.tool == 'wrk' else 'Python httpx generator'}, "
        f"closed loop, one connection per unit of concurrency, over loopback; "
        f"{load.warmup} s warm-up then {load.duration} s measured per point; {pinning}. "
        "req/s counts 2xx answers only; errors are non-2xx answers and socket errors. "
        "Server CPU is the user + system time of the server's processes per answered "
        "request (it can exceed the wall time per request only when the server uses more "
        "than one core).",
        "",
        "| target | concurrency | req/s | p50 (ms) | p99 (ms) | errors | server CPU per request (ms) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    labels = {t.key: t.label for t in targets}
    for p in points:
        if p.failure:
            lines.append(f"| {labels[p.target]} | {p.concurrency} | failed: {p.failure} | | | | |")
            continue
        lines.append(
            f"| {labels[p.target]} | {p.concurrency} | {fmt(p.rps, 0)} | {fmt(p.p50_ms)} "
            f"| {fmt(p.p99_ms)} | {p.errors} | {fmt(p.cpu_ms_per_req, 3)} |"
        )
    top = max(args.concurrency)
    low = min(args.concurrency)
    verdicts: list[str] = []
    dl, ml, fa = (
        find(points, "driftline-v2", top),
        find(points, "mlserver", top),
        find(points, "fastapi", top),
    )
    if dl and ml and ml.rps:
        ratio = dl.rps / ml.rps
        verdict = "met" if ratio >= TARGET_RATIO else "not met"
        verdicts.append(
            f"- throughput at concurrency {top}: driftline (V2) {dl.rps:,.0f} req/s, MLServer "
            f"{ml.rps:,.0f} req/s: **{ratio:.2f}x** (target {TARGET_RATIO:g}x: {verdict})"
            + (
                f"; plain FastAPI {fa.rps:,.0f} req/s ({dl.rps / fa.rps:.2f}x)"
                if fa and fa.rps
                else ""
            )
        )
    d1 = find(points, "driftline-v2", low)
    if d1 and d1.p50_ms is not None:
        verdict = "met" if d1.p50_ms < TARGET_P50_MS else "not met"
        extra = []
        for key, name in (
            ("fastapi", "plain FastAPI"),
            ("mlserver", "MLServer"),
            ("inprocess-sklearn", "predict_proba in process"),
        ):
            other = find(points, key, low)
            if other and other.p50_ms is not None:
                extra.append(f"{name} {other.p50_ms:.2f} ms")
        verdicts.append(
            f"- p50 latency at concurrency {low}: driftline (V2) **{d1.p50_ms:.2f} ms** "
            f"(target under {TARGET_P50_MS:g} ms: {verdict})"
            + (f"; {', '.join(extra)}" if extra else "")
        )
    if verdicts:
        lines += ["", "Against the issue's targets:", "", *verdicts]
    if args.duration < 10:
        notes.insert(0, f"a short run ({args.duration} s per point): indicative only")
    lines += ["", *[f"- {n}" for n in notes]]
    lines += ["", *[f"- {k}: {v}" for k, v in vers.items()]]
    return "\n".join(lines) + "\n"


# -- main ------------------------------------------------------------------------------------

ALL_TARGETS = [
    "inprocess-sklearn",
    "inprocess-driftline",
    "fastapi",
    "mlserver",
    "driftline-v2",
    "driftline-v1",
]


def build_targets(keys: list[str], ports: dict[str, int], mlserver_label: str) -> list[Target]:
    infer = f"/v2/models/{MODEL}/infer"
    every = {
        "inprocess-sklearn": Target(
            "inprocess-sklearn", "predict_proba in process, 1 row, no HTTP", "inprocess",
            engine="sklearn",
        ),
        "inprocess-driftline": Target(
            "inprocess-driftline", "driftline runtime (ONNX) in process, 1 row, no HTTP",
            "inprocess", engine="driftline",
        ),
        "fastapi": Target(
            "fastapi", "minimal FastAPI endpoint (uvicorn, 1 worker)", "http",
            f"http://127.0.0.1:{ports['fastapi']}{infer}", "v2", "fastapi",
        ),
        "mlserver": Target(
            "mlserver", mlserver_label, "http",
            f"http://127.0.0.1:{ports['mlserver']}{infer}", "v2", "mlserver",
        ),
        "driftline-v2": Target(
            "driftline-v2", "driftline serve, V2 REST, log on", "http",
            f"http://127.0.0.1:{ports['driftline']}{infer}", "v2", "driftline",
        ),
        "driftline-v1": Target(
            "driftline-v1", "driftline serve, /v1, log on", "http",
            f"http://127.0.0.1:{ports['driftline']}/v1/models/{MODEL}/predict", "v1", "driftline",
        ),
    }  # fmt: skip
    return [every[k] for k in keys]


def cpu_only(args: argparse.Namespace) -> None:
    """``--cpu``: train, register and deploy as for a run, then drive the app in process."""
    from _serve_cpu import cpu_per_request

    root = Path(tempfile.mkdtemp(prefix="serve_bench_cpu_"))
    try:
        fx = make_fixture(root, args.seed)
        home, _ = make_workspace(fx, Path(sys.executable).parent / "driftline")
        mine = sorted(os.sched_getaffinity(0))
        os.sched_setaffinity(0, mine[:1])  # one core, as the server has in a run
        for report in cpu_per_request(home, fx.v2_bodies, args.concurrency, args.cpu, args.profile):
            print(report)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 s warm-up, 3 s per point")
    parser.add_argument("--duration", type=int, default=10, help="measured seconds per point")
    parser.add_argument("--warmup", type=int, default=3, help="warm-up seconds per point")
    parser.add_argument(
        "--concurrency",
        type=lambda s: sorted({int(x) for x in s.split(",")}),
        default=[1, 8, 64],
        help="comma-separated connection counts",
    )
    parser.add_argument(
        "--targets",
        default=",".join(ALL_TARGETS),
        help=f"comma-separated subset of {','.join(ALL_TARGETS)}",
    )
    parser.add_argument(
        "--mlserver-workers",
        type=int,
        default=1,
        help="MLServer parallel_workers (1, its default: the model runs in a worker process; "
        "0: in the HTTP process)",
    )
    parser.add_argument("--max-batch-size", type=int, default=64, help="for MLServer and driftline")
    parser.add_argument(
        "--max-latency-ms", type=float, default=2.0, help="for MLServer and driftline"
    )
    parser.add_argument("--loadgen", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    parser.add_argument(
        "--nice",
        type=int,
        default=0,
        help="e.g. -10: raise every server's, wrk's and in-process calls' priority (root; "
        "for runs on a machine others use too)",
    )
    parser.add_argument(
        "--cpu",
        type=int,
        metavar="N",
        help="instead: driftline's own CPU per V2 request, N requests in process per "
        "concurrency, no sockets (see _serve_cpu.py)",
    )
    parser.add_argument("--profile", action="store_true", help="with --cpu: cProfile, CPU clock")
    args = parser.parse_args()
    if args.quick:
        args.warmup, args.duration = 1, 3
    if args.cpu:
        cpu_only(args)
        return
    keys = [k.strip() for k in args.targets.split(",") if k.strip()]
    unknown = sorted(set(keys) - set(ALL_TARGETS))
    if unknown:
        parser.error(f"unknown target(s): {', '.join(unknown)}")
    command = "python benchmarks/serve_bench.py " + shlex.join(sys.argv[1:])

    tool = args.loadgen
    if tool == "auto":
        tool = "wrk" if shutil.which("wrk") else "python"
        if tool == "python":
            log("wrk not found (apt-get install -y wrk): using the slower Python load generator")
    server_pin, load_pin, pinning = cores()
    if args.nice and prioritise("self", args.nice):  # wrk and the in-process calls
        pinning += f"; every process at nice {args.nice} for its session's scheduling group"
    load = Load(tool, load_pin, args.warmup, args.duration)
    driftline_cli = Path(sys.executable).parent / "driftline"
    if not driftline_cli.exists():
        sys.exit(f"no driftline command next to {sys.executable}: run this from driftline's venv")

    vers = {
        "driftline side": versions(
            sys.executable,
            ["driftline", "scikit-learn", "onnxruntime", "skl2onnx", "fastapi", "uvicorn",
             "uvloop", "httptools", "numpy", "pandas"],
        ),
    }  # fmt: skip
    mlserver_label = "MLServer, V2 REST, adaptive batching"
    peer_python: Path | None = None
    if "mlserver" in keys:
        peer_python = peers_python()
        vers["MLServer side"] = versions(
            peer_python,
            ["mlserver", "mlserver-sklearn", "scikit-learn", "fastapi", "uvicorn", "uvloop",
             "httptools", "numpy"],
        )  # fmt: skip
        mlserver_label = (
            f"MLServer {vers['MLServer side']['mlserver']} (mlserver-sklearn), V2 REST, "
            "adaptive batching"
        )
    vers_lines = {k: ", ".join(f"{n} {v}" for n, v in d.items()) for k, d in vers.items()}
    vers_lines["Python"] = f"{platform.python_version()} ({platform.python_implementation()})"
    vers_lines["load generator"] = (
        subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.splitlines()[0]
        if tool == "wrk"
        else "Python httpx generator (_serve_peers/loadgen.py)"
    )

    root = Path(tempfile.mkdtemp(prefix="serve_bench_"))
    points: list[Point] = []
    notes: list[str] = []
    try:
        log(f"training the model in {root}")
        fx = make_fixture(root, args.seed)
        files = {
            "lua-v2": write_lua(root / "v2.lua", fx.v2_bodies),
            "lua-v1": write_lua(root / "v1.lua", fx.v1_bodies),
            "bodies-v2": root / "bodies-v2.json",
            "bodies-v1": root / "bodies-v1.json",
        }
        files["bodies-v2"].write_text(json.dumps(fx.v2_bodies))
        files["bodies-v1"].write_text(json.dumps(fx.v1_bodies))
        home: Path | None = None
        if any(k.startswith("driftline") or k == "inprocess-driftline" for k in keys):
            log("registering and deploying the model in a fresh driftline workspace")
            home, engines = make_workspace(fx, driftline_cli)
            notes.append(f"driftline registered the model with runtimes: {engines}")
        ports = {"fastapi": free_port(), "mlserver": free_port(), "driftline": free_port()}
        targets = build_targets(keys, ports, mlserver_label)

        for target in [t for t in targets if t.kind == "inprocess"]:
            for c in args.concurrency:
                log(f"{target.key}: concurrency {c}")
                p = measure_inprocess(
                    target, load, fx, c, home if target.engine == "driftline" else None, server_pin
                )
                log(f"  {fmt(p.rps, 0)} calls/s, p50 {fmt(p.p50_ms)} ms {p.failure}")
                points.append(p)

        for server_name in ("fastapi", "mlserver", "driftline"):
            group = [t for t in targets if t.server == server_name]
            if not group:
                continue
            port = ports[server_name]
            if server_name == "fastapi":
                cmd = [*server_pin, sys.executable, str(PEERS / "fastapi_app.py"),
                       "--model", str(fx.model_path), "--port", str(port)]  # fmt: skip
                server = start_server(server_name, cmd, root, nice=args.nice)
                ready = f"http://127.0.0.1:{port}/v2/health/ready"
            elif server_name == "mlserver":
                assert peer_python is not None
                repo = root / "mlserver"
                (repo / MODEL).mkdir(parents=True)
                shutil.copy(fx.model_path, repo / MODEL / "model.joblib")
                settings = {
                    "debug": False,
                    "host": "127.0.0.1",
                    "http_port": port,
                    "grpc_port": free_port(),
                    "metrics_port": free_port(),
                    "parallel_workers": args.mlserver_workers,
                }
                model_settings = {
                    "name": MODEL,
                    "implementation": "mlserver_sklearn.SKLearnModel",
                    "max_batch_size": args.max_batch_size,
                    "max_batch_time": args.max_latency_ms / 1000,
                    "parameters": {"uri": "./model.joblib"},
                }
                (repo / "settings.json").write_text(json.dumps(settings, indent=2))
                (repo / MODEL / "model-settings.json").write_text(
                    json.dumps(model_settings, indent=2)
                )
                notes.append(
                    f"MLServer settings: parallel_workers {args.mlserver_workers}, debug off; "
                    f"model: max_batch_size {args.max_batch_size}, max_batch_time "
                    f"{args.max_latency_ms / 1000:g} s"
                )
                cmd = [*server_pin, str(PEERS_VENV / "bin" / "mlserver"), "start", str(repo)]
                server = start_server(server_name, cmd, root, cwd=repo, nice=args.nice)
                ready = f"http://127.0.0.1:{port}/v2/models/{MODEL}/ready"
            else:
                assert home is not None
                cmd = [
                    *server_pin, str(driftline_cli), "--home", str(home), "serve",
                    "--port", str(port), "--workers", "1",
                    "--max-batch-size", str(args.max_batch_size),
                    "--max-latency-ms", f"{args.max_latency_ms:g}", "--log-sync", "write",
                ]  # fmt: skip
                server = start_server(server_name, cmd, root, nice=args.nice)
                ready = f"http://127.0.0.1:{port}/v2/models/{MODEL}/ready"
            try:
                wait_ready(server, ready)
                for target in group:
                    wrong = check_answers(target, fx)
                    if wrong:
                        notes.append(f"{target.label}: WRONG ANSWER before the run: {wrong}")
                        log(f"{target.key}: wrong answer: {wrong}")
                    for c in args.concurrency:
                        log(f"{target.key}: concurrency {c}")
                        p = measure_http(target, server, load, fx, c, files)
                        log(
                            f"  {fmt(p.rps, 0)} req/s, p50 {fmt(p.p50_ms)} ms, "
                            f"p99 {fmt(p.p99_ms)} ms, {p.errors} errors {p.failure}"
                        )
                        points.append(p)
                if server_name == "driftline":
                    engine = driftline_engine(port)
                    if engine:
                        notes.append(f"driftline served the model with engine: {engine}")
            except RuntimeError as exc:
                log(f"{server_name}: {exc}")
                for target in group:
                    for c in args.concurrency:
                        if not any(p.target == target.key and p.concurrency == c for p in points):
                            points.append(Point(target.key, c, failure=str(exc)[:200]))
            finally:
                stop_server(server)
            if server_name == "driftline" and home is not None:
                notes.append(log_note(home, points))

        section = render(args, command, targets, points, notes, vers_lines, fx, pinning, load)
    finally:
        if args.nice:  # the session this ran from goes back to its usual share
            prioritise("self", 0)
        if args.keep:
            log(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    print(section)
    if not args.no_write:
        write_section(RESULTS, HEADING, section)
        log(f"wrote {RESULTS}")


def driftline_engine(port: int) -> str:
    import httpx

    try:
        models = httpx.get(f"http://127.0.0.1:{port}/v1/models", timeout=5).json()
        return ", ".join(
            f"{r['engine']} (version {r['version']}, route {name})"
            for m in models
            for name, r in m["routes"].items()
        )
    except (httpx.HTTPError, ValueError, KeyError, TypeError):
        return ""


def log_note(home: Path, points: list[Point]) -> str:
    """How many predictions driftline's inference log holds after the runs."""
    from driftline.store import InferenceLog

    logged = sum(1 for r in InferenceLog(home / "log").records() if r.get("kind") == "prediction")
    answered = sum(p.ok for p in points if p.target.startswith("driftline-"))
    return (
        f"driftline's inference log holds {logged:,} prediction records after the runs "
        f"(measured answers: {answered:,}; the rest are warm-ups and checks)"
    )


if __name__ == "__main__":
    main()
