"""The inference log: group commit, torn writes, kill -9, compaction, labels."""

import datetime as dt
import logging
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pyarrow as pa
import pytest

from driftline.store import InferenceLog
from driftline.store._log import SYNCER_NICE
from driftline.store._segments import encode


def record(i: int, model: str = "m", day: int = 1) -> dict:  # type: ignore[type-arg]
    return {
        "kind": "prediction",
        "request_id": f"r{i}",
        "timestamp": dt.datetime(2026, 11, day, 12, tzinfo=dt.UTC).isoformat(),
        "model": model,
        "version": 1,
        "route": "champion",
        "latency_ms": 0.5,
        "inputs": {"x": float(i), "color": "red"},
        "prediction": i % 2,
        "probabilities": [0.25, 0.75],
    }


def test_concurrent_appends_are_grouped_and_all_kept(tmp_path: Path) -> None:
    log = InferenceLog(tmp_path)
    barrier = threading.Barrier(16)

    def worker(w: int) -> None:
        barrier.wait()
        for i in range(50):
            log.write(record(w * 1000 + i))

    threads = [threading.Thread(target=worker, args=(w,)) for w in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    log.close()
    ids = [r["request_id"] for r in log.records()]
    assert sorted(ids) == sorted(f"r{w * 1000 + i}" for w in range(16) for i in range(50))
    assert log.groups < len(ids)  # concurrent writers shared fsyncs


def test_fsync_mode_also_keeps_everything(tmp_path: Path) -> None:
    log = InferenceLog(tmp_path, wait_for="fsync")
    for i in range(5):
        log.write(record(i))
    log.close()
    assert [r["request_id"] for r in log.records()] == [f"r{i}" for i in range(5)]


def test_a_lone_writers_groups_share_fdatasyncs_and_fsync_mode_waits_for_its_own(
    tmp_path: Path,
) -> None:
    lone = InferenceLog(tmp_path / "write")
    for i in range(30):
        lone.write(record(i))  # one at a time: each its own group
        paced = time.perf_counter() + 0.0002  # a lone client's pace, on the CPU not a timer
        while time.perf_counter() < paced:
            pass
    lone.close()
    assert lone.groups == 30
    assert lone.syncs <= lone.groups // 2  # the syncer's 2 ms window let several share one

    synced = InferenceLog(tmp_path / "fsync", wait_for="fsync")
    for i in range(5):
        synced.write(record(i))  # returns only after the fdatasync that covers it
    synced.close()
    assert synced.syncs >= synced.groups == 5  # no window: nobody waits for company


def damage(segment: Path) -> None:
    """Append one line whose checksum fails and one torn line."""
    with open(segment, "ab") as f:
        good = encode(record(2))
        f.write(good[:-1].replace(b'"r2"', b'"r9"') + b"\n")  # checksum no longer matches
        f.write(encode(record(3))[:25])  # torn: no newline


def segments(root: Path) -> list[Path]:
    return sorted(p for p in (root / "segments").iterdir() if not p.name.startswith("."))


def test_torn_and_corrupt_lines_are_dropped_counted_and_warned_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    log = InferenceLog(tmp_path)
    log.write(record(1))
    log.close()
    damage(segments(tmp_path)[0])
    with caplog.at_level(logging.WARNING, logger="driftline.log"):
        assert [r["request_id"] for r in log.records()] == ["r1"]
        assert [r["request_id"] for r in log.records()] == ["r1"]
    assert log.scan.corrupt == 4  # two lines, read twice
    warned = [r for r in caplog.records if "failed their checksum" in r.getMessage()]
    assert len(warned) == 1 and "2 line(s)" in warned[0].getMessage()


def test_damaged_lines_are_still_counted_after_compaction(tmp_path: Path) -> None:
    log = InferenceLog(tmp_path)
    log.write(record(1))
    log.close()
    damage(segments(tmp_path)[0])
    assert log.reader("m").corrupt_lines() == 2  # before compaction: in the segment
    done = log.compact()
    assert (done.predictions, done.corrupt) == (1, 2)
    assert segments(tmp_path) == []
    reader = InferenceLog(tmp_path).reader("m")
    assert reader.corrupt_lines() == 2  # after: recorded beside the Parquet
    day = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    assert reader.corrupt_lines(day + dt.timedelta(days=1), day + dt.timedelta(days=2)) == 0


def label(rid: str, value: object, *, model: str | None = "a", day: int = 3) -> dict:  # type: ignore[type-arg]
    """A label record as the server writes it (``model`` from the URL), or without a model."""
    found = {
        "kind": "label",
        "model": model,
        "request_id": rid,
        "label": value,
        "timestamp": dt.datetime(2026, 11, day, tzinfo=dt.UTC).isoformat(),
    }
    return {k: v for k, v in found.items() if v is not None}


def test_compaction_partitions_by_model_and_day_and_joins_labels(tmp_path: Path) -> None:
    log = InferenceLog(tmp_path)
    for i in range(6):
        log.write(record(i, model="a" if i < 4 else "b", day=1 + i % 2))
    log.write(label("r1", 0))  # the server's shape: it names the model
    log.write(label("r2", 1, model=None))  # no model: joins any model's prediction
    log.close()
    done = log.compact()
    assert (done.predictions, done.labels, done.segments) == (6, 2, 1)
    assert segments(tmp_path) == []
    days = sorted(p.name for p in (tmp_path / "parquet" / "predictions" / "model=a").iterdir())
    assert days == ["date=2026-11-01", "date=2026-11-02"]
    table = log.read("a")
    assert sorted(table.column("request_id").to_pylist()) == ["r0", "r1", "r2", "r3"]
    assert pa.types.is_timestamp(table.schema.field("timestamp").type)
    assert set(table.column("x").to_pylist()) == {0.0, 1.0, 2.0, 3.0}
    labels = dict(
        zip(table.column("request_id").to_pylist(), table.column("label").to_pylist(), strict=True)
    )
    assert labels == {"r0": None, "r1": 0, "r2": 1, "r3": None}
    assert log.compact().segments == 0


def test_labels_in_the_servers_shape_survive_compaction_with_any_value_kind(
    tmp_path: Path,
) -> None:
    log = InferenceLog(tmp_path)
    for i in range(4):
        log.write(record(i, model="a"))
    log.write(label("r0", "yes"))
    log.write(label("r1", 1))  # a number beside text: kept, as text
    log.write(label("r2", "no", day=3))
    log.write(label("r2", "yes", day=4))  # posted again later: the later one counts
    log.close()
    before = log.read("a")
    log.compact()
    after = InferenceLog(tmp_path).read("a")
    for table in (before, after):
        got = dict(zip(table["request_id"].to_pylist(), table["label"].to_pylist(), strict=True))
        assert got == {"r0": "yes", "r1": "1", "r2": "yes", "r3": None}


def test_a_dead_writers_segment_compacts_even_when_its_process_id_is_reused(
    tmp_path: Path,
) -> None:
    # A server restarted in a container gets the same process id: the id is no proof of life.
    log = InferenceLog(tmp_path)
    log.write(record(1))
    log.close()
    sealed = segments(tmp_path)[0]
    left = sealed.with_name(sealed.name.split("-")[0] + f"-{os.getpid()}-deadbeef.open")
    sealed.rename(left)  # as a kill -9 leaves it: open, nobody holding it
    assert InferenceLog(tmp_path).compact().predictions == 1


def test_read_includes_records_not_yet_compacted(tmp_path: Path) -> None:
    log = InferenceLog(tmp_path)
    log.write(record(1))
    log.close()
    log.compact()
    second = InferenceLog(tmp_path)
    second.write(record(2))
    assert sorted(second.read("m").column("request_id").to_pylist()) == ["r1", "r2"]
    second.close()


def test_a_segment_sealed_between_listing_and_reading_is_read_under_its_new_name(
    tmp_path: Path,
) -> None:
    from driftline.store._segments import SEALED, SegmentScan, segment_files

    log = InferenceLog(tmp_path)
    for i in range(20):
        log.write(record(i))
    (listed,) = segment_files(log.segments, closed_only=False)  # a reader lists: still open
    log.rotate()  # the writer seals it before the reader opens it
    deadline = time.monotonic() + 10
    while not listed.with_suffix(SEALED).exists():
        assert time.monotonic() < deadline, "the segment was not sealed within 10 s"
        time.sleep(0.001)
    assert not listed.exists()
    scan = SegmentScan()
    assert [r["request_id"] for r in scan.lines(listed)] == [f"r{i}" for i in range(20)]
    assert scan.corrupt == 0
    log.close()


def test_reads_during_rotations_see_every_acknowledged_record_once(tmp_path: Path) -> None:
    # The writer seals a segment after every few records while a reader reads the
    # whole log again and again: each read holds every record acknowledged before it
    # began, none twice (a segment renamed under a reader once read as empty).
    log = InferenceLog(tmp_path)
    acknowledged = 0
    done = threading.Event()

    def write() -> None:
        nonlocal acknowledged
        for i in range(600):
            log.write(record(i))
            acknowledged = i + 1
            if i % 3 == 2:
                log.rotate()
        done.set()

    writer = threading.Thread(target=write)
    writer.start()
    reads = 0
    try:
        while not done.is_set() or reads < 5:
            floor = acknowledged
            ids = InferenceLog(tmp_path).read("m").column("request_id").to_pylist()
            assert len(ids) == len(set(ids)), "a record was read twice"
            assert len(ids) >= floor, f"read {len(ids)} records, {floor} were acknowledged"
            reads += 1
    finally:
        writer.join()
        log.close()
    assert reads >= 5


def test_open_segment_of_a_live_writer_is_not_compacted(tmp_path: Path) -> None:
    log = InferenceLog(tmp_path)
    log.write(record(1))
    assert InferenceLog(tmp_path).compact().predictions == 0  # another reader: writer alive
    log.close()
    assert InferenceLog(tmp_path).compact().predictions == 1


WRITER = textwrap.dedent(
    """
    import sys
    from driftline.store._log import InferenceLog
    sys.path.insert(0, {tests!r})
    from test_log import record
    log = InferenceLog({root!r})
    i = 0
    while True:
        log.write(record(i))
        print(i, flush=True)   # the "response": sent only after the write returned
        i += 1
    """
)


def test_every_acknowledged_record_survives_kill_9(tmp_path: Path) -> None:
    code = WRITER.format(tests=str(Path(__file__).parent), root=str(tmp_path))
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    acknowledged = []
    for line in proc.stdout:
        acknowledged.append(int(line))
        if len(acknowledged) == 300:
            os.kill(proc.pid, signal.SIGKILL)
            break
    proc.wait()
    acknowledged.extend(int(line) for line in proc.stdout.read().split())
    kept = {r["request_id"] for r in InferenceLog(tmp_path).records()}
    assert {f"r{i}" for i in acknowledged} <= kept
    compacted = InferenceLog(tmp_path).compact()  # the dead writer's segment compacts
    assert compacted.predictions == len(kept)


def test_the_unfinished_tail_of_an_open_segment_is_not_counted_as_damage(tmp_path: Path) -> None:
    log = InferenceLog(tmp_path)
    log.write(record(1))
    open_segment = segments(tmp_path)[0]
    with open(open_segment, "ab") as f:
        f.write(encode(record(2))[:30])  # a write under way, as a reader may catch it
    reader = InferenceLog(tmp_path)
    assert [r["request_id"] for r in reader.records()] == ["r1"]
    assert reader.scan.corrupt == 0
    log.close()


@pytest.mark.skipif(not hasattr(os, "setpriority"), reason="thread priorities are Linux's")
def test_the_syncer_yields_the_cpu_only_when_no_request_waits_for_it(tmp_path: Path) -> None:
    base = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    nice = {}
    for mode in ("write", "fsync"):
        log = InferenceLog(tmp_path / mode, wait_for=mode)
        log.write(record(0))  # starts the syncer, which sets its own priority first
        deadline = time.monotonic() + 10
        while log.syncs == 0 and time.monotonic() < deadline:  # until it has synced once
            time.sleep(0.001)
        assert log._syncer is not None and log._syncer.native_id is not None
        nice[mode] = os.getpriority(os.PRIO_PROCESS, log._syncer.native_id)
        log.close()
    assert nice["write"] == min(19, base + SYNCER_NICE)  # answers never wait for it
    assert nice["fsync"] == base  # answers wait for each of its syncs
