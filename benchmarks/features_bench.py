"""How fast is driftline's point-in-time join, next to pandas ``merge_asof`` and Feast's local store?

    python benchmarks/features_bench.py [--quick] [--entities 10000000] [--rows 50000000]

Generates (once, cached in benchmarks/_data/features/) a feature source of
``--rows`` rows (an integer customer key over rows/50 customers, an event time
over one year, four float features) and ``--entities`` entity rows (a key, a
time, a label; 2% of keys unknown to the source), both Parquet. Then each tool,
in a process of its own (``_features_worker.py``), reads both files, joins
point in time (the latest row at or before each entity row's time, within a
30-day time-to-live) and writes the result to Parquet:

* driftline: ``driftline.features.historical`` (DuckDB ASOF join, memory limit
  ``--memory``, spilling past it);
* pandas: ``pd.merge_asof`` after sorting both sides (and restoring the entity
  rows' order), as a careful user writes it;
* Feast: ``FeatureStore.get_historical_features`` with the local provider and
  its file offline store, from benchmarks/.venv-feast (created and filled from
  requirements-feast.txt on first use).

Reports wall time, CPU time and peak resident memory of each, checks that the
answers agree (driftline against pandas on every row, against Feast on the
rows Feast returns), and writes its section of RESULTS.md.
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
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _results import machine, write_section  # noqa: E402

DATA = HERE / "_data" / "features"
WORKER = HERE / "_features_worker.py"
FEAST_VENV = HERE / ".venv-feast"
FEAST_REQUIREMENTS = HERE / "requirements-feast.txt"
RESULTS = HERE / "RESULTS.md"
HEADING = "## Point-in-time joins (issue 16)"
TARGET_SPEEDUP = 10.0
CHUNK = 5_000_000


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def feast_python() -> Path:
    """Feast's interpreter, creating and filling its venv when it is missing or stale."""
    python = FEAST_VENV / "bin" / "python"
    wanted = hashlib.sha256(FEAST_REQUIREMENTS.read_bytes()).hexdigest()
    stamp = FEAST_VENV / ".installed"
    if python.exists() and stamp.exists() and stamp.read_text() == wanted:
        return python
    log(f"installing Feast into {FEAST_VENV} (a few minutes, once)")
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(FEAST_VENV)], check=True)
    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "-r", str(FEAST_REQUIREMENTS)], check=True)
    stamp.write_text(wanted)
    return python


def make_data(entities: int, rows: int, seed: int) -> tuple[Path, Path]:
    """The two Parquet files, written block by block (memory stays near one block)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = DATA / f"{entities}x{rows}-seed{seed}-us"
    source, ents = folder / "source.parquet", folder / "entities.parquet"
    if source.exists() and ents.exists():
        return ents, source
    folder.mkdir(parents=True, exist_ok=True)
    log(f"writing {rows:,} feature rows and {entities:,} entity rows to {folder}")
    rng = np.random.default_rng(seed)
    customers = max(rows // 50, 1)
    start = np.datetime64("2025-01-01T00:00:00", "us")
    # Microseconds: two rows of one customer at the same instant would make "the latest"
    # ambiguous, and tools would rightly differ on it.
    year = 365 * 86_400 * 1_000_000
    stamp = pa.timestamp("us", tz="UTC")

    def blocks(total: int) -> list[int]:
        return [min(CHUNK, total - i) for i in range(0, total, CHUNK)]

    schema = pa.schema(
        [("customer_id", pa.int64()), ("ts", stamp), *[(f"f{i}", pa.float64()) for i in range(4)]]
    )
    with pq.ParquetWriter(source.with_suffix(".partial"), schema) as w:
        for n in blocks(rows):
            w.write_table(
                pa.table(
                    {
                        "customer_id": rng.integers(0, customers, n),
                        "ts": pa.array(
                            start + rng.integers(0, year, n).astype("timedelta64[us]"), stamp
                        ),
                        **{f"f{i}": rng.random(n) for i in range(4)},
                    },
                    schema=schema,
                )
            )
    schema = pa.schema(
        [("customer_id", pa.int64()), ("event_timestamp", stamp), ("label", pa.int64())]
    )
    with pq.ParquetWriter(ents.with_suffix(".partial"), schema) as w:
        for n in blocks(entities):
            w.write_table(
                pa.table(
                    {
                        "customer_id": rng.integers(0, int(customers * 1.02) + 1, n),
                        "event_timestamp": pa.array(
                            start + rng.integers(0, year, n).astype("timedelta64[us]"), stamp
                        ),
                        "label": rng.integers(0, 2, n),
                    },
                    schema=schema,
                )
            )
    source.with_suffix(".partial").rename(source)
    ents.with_suffix(".partial").rename(ents)
    return ents, source


def run_tool(
    python: Path | str, tool: str, ents: Path, source: Path, out: Path, args: argparse.Namespace
) -> dict[str, Any]:
    cmd = [
        str(python), str(WORKER), tool, "--entities", str(ents), "--source", str(source),
        "--out", str(out), "--memory", args.memory,
    ]  # fmt: skip
    log(f"{tool}: {shlex.join(cmd)}")
    env = {**os.environ, "FEAST_USAGE": "False", "DO_NOT_TRACK": "1"}
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout, env=env)
    except subprocess.TimeoutExpired:
        return {"tool": tool, "error": f"did not finish in {args.timeout:,} s"}
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("{")]
    if done.returncode != 0 or not lines:
        died = "killed (out of memory?)" if done.returncode < 0 else f"exit {done.returncode}"
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1][:200]
        return {"tool": tool, "error": f"{died}: {tail}"}
    result: dict[str, Any] = json.loads(lines[-1])
    log(f"{tool}: {result}")
    return result


def agreement(outs: dict[str, Path]) -> list[str]:
    """Do the answers agree? driftline against pandas on every row, against Feast on its rows."""
    import numpy as np
    import pyarrow.parquet as pq

    notes = []
    if "driftline" not in outs:
        return notes
    mine = pq.read_table(outs["driftline"]).to_pandas()
    if "pandas" in outs:
        theirs = pq.read_table(outs["pandas"]).to_pandas()
        differ = (
            int((~np.isclose(mine["f0"].fillna(-1), theirs["f0"].fillna(-1))).sum())
            if len(mine) == len(theirs)
            else len(mine)
        )
        notes.append(
            f"driftline and pandas agree on every one of {len(mine):,} rows"
            if differ == 0
            else f"driftline and pandas DISAGREE on {differ:,} of {len(mine):,} rows"
        )
    if "feast" in outs:
        theirs = pq.read_table(outs["feast"]).to_pandas()
        keys = ["customer_id", "event_timestamp", "label"]
        both = mine.merge(theirs, on=keys, suffixes=("", "_feast"))
        same = bool(np.allclose(both["f0"].fillna(-1), both["f0_feast"].fillna(-1)))
        notes.append(
            f"Feast returned {len(theirs):,} of {len(mine):,} entity rows"
            + (
                " (it leaves out rows whose key its source never holds)"
                if len(theirs) < len(mine)
                else ""
            )
            + f"; on those, driftline and Feast {'agree' if same else 'DISAGREE'}"
        )
    return notes


def render(
    args: argparse.Namespace, results: list[dict[str, Any]], notes: list[str], load: str
) -> str:
    by = {r["tool"]: r for r in results}
    label = {
        "driftline": f"driftline `features.historical` (DuckDB ASOF join, memory limit {args.memory})",
        "pandas": "pandas `merge_asof` (sort, join, restore order)",
        "feast": f"Feast {args.feast_version} local provider, file offline store",
    }
    lines = [
        HEADING,
        "",
        f"Measured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC on {machine()}; load before "
        f"the run: {load}.",
        "",
        "```console",
        "python benchmarks/features_bench.py " + shlex.join(sys.argv[1:]),
        "```",
        "",
        f"{args.entities:,} entity rows joined against {args.rows:,} feature rows "
        f"({max(args.rows // 50, 1):,} customers, 4 float features, one year of event times, "
        "30-day time-to-live), both Parquet; each tool reads both files, joins and writes "
        "Parquet, in a process of its own. Peak memory is the process's resident peak during "
        "the task (libraries included).",
        "",
        "| tool | wall (s) | CPU (s) | peak memory (MiB) | rows out | rows with values |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for tool in ("driftline", "pandas", "feast"):
        r = by.get(tool)
        if r is None:
            continue
        if "error" in r:
            lines.append(f"| {label[tool]} | {r['error']} | | | | |")
            continue
        lines.append(
            f"| {label[tool]} | {r['seconds']:.2f} | {r['cpu_seconds']:.2f} | "
            f"{r['peak_mib']:,.0f} | {r['rows']:,} | {r['found']:,} |"
        )
    verdicts = []
    d, f, p = by.get("driftline"), by.get("feast"), by.get("pandas")
    if d and f and "error" not in d:
        if "error" in f:
            verdicts.append(f"- Feast: {f['error']}; driftline took {d['seconds']:.1f} s")
        else:
            ratio = f["seconds"] / d["seconds"]
            met = "met" if ratio >= TARGET_SPEEDUP else "not met"
            verdicts.append(
                f"- speed: driftline **{ratio:.1f}x** Feast's local store "
                f"(target {TARGET_SPEEDUP:g}x: {met})"
            )
    if d and p and "error" not in d and "error" not in p:
        met = "met" if d["peak_mib"] < p["peak_mib"] else "not met"
        verdicts.append(
            f"- memory: driftline peaked at **{d['peak_mib']:,.0f} MiB**, pandas at "
            f"{p['peak_mib']:,.0f} MiB (target below pandas: {met}); pandas took "
            f"{p['seconds'] / d['seconds']:.1f}x driftline's time"
        )
    if verdicts:
        lines += ["", "Against the issue's targets:", "", *verdicts]
    lines += ["", *[f"- {n}" for n in notes]]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entities", type=int, default=10_000_000)
    parser.add_argument("--rows", type=int, default=50_000_000)
    parser.add_argument("--quick", action="store_true", help="1,000,000 x 5,000,000")
    parser.add_argument("--tools", default="driftline,pandas,feast")
    parser.add_argument("--memory", default="2GB", help="driftline's memory limit")
    parser.add_argument("--timeout", type=int, default=3600, help="seconds per tool")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    args = parser.parse_args()
    if args.quick:
        args.entities, args.rows = 1_000_000, 5_000_000
    tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    load = "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())
    ents, source = make_data(args.entities, args.rows, args.seed)
    args.feast_version = ""
    pythons: dict[str, Path | str] = {"driftline": sys.executable, "pandas": sys.executable}
    if "feast" in tools:
        pythons["feast"] = feast_python()
        args.feast_version = subprocess.run(
            [str(pythons["feast"]), "-c", "import feast; print(feast.__version__)"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
    results, outs = [], {}
    with tempfile.TemporaryDirectory(prefix="features_bench_") as tmp:
        for tool in tools:
            out = Path(tmp) / f"{tool}.parquet"
            result = run_tool(pythons[tool], tool, ents, source, out, args)
            results.append(result)
            if "error" not in result:
                outs[tool] = out
        notes = agreement(outs)
    if args.rows < 50_000_000:
        notes.insert(0, "a reduced size: the issue's figures are for 10,000,000 x 50,000,000")
    section = render(args, results, notes, load)
    print(section)
    if not args.no_write:
        write_section(RESULTS, HEADING, section)


if __name__ == "__main__":
    main()
