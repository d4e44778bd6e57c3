"""What do governance records cost? Audit checks online and offline, forgetting, retention.

    python benchmarks/governance_bench.py [--events 100000] [--rows 1000000] [--files 200]
                                          [--runs 3] [--quick] [--no-write]

On a fresh workspace (SQLite, local folders; seed 0):

* the audit chain of ``--events`` events: ``verify`` in the database (the
  baseline), ``export`` to JSON lines, ``verify_file`` on the export (offline,
  with ``--expect-head``), and ``verify`` with a public key (one signed head);
* an inference log of ``--rows`` predictions in ``--files`` Parquet files over
  30 days: scanning the request id and key columns of every file (the least a
  search for one person must read: the baseline), then ``forget`` of a person
  whose rows sit in 1% of the files and of one in every file;
* ``prune_log`` deleting the older half of those days.

Median wall time of ``--runs`` runs (forget and prune: one run each on a
fresh copy of the log, as they change it). Writes the Markdown into
benchmarks/RESULTS.md under "## Governance records".
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shlex
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _results import machine, write_section  # noqa: E402

from driftline import Workspace, audit  # noqa: E402
from driftline.store import LogStore  # noqa: E402
from driftline.words import plural  # noqa: E402

RESULTS = HERE / "RESULTS.md"
HEADING = "## Governance records"
DAYS = 30
NOW = dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC)


def timed(fn: Callable[[], Any], runs: int) -> float:
    """Median wall seconds of ``runs`` calls (no warm-up: each reads files the OS caches anyway)."""
    walls = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        walls.append(time.perf_counter() - start)
    return statistics.median(walls)


def chain(ws: Workspace, events: int) -> None:
    rng = np.random.default_rng(0)
    done = 0
    while done < events:
        with ws.db.write() as s:
            for _ in range(min(5000, events - done)):
                audit.append(
                    s,
                    actor="bench",
                    action="test.event",
                    subject=f"churn:{done % 7 + 1}",
                    payload={"i": done, "value": float(rng.random()), "note": "x" * 40},
                )
                done += 1


def audit_rows(ws: Workspace, tmp: Path, events: int, runs: int) -> list[list[str]]:
    start = time.perf_counter()
    chain(ws, events)
    print(f"wrote {events:,} audit events in {time.perf_counter() - start:.1f} s", flush=True)
    private, public, _ = audit.generate_keys(tmp / "keys", workspace=ws.home)
    ws.sign_audit(private)
    out = tmp / "audit.jsonl"
    online = timed(lambda: ws.verify_audit(), runs)
    export = timed(lambda: ws.export_audit(out), runs)
    head = ws.audit_events()[-1].hash
    offline = timed(lambda: audit.verify_file(out, expect_head=head), runs)
    signed = timed(lambda: ws.verify_audit(public_key=public), runs)
    if not (ws.verify_audit(public_key=public).ok and audit.verify_file(out, expect_head=head).ok):
        raise SystemExit("the chain did not verify: the measurement is void")
    n = events + 1
    rows = []
    for what, seconds in (
        ("verify in the database (baseline)", online),
        ("export to JSON lines", export),
        ("verify the export offline (--expect-head)", offline),
        ("verify in the database with the public key", signed),
    ):
        rows.append([what, f"{n:,} events", f"{seconds:.2f}", f"{n / seconds:,.0f} events/s"])
        print(" | ".join(rows[-1]), flush=True)
    size = out.stat().st_size
    rows.append(["(export size)", f"{n:,} events", "", f"{size / n:,.0f} bytes/event"])
    return rows


def fill_log(ws: Workspace, rows: int, files: int) -> tuple[LogStore, int]:
    """Parquet files as compaction writes them; person 'often' in every file, 'rarely' in 1%."""
    store = LogStore.from_settings(ws.settings)
    rng = np.random.default_rng(0)
    per = rows // files
    rare = max(1, files // 100)
    for f in range(files):
        day = (NOW - dt.timedelta(days=f % DAYS)).date().isoformat()
        model = "churn" if f % 2 else "fraud"
        keys = rng.integers(0, 10**9, per).astype(str).astype(object)
        keys = np.char.add("cust-", keys.astype(str)).astype(object)
        keys[0] = "often"
        if f < rare:
            keys[1] = "rarely"
        when = dt.datetime.fromisoformat(day).replace(hour=12, tzinfo=dt.UTC)
        table = pa.table(
            {
                "request_id": pa.array([f"f{f}-{i}" for i in range(per)]),
                "timestamp": pa.array([when] * per, pa.timestamp("us", tz="UTC")),
                "version": pa.array(np.ones(per, dtype=np.int64)),
                "route": pa.array(["champion"] * per),
                "latency_ms": pa.array(rng.random(per)),
                "prediction": pa.array(rng.integers(0, 2, per)),
                "request_key": pa.array(keys, pa.string()),
                **{f"x{j}": pa.array(rng.normal(size=per)) for j in range(8)},
            }
        )
        store.publish_table(
            f"{LogStore.partition('predictions', model, day)}/seg{f:05d}.parquet", table
        )
    return store, per * files


def scan(store: LogStore) -> int:
    """Read request ids and keys of every file: the least a search for one person reads."""
    n = 0
    for kind in store.kinds():
        for model in store.models(kind):
            for day in store.days(kind, model):
                for path in store.files(kind, model, day).values():
                    n += store.read(path, columns=["request_id", "request_key"]).num_rows
    return n


def log_rows(ws: Workspace, tmp: Path, rows: int, files: int, runs: int) -> list[list[str]]:
    start = time.perf_counter()
    store, total = fill_log(ws, rows, files)
    print(f"wrote {total:,} logged rows in {files} files in {time.perf_counter() - start:.1f} s")
    pristine = tmp / "log-pristine"
    shutil.copytree(ws.home / "log", pristine)

    def fresh() -> None:
        shutil.rmtree(ws.home / "log")
        shutil.copytree(pristine, ws.home / "log")

    out = []
    baseline = timed(lambda: scan(store), runs)
    out.append(
        [
            "scan every file's ids and keys (baseline)",
            f"{total:,} rows, {files} files",
            f"{baseline:.2f}",
            "",
        ]
    )
    for who, where in (("rarely", "1% of the files"), ("often", "every file")):
        fresh()
        start = time.perf_counter()
        report = ws.forget(who)
        seconds = time.perf_counter() - start
        out.append(
            [
                f"forget a person in {where}",
                f"{plural(report.done.records, 'row')} removed, "
                f"{plural(report.done.files, 'file')} rewritten",
                f"{seconds:.2f}",
                f"{seconds / baseline:.1f}x the scan",
            ]
        )
        print(" | ".join(out[-1]), flush=True)
    fresh()
    start = time.perf_counter()
    pruned = ws.prune_log(older_than=f"{DAYS // 2}d", now=NOW)
    seconds = time.perf_counter() - start
    gone = sum(len(p.files) for p in pruned.partitions)
    out.append(
        [
            f"prune days older than {DAYS // 2}d",
            f"{pruned.rows.get('predictions', 0):,} rows in {gone} files deleted",
            f"{seconds:.2f}",
            f"{seconds / baseline:.1f}x the scan",
        ]
    )
    print(" | ".join(out[-1]), flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="10,000 events, 100,000 rows.")
    parser.add_argument("--no-write", action="store_true", help="Print only.")
    args = parser.parse_args()
    if args.quick:
        args.events, args.rows, args.files = 10_000, 100_000, 60
    load = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        with Workspace.init(tmp / "ws", actor="bench") as ws:
            rows = audit_rows(ws, tmp, args.events, args.runs)
            rows += log_rows(ws, tmp, args.rows, args.files, args.runs)
    header = ["what", "size", "seconds", "rate"]
    table = "\n".join(
        ["| " + " | ".join(header) + " |", "| --- | ---: | ---: | ---: |"]
        + ["| " + " | ".join(r) + " |" for r in rows]
    )
    command = "python benchmarks/governance_bench.py " + shlex.join(sys.argv[1:])
    section = (
        f"{HEADING}\n\nMeasured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on "
        f"{machine()}; load average {load[0]:.2f} at the start.\n\n"
        f"```console\n{command.strip()}\n```\n\n"
        "SQLite workspace and local folders, seed 0; median of the runs for the audit checks, "
        "one run on a fresh copy of the log for forget and prune (they change it). Baselines "
        "in the same run: verifying the chain in the database, and reading the request ids and "
        "keys of every log file (the least a search for one person reads).\n\n"
        f"{table}\n"
    )
    print(section)
    if not args.no_write:
        write_section(RESULTS, HEADING, section)


if __name__ == "__main__":
    main()
