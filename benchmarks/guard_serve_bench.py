"""What does the input guard cost ``driftline serve`` per request?

    python benchmarks/guard_serve_bench.py [--quick] [--duration 10] [--concurrency 1,8]

serve_bench.py's model (a seeded RandomForestClassifier, 100 trees, 20 numeric
features, ONNX) registered twice in one fresh workspace (each registration
fits the input guard on the training inputs): ``rf`` deployed plainly (the
baseline, in the same run) and ``rf_guard`` deployed with ``--guard flag
--round 3`` (every input scored against the training rows, flags in the
answer and the log, probabilities rounded). Each target gets one row per
request (cycling through the 64 held-out rows), over V2 and /v1, inference log
on. Load, pinning and answer checks are serve_bench.py's (wrk, closed loop).
Writes its section of RESULTS.md.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import serve_bench as sb  # noqa: E402
from _results import head, write_section  # noqa: E402

HEADING = "## Input guard while serving (issue 17)"
TARGET_P50_MS = 1.0


def make_workspace(fx: sb.Fixture, driftline_cli: Path) -> tuple[Path, dict[str, object]]:
    import joblib
    import pandas as pd

    import driftline

    home = fx.root / "workspace"
    model = joblib.load(fx.model_path)
    train = pd.read_parquet(fx.root / "train.parquet")
    with driftline.Workspace.init(home) as ws:
        for name in ("rf", "rf_guard"):
            mv = ws.register(name, model, train=train, target="y")
            ws.set_alias(name, mv.version, "champion")
        guard = {k: v for k, v in mv.runtimes["guard"].items() if k != "key"}
    for args in (["deploy", "rf"], ["deploy", "rf_guard", "--guard", "flag", "--round", "3"]):
        subprocess.run(
            [str(driftline_cli), "--home", str(home), *args], check=True, capture_output=True
        )
    return home, guard


def main() -> None:
    args = sb.wrk_args(__doc__)
    load_avg = "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())
    server_pin, load_pin, pinning = sb.cores()
    load = sb.Load("wrk", load_pin, args.warmup, args.duration)
    driftline_cli = Path(sys.executable).parent / "driftline"
    root = Path(tempfile.mkdtemp(prefix="guard_serve_bench_"))
    results: list[tuple[str, str, int, sb.Point]] = []
    notes: list[str] = []
    try:
        fx = sb.make_fixture(root, args.seed)
        home, guard = make_workspace(fx, driftline_cli)
        notes.append(
            f"the guard of rf_guard: {guard['rows']:,} training rows kept (half compared with, "
            f"half setting the line), false-positive rate {guard['fpr']:g}"
        )
        scripts = {
            "v2": sb.write_lua(root / "v2.lua", fx.v2_bodies),
            "v1": sb.write_lua(root / "v1.lua", fx.v1_bodies),
        }
        port = sb.free_port()
        cmd = [
            *server_pin, str(driftline_cli), "--home", str(home), "serve", "--port", str(port),
            "--workers", "1", "--log-sync", "write",
        ]  # fmt: skip
        server = sb.start_server("driftline", cmd, root)
        try:
            sb.wait_ready(server, f"http://127.0.0.1:{port}/v2/models/rf_guard/ready")
            for model, label in (("rf", "baseline: no guard"), ("rf_guard", "guard: flag")):
                for protocol in ("v2", "v1"):
                    path = "infer" if protocol == "v2" else "predict"
                    url = f"http://127.0.0.1:{port}/{protocol}/models/{model}/{path}"
                    target = sb.Target(model, label, "http", url, protocol, "driftline")
                    for c in args.concurrency:
                        point = sb.measure_http(
                            target, server, load, fx, c, {f"lua-{protocol}": scripts[protocol]}
                        )
                        sb.log(f"{label} {protocol} c={c}: p50 {point.p50_ms} ms {point.failure}")
                        results.append((label, protocol, c, point))
            notes.append(flags_note(port, fx))
        finally:
            sb.stop_server(server)
    finally:
        shutil.rmtree(root, ignore_errors=True)

    lines = [
        *head(HEADING, load_avg),
        "",
        "serve_bench.py's model (RandomForestClassifier, 100 trees, 20 numeric features, ONNX), "
        "one row per request, one server holding both deployments, inference log on; wrk "
        f"closed loop, {args.warmup} s warm-up then {args.duration} s per point; {pinning}.",
        "",
        "| target | protocol | concurrency | req/s | p50 (ms) | p99 (ms) | errors | server CPU per request (ms) |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for label, protocol, c, p in results:
        if p.failure:
            lines.append(f"| {label} | {protocol} | {c} | failed: {p.failure} | | | | |")
            continue
        lines.append(
            f"| {label} | {protocol} | {c} | {p.rps:,.0f} | {sb.fmt(p.p50_ms)} | "
            f"{sb.fmt(p.p99_ms)} | {p.errors} | {sb.fmt(p.cpu_ms_per_req, 3)} |"
        )
    low = min(args.concurrency)
    verdicts = []
    for protocol in ("v2", "v1"):
        base = next(
            (p for lb, pr, c, p in results if pr == protocol and c == low and "baseline" in lb),
            None,
        )
        p = next(
            (p for lb, pr, c, p in results if pr == protocol and c == low and "guard:" in lb),
            None,
        )
        if p is None or p.p50_ms is None or p.failure:
            continue
        met = "met" if p.p50_ms < TARGET_P50_MS else "not met"
        extra = (
            f"; {p.p50_ms - base.p50_ms:+.2f} ms against the baseline"
            if base is not None and base.p50_ms is not None
            else ""
        )
        verdicts.append(
            f"- p50 at concurrency {low} with the guard on ({protocol}): **{p.p50_ms:.2f} ms** "
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


def flags_note(port: int, fx: sb.Fixture) -> str:
    """How many of the held-out rows the guard flagged: about its false-positive rate."""
    import json

    import httpx

    records = [dict(zip(fx.names, r.tolist(), strict=True)) for r in fx.rows]
    r = httpx.post(
        f"http://127.0.0.1:{port}/v1/models/rf_guard/predict",
        content=json.dumps({"records": records}),
        headers={"content-type": "application/json"},
        timeout=30,
    )
    flags = r.json().get("unlike_training") or []
    return f"held-out rows flagged as unlike training: {sum(flags)} of {len(flags)}"


if __name__ == "__main__":
    main()
