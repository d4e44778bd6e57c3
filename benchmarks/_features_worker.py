"""One point-in-time join by one tool, in a process of its own; prints one JSON line.

Run by features_bench.py with the interpreter of the tool's environment (the
project venv for driftline and pandas, benchmarks/.venv-feast for Feast), so
only the standard library is imported at the top. Every tool does the same
task: read the entity rows and the feature rows from their Parquet files,
give each entity row the latest feature values at or before its time within
the time-to-live, and write the result to a Parquet file.

Memory: the peak resident set size (VmHWM) is reset after the imports
(writing 5 to /proc/self/clear_refs), so ``peak_mib`` is the most the process
held during the task, libraries included.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from typing import Any

FEATURES = ["f0", "f1", "f2", "f3"]
KEY, TS, ENTITY_TS = "customer_id", "ts", "event_timestamp"


def _status_kib(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        return False
    return True


def run_driftline(args: argparse.Namespace) -> dict[str, Any]:
    import duckdb  # noqa: F401 - imported before the clock starts, as the others' libraries

    from driftline.features import Feature, FeatureView, historical

    view = FeatureView(
        "customer",
        entities=[KEY],
        timestamp=TS,
        source=args.source,
        features=[Feature(f, "float") for f in FEATURES],
        ttl=f"{args.ttl_days}d",
    )
    prepare()
    result = historical(
        [view],
        args.entities,
        ["customer:*"],
        timestamp=ENTITY_TS,
        out=args.out,
        memory_limit=args.memory,
    )
    (coverage,) = result.coverage
    return {"rows": result.rows, "found": coverage.found}


def run_pandas(args: argparse.Namespace) -> dict[str, Any]:
    import pandas as pd

    prepare()
    entities = pd.read_parquet(args.entities)
    source = pd.read_parquet(args.source)
    entities["_row"] = range(len(entities))
    # merge_asof needs both sides sorted on the time; the result goes back to the input order.
    left = entities.sort_values(ENTITY_TS, kind="stable")
    right = source.sort_values(TS, kind="stable")
    joined = pd.merge_asof(
        left,
        right,
        left_on=ENTITY_TS,
        right_on=TS,
        by=KEY,
        direction="backward",
        allow_exact_matches=True,
        tolerance=pd.Timedelta(days=args.ttl_days),
    )
    joined = joined.sort_values("_row").drop(columns=["_row", TS])
    joined.to_parquet(args.out, index=False)
    return {"rows": len(joined), "found": int(joined[FEATURES[0]].notna().sum())}


def run_feast(args: argparse.Namespace) -> dict[str, Any]:
    import datetime as dt
    import tempfile
    import warnings

    import pandas as pd
    from feast import Entity, FeatureStore, FeatureView, Field, FileSource, RepoConfig
    from feast.types import Float64

    warnings.filterwarnings("ignore")
    repo = tempfile.mkdtemp(prefix="feast-bench-")
    config = RepoConfig(
        project="bench",
        registry=os.path.join(repo, "registry.db"),
        provider="local",
        offline_store={"type": "file"},
        online_store={"type": "sqlite", "path": os.path.join(repo, "online.db")},
        entity_key_serialization_version=3,
        repo_path=repo,
    )
    store = FeatureStore(config=config)
    customer = Entity(name="customer", join_keys=[KEY])
    view = FeatureView(
        name="customer",
        entities=[customer],
        ttl=dt.timedelta(days=args.ttl_days),
        schema=[Field(name=f, dtype=Float64) for f in FEATURES],
        source=FileSource(path=os.path.abspath(args.source), timestamp_field=TS),
    )
    store.apply([customer, view])
    prepare()
    entities = pd.read_parquet(args.entities)
    job = store.get_historical_features(
        entity_df=entities, features=[f"customer:{f}" for f in FEATURES]
    )
    joined = job.to_df()
    joined.to_parquet(args.out, index=False)
    return {"rows": len(joined), "found": int(joined[FEATURES[0]].notna().sum())}


_STARTED: dict[str, float] = {}


def prepare() -> None:
    """Everything is imported: from here on the task is measured."""
    reset_peak()
    _STARTED["wall"] = time.perf_counter()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    _STARTED["cpu"] = usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("tool", choices=["driftline", "pandas", "feast"])
    parser.add_argument("--entities", required=True)
    parser.add_argument("--source", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--ttl-days", type=int, default=30)
    parser.add_argument("--memory", default="2GB", help="driftline's memory limit")
    args = parser.parse_args()
    run = {"driftline": run_driftline, "pandas": run_pandas, "feast": run_feast}[args.tool]
    try:
        out = run(args)
    except MemoryError:
        print(json.dumps({"tool": args.tool, "error": "MemoryError"}))
        sys.exit(0)
    wall = time.perf_counter() - _STARTED["wall"]
    usage = resource.getrusage(resource.RUSAGE_SELF)
    out.update(
        tool=args.tool,
        seconds=wall,
        cpu_seconds=usage.ru_utime + usage.ru_stime - _STARTED["cpu"],
        peak_mib=_status_kib("VmHWM") / 1024,
    )
    print(json.dumps(out))


if __name__ == "__main__":
    main()
