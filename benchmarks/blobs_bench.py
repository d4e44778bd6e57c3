"""What does verifying every blob on read cost? A verified read against a raw one.

    python benchmarks/blobs_bench.py [--sizes 1,16,128] [--runs 5] [--s3] [--no-write]

For blobs of each size (MiB, random bytes, seed 0) in a local artifact store
and, with ``--s3``, on moto's S3 server over loopback:

* raw read: the fsspec driver's ``cat_file`` alone, what an unverified read
  cost (the baseline, in the same run);
* ``get_blob``: the same read plus the sha256 of what was read, as every load
  of a model, runtime, profile or report now does;
* ``check_blob``: the streaming hash ``driftline verify`` does per blob.

Median wall time of ``--runs`` runs after one warm-up, with the CPU time of
this process beside it. Writes the Markdown into benchmarks/RESULTS.md under
"## Verified blob reads".
"""

from __future__ import annotations

import argparse
import os
import shlex
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from fsspec.core import url_to_fs

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _results import machine, write_section  # noqa: E402

from driftline.store import ArtifactStore  # noqa: E402

RESULTS = HERE / "RESULTS.md"
HEADING = "## Verified blob reads"
MIB = 1 << 20


def timed(fn: Callable[[], Any], runs: int) -> tuple[float, float]:
    """Median wall and CPU milliseconds of ``runs`` calls, after one warm-up."""
    fn()
    walls, cpus = [], []
    for _ in range(runs):
        w, c = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    return statistics.median(walls) * 1e3, statistics.median(cpus) * 1e3


def measure(store: ArtifactStore, where: str, sizes: list[int], runs: int) -> list[list[str]]:
    rng = np.random.default_rng(0)
    rows = []
    # The store's files reached directly, as an unverified read did.
    options = {"client_kwargs": {"endpoint_url": store.endpoint}} if store.endpoint else {}
    fs, root = url_to_fs(store.url, **options)
    for size in sizes:
        data = rng.bytes(size * MIB)
        key, digest = store.put_blob(data)
        path = f"{root.rstrip('/')}/{key}"
        raw_wall, raw_cpu = timed(lambda p=path: fs.cat_file(p), runs)
        get_wall, get_cpu = timed(lambda k=key, d=digest: store.get_blob(k, d, what="b"), runs)
        check_wall, check_cpu = timed(lambda k=key, d=digest: store.check_blob(k, d), runs)
        rows.append(
            [
                where,
                f"{size}",
                f"{raw_wall:.1f} ({raw_cpu:.1f})",
                f"{get_wall:.1f} ({get_cpu:.1f})",
                f"{get_wall - raw_wall:+.1f}",
                f"{check_wall:.1f} ({check_cpu:.1f})",
                f"{size * MIB / (check_wall / 1e3) / MIB:,.0f}",
            ]
        )
        print(" | ".join(rows[-1]), flush=True)
    return rows


def s3_store() -> tuple[ArtifactStore, Any]:
    import socket

    import boto3
    from moto.server import ThreadedMotoServer

    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        os.environ.setdefault(name, "testing")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").create_bucket(Bucket="bench")
    return ArtifactStore("s3://bench/dl", s3_endpoint_url=endpoint), server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1,16,128", help="Blob sizes in MiB.")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--s3", action="store_true", help="Also on moto's S3 server.")
    parser.add_argument("--no-write", action="store_true", help="Print only.")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    load = os.getloadavg()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        rows += measure(ArtifactStore(str(Path(tmp) / "artifacts")), "local", sizes, args.runs)
    if args.s3:
        store, server = s3_store()
        try:
            rows += measure(store, "S3 (moto, loopback)", sizes, args.runs)
        finally:
            server.stop()
    header = [
        "store",
        "MiB",
        "raw read ms (CPU)",
        "get_blob ms (CPU)",
        "verification ms",
        "check_blob ms (CPU)",
        "check_blob MiB/s",
    ]
    table = "\n".join(
        ["| " + " | ".join(header) + " |", "|" + " --- |" + " ---: |" * (len(header) - 1)]
        + ["| " + " | ".join(r) + " |" for r in rows]
    )
    command = "python benchmarks/blobs_bench.py " + shlex.join(sys.argv[1:])
    section = (
        f"{HEADING}\n\nMeasured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on "
        f"{machine()}; load average {load[0]:.2f} at the start.\n\n"
        f"```console\n{command.strip()}\n```\n\n"
        "Random bytes (seed 0); median of the runs after a warm-up; CPU time of this process in "
        "brackets (moto's server runs in it too, on S3). The baseline is the driver's raw read in "
        "the same run, what an unverified read cost before every read was verified.\n\n"
        f"{table}\n"
    )
    print(section)
    if not args.no_write:
        write_section(RESULTS, HEADING, section)


if __name__ == "__main__":
    main()
