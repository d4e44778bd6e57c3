"""How fast does driftline.io read a table, and in how much memory?

    python benchmarks/io_bench.py [--rows 4000000] [--quick] [--no-write]

Generates (once, seeded, cached in benchmarks/_data/io/) one table of mixed
columns as CSV and as Parquet, then measures, each case in a process of its
own (so each memory peak is that case's alone):

* whole reads of the CSV: ``driftline.io.read_table`` (types learned over the
  whole file), against ``pandas.read_csv`` (what ``models register`` used)
  and ``pyarrow.csv.read_csv`` (Arrow's own whole-file reader);
* streamed reads, with a consumer that does a profile's work on every batch
  (every column made into float64 or text): ``driftline.io.open_table(path)
  .batches()`` against Arrow's dataset scanner with the options driftline
  used before (``to_batches(batch_readahead=2, fragment_readahead=1)``);
* ``Profile.build(path)`` end to end.

Time is wall time (CPU time beside it); "Arrow peak" is the most memory
Arrow's pool held (``max_memory()``), "RSS peak" the process's resident peak
less what it held before the case (Linux ``VmHWM``, reset before the case).
Prints a Markdown report and writes it into benchmarks/RESULTS.md under
"## Reading tables (issue 12)".
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _results import machine, write_section  # noqa: E402

DATA = HERE / "_data" / "io"
RESULTS = HERE / "RESULTS.md"
HEADING = "## Reading tables (issue 12)"
NOTE = (
    "The streamed driftline CSV case includes the pass that settles the column types over "
    "the whole file; the scanner types from the first block only (and fails on a late "
    "decimal, see tests/io/test_csv_types.py). Arrow peak is what bounds a profile of a "
    "large file: the scanner reads ahead of a slow consumer, so its peak grows with the "
    "file, while driftline.io pulls one batch at a time."
)

CASES = {
    "whole CSV: driftline.io.read_table": "whole-driftline",
    "whole CSV: pandas.read_csv": "whole-pandas",
    "whole CSV: pyarrow.csv.read_csv": "whole-arrow",
    "streamed CSV: driftline.io": "stream-driftline-csv",
    "streamed CSV: Arrow dataset scanner": "stream-scanner-csv",
    "streamed Parquet: driftline.io": "stream-driftline-parquet",
    "streamed Parquet: Arrow dataset scanner": "stream-scanner-parquet",
    "Profile.build(CSV path)": "profile-csv",
    "Profile.build(Parquet path)": "profile-parquet",
}


def make_data(rows: int) -> tuple[Path, Path]:
    """The table as CSV and Parquet; written once per row count."""
    csv_path, parquet_path = DATA / f"t{rows}.csv", DATA / f"t{rows}.parquet"
    if csv_path.exists() and parquet_path.exists():
        return csv_path, parquet_path
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    DATA.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    start = np.datetime64("2026-01-01T00:00:00", "s")
    table = pa.table(
        {
            "id": rng.integers(0, 10**9, rows),
            "amount": np.round(rng.lognormal(3, 1, rows), 2),
            "score": rng.normal(size=rows),
            "region": rng.choice(["north", "south", "east", "west", "centre"], rows),
            "plan": rng.choice([f"plan-{i}" for i in range(200)], rows),
            "active": rng.random(rows) < 0.3,
            "seen": pa.array(start + rng.integers(0, 86_400 * 365, rows), pa.timestamp("s")),
        }
    )
    pacsv.write_csv(table, csv_path)
    pq.write_table(table, parquet_path, row_group_size=100_000)
    return csv_path, parquet_path


def run_case(case: str, csv_path: Path, parquet_path: Path) -> dict[str, float]:
    """One case in a fresh process; its measurements."""
    code = f"import sys; sys.path.insert(0, {str(HERE)!r}); import io_bench; io_bench.child()"
    out = subprocess.run(
        [sys.executable, "-c", code, case, str(csv_path), str(parquet_path)],
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def child() -> None:
    """The measured side: runs ``sys.argv[1]`` on the files, prints one JSON line."""
    import pyarrow as pa

    case, csv_path, parquet_path = sys.argv[1], sys.argv[2], sys.argv[3]
    work = _work(case, csv_path, parquet_path)
    before = _status_kib("VmRSS")
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # reset VmHWM: the peak below is this case's alone
    wall, cpu = time.perf_counter(), time.process_time()
    rows = work()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(
        json.dumps(
            {
                "rows": rows,
                "wall_s": wall,
                "cpu_s": cpu,
                "arrow_peak_mib": pa.default_memory_pool().max_memory() / 2**20,
                "rss_added_mib": (_status_kib("VmHWM") - before) / 1024,
            }
        )
    )


def _status_kib(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(field)


def _work(case: str, csv_path: str, parquet_path: str):  # type: ignore[no-untyped-def]
    """A function doing the case's reading; imports happen here, before the clock starts."""
    import pandas as pd
    import pyarrow.csv as pacsv
    import pyarrow.dataset as ds

    from driftline.io import open_table, read_table
    from driftline.stats import Profile, kind_of, numeric_values, string_values

    def consume(batches) -> int:  # type: ignore[no-untyped-def]
        # A profile's work on each batch: every column as float64 or as text.
        rows = 0
        for batch in batches:
            for name, column in zip(batch.schema.names, batch.columns, strict=True):
                kind = kind_of(name, column.type)
                if kind == "categorical":
                    string_values(column)
                else:
                    numeric_values(name, column, kind)
            rows += batch.num_rows
        return rows

    def scanner(path: str, fmt: str) -> int:
        dataset = ds.dataset(path, format=fmt)
        return consume(dataset.to_batches(batch_readahead=2, fragment_readahead=1))

    cases = {
        "whole-driftline": lambda: read_table(csv_path).num_rows,
        "whole-pandas": lambda: len(pd.read_csv(csv_path)),
        "whole-arrow": lambda: pacsv.read_csv(csv_path).num_rows,
        "stream-driftline-csv": lambda: consume(open_table(csv_path).batches()),
        "stream-scanner-csv": lambda: scanner(csv_path, "csv"),
        "stream-driftline-parquet": lambda: consume(open_table(parquet_path).batches()),
        "stream-scanner-parquet": lambda: scanner(parquet_path, "parquet"),
        "profile-csv": lambda: Profile.build(csv_path).n_rows,
        "profile-parquet": lambda: Profile.build(parquet_path).n_rows,
    }
    return cases[case]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=4_000_000)
    parser.add_argument("--quick", action="store_true", help="500,000 rows")
    parser.add_argument("--no-write", action="store_true", help="do not touch RESULTS.md")
    args = parser.parse_args()
    rows = 500_000 if args.quick else args.rows
    load_before = os.getloadavg()
    csv_path, parquet_path = make_data(rows)
    lines = [
        "| case | wall (s) | CPU (s) | Arrow peak (MiB) | RSS peak added (MiB) |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for label, case in CASES.items():
        m = run_case(case, csv_path, parquet_path)
        if int(m["rows"]) != rows:
            raise SystemExit(f"{label} read {m['rows']} rows, expected {rows}")
        lines.append(
            f"| {label} | {m['wall_s']:.2f} | {m['cpu_s']:.2f} | "
            f"{m['arrow_peak_mib']:.0f} | {m['rss_added_mib']:.0f} |"
        )
        print(lines[-1], flush=True)
    load_after = os.getloadavg()
    command = "python benchmarks/io_bench.py " + shlex.join(sys.argv[1:])
    size = csv_path.stat().st_size / 2**20
    section = "\n".join(
        [
            HEADING,
            "",
            f"Measured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC on {machine()}; load "
            f"average (1, 5, 15 min) {' '.join(f'{x:.2f}' for x in load_before)} at the start "
            f"and {' '.join(f'{x:.2f}' for x in load_after)} at the end.",
            "",
            "```console",
            command.strip(),
            "```",
            "",
            f"Table: {rows:,} rows x 7 columns (two integer-like, two float, two text with 5 "
            f"and 200 values, a boolean, a timestamp; seed 0): CSV {size:,.0f} MiB, Parquet "
            f"in row groups of 100,000. Each case runs in a process of its own, after its "
            f"imports. The streamed cases turn every column of every batch into float64 or "
            f"text, as a profile does.",
            "",
            *lines,
            "",
            NOTE,
            "",
        ]
    )
    print()
    print(section)
    if not args.no_write:
        write_section(RESULTS, HEADING, section)


if __name__ == "__main__":
    main()
