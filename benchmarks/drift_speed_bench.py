"""Drift as a new user meets it: the whole command, imports included, on census-shaped tables.

    python benchmarks/drift_speed_bench.py [--quick] [--runs 5] [--stream-rows 10000000]

Two pairs of tables, each written to Parquet once in benchmarks/_data/:

* ``census``: 300,000 rows x 16 columns a side, generated (seeded) in the shape
  of a public census extract: 9 categories stored as integer codes, 3 counts,
  4 floats; the current table moves in 4 of them (``_tables.CENSUS_COLUMNS``);
* ``employment``: NannyML's bundled extract of the US census (ACS, Massachusetts
  employment; 68,785 reference rows and 208,892 analysis rows, its 16 feature
  columns: age and 15 categories), a real table with a real shift over years.

For each pair it measures, in the same run:

1. the command a user types, ``driftline drift ref.parquet cur.parquet``, as a
   whole process (start, imports, reading both files, the report; both files
   first written to a temporary folder, a new process each run, bytecode
   written as an installed package has it), against the same job done by a
   short Evidently script (read both files with pandas, run
   ``DataDriftPreset``, print the drifted columns), and against the floor of
   any such command, ``python -c "import numpy, pyarrow.parquet"``: median wall
   and CPU time of ``--runs`` runs, each process's own resource usage;
2. warm ``drift()`` on DataFrames and on the Parquet paths, Evidently's
   ``DataDriftPreset`` and NannyML's ``UnivariateDriftCalculator`` on the same
   DataFrames, each in a process of its own (``_worker.py``, as drift_bench.py);
3. ``python -X importtime`` figures: ``import driftline``, and every import the
   first ``drift()`` on numeric frames adds.

Then driftline alone on census-shaped Parquet files of 1/10 and all of
``--stream-rows`` rows a side, for memory that stays flat. ``--before SRC``
measures the command and the warm calls of another checkout's driftline
(its ``src`` folder) in the same run, as the before of a change. Writes
benchmarks/RESULTS.md under "## Drift at the cost of one read (issue 19)".
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import _tables  # noqa: E402
from _results import machine, write_section  # noqa: E402
from drift_bench import DATA, PEER_ENV, Run, load_average, log, measure, peers_python  # noqa: E402

RESULTS = HERE / "RESULTS.md"
HEADING = "## Drift at the cost of one read (issue 19)"
PEER_CLI = HERE / "_evidently_cli.py"
EMPLOYMENT = ["AGEP", "SCHL", "MAR", "RELP", "DIS", "ESP", "CIT", "MIG", "MIL", "ANC"]
EMPLOYMENT += ["NATIVITY", "DEAR", "DEYE", "DREM", "SEX", "RAC1P"]


def employment_tables(peers: str) -> tuple[Path, Path]:
    """NannyML's bundled employment extract, its 16 features, as two Parquet files."""
    ref, cur = DATA / "employment_reference.parquet", DATA / "employment_current.parquet"
    if ref.exists() and cur.exists():
        return ref, cur
    code = (
        "import os, sys, nannyml, pyarrow.parquet as pq; "
        "d = os.path.join(os.path.dirname(nannyml.__file__), 'datasets', 'data'); "
        "cols = sys.argv[1].split(','); "
        "pq.write_table(pq.read_table(os.path.join(d, 'employment_MA_reference.pq'), "
        "columns=cols), sys.argv[2]); "
        "pq.write_table(pq.read_table(os.path.join(d, 'employment_MA_analysis.pq'), "
        "columns=cols), sys.argv[3])"
    )
    DATA.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, **PEER_ENV}
    subprocess.run([peers, "-c", code, ",".join(EMPLOYMENT), ref, cur], check=True, env=env)
    return ref, cur


def timed(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float, int]:
    """Wall and CPU seconds (user + system) of one process, and its exit code."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"{shlex.join(cmd)} failed: {proc.stderr.read().decode()[-500:]}")
    return wall, usage.ru_utime + usage.ru_stime, proc.returncode


def installed_env(**extra: str) -> dict[str, str]:
    """This environment as an installed package meets it: bytecode written once, then read.

    With PYTHONDONTWRITEBYTECODE set (as in some shells and CI), every process
    compiles from source each module it imports: 50 ms of the command's start.
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**env, **extra}


def whole_command(cmd: list[str], runs: int, env: dict[str, str] | None = None) -> dict[str, float]:
    env = env if env is not None else installed_env()
    timed(cmd, env)  # warm-up: the files in the page cache, the bytecode compiled
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu, _ = timed(cmd, env)
        walls.append(wall)
        cpus.append(cpu)
    return {"wall": statistics.median(walls), "cpu": statistics.median(cpus)}


def import_figures() -> dict[str, float]:
    """Milliseconds of imports: driftline alone, and what the first drift() adds."""
    code = (
        "import numpy as np, pandas as pd; rng = np.random.default_rng(0); "
        "ref = pd.DataFrame({'x': rng.normal(size=5000), 'k': rng.integers(0, 9, 5000)}); "
        "cur = ref.assign(x=ref['x'] + 0.1); import driftline; driftline.drift(ref, cur)"
    )
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True, check=True
    )
    top: dict[str, int] = {}
    for line in out.stderr.splitlines():
        m = re.match(r"import time:\s+\d+ \|\s+(\d+) \| (\S.*)$", line)
        if m and not m.group(2).startswith(" "):
            top[m.group(2)] = int(m.group(1))
    names = list(top)
    after = names[names.index("driftline") + 1 :] if "driftline" in top else []
    # scipy.stats comes through scipy's lazy __getattr__: add up its modules' own times.
    nested = re.findall(r"import time:\s+(\d+) \|\s+\d+ \|\s+scipy\.stats\b", out.stderr)
    return {
        "driftline_ms": top.get("driftline", 0) / 1000,
        "first_drift_ms": sum(top[n] for n in after) / 1000,
        "first_drift_modules": len(after),
        "scipy_ms": sum(int(t) for t in nested) / 1000,
        "scipy_stats_loaded": float(bool(nested)),
    }


@contextmanager
def python_path(src: str) -> Iterator[None]:
    """Workers started inside see driftline from ``src`` (another checkout's)."""
    old = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = src
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = old


def driftline_cli(ref: Path, cur: Path) -> list[str]:
    # What the console script runs, with this interpreter (and any PYTHONPATH given).
    entry = "import sys; from driftline.cli._app import _entry; sys.argv[0] = 'driftline'; _entry()"
    return [sys.executable, "-c", entry, "drift", str(ref), str(cur)]


def render(args: argparse.Namespace, load: str, blocks: list[str]) -> str:
    command = " ".join(["python benchmarks/drift_speed_bench.py", shlex.join(sys.argv[1:])])
    return "\n".join(
        [
            HEADING,
            "",
            f"Measured {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC on {machine()}; "
            f"load average (1, 5, 15 min) {load} at the start and {load_average()} at the end "
            "(other work shared the machine: compare ratios and CPU seconds).",
            "",
            "```console",
            command.strip(),
            "```",
            "",
            *blocks,
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="3 runs, streaming to 1M rows")
    parser.add_argument("--runs", type=int, default=5, help="runs of each whole command")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each warm drift()")
    parser.add_argument("--stream-rows", type=int, default=10_000_000)
    parser.add_argument("--skip-peers", action="store_true")
    parser.add_argument("--timeout", type=float, default=1200)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--before", default="", help="another checkout's src folder")
    args = parser.parse_args()
    if args.quick:
        args.runs, args.repeat, args.stream_rows = 3, 3, 1_000_000
    load = load_average()
    peers = "" if args.skip_peers else str(peers_python())
    pairs = {
        "census": (
            _tables.ensure_parquet(DATA, 300_000, 0, "reference", "census"),
            _tables.ensure_parquet(DATA, 300_000, 0, "current", "census"),
        )
    }
    if peers:
        pairs["employment"] = employment_tables(peers)
    me = sys.executable
    log(f"the floor of any such command, {args.runs} runs")
    floor = whole_command([me, "-c", "import numpy, pyarrow.parquet"], args.runs)
    before = " | before: wall / CPU (s)" if args.before else ""
    blocks = [
        f"| table | rows (ref / cur) | driftline command: wall / CPU (s){before} | Evidently "
        "script: wall / CPU (s) | x Evidently (wall) | x Evidently (CPU) |",
        "| --- | --- | ---: | ---: | ---: | ---: |" + (" ---: |" if args.before else ""),
    ]
    warm: list[tuple[str, Run]] = []
    for name, (ref, cur) in pairs.items():
        rows = f"{_rows(ref):,} / {_rows(cur):,}"
        log(f"{name}: the whole command, {args.runs} runs")
        with tempfile.TemporaryDirectory() as folder:
            # Both files written anew before the command: none of it is cached by driftline.
            ref_copy = Path(shutil.copy(ref, Path(folder) / "ref.parquet"))
            cur_copy = Path(shutil.copy(cur, Path(folder) / "cur.parquet"))
            ours = whole_command(driftline_cli(ref_copy, cur_copy), args.runs)
            old = ""
            if args.before:
                was = whole_command(
                    driftline_cli(ref_copy, cur_copy),
                    args.runs,
                    installed_env(PYTHONPATH=args.before),
                )
                old = f" | {was['wall']:.2f} / {was['cpu']:.2f}"
            theirs = {"wall": float("nan"), "cpu": float("nan")}
            if peers:
                env = {**installed_env(), **PEER_ENV}
                env.pop("PYTHONPATH", None)
                theirs = whole_command(
                    [peers, str(PEER_CLI), str(ref_copy), str(cur_copy)], args.runs, env
                )
        blocks.append(
            f"| {name} | {rows} | {ours['wall']:.2f} / {ours['cpu']:.2f}{old} | "
            f"{theirs['wall']:.2f} / {theirs['cpu']:.2f} | {theirs['wall'] / ours['wall']:.1f} "
            f"| {theirs['cpu'] / ours['cpu']:.1f} |"
        )
        runs = [
            Run("driftline drift(), DataFrames", "driftline", "frames", 0, me, args.repeat, ref, cur),
            Run("driftline drift(), Parquet paths", "driftline", "parquet", 0, me, args.repeat, ref, cur),
        ]  # fmt: skip
        if peers:
            runs.append(
                Run("Evidently DataDriftPreset", "evidently", "frames", 0, peers, 1, ref, cur)
            )
            runs.append(Run("NannyML univariate", "nannyml", "frames", 0, peers, 1, ref, cur))
        for run in runs:
            measure(run, args.timeout)
            warm.append((name, run))
        if args.before:
            with python_path(args.before):
                for input_ in ("frames", "parquet"):
                    label = f"before: drift(), {'DataFrames' if input_ == 'frames' else 'Parquet paths'}"
                    run = Run(label, "driftline", input_, 0, me, args.repeat, ref, cur)
                    measure(run, args.timeout)
                    warm.append((name, run))
    blocks += [
        "",
        f'The floor of any such command (`python -c "import numpy, pyarrow.parquet"`): '
        f"{floor['wall']:.2f} s wall, {floor['cpu']:.2f} s CPU.",
    ]
    blocks += [
        "",
        "Warm calls (imports, reading into DataFrames and a 2,000-row warm-up not counted; "
        "each tool in a process of its own; median of the runs):",
        "",
        "| table | tool | time (s) | CPU (s) | x driftline DataFrames (time) | x driftline "
        "DataFrames (CPU) | peak RSS (MiB) | columns flagged |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for name, run in warm:
        base = next(r for n, r in warm if n == name and r.label.startswith("driftline drift()"))
        if not run.result:
            blocks.append(f"| {name} | {run.label} | {run.error} | | | | | |")
            continue
        r = run.result
        ratio = r["median_s"] / base.result["median_s"] if base.result else float("nan")
        cpu = r["median_cpu_s"] / base.result["median_cpu_s"] if base.result else float("nan")
        blocks.append(
            f"| {name} | {run.label} | {r['median_s']:.3f} | {r['median_cpu_s']:.3f} | "
            f"{ratio:.1f} | {cpu:.1f} | {r['peak_mib']:.0f} | {len(r['drifted'])} |"
        )
    figures = import_figures()
    blocks += [
        "",
        f"Imports (`python -X importtime`): `import driftline` {figures['driftline_ms']:.0f} ms; "
        f"the first `drift()` on numeric DataFrames then imports for "
        f"{figures['first_drift_ms']:.0f} ms"
        + (
            f", of which scipy.stats {figures['scipy_ms']:.0f} ms."
            if figures["scipy_stats_loaded"]
            else " (scipy.stats not loaded)."
        ),
    ]
    if args.stream_rows:
        stream = []
        for rows in sorted({args.stream_rows // 10, args.stream_rows}):
            log(f"streaming census tables of {rows:,} rows")
            s_ref = _tables.ensure_parquet(DATA, rows, 0, "reference", "census")
            s_cur = _tables.ensure_parquet(DATA, rows, 0, "current", "census")
            run = Run("stream", "driftline", "parquet", rows, me, 1, s_ref, s_cur)
            measure(run, args.timeout)
            stream.append(run)
        blocks += [
            "",
            "Census-shaped Parquet files of growing size, `drift(ref_path, cur_path)`:",
            "",
            "| rows per side | time (s) | CPU (s) | rows/s (both sides) | peak RSS (MiB) "
            "| added (MiB) |",
            "| ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for run in stream:
            if not run.result:
                blocks.append(f"| {run.rows:,} | {run.error} | | | | |")
                continue
            r = run.result
            blocks.append(
                f"| {run.rows:,} | {r['median_s']:.2f} | {r['median_cpu_s']:.2f} | "
                f"{2 * run.rows / r['median_s'] / 1e6:.1f}M | {r['peak_mib']:.0f} "
                f"| {r['added_mib']:.0f} |"
            )
    section = render(args, load, blocks) + "\n"
    print(section)
    if not args.no_write:
        write_section(RESULTS, HEADING, section)
        log(f"wrote {RESULTS}")


def _rows(path: Path) -> int:
    import pyarrow.parquet as pq

    return int(pq.read_metadata(path).num_rows)


if __name__ == "__main__":
    main()
