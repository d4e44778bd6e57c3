"""How close does ``driftline batch score`` come to the model's own speed, in how much memory?

    python benchmarks/batch_bench.py [--rows 10000000] [--small-rows 1000000]
                                     [--chunk-rows 100000] [--quick] [--no-write]

Generates ``--rows`` seeded rows shaped like a real scoring table (18
columns: 11 numbers, 3 whole numbers, 4 categories of 3 to 40 values) as
Parquet files of 1,000,000 rows, and a scikit-learn pipeline (one-hot
categories, scaled numbers, logistic regression) registered in a workspace
with its training rows (ONNX agrees with it, so the runtime scores on ONNX).
Then, each in a process of its own so its peak memory is its own:

* **limit**: the version's :class:`~driftline.registry.ModelRuntime`
  ``predict`` (labels and probabilities, what batch computes) over the same
  rows in the same chunks, timing the predict calls alone: reading the
  files, making frames and writing nothing are left out, so no job that
  feeds the model frames can be faster (what the targets are judged on);
* **columns**: the same, fed as batch feeds it: one array per column,
  straight from the Arrow batches, no frame
  (:meth:`~driftline.registry.ModelRuntime.predict_columns`); the model's
  own cost, which batch pays and cannot go below;
* **model**: the scikit-learn pipeline's own ``predict`` and
  ``predict_proba`` the same way (what a user without driftline calls);
* **pandas loop**: a plain chunked loop a user would write: read a batch of
  rows, ``predict_proba``, write a Parquet file per chunk (no validation,
  no rejects, no profile, no resume);
* **driftline batch**: ``batch.score`` with the local engine: validation,
  rejects, the profile of each partition, atomic commits under a manifest;
  its rows/s is the scoring loop's (model load left out, as for the others);
* driftline batch again at ``--small-rows``: memory should not grow with rows.

Peak is the process's resident peak (VmHWM); CPU seconds are the process's
(every thread) over the case's whole loop, reading and writing included. Data and workspace are kept in
benchmarks/_data/batch/; delete it to regenerate. Writes its section of
benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _results import machine, write_section  # noqa: E402

RESULTS = HERE / "RESULTS.md"
HEADING = "## Batch scoring (issue 13)"
DATA = HERE / "_data" / "batch"
FILE_ROWS = 1_000_000
CATEGORIES = {"region": 4, "plan": 3, "channel": 12, "segment": 40}


def rows(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({f"x{i}": rng.normal(i, 1 + i / 4, n) for i in range(11)})
    for i in range(3):
        frame[f"n{i}"] = rng.integers(0, 50 * (i + 1), n)
    for name, k in CATEGORIES.items():
        frame[name] = pd.Series(rng.choice([f"{name}-{j}" for j in range(k)], n)).astype(object)
    return frame


def label(frame: pd.DataFrame, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    logit = frame["x0"] - frame["x3"] / 2 + (frame["region"] == "region-1") + frame["n0"] / 25
    return np.where(rng.random(len(frame)) < 1 / (1 + np.exp(-(logit - 1))), "yes", "no")


def prepare(total: int) -> Path:
    folder = DATA / f"in-{total}"
    if folder.exists():
        return folder
    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for i, start in enumerate(range(0, total, FILE_ROWS)):
        n = min(FILE_ROWS, total - start)
        rows(n, 100 + i).to_parquet(tmp / f"part-{i:03d}.parquet", row_group_size=100_000)
    tmp.rename(folder)
    return folder


def workspace() -> Path:
    home = DATA / "ws"
    if home.exists():
        return home
    from sklearn.compose import make_column_transformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    from driftline import Workspace

    train = rows(20_000, 1)
    y = label(train, 2)
    numbers = [c for c in train.columns if c not in CATEGORIES]
    model = make_pipeline(
        make_column_transformer(
            (OneHotEncoder(handle_unknown="ignore"), list(CATEGORIES)),
            (StandardScaler(), numbers),
        ),
        LogisticRegression(max_iter=500),
    ).fit(train, y)
    with Workspace.init(home, **_local(home)) as ws:
        ws.register("bench", model, train=train.assign(y=y), target="y")
        ws.set_alias("bench", 1, "champion")
    return home


def _local(home: Path) -> dict[str, str]:
    return {
        "database_url": f"sqlite:///{home / 'driftline.db'}",
        "artifacts_url": str(home / "art"),
    }


def _batches(folder: Path, chunk_rows: int) -> Any:
    import pyarrow.parquet as pq

    for file in sorted(folder.glob("*.parquet")):
        yield from pq.ParquetFile(file).iter_batches(batch_size=chunk_rows)


def _chunks(folder: Path, chunk_rows: int) -> Any:
    for batch in _batches(folder, chunk_rows):
        yield batch.to_pandas()


def _arrays(batch: Any) -> dict[str, np.ndarray]:
    """One numpy array per column; text as an object array of str, as batch hands it over."""
    import pyarrow as pa

    return {
        name: batch.column(name).to_numpy(zero_copy_only=False)
        if not pa.types.is_string(batch.column(name).type)
        else np.asarray(batch.column(name).to_pylist(), dtype=object)
        for name in batch.schema.names
    }


def _peak_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def case(name: str, folder: Path, home: Path, chunk_rows: int, repeat: int) -> dict[str, Any]:
    """One case, in this process, ``repeat`` times; rows, the best seconds and peak memory."""
    from driftline import Workspace
    from driftline.registry import ModelRuntime

    ws = Workspace.open(home, create=False, **_local(home))
    runtime = ModelRuntime.load(ws.context, "bench@champion")  # loaded once, as batch does
    best, n, cpu = float("inf"), 0, float("inf")
    for _ in range(repeat):
        seconds, n = 0.0, 0
        clock = time.process_time()  # every thread of the process, the model's included
        if name in ("limit", "model"):
            for frame in _chunks(folder, chunk_rows):
                started = time.perf_counter()
                if name == "limit":
                    runtime.predict(runtime.prepare(frame))
                else:
                    runtime.model.predict(frame)
                    runtime.model.predict_proba(frame)
                seconds += time.perf_counter() - started
                n += len(frame)
        elif name == "columns":
            for batch in _batches(folder, chunk_rows):
                arrays = _arrays(batch)
                started = time.perf_counter()
                runtime.predict_columns(arrays)
                seconds += time.perf_counter() - started
                n += batch.num_rows
        elif name == "pandas":
            model = runtime.model
            out = DATA / "out-pandas"
            shutil.rmtree(out, ignore_errors=True)
            out.mkdir()
            started = time.perf_counter()
            for i, frame in enumerate(_chunks(folder, chunk_rows)):
                probs = model.predict_proba(frame)
                labels = model.classes_[probs.argmax(axis=1)]
                result = pd.DataFrame({"prediction": labels, "probability_yes": probs[:, 1]})
                result.to_parquet(out / f"part-{i:06d}.parquet")
                n += len(frame)
            seconds = time.perf_counter() - started
        else:
            out = DATA / f"out-batch-{name}"
            shutil.rmtree(out, ignore_errors=True)
            run = ws.batch_score("bench@champion", input=folder, output=out, chunk_rows=chunk_rows)
            n, seconds = run.scored, run.scored / run.rows_per_second
        best = min(best, seconds)
        cpu = min(cpu, time.process_time() - clock)
    return {"case": name, "rows": n, "seconds": best, "cpu": cpu, "peak_mib": _peak_mib()}


def in_process(name: str, folder: Path, home: Path, chunk_rows: int, repeat: int) -> dict[str, Any]:
    command = [
        sys.executable,
        __file__,
        "--case",
        name,
        "--input",
        str(folder),
        "--chunk-rows",
        str(chunk_rows),
        "--repeat",
        str(repeat),
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith("DRIFTLINE_")}
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    if done.returncode:
        raise SystemExit(f"case {name} failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    print(
        f"  {name}: {result['rows'] / result['seconds']:,.0f} rows/s, "
        f"{result['cpu'] / result['rows'] * 1e6:.2f} CPU s per 1M rows, "
        f"peak {result['peak_mib']:.0f} MiB",
        file=sys.stderr,
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--small-rows", type=int, default=1_000_000)
    parser.add_argument("--chunk-rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs per case; the best counts")
    parser.add_argument("--quick", action="store_true", help="1M and 100k rows: a few minutes")
    parser.add_argument("--no-write", action="store_true", help="print, do not touch RESULTS.md")
    parser.add_argument("--case", help=argparse.SUPPRESS)
    parser.add_argument("--input", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        print(json.dumps(case(args.case, args.input, DATA / "ws", args.chunk_rows, args.repeat)))
        return
    if args.quick:
        args.rows, args.small_rows = 1_000_000, 100_000
    home = workspace()
    big, small = prepare(args.rows), prepare(args.small_rows)
    load = os.getloadavg()
    results = {
        name: in_process(name, big, home, args.chunk_rows, args.repeat)
        for name in ("limit", "columns", "model", "pandas", "big")
    }
    results["small"] = in_process("small", small, home, args.chunk_rows, args.repeat)
    section = report(args, results, load)
    print(section)
    if not args.no_write:
        write_section(RESULTS, HEADING, section)


def report(args: argparse.Namespace, r: dict[str, dict[str, Any]], load: tuple[float, ...]) -> str:
    def rate(name: str) -> float:
        return float(r[name]["rows"] / r[name]["seconds"])

    def cpu(name: str) -> float:
        return float(r[name]["cpu"] / r[name]["rows"] * 1e6)

    limit = rate("limit")
    lines = [
        HEADING,
        "",
        f"`python benchmarks/batch_bench.py --rows {args.rows} --small-rows {args.small_rows} "
        f"--chunk-rows {args.chunk_rows} --repeat {args.repeat}`, {time.strftime('%Y-%m-%d')}, {machine()}, "
        f"load average {load[0]:.2f} at the start.",
        "",
        f"{args.rows:,} generated rows of 18 columns (11 numbers, 3 whole numbers, 4 "
        "categories) in Parquet files of 1M rows; a one-hot + scaler + logistic regression "
        "pipeline, scored on ONNX by its ModelRuntime. Each case in a process of its own, "
        f"run {args.repeat} times; the best time counts (the machine is shared).",
        "",
        "| case | rows | rows/s | share of the limit | CPU s per 1M rows | peak RSS (MiB) |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    names = {
        "limit": "limit: ModelRuntime.predict alone (reading left out)",
        "columns": "ModelRuntime.predict_columns alone, fed as batch feeds it",
        "model": "the pipeline's own predict + predict_proba alone",
        "pandas": "plain pandas chunked loop (read, predict_proba, write)",
        "big": "driftline batch score, local engine",
        "small": "driftline batch score, local engine",
    }
    for name in ("limit", "columns", "model", "pandas", "big", "small"):
        lines.append(
            f"| {names[name]} | {r[name]['rows']:,} | {rate(name):,.0f} | "
            f"{rate(name) / limit:.0%} | {cpu(name):.2f} | {r[name]['peak_mib']:,.0f} |"
        )
    ratio = rate("big") / limit
    memory = r["big"]["peak_mib"] / r["small"]["peak_mib"]
    lines += [
        "",
        f"driftline batch at {ratio:.0%} of the limit's rate (target: at least 80%) and "
        f"{rate('big') / rate('columns'):.0%} of the model fed as batch feeds it, "
        f"{rate('big') / rate('model'):.0%} of the pipeline's own predict + predict_proba and "
        f"{rate('big') / rate('pandas'):.0%} of the plain pandas loop; peak memory at "
        f"{args.rows:,} rows is {memory:.2f}x that at {args.small_rows:,} (target: at most "
        f"1.2x). The limit leaves out reading the files and making frames, which every job "
        f"pays; the local engine overlaps them with the model's calls in three threads, "
        f"which needs a second core that is free. CPU seconds count every thread of the "
        f"case's process over its whole loop, reading included (for the limit too), so they "
        f"hold when no core is free: driftline batch spends {cpu('big'):.2f} s per 1M rows, "
        f"the plain pandas loop {cpu('pandas'):.2f} s.",
        "",
    ]
    if args.rows < 10_000_000:
        lines += [
            f"A reduced run ({args.rows:,} and {args.small_rows:,} rows), to show the benchmark "
            "works: the targets are judged at 10M and 1M rows, on a quiet machine. Under a "
            "load above the core count the rates move by 2x from one run to the next.",
            "",
        ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
