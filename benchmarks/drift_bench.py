"""How fast is driftline's per-column drift, and how much memory does it take?

    python benchmarks/drift_bench.py [--rows 1000000] [--stream-rows 10000000] [--quick]

Generates (once, seeded, cached in benchmarks/_data/) a reference and a current
table of 20 mixed columns, then measures, each tool in a process of its own:

* driftline ``drift(ref, cur)`` on DataFrames, and on the Parquet paths;
* Evidently's ``Report([DataDriftPreset()])`` on the same DataFrames;
* NannyML's ``UnivariateDriftCalculator`` (default methods, one chunk);
* driftline on Parquet files of growing size (by default 1M, 3M and 10M rows
  on each side), to show whether its memory stays flat.

The peers run from benchmarks/.venv-peers, which this script creates and fills
from requirements-peers.txt on first use; driftline runs from the interpreter
running this script. Prints a Markdown report and writes it into
benchmarks/RESULTS.md under "## Drift speed (issue 3)".
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import _tables  # noqa: E402
from _results import machine, write_section  # noqa: E402

DATA = HERE / "_data"
PEERS_VENV = HERE / ".venv-peers"
PEERS_REQUIREMENTS = HERE / "requirements-peers.txt"
RESULTS = HERE / "RESULTS.md"
HEADING = "## Drift speed (issue 3)"
WORKER = HERE / "_worker.py"
# Keep the peers from phoning home (both send usage events by default).
PEER_ENV = {"DO_NOT_TRACK": "1", "NML_DISABLE_USAGE_LOGGING": "1"}


@dataclass
class Run:
    label: str
    tool: str
    input: str
    rows: int
    python: str
    repeat: int
    ref: Path
    cur: Path
    result: dict[str, Any] | None = None
    error: str = ""


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# -- environments ----------------------------------------------------------------------------


def peers_python() -> Path:
    """The peers' interpreter, creating and filling their venv when it is missing or stale."""
    python = PEERS_VENV / "bin" / "python"
    wanted = hashlib.sha256(PEERS_REQUIREMENTS.read_bytes()).hexdigest()
    stamp = PEERS_VENV / ".installed"
    if python.exists() and stamp.exists() and stamp.read_text() == wanted:
        return python
    log(f"installing the peers into {PEERS_VENV} (a few minutes, once)")
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(PEERS_VENV)], check=True)
    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "-r", str(PEERS_REQUIREMENTS)], check=True)
    stamp.write_text(wanted)
    return python


# -- running ---------------------------------------------------------------------------------


def measure(run: Run, timeout: float) -> None:
    cmd = [
        run.python,
        str(WORKER),
        run.tool,
        "--ref",
        str(run.ref),
        "--cur",
        str(run.cur),
        "--input",
        run.input,
        "--repeat",
        str(run.repeat),
    ]
    env = {**os.environ, **(PEER_ENV if run.tool != "driftline" else {})}
    log(f"{run.label}: {run.rows:,} rows, {run.repeat} run(s)")
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        run.error = f"did not finish in {timeout:.0f} s"
        log(f"  {run.error}")
        return
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        run.error = f"failed (exit {done.returncode}): {tail}"
        log(f"  {run.error}")
        return
    run.result = json.loads(done.stdout.strip().splitlines()[-1])
    log(
        f"  {run.result['median_s']:.2f} s, peak {run.result['peak_mib']:.0f} MiB "
        f"(+{run.result['added_mib']:.0f} MiB)"
    )


# -- reporting -------------------------------------------------------------------------------


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def fmt_s(seconds: float) -> str:
    return f"{seconds:.2f}" if seconds < 100 else f"{seconds:.0f}"


def versions_line(runs: list[Run], tool: str) -> str:
    for run in runs:
        if run.tool == tool and run.result:
            return ", ".join(f"{k} {v}" for k, v in run.result["versions"].items())
    return "not run"


def render(
    args: argparse.Namespace, command: str, runs: list[Run], stream: list[Run], load: str
) -> str:
    base = next((r for r in runs if r.label == "driftline, DataFrames" and r.result), None)
    lines = [
        HEADING,
        "",
        f"Measured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC on {machine()}; load "
        f"average (1, 5, 15 min) {load} at the start and {load_average()} at the end "
        f"(other work shared the machine: compare ratios, and time with the CPU column).",
        "",
        "```console",
        command,
        "```",
        "",
        f"Tables: {args.rows:,} rows x {len(_tables.COLUMNS)} columns on each side "
        f"(9 float, 3 integer, 7 string with 2 to 5,000 categories, 1 boolean; "
        f"seed {args.seed}); the current table moves in {len(_tables.SHIFTED)} columns "
        f"({', '.join(_tables.SHIFTED)}) and by 0.02 standard deviations in "
        f"num_small_shift. Each tool runs in a process of its own; time is the "
        f"median of the runs shown, excluding imports and reading the Parquet files "
        f"into DataFrames; peak is the process's peak resident memory while the tool "
        f"ran (interpreter and loaded DataFrames included), added is that peak less "
        f"the memory held just before the call.",
        "",
        "| tool | input | runs | time (s) | CPU (s) | x driftline time | x driftline CPU "
        "| peak RSS (MiB) | added (MiB) | x driftline added | columns flagged |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for run in runs:
        if not run.result:
            lines.append(f"| {run.label} | {run.input} | | {run.error} | | | | | | | |")
            continue
        r = run.result
        t_ratio = c_ratio = m_ratio = ""
        if base and base.result:
            t_ratio = f"{r['median_s'] / base.result['median_s']:.1f}"
            c_ratio = f"{r['median_cpu_s'] / base.result['median_cpu_s']:.1f}"
            m_ratio = f"{r['added_mib'] / max(base.result['added_mib'], 1.0):.1f}"
        flagged = len(r["drifted"])
        missed = sorted(set(_tables.SHIFTED) - set(r["drifted"]))
        extra = sorted(set(r["drifted"]) - set(_tables.SHIFTED))
        note = f"{flagged}"
        if missed:
            note += f"; missed {', '.join(missed)}"
        if extra:
            note += f"; also {', '.join(extra)}"
        lines.append(
            f"| {run.label} | {run.input} | {len(r['times_s'])} | {fmt_s(r['median_s'])} "
            f"| {fmt_s(r['median_cpu_s'])} | {t_ratio} | {c_ratio} | {r['peak_mib']:.0f} "
            f"| {r['added_mib']:.0f} | {m_ratio} | {note} |"
        )
    if stream:
        lines += [
            "",
            "Streaming: driftline `drift(reference.parquet, current.parquet)` with "
            "both files of the size shown, written block by block (never held in memory).",
            "",
            "| rows per side | time (s) | CPU (s) | rows/s (both sides) | peak RSS (MiB) "
            "| added (MiB) | Arrow pool peak (MiB) |",
            "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for run in stream:
            if not run.result:
                lines.append(f"| {run.rows:,} | {run.error} | | | | | |")
                continue
            r = run.result
            rate = 2 * run.rows / r["median_s"]
            arrow = r.get("arrow_peak_mib")
            lines.append(
                f"| {run.rows:,} | {fmt_s(r['median_s'])} | {fmt_s(r['median_cpu_s'])} "
                f"| {rate / 1e6:.1f}M | {r['peak_mib']:.0f} | {r['added_mib']:.0f} "
                f"| {'' if arrow is None else f'{arrow:.0f}'} |"
            )
    lines += [
        "",
        f"- driftline side: {versions_line(runs + stream, 'driftline')}",
        f"- Evidently side: {versions_line(runs, 'evidently')}",
        f"- NannyML side: {versions_line(runs, 'nannyml')}",
        "",
        "Columns flagged are each tool's own default verdicts; NannyML's, with one "
        "reference chunk, have no spread to set thresholds from, so they mean little.",
    ]
    return "\n".join(lines) + "\n"


# -- main ------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows per side (peers)")
    parser.add_argument(
        "--stream-rows",
        type=int,
        default=10_000_000,
        help="largest streaming size; also measured at 1/10 and 3/10 of it (0: skip)",
    )
    parser.add_argument("--quick", action="store_true", help="100,000 rows, streaming to 1M")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each driftline case")
    parser.add_argument("--peer-repeat", type=int, default=1, help="runs of each peer case")
    parser.add_argument("--skip-peers", action="store_true", help="driftline only")
    parser.add_argument("--timeout", type=float, default=1200, help="seconds per tool")
    parser.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    args = parser.parse_args()
    if args.quick:
        args.rows, args.stream_rows = 100_000, 1_000_000
    command = " ".join(["python benchmarks/drift_bench.py", shlex.join(sys.argv[1:])]).strip()

    load = load_average()
    log(f"tables of {args.rows:,} rows in {DATA}")
    ref = _tables.ensure_parquet(DATA, args.rows, args.seed, "reference")
    cur = _tables.ensure_parquet(DATA, args.rows, args.seed, "current")
    me = sys.executable
    runs = [
        Run("driftline, DataFrames", "driftline", "frames", args.rows, me, args.repeat, ref, cur),
        Run(
            "driftline, DataFrames with object strings",
            "driftline",
            "frames-object",
            args.rows,
            me,
            args.repeat,
            ref,
            cur,
        ),
        Run(
            "driftline, Parquet paths", "driftline", "parquet", args.rows, me, args.repeat, ref, cur
        ),
    ]
    if not args.skip_peers:
        peers = str(peers_python())
        for tool, label in [("evidently", "Evidently DataDriftPreset"), ("nannyml", "NannyML")]:
            runs.append(Run(label, tool, "frames", args.rows, peers, args.peer_repeat, ref, cur))
    for run in runs:
        measure(run, args.timeout)

    stream: list[Run] = []
    if args.stream_rows:
        sizes = sorted({args.stream_rows // 10, 3 * args.stream_rows // 10, args.stream_rows})
        for rows in sizes:
            log(f"streaming tables of {rows:,} rows")
            s_ref = _tables.ensure_parquet(DATA, rows, args.seed, "reference")
            s_cur = _tables.ensure_parquet(DATA, rows, args.seed, "current")
            stream.append(Run("stream", "driftline", "parquet", rows, me, 1, s_ref, s_cur))
        for run in stream:
            measure(run, args.timeout)

    section = render(args, command, runs, stream, load)
    print(section)
    if not args.no_write:
        write_section(RESULTS, HEADING, section)
        log(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
