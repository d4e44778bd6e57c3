"""Compaction is crash-safe: kill -9 at any moment loses nothing and counts nothing twice.

The log store is a local folder or a bucket on moto's S3 server; the compacting
process is a real one, killed with SIGKILL while it publishes files.
"""

from __future__ import annotations

import collections
import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from driftline.store import InferenceLog, LogStore

MODELS = ("a", "b", "c")


def record(i: int) -> dict[str, object]:
    return {
        "kind": "prediction",
        "request_id": f"r{i}",
        "timestamp": dt.datetime(2026, 11, 1 + i % 4, 12, tzinfo=dt.UTC).isoformat(),
        "model": MODELS[i % 3],
        "version": 1,
        "route": "champion",
        "latency_ms": 0.5,
        "inputs": {"x": float(i)},
        "prediction": i % 2,
    }


def write_segments(root: Path, n: int, *, segment_bytes: int = 40_000) -> None:
    """``n`` predictions over 3 models and 4 days, cut into many small segments."""
    log = InferenceLog(root, segment_bytes=segment_bytes, max_group=50)
    for i in range(n):
        log.append(record(i))
    for i in range(0, n, 7):  # labels, in the server's shape
        log.append(
            {
                "kind": "label",
                "model": MODELS[i % 3],
                "request_id": f"r{i}",
                "label": i % 2,
                "timestamp": "2026-11-05T00:00:00+00:00",
            }
        )
    log.close()


def read_ids(root: Path, store: LogStore) -> dict[str, collections.Counter[str]]:
    log = InferenceLog(root, store=store)
    return {m: collections.Counter(log.read(m).column("request_id").to_pylist()) for m in MODELS}


def expected_ids(n: int) -> dict[str, collections.Counter[str]]:
    return {m: collections.Counter(f"r{i}" for i in range(n) if MODELS[i % 3] == m) for m in MODELS}


def labels_of(root: Path, store: LogStore) -> dict[str, object]:
    found: dict[str, object] = {}
    for m in MODELS:
        table = InferenceLog(root, store=store).read(m)
        found.update(
            (rid, value)
            for rid, value in zip(
                table.column("request_id").to_pylist(),
                table.column("label").to_pylist(),
                strict=True,
            )
            if value is not None
        )
    return found


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.s3)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, str | None]:
    if request.param == "local":
        return str(tmp_path / "store"), None
    bucket = request.getfixturevalue("s3_bucket")
    return f"{bucket}/log", request.getfixturevalue("s3_server")


def test_a_segment_whose_files_were_published_is_neither_lost_nor_doubled(
    tmp_path: Path, store_url: tuple[str, str | None]
) -> None:
    # The worst moment, made on purpose: files published, segment not yet deleted.
    root, store = tmp_path / "log", LogStore(store_url[0], s3_endpoint_url=store_url[1])
    write_segments(root, 300)
    kept = tmp_path / "kept"
    shutil.copytree(root / "segments", kept)
    InferenceLog(root, store=store).compact()
    survivor = sorted(kept.iterdir())[0]
    shutil.copy(survivor, root / "segments" / survivor.name)  # as if the unlink never happened
    assert read_ids(root, store) == expected_ids(300)
    again = InferenceLog(root, store=store).compact()
    assert (again.segments, again.files) == (1, 0)  # its files were there: nothing added
    assert read_ids(root, store) == expected_ids(300)


COMPACTOR = textwrap.dedent(
    """
    from driftline.store import InferenceLog, LogStore
    log = InferenceLog({root!r}, store=LogStore({url!r}, s3_endpoint_url={endpoint!r}))
    print("compacting", flush=True)
    log.compact()
    print("done", flush=True)
    """
)


def published(store: LogStore) -> int:
    store.fs.invalidate_cache()
    try:
        return sum(1 for p in store.fs.find(store.root) if p.endswith(".parquet"))
    except FileNotFoundError:
        return 0


def wait_for(condition: Callable[[], object], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:g}s waiting for {what}")
        time.sleep(0.002)  # polling interval; the condition decides


def test_kill_9_while_compacting_loses_nothing_and_doubles_nothing(
    tmp_path: Path, store_url: tuple[str, str | None]
) -> None:
    n = 6000
    root, store = tmp_path / "log", LogStore(store_url[0], s3_endpoint_url=store_url[1])
    write_segments(root, n)
    segments = len(list((root / "segments").iterdir()))
    assert segments >= 20  # enough files that a kill lands in the middle
    code = COMPACTOR.format(root=str(root), url=store_url[0], endpoint=store_url[1])
    kills = 0
    for target in (1, 25, 80, 160, 250):
        proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
        wait_for(
            lambda t=target, p=proc: published(store) >= t or p.poll() is not None,  # type: ignore[misc]
            timeout=120,
            what=f"{target} published files",
        )
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            kills += 1
        proc.wait()
        # Read at the moment of the kill: every prediction once, from file or segment.
        assert read_ids(root, store) == expected_ids(n)
    assert kills >= 3, "the compactions ended before they could be killed"
    InferenceLog(root, store=store).compact()
    assert not [p for p in (root / "segments").iterdir() if p.suffix in (".seg", ".open")]
    assert read_ids(root, store) == expected_ids(n)
    assert labels_of(root, store) == {f"r{i}": i % 2 for i in range(0, n, 7)}
