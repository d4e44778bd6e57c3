"""Compaction is crash-safe: kill -9 at any moment loses nothing and counts nothing twice.

The log store is a local folder or a bucket on moto's S3 server; the compacting
process is a real one, killed with SIGKILL while it publishes files.
"""

from __future__ import annotations

import collections
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from _log_world import MODELS, expected_ids, prediction
from driftline.store import (
    CompactionFailed,
    InferenceLog,
    LogStore,
    compaction_command,
    compaction_result,
)


def write_segments(root: Path, n: int, *, segment_bytes: int = 40_000) -> None:
    """``n`` predictions over 3 models and 4 days, cut into many small segments."""
    log = InferenceLog(root, segment_bytes=segment_bytes, max_group=50)
    for i in range(n):
        log.append(prediction(i))
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


def test_a_segment_larger_than_a_chunk_streams_row_groups_with_its_types_settled(
    tmp_path: Path,
) -> None:
    # 50,000 records: three chunks, which disagree on types and on which inputs there are.
    # The file is written a chunk at a time, and reads as the same records held in memory would.
    n = 50_000
    records = []
    for i in range(n):
        inputs: dict[str, object] = {"x": i if i < 30_000 else i + 0.5}  # int, then float
        inputs["code"] = i if i < 45_000 else f"c{i}"  # numbers, then text: kept as text
        if i >= 40_000:
            inputs["late"] = True  # an input that first appears in the last chunk
        records.append({**prediction(i), "model": "a", "inputs": inputs})
    log = InferenceLog(tmp_path / "log", segment_bytes=1 << 30)
    for r in records:
        log.append(r)
    log.close()
    before = read_model(tmp_path / "log", "a")
    done = InferenceLog(tmp_path / "log").compact()
    assert (done.predictions, done.segments) == (n, 1)
    files = list((tmp_path / "log" / "parquet").rglob("*.parquet"))
    assert len(files) == 4  # one per day
    assert all(pq.ParquetFile(f).metadata.num_row_groups >= 2 for f in files)
    assert not (tmp_path / "log" / "compacting").exists()  # its scratch space is cleared
    after = read_model(tmp_path / "log", "a")
    assert after == before
    assert after["x"]["r29999"] == 29999 and after["x"]["r30001"] == 30001.5
    assert after["code"]["r7"] == "7" and after["code"]["r45001"] == "c45001"
    assert after["late"]["r7"] is None and after["late"]["r40001"] is True


def read_model(root: Path, model: str) -> dict[str, dict[str, object]]:
    table = InferenceLog(root).read(model)
    ids = table.column("request_id").to_pylist()
    return {
        name: dict(zip(ids, table.column(name).to_pylist(), strict=True))
        for name in ("x", "code", "late")
    }


def test_a_child_process_compacts_as_the_server_asks_and_says_why_it_could_not(
    tmp_path: Path, store_url: tuple[str, str | None]
) -> None:
    root, store = tmp_path / "log", LogStore(store_url[0], s3_endpoint_url=store_url[1])
    write_segments(root, 600)
    (root / "segments" / "00000000000000000001-1-deadbeef.seg").write_bytes(b"00000000 {}\n" * 2)
    child = subprocess.run(compaction_command(root / "segments", store), capture_output=True)
    done = compaction_result(child.returncode, child.stdout, child.stderr)
    assert (done.predictions, done.labels, done.corrupt) == (600, len(range(0, 600, 7)), 2)
    assert b"failed their checksum" in child.stderr  # told to the server, which logs it
    assert read_ids(root, store) == expected_ids(600)
    assert labels_of(root, store) == {f"r{i}": i % 2 for i in range(0, 600, 7)}

    # A store it cannot write: one line saying why, and the segments are kept for next time.
    write_segments(root, 30)
    blocked = LogStore(str(tmp_path / "blocked"))
    (tmp_path / "blocked" / "predictions").write_text("in the way")
    child = subprocess.run(compaction_command(root / "segments", blocked), capture_output=True)
    with pytest.raises(CompactionFailed, match="failed while writing predictions") as failed:
        compaction_result(child.returncode, child.stdout, child.stderr)
    assert "\n" not in str(failed.value) and b"Traceback" not in child.stderr
    assert list((root / "segments").iterdir())


def test_a_child_killed_or_mute_is_a_failure_that_says_so() -> None:
    with pytest.raises(CompactionFailed, match="stopped by signal 9"):
        compaction_result(-9, b"", b"")
    with pytest.raises(CompactionFailed, match="exited 1: ValueError: bad"):
        compaction_result(1, b"", b"Traceback (most recent call last):\nValueError: bad\n")
    with pytest.raises(CompactionFailed, match="no result"):
        compaction_result(0, b"", b"")
