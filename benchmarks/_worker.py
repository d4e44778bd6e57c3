"""Measure one tool on one pair of tables, in a process of its own; print one JSON line.

Run by drift_bench.py with the interpreter of the tool's environment (the
project venv for driftline, the peers' venv for Evidently and NannyML), so
only the standard library is imported at the top.

Memory: Linux keeps the peak resident set size of a process (VmHWM); writing
5 to /proc/self/clear_refs resets it. The worker loads the data, resets the
peak, runs the tool and reads the peak again, so ``peak_mib`` is the most
memory the process held while the tool ran (interpreter, libraries and the
loaded tables included) and ``added_mib`` is that peak less the memory held
just before the call.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from typing import Any

MIB = 1024 * 1024


def _status_kib(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def rss_mib() -> float:
    return _status_kib("VmRSS") / 1024


def peak_mib() -> float:
    return _status_kib("VmHWM") / 1024


def reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        return False
    return True


# -- loading ---------------------------------------------------------------------------------


def read_frames(ref: str, cur: str, object_strings: bool) -> tuple[Any, Any]:
    """Both tables as the pandas DataFrames ``pd.read_parquet`` gives in this environment."""
    import pandas as pd

    frames = []
    for path in (ref, cur):
        df = pd.read_parquet(path)
        if object_strings:
            # What pandas < 3 gives for strings: one Python object per value.
            for name in df.columns:
                if df[name].dtype == "str" or df[name].dtype == "string":
                    df[name] = df[name].astype(object)
        frames.append(df)
    return frames[0], frames[1]


def read_head(path: str) -> Any:
    """The first rows of a Parquet file as a DataFrame, without reading the rest."""
    import pyarrow.parquet as pq

    batch = next(pq.ParquetFile(path).iter_batches(batch_size=WARM_ROWS))
    return batch.to_pandas()


# -- the tools -------------------------------------------------------------------------------
# Each tool has a setup (imports, data loading and a warm-up run on the first rows, so
# that lazy imports and first-call caches are not counted: not timed) and a call (timed)
# returning a result, from which ``drifted`` reads the columns the tool flagged.

WARM_ROWS = 2000


def setup_driftline(args: argparse.Namespace) -> tuple[Callable[[], Any], Callable[[Any], list]]:
    import driftline

    if args.input == "parquet":
        import pyarrow.dataset  # noqa: F401  (what reading a path needs, imported untimed)

        ref, cur = args.ref, args.cur
        driftline.drift(read_head(ref), read_head(cur))
    else:
        ref, cur = read_frames(args.ref, args.cur, args.input == "frames-object")
        driftline.drift(ref.head(WARM_ROWS), cur.head(WARM_ROWS))

    def call() -> Any:
        return driftline.drift(ref, cur)

    return call, lambda report: list(report.drifted_columns)


def setup_evidently(args: argparse.Namespace) -> tuple[Callable[[], Any], Callable[[Any], list]]:
    from evidently import Report
    from evidently.presets import DataDriftPreset

    ref, cur = read_frames(args.ref, args.cur, False)
    Report([DataDriftPreset()]).run(
        current_data=cur.head(WARM_ROWS), reference_data=ref.head(WARM_ROWS)
    )

    def call() -> Any:
        return Report([DataDriftPreset()]).run(current_data=cur, reference_data=ref)

    def drifted(snapshot: Any) -> list:
        found = []
        for metric in snapshot.dict()["metrics"]:
            config = metric["config"]
            # One ValueDrift metric per column: drift when its distance reaches the threshold.
            per_column = "column" in config and "threshold" in config
            if per_column and float(metric["value"]) >= float(config["threshold"]):
                found.append(config["column"])
        return found

    return call, drifted


def setup_nannyml(args: argparse.Namespace) -> tuple[Callable[[], Any], Callable[[Any], list]]:
    import nannyml as nml

    ref, cur = read_frames(args.ref, args.cur, False)
    warm = nml.UnivariateDriftCalculator(column_names=list(ref.columns), chunk_number=1)
    warm.fit(ref.head(WARM_ROWS)).calculate(cur.head(WARM_ROWS))

    def call() -> Any:
        # One chunk per table: the same work as the other tools (one comparison per
        # column). NannyML's alert thresholds come from the spread across reference
        # chunks, so with one chunk its alerts mean little; speed is what is measured.
        calc = nml.UnivariateDriftCalculator(column_names=list(ref.columns), chunk_number=1)
        calc.fit(ref)
        return calc.calculate(cur)

    def drifted(result: Any) -> list:
        df = result.filter(period="analysis").to_df()
        found = []
        for column in ref.columns:
            alerts = [c for c in df.columns if c[0] == column and c[-1] == "alert"]
            if any(bool(df[c].any()) for c in alerts):
                found.append(column)
        return found

    return call, drifted


TOOLS = {"driftline": setup_driftline, "evidently": setup_evidently, "nannyml": setup_nannyml}


def arrow_peak_mib() -> float | None:
    """The most Arrow's default memory pool held in this process (warm-up included)."""
    pa = sys.modules.get("pyarrow")
    return None if pa is None else pa.default_memory_pool().max_memory() / MIB


def versions(tool: str) -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    names = ["numpy", "pandas", "pyarrow", "scipy"]
    names.insert(0, tool)
    found = {}
    for name in names:
        with contextlib.suppress(PackageNotFoundError):
            found[name] = version(name)
    found["python"] = sys.version.split()[0]
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("tool", choices=sorted(TOOLS))
    parser.add_argument("--ref", required=True)
    parser.add_argument("--cur", required=True)
    parser.add_argument("--input", choices=["frames", "frames-object", "parquet"], default="frames")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")

    call, drifted = TOOLS[args.tool](args)
    loaded = rss_mib()
    resettable = reset_peak()
    before = rss_mib()
    times, cpus, peaks = [], [], []
    result = None
    for _ in range(args.repeat):
        result = None  # drop the previous result before the next run
        reset_peak()
        start, cpu = time.perf_counter(), time.process_time()
        result = call()
        times.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
        peaks.append(peak_mib())
    print(
        json.dumps(
            {
                "tool": args.tool,
                "input": args.input,
                "times_s": times,
                "median_s": statistics.median(times),
                "cpu_s": cpus,
                "median_cpu_s": statistics.median(cpus),
                "rss_before_mib": before,
                "rss_loaded_mib": loaded,
                "peak_mib": max(peaks),
                "added_mib": max(peaks) - before,
                "peak_is_per_call": resettable,
                "arrow_peak_mib": arrow_peak_mib(),
                "drifted": sorted(drifted(result)),
                "versions": versions(args.tool),
                "pid": os.getpid(),
            }
        )
    )


if __name__ == "__main__":
    main()
