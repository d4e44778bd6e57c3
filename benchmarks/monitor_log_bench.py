"""Does ``driftline monitor run`` over one window stay flat as the inference log grows?

    python benchmarks/monitor_log_bench.py [--sizes 20000,1000000,10000000] [--rows-per-day 20000]
                                           [--repeat 3] [--quick] [--no-write]

For each size, a workspace whose log holds that many predictions of one
model (6 inputs), ``--rows-per-day`` a day (so more predictions mean more
days, as a log grows), with a label posted the next day for one prediction in
ten: written the way the server writes them (``InferenceLog``), then
compacted with ``driftline log compact``. Then, as a user would, in a process
of its own each time:

* ``driftline monitor run credit --since <last day> --window 1d --json``:
  drift and data quality for the last day's window;
* the same with ``--reference ref.parquet --target y``: performance estimated,
  and realized from the labels joined to the window.

Time is the median wall time of ``--repeat`` runs of the whole command
(interpreter start and imports included; the first size shows what that
costs), peak is the command's peak resident memory. The smallest size (one
day) is the baseline: flat means the larger logs cost what one day costs.
Beside it, for sizes up to ``--uncompacted-max``, the same command on the log
left uncompacted, which is what every run read before compaction ran (every
line of every day decoded, whatever the window).

Workspaces are kept in benchmarks/_data/monitor_log/ (about 1 GB per 10M
predictions compacted); delete them to regenerate. Writes its section of
benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _results import machine, write_section  # noqa: E402

RESULTS = HERE / "RESULTS.md"
HEADING = "## Monitoring over the inference log (issue 11)"
DATA = HERE / "_data" / "monitor_log"
T0 = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
FEATURES = ["age", "income", "debt", "tenure", "score"]


def rows(n: int, rng: np.random.Generator) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "age": rng.normal(45, 12, n),
            "income": rng.normal(50, 10, n),
            "debt": rng.gamma(2.0, 5.0, n),
            "tenure": rng.integers(0, 30, n).astype(float),
            "score": rng.uniform(300, 850, n),
            "region": rng.choice(["north", "south", "east", "west"], n),
        }
    )
    logit = (frame["income"] - 50) / 4 - (frame["debt"] - 10) / 10
    frame["y"] = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return frame


def driftline(home: Path, *args: str) -> list[str]:
    script = Path(sys.executable).with_name("driftline")
    head = (
        [str(script)]
        if script.exists()
        else [sys.executable, "-c", "from driftline.cli._app import _entry; _entry()"]
    )
    return [*head, "--home", str(home), *args]


def measured(command: list[str]) -> tuple[float, float, float, str]:
    """Wall seconds, CPU seconds, peak resident MiB and stdout of ``command``, in a process
    of its own (so the peak is that command's alone)."""
    probe = (
        "import resource, subprocess, sys, time, json\n"
        "t = time.perf_counter()\n"
        "p = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "wall = time.perf_counter() - t\n"
        "use = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
        "if p.returncode: sys.stderr.write(p.stderr); sys.exit(p.returncode)\n"
        "print(json.dumps([wall, use.ru_utime + use.ru_stime, use.ru_maxrss / 1024, p.stdout]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, *command], capture_output=True, text=True, env=_env()
    )
    if done.returncode:
        raise SystemExit(f"{shlex.join(command)} failed:\n{done.stderr}")
    wall, cpu, peak, out = json.loads(done.stdout)
    return wall, cpu, peak, out


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("DRIFTLINE_")}


def build(size: int, per_day: int, *, keep_uncompacted: bool) -> tuple[Path, Path | None, dict]:
    """The workspace holding ``size`` logged predictions, made once and kept."""
    home = DATA / f"{size}-{per_day}"
    raw = DATA / f"{size}-{per_day}-uncompacted"
    info_file = home / "bench.json"
    if info_file.exists() and (raw.exists() or not keep_uncompacted):
        return home, raw if raw.exists() else None, json.loads(info_file.read_text())
    shutil.rmtree(home, ignore_errors=True)
    shutil.rmtree(raw, ignore_errors=True)
    from sklearn.compose import make_column_transformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    from driftline import Workspace
    from driftline.store import InferenceLog

    rng = np.random.default_rng(0)
    train = rows(10_000, rng)
    model = make_pipeline(
        make_column_transformer(
            (StandardScaler(), FEATURES), (OneHotEncoder(handle_unknown="ignore"), ["region"])
        ),
        LogisticRegression(),
    ).fit(train[[*FEATURES, "region"]], train["y"])
    with Workspace.init(home, actor="bench") as ws:
        ws.register("credit", model, train=train, target="y")
        log = InferenceLog.open(ws.settings)
    started = time.perf_counter()
    days = -(-size // per_day)
    for day in range(days):
        n = min(per_day, size - day * per_day)
        batch = rows(n, rng)
        proba = model.predict_proba(batch[[*FEATURES, "region"]])
        seconds = np.sort(rng.uniform(0, 86_399, n))
        inputs = batch[[*FEATURES, "region"]].to_dict("records")
        for i in range(n):
            when = T0 + dt.timedelta(days=day, seconds=float(seconds[i]))
            rid = f"d{day}-{i}"
            log.append(
                {
                    "kind": "prediction",
                    "request_id": rid,
                    "timestamp": when.isoformat(),
                    "model": "credit",
                    "version": 1,
                    "route": "champion",
                    "latency_ms": 0.6,
                    "inputs": inputs[i],
                    "prediction": int(proba[i, 1] > 0.5),
                    "probabilities": proba[i].tolist(),
                }
            )
            if i % 10 == 0:
                posted = when + dt.timedelta(days=1)
                log.append(
                    {
                        "kind": "label",
                        "model": "credit",
                        "request_id": rid,
                        "label": int(batch["y"].iloc[i]),
                        "timestamp": posted.isoformat(),
                    }
                )
    log.close()
    written = time.perf_counter() - started
    if keep_uncompacted:
        shutil.copytree(home, raw)
    wall, _, peak, out = measured(driftline(home, "log", "compact", "--json"))
    info = {
        "size": size,
        "days": days,
        "write_s": written,
        "compact_s": wall,
        "compact_peak_mib": peak,
        "compacted": json.loads(out),
        "last_day": (T0 + dt.timedelta(days=days - 1)).date().isoformat(),
    }
    rows(5_000, np.random.default_rng(1)).to_parquet(home / "reference.parquet")
    info_file.write_text(json.dumps(info))
    return home, raw if keep_uncompacted else None, info


def run_monitor(home: Path, info: dict, repeat: int, *, performance: bool) -> dict:
    args = ["monitor", "run", "credit", "--since", info["last_day"], "--window", "1d", "--json"]
    if performance:
        args += ["--reference", str(home / "reference.parquet"), "--target", "y"]
    times, cpus, peaks = [], [], []
    result: dict = {}
    for _ in range(repeat):
        wall, cpu, peak, out = measured(driftline(home, *args))
        times.append(wall)
        cpus.append(cpu)
        peaks.append(peak)
        result = json.loads(out)
    window = result["windows"][-1]
    return {
        "median_s": statistics.median(times),
        "times": times,
        "cpu_s": statistics.median(cpus),
        "peak_mib": max(peaks),
        "rows": window["rows"],
        "labelled": window["metrics"].get("labelled"),
        "windows": len(result["windows"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="20000,1000000,10000000")
    parser.add_argument("--rows-per-day", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--uncompacted-max", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="sizes 20,000 and 200,000, 1 run")
    parser.add_argument("--no-write", action="store_true", help="print, do not touch RESULTS.md")
    args = parser.parse_args()
    sizes = [20_000, 200_000] if args.quick else [int(s) for s in args.sizes.split(",")]
    repeat = 1 if args.quick else args.repeat
    load_before = os.getloadavg()
    started = dt.datetime.now(dt.UTC)
    lines = []
    for size in sizes:
        keep = size <= args.uncompacted_max
        home, raw, info = build(size, args.rows_per_day, keep_uncompacted=keep)
        print(f"{size:,} predictions over {info['days']} days: built", flush=True)
        drift = run_monitor(home, info, repeat, performance=False)
        perf = run_monitor(home, info, repeat, performance=True)
        old = run_monitor(raw, info, 1, performance=False) if raw is not None else None
        row = (size, info, drift, perf, old)
        lines.append(row)
        print(json.dumps({"size": size, "drift": drift, "performance": perf, "uncompacted": old}))
    load_after = os.getloadavg()
    section = report(lines, args, started, load_before, load_after)
    print(section)
    if not args.no_write:
        write_section(RESULTS, HEADING, section)


def report(lines: list, args: argparse.Namespace, started: dt.datetime, before, after) -> str:
    command = "python benchmarks/monitor_log_bench.py " + " ".join(sys.argv[1:])
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
        f"One model (scikit-learn pipeline, 5 numeric inputs and 1 categorical), "
        f"{args.rows_per_day:,} logged predictions a day and a label for one in ten, posted the "
        "next day; the log written as the server writes it, then `driftline log compact`. Each "
        "figure is the whole `driftline monitor run ... --since <last day> --window 1d --json` "
        "command in a process of its own (interpreter start and imports included): median wall "
        "time of the runs, with the median CPU time (user + system, steadier than wall time when "
        "other work shares the machine) in brackets; peak is its peak resident memory. "
        "'uncompacted' is the same command on the same log before compaction: every line of "
        "every day decoded, as every run did before compaction ran (this reader drops the "
        "other days' rows as it scans, so its memory stays low; the reader before it kept them "
        "all).",
        "",
        "| predictions in the log | days | rows in the window | drift + quality: time (CPU) (s) | "
        "peak (MiB) | with performance (labels joined): time (CPU) (s) | peak (MiB) | "
        "uncompacted: time (CPU) (s) | peak (MiB) | compaction: time (s) | peak (MiB) |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for size, info, drift, perf, old in lines:
        out.append(
            f"| {size:,} | {info['days']} | {drift['rows']:,} | {_time(drift)} | "
            f"{drift['peak_mib']:.0f} | {_time(perf)} | {perf['peak_mib']:.0f} | "
            + (f"{_time(old)} | {old['peak_mib']:.0f} | " if old else "- | - | ")
            + f"{info['compact_s']:.1f} | {info['compact_peak_mib']:.0f} |"
        )
    base = lines[0][2]["cpu_s"]
    out.append("")
    for size, _, drift, perf, _ in lines[1:]:
        out.append(
            f"- {size:,} predictions: one window takes {drift['cpu_s'] / base:.2f}x the CPU time it "
            f"takes on the {lines[0][0]:,}-prediction log ({perf['labelled']:,} labelled rows "
            "joined with --reference)"
        )
    return "\n".join(out) + "\n"


def _time(m: dict) -> str:
    return f"{m['median_s']:.2f} ({m['cpu_s']:.2f})"


if __name__ == "__main__":
    main()
