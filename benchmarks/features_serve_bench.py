"""What does completing a request's inputs from the online store cost ``driftline serve``?

    python benchmarks/features_serve_bench.py [--quick] [--duration 10] [--concurrency 1,8]

serve_bench.py's model (a seeded RandomForestClassifier, 100 trees, 20 numeric
features, ONNX) registered twice in one fresh workspace: ``rf`` takes all 20
inputs from the request (the baseline, in the same run), ``rf_features`` takes
f0-f9 from the request and f10-f19 from a feature view of 64 customers by
``customer_id`` (``driftline deploy rf_features --features customer:*``),
materialized into the online store. Three targets over /v1, each request one
row (cycling through the 64 held-out rows), inference log on:

* the baseline: ``rf``, every input in the request;
* ``rf_features`` with the online store in SQLite (the workspace default);
* ``rf_features`` with the online store in Redis (a redis-server started here).

Load, pinning and answer checks are serve_bench.py's (wrk, closed loop).
Writes its section of RESULTS.md.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import serve_bench as sb  # noqa: E402
from _results import head, write_section  # noqa: E402

HEADING = "## Feature lookups while serving (issue 16)"
TARGET_P50_MS = 1.5
SPLIT = 10  # f0..f9 in the request, f10..f19 from the view


def make_workspace(fx: sb.Fixture, driftline_cli: Path) -> Path:
    import joblib
    import pandas as pd

    import driftline
    from driftline.features import Feature, FeatureView

    home = fx.root / "workspace"
    model = joblib.load(fx.model_path)
    train = pd.read_parquet(fx.root / "train.parquet")
    now = pd.Timestamp(dt.datetime.now(dt.UTC) - dt.timedelta(hours=1))
    view_rows = pd.DataFrame(fx.rows[:, SPLIT:], columns=fx.names[SPLIT:])
    view_rows.insert(0, "event_time", now)
    view_rows.insert(0, "customer_id", np.arange(len(fx.rows), dtype=np.int64))
    view_rows.to_parquet(fx.root / "customers.parquet")
    view = FeatureView(
        "customer",
        entities=["customer_id"],
        timestamp="event_time",
        source=str(fx.root / "customers.parquet"),
        features=[Feature(n, "float") for n in fx.names[SPLIT:]],
        ttl="30d",
    )
    with driftline.Workspace.init(home) as ws:
        for name in ("rf", "rf_features"):
            mv = ws.register(name, model, train=train, target="y")
            ws.set_alias(name, mv.version, "champion")
        ws.register_view(view)
    for args in (["deploy", "rf"], ["deploy", "rf_features", "--features", "customer:*"]):
        subprocess.run(
            [str(driftline_cli), "--home", str(home), *args], check=True, capture_output=True
        )
    return home


def materialize(driftline_cli: Path, home: Path, online: str | None) -> None:
    env = {**os.environ, **({"DRIFTLINE_ONLINE_STORE_URL": online} if online else {})}
    subprocess.run(
        [str(driftline_cli), "--home", str(home), "features", "materialize"],
        check=True,
        capture_output=True,
        env=env,
    )


def start_redis(root: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = sb.free_port()
    proc = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(root)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    import redis

    client = redis.Redis(port=port)
    deadline = time.monotonic() + 30
    while True:
        try:
            client.ping()
            return proc, f"redis://127.0.0.1:{port}/0"
        except redis.ConnectionError:
            if time.monotonic() > deadline:
                raise RuntimeError("redis-server did not start") from None
            time.sleep(0.05)


def bodies(fx: sb.Fixture, features: bool) -> list[str]:
    out = []
    for i, row in enumerate(fx.rows):
        if features:
            record = {
                "customer_id": i,
                **dict(zip(fx.names[:SPLIT], row[:SPLIT].tolist(), strict=True)),
            }
        else:
            record = dict(zip(fx.names, row.tolist(), strict=True))
        out.append(json.dumps({"records": [record]}))
    return out


def check(url: str, fx: sb.Fixture, body_list: list[str]) -> str:
    import httpx

    for i in range(3):
        r = httpx.post(url, content=body_list[i], headers={"content-type": "application/json"})
        if r.status_code != 200:
            return f"HTTP {r.status_code}: {r.text[:200]}"
        probs = r.json()["probabilities"][0]
        got = np.array([probs[k] for k in sorted(probs)])
        if not np.allclose(got, fx.proba[i], atol=1e-4):
            return f"row {i}: got {got.tolist()}, predict_proba says {fx.proba[i].tolist()}"
    return ""


def main() -> None:
    args = sb.wrk_args(__doc__)
    load_avg = "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())
    server_pin, load_pin, pinning = sb.cores()
    load = sb.Load("wrk", load_pin, args.warmup, args.duration)
    driftline_cli = Path(sys.executable).parent / "driftline"
    root = Path(tempfile.mkdtemp(prefix="features_serve_bench_"))
    results: list[tuple[str, int, sb.Point]] = []
    notes: list[str] = []
    redis_proc = None
    try:
        fx = sb.make_fixture(root, args.seed)
        home = make_workspace(fx, driftline_cli)
        redis_proc, redis_url = start_redis(root)
        materialize(driftline_cli, home, None)
        materialize(driftline_cli, home, redis_url)
        plain, featured = bodies(fx, False), bodies(fx, True)
        scripts = {
            "plain": sb.write_lua(root / "plain.lua", plain),
            "features": sb.write_lua(root / "features.lua", featured),
        }
        targets = [
            ("baseline: rf, all 20 inputs in the request", None, "rf", "plain"),
            ("rf_features, 10 inputs looked up in SQLite", None, "rf_features", "features"),
            ("rf_features, 10 inputs looked up in Redis", redis_url, "rf_features", "features"),
        ]
        for label, online, model, kind in targets:
            port = sb.free_port()
            cmd = [
                *server_pin, str(driftline_cli), "--home", str(home), "serve", "--port", str(port),
                "--workers", "1", "--log-sync", "write",
            ]  # fmt: skip
            if online:
                os.environ["DRIFTLINE_ONLINE_STORE_URL"] = online
            server = sb.start_server(model, cmd, root)
            os.environ.pop("DRIFTLINE_ONLINE_STORE_URL", None)
            url = f"http://127.0.0.1:{port}/v1/models/{model}/predict"
            try:
                sb.wait_ready(server, f"http://127.0.0.1:{port}/v2/models/{model}/ready")
                wrong = check(url, fx, plain if kind == "plain" else featured)
                if wrong:
                    notes.append(f"{label}: WRONG ANSWER: {wrong}")
                for c in args.concurrency:
                    target = sb.Target(model, label, "http", url, kind, "driftline")
                    files = {f"lua-{kind}": scripts[kind]}
                    point = sb.measure_http(target, server, load, fx, c, files)
                    sb.log(
                        f"{label} c={c}: p50 {point.p50_ms} ms, {point.rps:.0f} req/s {point.failure}"
                    )
                    results.append((label, c, point))
            finally:
                sb.stop_server(server)
    finally:
        if redis_proc is not None:
            redis_proc.terminate()
            redis_proc.wait()
        shutil.rmtree(root, ignore_errors=True)

    lines = [
        *head(HEADING, load_avg),
        "",
        "serve_bench.py's model (RandomForestClassifier, 100 trees, 20 numeric features, ONNX), "
        "one row per /v1 request, inference log on; wrk closed loop, "
        f"{args.warmup} s warm-up then {args.duration} s per point; {pinning}.",
        "",
        "| target | concurrency | req/s | p50 (ms) | p99 (ms) | errors | server CPU per request (ms) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for label, c, p in results:
        if p.failure:
            lines.append(f"| {label} | {c} | failed: {p.failure} | | | | |")
            continue
        lines.append(
            f"| {label} | {c} | {p.rps:,.0f} | {sb.fmt(p.p50_ms)} | {sb.fmt(p.p99_ms)} | "
            f"{p.errors} | {sb.fmt(p.cpu_ms_per_req, 3)} |"
        )
    low = min(args.concurrency)
    base = next((p for lb, c, p in results if c == low and lb.startswith("baseline")), None)
    verdicts = []
    for store in ("SQLite", "Redis"):
        p = next((p for lb, c, p in results if c == low and store in lb and not p.failure), None)
        if p is None or p.p50_ms is None:
            continue
        met = "met" if p.p50_ms < TARGET_P50_MS else "not met"
        extra = (
            f"; {p.p50_ms - base.p50_ms:+.2f} ms against the baseline"
            if base is not None and base.p50_ms is not None
            else ""
        )
        verdicts.append(
            f"- p50 at concurrency {low} with the lookup in {store}: **{p.p50_ms:.2f} ms** "
            f"(target under {TARGET_P50_MS:g} ms: {met}){extra}"
        )
    if verdicts:
        lines += ["", "Against the issue's targets:", "", *verdicts]
    if args.duration < 10:
        notes.insert(0, f"a short run ({args.duration} s per point): indicative only")
    lines += ["", *[f"- {n}" for n in notes]] if notes else []
    section = "\n".join(lines) + "\n"
    print(section)
    if not args.no_write:
        write_section(sb.RESULTS, HEADING, section)


if __name__ == "__main__":
    main()
